"""HNG102, HNG103, HNG104: asyncpg pools without timeouts, and leaked connections.

Which receivers are asyncpg pools (shared by HNG103 and HNG104): an
expression is a pool when it is

- a call to ``asyncpg.create_pool(...)`` (any import spelling, also
  ``asyncpg.pool.create_pool``), awaited or not;
- a name whose visible binding in this module is such a call: a local, an
  enclosing function's local, or a module global (including one assigned
  in a function that declares it ``global``), ``async with ... as`` too;
- ``self.<attr>`` assigned such a call in any method of the class;
- a name, parameter or ``self.<attr>`` annotated ``asyncpg.Pool`` /
  ``asyncpg.pool.Pool``, bare, as a string, or inside ``Optional[...]``,
  ``Union[..., None]`` or ``... | None``;
- a name or ``self.<attr>`` assigned from another expression that is a
  pool by these rules (``self._pool = pool`` with ``pool: asyncpg.Pool``).

Anything else (a pool from an unknown factory, an unannotated parameter,
``request.app.state.pool``) cannot be resolved statically and is never
reported.
"""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

from asynclint.astutil import has_keyword, is_none, iter_scope, keyword, method_call
from asynclint.context import FileContext, parent, scope_of, unwrap_await
from asynclint.rule import SAFE, Rule

CREATE_POOL = "asyncpg.create_pool"
POOL_TYPES = frozenset({"asyncpg.Pool"})
# typing wrappers whose arguments may name the pool type
_UNION_WRAPPERS = frozenset({"Optional", "Union", "Final", "ClassVar"})
_MAX_DEPTH = 4


# -- pool resolution ---------------------------------------------------------

class _Scope:
    """Bindings of one module/function scope, as far as pool resolution needs.

    ``values`` maps a name to the expressions assigned to it (``None`` for a
    binding whose value is unknown: a ``for`` target, an import, a tuple
    unpacking...); ``annotations`` to its annotations; ``params`` holds the
    parameters; ``globals`` the names declared ``global``.
    """

    def __init__(self) -> None:
        self.values: Dict[str, List[Optional[ast.AST]]] = {}
        self.annotations: Dict[str, List[ast.AST]] = {}
        self.params: Set[str] = set()
        self.globals: Set[str] = set()

    def binds(self, name: str) -> bool:
        return name in self.values or name in self.annotations or name in self.params


def _bind(scope: _Scope, target: ast.AST, value: Optional[ast.AST]) -> None:
    if isinstance(target, ast.Name):
        scope.values.setdefault(target.id, []).append(value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _bind(scope, element, None)
    elif isinstance(target, ast.Starred):
        _bind(scope, target.value, None)


def _index(root: ast.AST) -> _Scope:
    scope = _Scope()
    if isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = root.args
        every = [*getattr(args, "posonlyargs", []), *args.args, *args.kwonlyargs]
        every += [a for a in (args.vararg, args.kwarg) if a is not None]
        for arg in every:
            scope.params.add(arg.arg)
            if arg.annotation is not None:
                scope.annotations.setdefault(arg.arg, []).append(arg.annotation)
    for node in iter_scope(root):
        if node is root:
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                _bind(scope, target, node.value)
        elif isinstance(node, ast.AnnAssign):
            if isinstance(node.target, ast.Name):
                scope.annotations.setdefault(node.target.id, []).append(node.annotation)
                if node.value is not None:
                    _bind(scope, node.target, node.value)
        elif isinstance(node, ast.NamedExpr):
            _bind(scope, node.target, node.value)
        elif isinstance(node, ast.AugAssign):
            _bind(scope, node.target, None)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    _bind(scope, item.optional_vars, item.context_expr)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            _bind(scope, node.target, None)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                scope.values.setdefault(name, []).append(None)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or (
            isinstance(node, ast.ExceptHandler) and node.name
        ):
            scope.values.setdefault(node.name, []).append(None)  # type: ignore[union-attr]
        elif isinstance(node, ast.Global):
            scope.globals.update(node.names)
    return scope


def _scope_facts(ctx: FileContext, root: ast.AST) -> _Scope:
    memo = ctx.memo.setdefault("asyncpg-pools:scopes", {})
    assert isinstance(memo, dict)
    facts = memo.get(id(root))
    if facts is None:
        facts = memo[id(root)] = _index(root)
    return facts


def _global_assignments(ctx: FileContext) -> Dict[str, List[Optional[ast.AST]]]:
    """Values assigned to module globals inside functions that declare them ``global``."""
    memo = ctx.memo.get("asyncpg-pools:globals")
    if isinstance(memo, dict):
        return memo
    out: Dict[str, List[Optional[ast.AST]]] = {}
    for node in ast.walk(ctx.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            facts = _scope_facts(ctx, node)
            for name in facts.globals:
                out.setdefault(name, []).extend(facts.values.get(name, ()))
    ctx.memo["asyncpg-pools:globals"] = out
    return out


def _name_facts(ctx: FileContext, name: ast.Name) -> Tuple[List[Optional[ast.AST]], List[ast.AST]]:
    """(values, annotations) of the binding of ``name`` visible where it is used."""
    scope = scope_of(name)
    while True:
        if isinstance(scope, ast.ClassDef):  # class bodies do not enclose methods
            scope = scope_of(scope)
            continue
        facts = _scope_facts(ctx, scope)
        if isinstance(scope, ast.Module) or name.id in facts.globals:
            module = _scope_facts(ctx, ctx.tree)
            values = list(module.values.get(name.id, ()))
            values += _global_assignments(ctx).get(name.id, [])
            return values, list(module.annotations.get(name.id, ()))
        if facts.binds(name.id):
            return list(facts.values.get(name.id, ())), list(facts.annotations.get(name.id, ()))
        scope = scope_of(scope)


def _names_pool_type(ctx: FileContext, annotation: ast.AST, depth: int = 0) -> bool:
    """``asyncpg.Pool``, ``"asyncpg.Pool"``, ``Optional[Pool]``, ``Pool | None``..."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            inner = ast.parse(annotation.value.strip(), mode="eval").body
        except SyntaxError:
            return False
        return _names_pool_type(ctx, inner, depth + 1)
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        return ctx.qualname(annotation) in POOL_TYPES
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _names_pool_type(ctx, annotation.left, depth + 1) or _names_pool_type(
            ctx, annotation.right, depth + 1
        )
    if isinstance(annotation, ast.Subscript):
        wrapper = annotation.value
        last = wrapper.attr if isinstance(wrapper, ast.Attribute) else getattr(wrapper, "id", None)
        if last not in _UNION_WRAPPERS:
            return False
        inner = annotation.slice
        if type(inner).__name__ == "Index":  # Python 3.8 compatibility
            inner = inner.value  # type: ignore[attr-defined]
        members = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        return any(_names_pool_type(ctx, m, depth + 1) for m in members)
    return False


def is_asyncpg_pool(ctx: FileContext, expr: Optional[ast.AST], depth: int = 0) -> bool:
    """True when ``expr`` statically resolves to an asyncpg pool (see module doc)."""
    expr = unwrap_await(expr)
    if expr is None or depth > _MAX_DEPTH:
        return False
    if isinstance(expr, ast.Call):
        return ctx.qualname(expr.func) == CREATE_POOL
    if isinstance(expr, ast.Name):
        values, annotations = _name_facts(ctx, expr)
    elif ctx.self_class(expr) is not None:
        values = list(ctx.bound_values(expr))
        annotations = ctx.bound_annotations(expr)
    else:
        return False
    if any(_names_pool_type(ctx, a) for a in annotations):
        return True
    return any(
        is_asyncpg_pool(ctx, value, depth + 1)
        for value in values
        if value is not None and value is not expr
    )


def pool_acquire(ctx: FileContext, node: ast.AST) -> Optional[ast.Call]:
    """``node`` if it is ``<pool>.acquire(...)`` on a resolved asyncpg pool."""
    call = method_call(node, "acquire")
    if call is None or not is_asyncpg_pool(ctx, call.func.value):  # type: ignore[attr-defined]
        return None
    return call


# -- HNG102 ------------------------------------------------------------------

class AsyncpgPoolWithoutTimeouts(Rule):
    """## What it does
    Checks for `asyncpg.create_pool(...)` calls that pass no `timeout=`
    (connection setup) or no `command_timeout=` (every query).

    ## Why is this bad?
    asyncpg waits for ever by default: without `command_timeout` a query
    stuck on a lock or a dead server holds its connection indefinitely, and
    without `timeout` a connection attempt to an unreachable host hangs.
    Each stuck wait keeps a pool slot, and once the pool is empty every
    request hangs. In the incident the backend froze after 20-30 minutes
    with all of its pool's connections parked in unbounded waits.

    asyncpg has no pool-wide acquire timeout: a bounded pool still makes
    `pool.acquire()` wait for ever when every connection is held. Pass
    `timeout=` to each `acquire()` as well (HNG103).

    A call that forwards `**kwargs` is not reported: the keywords may be
    inside. `asyncpg.Pool(...)` built directly is not checked.

    ## Example
    ```python
    import asyncpg

    async def open_pool(dsn):
        return await asyncpg.create_pool(dsn, min_size=1, max_size=10)
    ```

    ## Use instead
    ```python
    import asyncpg

    async def open_pool(dsn):
        return await asyncpg.create_pool(
            dsn, min_size=1, max_size=10, timeout=30, command_timeout=60
        )
    ```

    ## Fix safety
    The fix adds the missing keyword(s): `timeout=N` and
    `command_timeout=2*N` (N is the `fix-timeout` setting, 30 by default).
    It is safe: it only bounds waits that were unbounded.

    ## References
    - [asyncpg: create_pool](https://magicstack.github.io/asyncpg/current/api/index.html#asyncpg.pool.create_pool)
    - [asyncpg: connect (`timeout`, `command_timeout`)](https://magicstack.github.io/asyncpg/current/api/index.html#asyncpg.connection.connect)
    - [asyncpg: Pool.acquire](https://magicstack.github.io/asyncpg/current/api/index.html#asyncpg.pool.Pool.acquire)
    """

    code = "HNG102"
    name = "asyncpg-pool-without-timeouts"
    message = (
        "`asyncpg.create_pool()` without {missing} lets {what} wait forever; "
        "pass {keywords} (asyncpg has no pool-wide acquire timeout: also pass "
        "`timeout=` to every `pool.acquire()`, see HNG103)"
    )
    fix = SAFE
    fix_message = "Add the missing `timeout=N` / `command_timeout=2*N`"
    nodes = (ast.Call,)
    needles = (b"asyncpg",)

    def check(self, node: ast.Call, ctx: FileContext) -> None:
        if ctx.qualname(node.func) != CREATE_POOL:
            return
        missing = [k for k in ("timeout", "command_timeout") if not has_keyword(node, k)]
        if not missing:
            return
        what = {
            "timeout": "connection setup",
            "command_timeout": "every query",
        }
        ctx.report(
            self,
            node,
            self.message.format(
                missing=" or ".join(f"`{k}=`" for k in missing),
                what=" and ".join(what[k] for k in missing),
                keywords=", ".join(f"`{k}=N`" for k in missing),
            ),
        )


# -- HNG103 ------------------------------------------------------------------

class PoolAcquireWithoutTimeout(Rule):
    """## What it does
    Checks for `pool.acquire()` on an asyncpg pool without `timeout=`,
    both `await pool.acquire()` and `async with pool.acquire() as conn`.

    The receiver must resolve to an asyncpg pool in the same module: a
    local, a module global or a `self.<attr>` (assigned in any method of
    the class) bound from `asyncpg.create_pool(...)`, or a name annotated
    `asyncpg.Pool` / `asyncpg.pool.Pool` (also as a string or inside
    `Optional[...]`). Other objects' `acquire()` (locks, semaphores, pools
    from unknown factories) are not checked.

    ## Why is this bad?
    asyncpg has no pool-wide acquire timeout. When every connection is
    held (a slow query, a leaked connection), `acquire()` waits for ever,
    and so does the request that called it. In the incident the health
    endpoint hung exactly here, so the service never even reported itself
    unhealthy.

    An acquire wrapped in `asyncio.wait_for(...)` or inside an
    `async with asyncio.timeout(...)` block is bounded and not reported;
    neither is a call that forwards `**kwargs`.

    ## Example
    ```python
    import asyncpg

    async def health(pool: asyncpg.Pool):
        async with pool.acquire() as conn:
            return await conn.fetchval("SELECT 1")
    ```

    ## Use instead
    ```python
    import asyncpg

    async def health(pool: asyncpg.Pool):
        async with pool.acquire(timeout=5) as conn:
            return await conn.fetchval("SELECT 1")
    ```

    ## Fix safety
    The fix adds `timeout=N` (N is the `fix-timeout` setting, 30 by
    default). It is safe: it only bounds a wait that was unbounded; a
    caller now gets `asyncio.TimeoutError` instead of hanging.

    ## References
    - [asyncpg: Pool.acquire](https://magicstack.github.io/asyncpg/current/api/index.html#asyncpg.pool.Pool.acquire)
    - [asyncpg: connection pools](https://magicstack.github.io/asyncpg/current/usage.html#connection-pools)
    """

    code = "HNG103"
    name = "pool-acquire-without-timeout"
    message = (
        "`acquire()` on an asyncpg pool without `timeout=` waits forever when every "
        "connection is held; pass `timeout=N`"
    )
    fix = SAFE
    fix_message = "Add `timeout=N`"
    nodes = (ast.Call,)
    needles = (b"asyncpg",)

    def check(self, node: ast.Call, ctx: FileContext) -> None:
        if method_call(node, "acquire") is None or has_keyword(node, "timeout"):
            return
        above = parent(node)
        awaited = isinstance(above, ast.Await)
        in_async_with = (
            isinstance(above, ast.withitem)
            and above.context_expr is node
            and isinstance(parent(above), ast.AsyncWith)
        )
        if not (awaited or in_async_with) or _under_timeout(ctx, node):
            return
        if pool_acquire(ctx, node) is not None:
            ctx.report(self, node)


# context managers that bound every await in their block
_TIMEOUT_BLOCKS = frozenset(
    {
        "asyncio.timeout",
        "asyncio.timeout_at",
        "async_timeout.timeout",
        "anyio.fail_after",
        "anyio.move_on_after",
    }
)


def _under_timeout(ctx: FileContext, node: ast.AST) -> bool:
    """``node`` runs inside ``[async] with asyncio.timeout(t):`` (t not None) in its function."""
    child, above = node, parent(node)
    while above is not None and not isinstance(
        above, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)
    ):
        if isinstance(above, (ast.With, ast.AsyncWith)) and child in above.body:
            for item in above.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and ctx.qualname(call.func) in _TIMEOUT_BLOCKS:
                    named = keyword(call, "delay") or keyword(call, "when")
                    bound = call.args[0] if call.args else (named.value if named else None)
                    if bound is not None and not is_none(bound):
                        return True
        child, above = above, parent(above)
    return False


# -- HNG104 ------------------------------------------------------------------

class AcquiredConnectionNotReleased(Rule):
    """## What it does
    Checks for `conn = await pool.acquire(...)` on an asyncpg pool (resolved
    as for HNG103) in a function that has no `finally:` calling
    `pool.release(conn)` or `conn.close()`, and that does not return
    `conn`.

    ## Why is this bad?
    Any exception (or cancellation) between the acquire and the release
    skips the release, and the connection never goes back to the pool.
    After `max_size` such leaks the pool is dry and every later `acquire()`
    waits for ever: the whole service hangs, long after the error that
    caused it.

    A function that returns the connection is a factory handing it to its
    caller, and is not reported. `async with pool.acquire() as conn`
    releases on every path and is never reported.

    ## Example
    ```python
    import asyncpg

    async def count_users(pool: asyncpg.Pool):
        conn = await pool.acquire(timeout=5)
        count = await conn.fetchval("SELECT count(*) FROM users")
        await pool.release(conn)
        return count
    ```

    ## Use instead
    ```python
    import asyncpg

    async def count_users(pool: asyncpg.Pool):
        async with pool.acquire(timeout=5) as conn:
            return await conn.fetchval("SELECT count(*) FROM users")
    ```

    ## Fix safety
    There is no fix: where the release belongs depends on the code.

    ## References
    - [asyncpg: Pool.acquire](https://magicstack.github.io/asyncpg/current/api/index.html#asyncpg.pool.Pool.acquire)
    - [asyncpg: Pool.release](https://magicstack.github.io/asyncpg/current/api/index.html#asyncpg.pool.Pool.release)
    - [Python: the try statement (`finally`)](https://docs.python.org/3/reference/compound_stmts.html#the-try-statement)
    """

    code = "HNG104"
    name = "acquired-connection-not-released"
    message = (
        "connection `{conn}` from `acquire()` is not released in a `finally:`; an "
        "exception leaks it and a dry pool hangs every caller: use "
        "`async with pool.acquire() as {conn}:` or release it in `finally:`"
    )
    nodes = (ast.Assign, ast.AnnAssign)
    needles = (b"asyncpg",)

    def check(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Assign):
            if len(node.targets) != 1:
                return
            target = node.targets[0]
        else:
            target = node.target  # type: ignore[attr-defined]
        value = getattr(node, "value", None)
        if not isinstance(target, ast.Name) or not isinstance(value, ast.Await):
            return
        if pool_acquire(ctx, value.value) is None:
            return
        function = ctx.function_of(node)
        if function is None or isinstance(function, ast.Lambda):
            return
        conn = target.id
        if _released_in_finally(function, conn) or _returned(function, conn):
            return
        ctx.report(self, node, self.message.format(conn=conn))


def _is_conn(expr: Optional[ast.AST], conn: str) -> bool:
    return isinstance(expr, ast.Name) and expr.id == conn


def _releases(node: ast.AST, conn: str) -> bool:
    """``<x>.release(conn)`` or ``conn.close()``."""
    call = method_call(node, "release")
    if call is not None:
        first = call.args[0] if call.args else None
        named = keyword(call, "connection")
        return _is_conn(first, conn) or (named is not None and _is_conn(named.value, conn))
    call = method_call(node, "close")
    return call is not None and _is_conn(call.func.value, conn)  # type: ignore[attr-defined]


def _released_in_finally(function: ast.AST, conn: str) -> bool:
    for node in iter_scope(function):
        finalbody = getattr(node, "finalbody", None)
        if not finalbody:
            continue
        for stmt in finalbody:
            if any(_releases(inner, conn) for inner in iter_scope(stmt)):
                return True
    return False


def _returned(function: ast.AST, conn: str) -> bool:
    for node in iter_scope(function):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            members = value.elts if isinstance(value, ast.Tuple) else [value]
            if any(_is_conn(m, conn) for m in members):
                return True
    return False
