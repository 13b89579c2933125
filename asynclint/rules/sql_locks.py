"""HNG400: row locks (``SELECT ... FOR UPDATE`` and ORM equivalents) with no bound on the wait.

Three shapes are checked:

* SQL in string literals. A literal is the outermost string expression: a
  plain or implicitly concatenated string, an f-string (its literal parts;
  every ``{...}`` becomes an opaque placeholder), or a ``+`` chain of such
  strings (other operands become placeholders too). Bare string statements
  (docstrings, attribute docstrings) are never SQL, nor are literals that are
  only compared (``==``/``in`` operands, arguments of ``assert*`` calls: the
  expected output of a query compiler in tests). After SQL comments and
  quoted SQL strings are removed, every locking clause ``FOR UPDATE``,
  ``FOR NO KEY UPDATE``, ``FOR SHARE`` or ``FOR KEY SHARE`` (with an optional
  ``OF t1, t2``) that follows a ``SELECT ... FROM`` of the same statement
  must be followed by ``NOWAIT``, ``SKIP LOCKED`` or ``WAIT <n>``. A clause
  followed by a placeholder (``FOR UPDATE {mode}``, ``FOR UPDATE %s``) may
  be completed at run time and is not reported. One finding per literal.
* SQLAlchemy ``.with_for_update(...)`` (and ``with_for_update=True`` passed
  to ``Session.get``/``refresh``) without ``nowait=True``/``skip_locked=True``.
* Django (and Tortoise) ``.select_for_update(...)`` without
  ``nowait=True``/``skip_locked=True``.

For the calls, a ``nowait=``/``skip_locked=`` that is not a literal false
value, positional arguments (older signatures take ``nowait`` first) and
``**kwargs`` all count as "may be bounded". A chain that is only compiled
inside an assertion (``assert_compile(q.with_for_update(), ...)``,
``str(qs.select_for_update().query) == ...``) is not executed. The finding
points at the method name, so a multi-line chain is reported on the line
of ``.with_for_update(``; the fix edits the call that ends there.

A bounded wait is accepted instead of ``NOWAIT``:

* the function containing the lock (the nearest ``def``) has a string
  literal that sets ``lock_timeout`` (``SET [LOCAL] lock_timeout ...``,
  ``set_config('lock_timeout', ...)``, a value other than 0), or reads a
  module-level constant holding such SQL;
* every function of the module that calls the locking function (by name,
  ``helper(...)`` or ``self.helper(...)``) sets ``lock_timeout`` itself: the
  lock helper runs inside its caller's transaction;
* for a literal bound to a module-level (or class-level) constant: every
  function of the module that reads the constant sets ``lock_timeout``;
* module-wide: the module passes ``lock_timeout`` in connection settings
  (a dict key ``"lock_timeout"``, e.g. asyncpg ``server_settings``; an
  ``options`` string with ``-c lock_timeout=...``), or sets it in a
  connection hook (a function decorated with ``listens_for``, registered
  with ``event.listen`` or passed as ``init=``/``setup=``);
* MySQL: the module imports a MySQL driver and no PostgreSQL one (InnoDB
  bounds every lock wait by ``innodb_lock_wait_timeout``, 50 s by default);
  ``SET innodb_lock_wait_timeout = N`` counts like ``lock_timeout``.

A literal at module or class level that is not bound to a name (an entry of
a dict of queries, say) can only be exempted module-wide.
"""

from __future__ import annotations

import ast
import re
from typing import Dict, List, Optional, Set, Tuple

from asynclint.astutil import has_kwargs_splat, is_true, keyword
from asynclint.context import FileContext, parent, scope_of
from asynclint.rule import UNSAFE, Lower, Rule

CODE = "HNG400"

# Stands for an interpolated value ({...} in an f-string, a non-literal `+` operand).
HOLE = "\x00"

# Cheap tests run before any heavier work on a string.
_QUICK_FOR = re.compile(r"(?i)for\s+(?:update|share|no\s|key\s)").search
_QUICK_SELECT = re.compile(r"(?i)select").search

_CLAUSE = re.compile(
    r"(?i)\bFOR\s+(?P<mode>NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b"
)
# One table name in `OF ...`: plain, schema-qualified, quoted, or interpolated.
_NAME_PART = r'(?:"[^"]*"|`[^`]*`|\w+|\x00|\{[^{}]*\}|%\(\w+\)s|%s)'
_NAME = _NAME_PART + r"(?:\s*\.\s*" + _NAME_PART + r")*"
_OF_LIST = re.compile(r"(?i)\s+OF\s+" + _NAME + r"(?:\s*,\s*" + _NAME + r")*")
_BOUNDED = re.compile(r"(?i)\s*(?:NOWAIT\b|SKIP\s+LOCKED\b|WAIT\s+\d)")
# What follows the clause is filled in at run time.
_OPEN_END = re.compile(r"\s*(?:\x00|\{|%\(|%s)")
_SELECT_FROM = re.compile(r"(?is)\bSELECT\b.*\bFROM\b")

_SETS_LOCK_TIMEOUT = re.compile(
    r"(?i)\bSET\s+(?:LOCAL\s+|SESSION\s+|@@(?:SESSION\.)?)?(?:lock_timeout|innodb_lock_wait_timeout)"
    r"\s*(?:=|\bTO\b)\s*(?P<value>\S*)"
    r"|\bset_config\s*\(\s*'lock_timeout'\s*,\s*(?P<value2>\S*)"
)
_OPTIONS_LOCK_TIMEOUT = re.compile(
    r"(?i)(?:-c\s*|--)lock_timeout\s*=\s*(?P<value>[^\s&]*)|lock_timeout%3D(?P<value2>[^\s&%]*)"
)
_ZERO = re.compile(r"""^['"]?0+(?:\.0*)?\s*(?:ms|s|min)?['"]?(?:[,;)\s]|$)""")

_HOOK_KEYWORDS = ("init", "setup")
_MYSQL_DRIVERS = frozenset({"aiomysql", "asyncmy", "pymysql", "MySQLdb", "mysql"})
_POSTGRES_DRIVERS = frozenset({"asyncpg", "psycopg", "psycopg2", "psycopg2cffi", "pg8000", "aiopg"})


class RowLockWithoutNowait(Rule):
    """## What it does
    Checks for row locks whose wait has no bound: SQL in string literals
    where `SELECT ... FROM ...` is followed by `FOR UPDATE`,
    `FOR NO KEY UPDATE`, `FOR SHARE` or `FOR KEY SHARE` (with or without
    `OF table, ...`) but not by `NOWAIT` or `SKIP LOCKED`; SQLAlchemy
    `.with_for_update()` and Django `.select_for_update()` without
    `nowait=True` or `skip_locked=True`.

    A bounded wait is accepted instead: the same function executes
    `SET LOCAL lock_timeout = '5s'` (or `SET lock_timeout ...`,
    `set_config('lock_timeout', ...)`), every caller of the function in the
    module does, or the module passes `lock_timeout` in its connections'
    settings (asyncpg `server_settings={"lock_timeout": "5s"}`, libpq
    `options="-c lock_timeout=5000"`) or sets it in a connection hook. A
    lock string bound to a module constant is exempt when every function
    that reads the constant sets `lock_timeout`. Modules that use a MySQL
    driver (and no PostgreSQL one) are skipped: InnoDB bounds lock waits
    with `innodb_lock_wait_timeout`. SQL
    comments (`-- FOR UPDATE`), docstrings and prose are not SQL. Sync and
    async code alike are checked: a lock wait blocks a worker thread as
    surely as a coroutine.

    ## Why is this bad?
    PostgreSQL waits for a row lock held by another transaction for as long
    as that transaction stays open, and by default (`lock_timeout = 0`)
    there is no limit. One transaction left open by a stuck request makes
    every later request that locks the same row wait behind it, each one
    holding a pooled connection, until the pool is empty and the whole
    service hangs. In the incident, generations locked with
    `SELECT ... FOR UPDATE` stayed "processing" forever behind a lock that
    was never released.

    There are three ways to bound the wait; each changes what the caller
    must handle:
    - `NOWAIT`: fail at once if a row is locked. The query raises
      `asyncpg.exceptions.LockNotAvailableError` (psycopg:
      `errors.LockNotAvailable`; SQLSTATE `55P03`, "lock_not_available");
      the caller must catch it and retry later or report "busy".
    - `SKIP LOCKED`: silently leave locked rows out of the result. Right
      for job queues (each worker takes a different row); wrong when the
      caller needs that exact row, as it then looks missing.
    - `lock_timeout`: wait at most the given time, then raise the same
      `55P03` error. `SET LOCAL` lasts until the end of the transaction;
      a connection-level setting bounds every lock wait on that connection.

    ## Example
    ```python
    async def reserve(conn, account_id):
        async with conn.transaction():
            return await conn.fetchrow(
                "SELECT * FROM accounts WHERE id = $1 FOR UPDATE", account_id
            )
    ```

    ## Use instead
    ```python
    import asyncpg

    async def reserve(conn, account_id):
        async with conn.transaction():
            try:
                return await conn.fetchrow(
                    "SELECT * FROM accounts WHERE id = $1 FOR UPDATE NOWAIT", account_id
                )
            except asyncpg.exceptions.LockNotAvailableError:
                return None  # someone else holds the row: retry later
    ```

    ## Fix safety
    The fix inserts ` NOWAIT` after the locking clause (after its `OF`
    list) in the literal, or adds `nowait=True` to `.with_for_update()` /
    `.select_for_update()`. It is unsafe: the query now raises
    `LockNotAvailableError` (SQLSTATE 55P03) where it used to wait, so
    callers must handle that error.

    ## References
    - [PostgreSQL: the locking clause (NOWAIT, SKIP LOCKED)](https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE)
    - [PostgreSQL: lock_timeout](https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT)
    - [PostgreSQL: error codes (55P03 lock_not_available)](https://www.postgresql.org/docs/current/errcodes-appendix.html)
    - [SQLAlchemy: Select.with_for_update](https://docs.sqlalchemy.org/en/20/core/selectable.html#sqlalchemy.sql.expression.Select.with_for_update)
    - [Django: select_for_update](https://docs.djangoproject.com/en/stable/ref/models/querysets/#select-for-update)
    - [asyncpg: server_settings](https://magicstack.github.io/asyncpg/current/api/index.html#asyncpg.connection.connect)
    """

    code = CODE
    name = "row-lock-without-nowait"
    message = (
        "Row lock waits without limit for a row another transaction holds; "
        "add `NOWAIT` or `SKIP LOCKED`, or set `lock_timeout`"
    )
    fix = UNSAFE
    fix_message = (
        "Add `NOWAIT` (callers must then handle LockNotAvailableError, SQLSTATE 55P03)"
    )
    nodes = (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Call)
    # a clause needs SELECT, and FOR followed by UPDATE/SHARE/NO KEY/KEY with
    # only what may separate them in source between (whitespace, quotes and
    # string prefixes, `+`, parentheses, SQL comments); both ORM calls
    # contain "for_update"
    needles = (Lower(b"select"), b"for_update")
    requires = (
        Lower(
            re.compile(
                rb"for(?:[\s'\"+()_]|\\[ntr\n]?|[rbfu]{1,3}['\"]|--[^\n]*|/\*.*?\*/)*(?:update|share|no|key)\b",
                re.S,
            )
        ),
    )

    def check(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Call):
            if _state(ctx).orm_locks_possible:
                self._check_call(node, ctx)
            return
        text = _sql_text(node)
        if text is None or not _QUICK_SELECT(text):
            return
        # the quick test cannot see through SQL comments between FOR and UPDATE
        if not _QUICK_FOR(text) and "/*" not in text and "--" not in text:
            return
        clause = _unbounded_clause(text)
        if clause is None or _only_compared(node) or _bounded_elsewhere(node, ctx):
            return
        ctx.report(
            self,
            node,
            f"`{clause}` waits without limit for a row another transaction holds; "
            "add `NOWAIT` (or `SKIP LOCKED`), or set `lock_timeout`",
        )

    def _check_call(self, node: ast.Call, ctx: FileContext) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("with_for_update", "select_for_update"):
            if node.args or has_kwargs_splat(node) or _waits_bounded(node.keywords):
                return
            if _only_compared(_chain_top(node)) or _bounded_elsewhere(node, ctx):
                return
            ctx.report(
                self,
                _MethodSpan(node),
                f"`.{func.attr}()` waits without limit for a row another transaction "
                "holds; pass `nowait=True` (or `skip_locked=True`), or set `lock_timeout`",
                fix_target=node,  # the fix edits the whole call
            )
            return
        # SQLAlchemy Session.get(Model, pk, with_for_update=True) / refresh(obj, ...)
        kw = keyword(node, "with_for_update")
        if kw is None or has_kwargs_splat(node):
            return
        value = kw.value
        if is_true(value):
            pass
        elif isinstance(value, ast.Dict) and all(k is not None for k in value.keys):
            pairs = [
                ast.keyword(arg=k.value, value=v)
                for k, v in zip(value.keys, value.values)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            ]
            if len(pairs) != len(value.keys) or _waits_bounded(pairs):
                return
        else:
            return
        if _bounded_elsewhere(node, ctx):
            return
        ctx.report(
            self,
            kw,
            "`with_for_update=` locks the row and waits without limit for another "
            "transaction; pass `{'nowait': True}` (or `skip_locked`), or set `lock_timeout`",
            fix_target=node,
        )


class _MethodSpan:
    """The location of ``.name(...)`` in a call chain: from the method name to the call's end."""

    def __init__(self, call: ast.Call) -> None:
        func = call.func
        assert isinstance(func, ast.Attribute)
        self.lineno = func.end_lineno or call.lineno
        self.col_offset = max((func.end_col_offset or 0) - len(func.attr), 0)
        self.end_lineno = call.end_lineno
        self.end_col_offset = call.end_col_offset


def _waits_bounded(keywords: List[ast.keyword]) -> bool:
    """``nowait=``/``skip_locked=`` given as anything but a literal false value."""
    for kw in keywords:
        if kw.arg in ("nowait", "skip_locked"):
            value = kw.value
            if not (isinstance(value, ast.Constant) and not value.value):
                return True
    return False


# -- string literals -------------------------------------------------------


def _is_add(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)


def _sql_text(node: ast.AST) -> Optional[str]:
    """The text of ``node`` if it is the outermost expression of a string literal.

    Parts of an f-string or of a ``+`` chain are skipped (their outermost
    expression is checked instead), and so are bare string statements.
    """
    up = parent(node)
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str):
            return None
        if isinstance(up, (ast.JoinedStr, ast.Expr)) or _is_add(up):
            return None
        return node.value
    if isinstance(node, ast.JoinedStr):
        if isinstance(up, (ast.FormattedValue, ast.Expr)) or _is_add(up):
            return None
        return _joined_text(node)
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, ast.Add) or _is_add(up) or isinstance(up, ast.Expr):
            return None
        parts: List[str] = []
        has_string = False
        stack: List[ast.AST] = [node]
        while stack:
            item = stack.pop()
            if _is_add(item):
                stack.append(item.right)  # type: ignore[attr-defined]
                stack.append(item.left)  # type: ignore[attr-defined]
            elif isinstance(item, ast.Constant) and isinstance(item.value, str):
                parts.append(item.value)
                has_string = True
            elif isinstance(item, ast.JoinedStr):
                parts.append(_joined_text(item))
                has_string = True
            else:
                parts.append(HOLE)
        return "".join(parts) if has_string else None
    return None


def _joined_text(node: ast.JoinedStr) -> str:
    return "".join(
        v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else HOLE
        for v in node.values
    )


def _only_compared(node: ast.AST) -> bool:
    """The literal is expected output, not executed: ``sql == "..."``, ``assertEqual(sql, "...")``."""
    up = parent(node)
    if isinstance(up, ast.keyword):
        up = parent(up)
    if isinstance(up, ast.Compare):
        return True
    if isinstance(up, ast.Call):
        func = up.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name.lower().startswith("assert")
    return False


def _chain_top(node: ast.AST) -> ast.AST:
    """The outermost expression of the method chain ``node`` is part of (``str()`` included)."""
    up = parent(node)
    while (
        (isinstance(up, ast.Attribute) and up.value is node)
        or (isinstance(up, ast.Call) and up.func is node)
        or (isinstance(up, ast.Call) and getattr(up.func, "id", None) in ("str", "repr"))
    ):
        node, up = up, parent(up)
    return node


def _blank_sql(text: str) -> str:
    """``text`` with SQL comments (``--``, nested ``/* */``) and the contents
    of ``'...'`` strings replaced by spaces; every position is kept, so a fix
    can insert at an offset found here."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        if text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out[i:end] = " " * (end - i)
            i = end
        elif text.startswith("/*", i):
            depth, end = 1, i + 2
            while end < n and depth:
                if text.startswith("/*", end):
                    depth, end = depth + 1, end + 2
                elif text.startswith("*/", end):
                    depth, end = depth - 1, end + 2
                else:
                    end += 1
            out[i:end] = [c if c == "\n" else " " for c in text[i:end]]
            i = end
        elif text[i] == "'":
            end = i + 1
            while end < n and (text[end] != "'" or text.startswith("''", end)):
                end += 2 if text.startswith("''", end) else 1
            out[i + 1 : end] = " " * (end - i - 1)
            i = end + 1
        else:
            i += 1
    return "".join(out)


def unbounded_clauses(text: str) -> List[Tuple[int, int, str]]:
    """(start, end, mode) of each locking clause in ``text`` with no bound on
    its wait; ``end`` is just after the clause and its ``OF`` list."""
    sql = _blank_sql(text)
    found = []
    for match in _CLAUSE.finditer(sql):
        start = sql.rfind(";", 0, match.start()) + 1
        if not _SELECT_FROM.search(sql, start, match.start()):
            continue
        end = match.end()
        of_list = _OF_LIST.match(sql, end)
        if of_list is not None:
            end = of_list.end()
        if _BOUNDED.match(sql, end) or _OPEN_END.match(sql, end):
            continue
        found.append((match.start(), end, "FOR " + " ".join(match.group("mode").upper().split())))
    return found


def _unbounded_clause(text: str) -> Optional[str]:
    """The first locking clause in ``text`` with no bound on its wait, or None."""
    clauses = unbounded_clauses(text)
    return clauses[0][2] if clauses else None


# -- accepted alternative: a bounded wait -----------------------------------


def _sets_lock_timeout(text: str) -> bool:
    if "lock_timeout" not in text and "lock_wait_timeout" not in text:
        return False
    for match in _SETS_LOCK_TIMEOUT.finditer(text):
        value = match.group("value") if match.group("value") is not None else match.group("value2")
        if not _ZERO.match(value or "x"):
            return True
    return False


def _options_set_lock_timeout(text: str) -> bool:
    if "lock_timeout" not in text:
        return False
    for match in _OPTIONS_LOCK_TIMEOUT.finditer(text):
        value = match.group("value") if match.group("value") is not None else match.group("value2")
        if value and not _ZERO.match(value):
            return True
    return False


def _def_of(node: ast.AST) -> Optional[ast.AST]:
    """The nearest enclosing ``def`` (lambdas belong to theirs)."""
    scope = scope_of(node)
    while isinstance(scope, ast.Lambda):
        scope = scope_of(scope)
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return scope
    return None


class _Facts:
    """Per-file facts about ``lock_timeout``, built on the first candidate finding."""

    def __init__(self, ctx: FileContext) -> None:
        tree = ctx.tree
        # MySQL bounds every lock wait (innodb_lock_wait_timeout, 50 s by default)
        drivers = {name.split(".")[0] for name in ctx.imports.values()}
        self.module_wide = bool(drivers & _MYSQL_DRIVERS) and not drivers & _POSTGRES_DRIVERS
        self.setters: Set[int] = set()  # ids of defs that set lock_timeout
        # name -> defs that read it (a Name, or an attribute `x.name`)
        self.readers: Dict[str, List[Optional[ast.AST]]] = {}
        setter_constants: Set[str] = set()
        hooks: Set[str] = set()
        defs: List[ast.AST] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if "lock_timeout" not in node.value and "lock_wait_timeout" not in node.value:
                    continue
                if _options_set_lock_timeout(node.value):
                    self.module_wide = True
                if _sets_lock_timeout(node.value):
                    function = _def_of(node)
                    if function is not None:
                        self.setters.add(id(function))
                    else:
                        setter_constants.update(_constant_names(node))
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "lock_timeout"
                        and not _ZERO.match(_literal_text(value))
                    ):
                        self.module_wide = True
            elif isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    self.readers.setdefault(node.id, []).append(_def_of(node))
            elif isinstance(node, ast.Attribute):
                if isinstance(node.ctx, ast.Load):
                    self.readers.setdefault(node.attr, []).append(_def_of(node))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs.append(node)
            elif isinstance(node, ast.Call):
                _collect_hooks(node, hooks)
                if getattr(node.func, "id", None) == "dict":  # server_settings=dict(lock_timeout=...)
                    for kw in node.keywords:
                        if kw.arg == "lock_timeout" and not _ZERO.match(_literal_text(kw.value)):
                            self.module_wide = True
        for name in setter_constants:
            for function in self.readers.get(name, ()):
                if function is not None:
                    self.setters.add(id(function))
        if not self.module_wide:
            for function in defs:
                if id(function) in self.setters and (
                    function.name in hooks  # type: ignore[attr-defined]
                    or any(_is_listens_for(d) for d in function.decorator_list)  # type: ignore[attr-defined]
                ):
                    self.module_wide = True
                    break

    def all_readers_set(self, name: str) -> bool:
        readers = self.readers.get(name)
        return bool(readers) and all(r is not None and id(r) in self.setters for r in readers)


def _literal_text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    return "x"  # unknown: not zero


def _collect_hooks(call: ast.Call, hooks: Set[str]) -> None:
    for kw in call.keywords:
        if kw.arg in _HOOK_KEYWORDS and isinstance(kw.value, (ast.Name, ast.Attribute)):
            hooks.add(kw.value.id if isinstance(kw.value, ast.Name) else kw.value.attr)
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name == "listen" and len(call.args) >= 3:
        hook = call.args[2]
        if isinstance(hook, ast.Name):
            hooks.add(hook.id)
        elif isinstance(hook, ast.Attribute):
            hooks.add(hook.attr)


def _is_listens_for(decorator: ast.AST) -> bool:
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
    return name == "listens_for"


def _constant_names(node: ast.AST) -> List[str]:
    """Names a module- or class-level assignment binds the string expression ``node`` to."""
    expr = node
    up = parent(expr)
    while isinstance(up, (ast.JoinedStr, ast.BinOp)) or _is_text_call(up):  # "a" + "b", text("...")
        expr, up = up, parent(up)
    if isinstance(up, ast.Assign):
        return [t.id for t in up.targets if isinstance(t, ast.Name)]
    if isinstance(up, ast.AnnAssign) and isinstance(up.target, ast.Name):
        return [up.target.id]
    return []


class _State:
    """Per-file memo: a cheap gate for the call checks, and the lazily built facts."""

    def __init__(self, ctx: FileContext) -> None:
        # `.with_for_update(`, `.select_for_update(`, `with_for_update=`
        self.orm_locks_possible = any("_for_update" in line for line in ctx.lines)
        self.facts: Optional[_Facts] = None


def _state(ctx: FileContext) -> _State:
    state = ctx.memo.get(CODE)
    if state is None:
        state = ctx.memo[CODE] = _State(ctx)
    return state  # type: ignore[return-value]


def _is_text_call(node: Optional[ast.AST]) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)) == "text"


def _facts(ctx: FileContext) -> _Facts:
    state = _state(ctx)
    if state.facts is None:
        state.facts = _Facts(ctx)
    return state.facts


def _bounded_elsewhere(node: ast.AST, ctx: FileContext) -> bool:
    """The lock's wait is bounded by ``lock_timeout`` set around it (see the module doc)."""
    facts = _facts(ctx)
    if facts.module_wide:
        return True
    function = _def_of(node)
    if function is None:
        names = _constant_names(node)
        return bool(names) and all(facts.all_readers_set(name) for name in names)
    if id(function) in facts.setters:
        return True
    return facts.all_readers_set(function.name)  # type: ignore[attr-defined]
