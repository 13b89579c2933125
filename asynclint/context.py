"""Per-file facts, computed once and shared by every rule.

The engine walks the tree once (:func:`prepare`): it records each node's
parent and scope (module, class, function or lambda) and the module's import
aliases. Heavier facts (what a name or ``self.<attr>`` is bound to) are built
lazily, once per scope, the first time a rule asks.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence, Tuple

from asynclint.rule import Finding

if TYPE_CHECKING:  # pragma: no cover
    from asynclint.config import Settings
    from asynclint.rule import Rule

FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
SCOPE_TYPES = FUNCTION_TYPES + (ast.ClassDef, ast.Module)

# Public names re-exported from private or sub-modules: one spelling per object.
CANONICAL = {
    "aiohttp.client.ClientSession": "aiohttp.ClientSession",
    "aiohttp.client.ClientTimeout": "aiohttp.ClientTimeout",
    "aiohttp.client.request": "aiohttp.request",
    "asyncpg.pool.create_pool": "asyncpg.create_pool",
    "asyncpg.pool.Pool": "asyncpg.Pool",
    "asyncpg.connection.connect": "asyncpg.connect",
    "asyncio.tasks.create_task": "asyncio.create_task",
    "asyncio.tasks.ensure_future": "asyncio.ensure_future",
    "asyncio.tasks.wait_for": "asyncio.wait_for",
    "asyncio.tasks.gather": "asyncio.gather",
    "asyncio.tasks.wait": "asyncio.wait",
    "asyncio.tasks.sleep": "asyncio.sleep",
    "asyncio.timeouts.timeout": "asyncio.timeout",
    "asyncio.timeouts.timeout_at": "asyncio.timeout_at",
    "asyncio.threads.to_thread": "asyncio.to_thread",
    "asyncio.exceptions.CancelledError": "asyncio.CancelledError",
    "asyncio.taskgroups.TaskGroup": "asyncio.TaskGroup",
    "asyncio.events.get_event_loop": "asyncio.get_event_loop",
    "asyncio.events.get_running_loop": "asyncio.get_running_loop",
    "asyncio.events.new_event_loop": "asyncio.new_event_loop",
    "fastapi.background.BackgroundTasks": "fastapi.BackgroundTasks",
    "starlette.background.BackgroundTasks": "fastapi.BackgroundTasks",
    "httpx._client.AsyncClient": "httpx.AsyncClient",
    "httpx._client.Client": "httpx.Client",
    "httpx._config.Timeout": "httpx.Timeout",
    "google.genai.client.Client": "google.genai.Client",
    "openai._client.OpenAI": "openai.OpenAI",
    "openai._client.AsyncOpenAI": "openai.AsyncOpenAI",
    "anthropic._client.Anthropic": "anthropic.Anthropic",
    "anthropic._client.AsyncAnthropic": "anthropic.AsyncAnthropic",
    "requests.sessions.Session": "requests.Session",
    "requests.api.get": "requests.get",
    "requests.api.post": "requests.post",
    "requests.api.put": "requests.put",
    "requests.api.patch": "requests.patch",
    "requests.api.delete": "requests.delete",
    "requests.api.head": "requests.head",
    "requests.api.options": "requests.options",
    "requests.api.request": "requests.request",
    "anyio.abc.TaskGroup": "anyio.TaskGroup",
    "sqlalchemy.sql.text": "sqlalchemy.text",
    "sqlalchemy.sql.expression.text": "sqlalchemy.text",
}


def parent(node: ast.AST) -> Optional[ast.AST]:
    return getattr(node, "_al_parent", None)


def scope_of(node: ast.AST) -> ast.AST:
    """The nearest enclosing module, class, function or lambda."""
    return getattr(node, "_al_scope")


# Singleton leaves (contexts, operators) carry no information for the rules
# and are not walked.
_SCOPE_OPENERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_OPENER_CLASSES = frozenset(_SCOPE_OPENERS)
# Fields that never hold a node (names, flags, numbers, a Constant's value).
_SCALAR_FIELDS = frozenset(
    {"id", "attr", "name", "asname", "module", "level", "arg", "kind", "type_comment",
     "conversion", "is_async", "simple", "tag", "ctx", "op", "ops"}
)
_CHILD_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _child_fields(cls: type) -> Tuple[str, ...]:
    """The fields of a node class that may hold child nodes, last first."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        names = [] if cls is ast.Constant else [f for f in cls._fields if f not in _SCALAR_FIELDS]  # type: ignore[attr-defined]
        fields = _CHILD_FIELDS[cls] = tuple(reversed(names))
    return fields


def iter_scope(root: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``root`` that belongs to ``root``'s own scope.

    Nested functions, lambdas and classes are yielded themselves, but not
    entered (their decorators, defaults and bases are, as Python evaluates
    those in the enclosing scope).
    """
    if isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
        stack: List[ast.AST] = list(reversed(root.body))
    elif isinstance(root, ast.Lambda):
        stack = [root.body]
    else:
        stack = [root]
    AST = ast.AST
    push = stack.append
    while stack:
        node = stack.pop()
        yield node
        cls = node.__class__
        if cls in _OPENER_CLASSES:
            if cls is ast.ClassDef:
                children: List[ast.AST] = [*node.decorator_list, *node.bases, *node.keywords]  # type: ignore[attr-defined]
            else:
                children = [*getattr(node, "decorator_list", ()), *node.args.defaults]  # type: ignore[attr-defined]
                children += [d for d in node.args.kw_defaults if d is not None]  # type: ignore[attr-defined]
            stack.extend(reversed(children))
            continue
        fields = _CHILD_FIELDS.get(cls)
        if fields is None:
            fields = _child_fields(cls)
        for name in fields:  # last field first, so children pop in source order
            value = getattr(node, name, None)
            if value is None:
                continue
            if value.__class__ is list:
                for item in reversed(value):
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)


def unwrap_await(expr: Optional[ast.AST]) -> Optional[ast.AST]:
    while isinstance(expr, ast.Await):
        expr = expr.value
    return expr


def dotted(expr: ast.AST) -> Optional[str]:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


class FileContext:
    """What the rules know about one file, and how they report."""

    def __init__(
        self,
        path: str,
        tree: ast.Module,
        lines: Sequence[str],
        settings: "Settings",
    ) -> None:
        self.path = path
        self.tree = tree
        self.lines = lines
        self.settings = settings
        self.findings: List[Finding] = []
        self.imports: Dict[str, str] = {}
        self._bindings: Dict[int, Dict[str, List[ast.AST]]] = {}
        self._annotations: Dict[int, Dict[str, List[ast.AST]]] = {}
        self._attr_bindings: Dict[int, Dict[str, List[ast.AST]]] = {}
        self._attr_annotations: Dict[int, Dict[str, List[ast.AST]]] = {}
        # rules may keep per-file memos here, keyed by their code
        self.memo: Dict[str, object] = {}

    # -- reporting -------------------------------------------------------
    def column(self, row: int, byte_col: int) -> int:
        """1-based character column from ast's 0-based UTF-8 byte offset."""
        if 1 <= row <= len(self.lines):
            line = self.lines[row - 1]
            if not line.isascii():
                return len(line.encode("utf-8")[:byte_col].decode("utf-8", "ignore")) + 1
        return byte_col + 1

    def span(self, node: ast.AST) -> Tuple[int, int, int, int]:
        """(row, col, end_row, end_col) of a node; 1-based character columns."""
        row = node.lineno  # type: ignore[attr-defined]
        end_row = getattr(node, "end_lineno", None) or row
        end_col = getattr(node, "end_col_offset", None)
        return (
            row,
            self.column(row, node.col_offset),  # type: ignore[attr-defined]
            end_row,
            self.column(end_row, end_col) if end_col is not None else 0,
        )

    def report(
        self,
        rule: "Rule",
        node: ast.AST,
        message: Optional[str] = None,
        fix_target: Optional[ast.AST] = None,
    ) -> None:
        """Report ``node``; ``fix_target`` is the node the fix edits, if another one."""
        row, col, end_row, end_col = self.span(node)
        self.findings.append(
            Finding(
                path=self.path,
                row=row,
                col=col,
                code=rule.code,
                message=message or rule.message,
                end_row=end_row,
                end_col=end_col,
                fix=rule.fix if rule.fix_available(self.settings) else None,
                fix_target=self.span(fix_target) if fix_target is not None else None,
            )
        )

    # -- names -----------------------------------------------------------
    def add_import(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.imports[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    self.imports[alias.asname or alias.name] = node.module + "." + alias.name

    def qualname(self, expr: Optional[ast.AST]) -> Optional[str]:
        """The canonical qualified name an expression refers to, if imported.

        ``ah.ClientSession`` (``import aiohttp as ah``) and ``S``
        (``from aiohttp.client import ClientSession as S``) both give
        ``aiohttp.ClientSession``. Names that were not imported give None.
        """
        name = dotted(expr) if expr is not None else None
        if name is None:
            return None
        head, _, rest = name.partition(".")
        base = self.imports.get(head)
        if base is None:
            return None
        full = base + "." + rest if rest else base
        return CANONICAL.get(full, full)

    def call_name(self, expr: Optional[ast.AST]) -> Optional[str]:
        """qualname of the function called by ``expr`` (awaits unwrapped)."""
        expr = unwrap_await(expr)
        if isinstance(expr, ast.Call):
            return self.qualname(expr.func)
        return None

    # -- scopes ----------------------------------------------------------
    @staticmethod
    def function_of(node: ast.AST) -> Optional[ast.AST]:
        """The nearest enclosing function or lambda, or None at module/class level."""
        scope = scope_of(node)
        return scope if isinstance(scope, FUNCTION_TYPES) else None

    @staticmethod
    def in_async_function(node: ast.AST) -> bool:
        return isinstance(scope_of(node), ast.AsyncFunctionDef)

    @staticmethod
    def class_of(function: ast.AST) -> Optional[ast.ClassDef]:
        """The class a function is a method of (directly in the class body)."""
        scope = scope_of(function)
        return scope if isinstance(scope, ast.ClassDef) else None

    # -- bindings --------------------------------------------------------
    def _index_scope(self, scope: ast.AST) -> None:
        values: Dict[str, List[ast.AST]] = {}
        annotations: Dict[str, List[ast.AST]] = {}
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = scope.args
            for arg in [*getattr(args, "posonlyargs", []), *args.args, *args.kwonlyargs]:
                if arg.annotation is not None:
                    annotations.setdefault(arg.arg, []).append(arg.annotation)
        for node in iter_scope(scope):
            for target, value in _assignments(node):
                if isinstance(target, ast.Name):
                    values.setdefault(target.id, []).append(value)
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                annotations.setdefault(node.target.id, []).append(node.annotation)
        self._bindings[id(scope)] = values
        self._annotations[id(scope)] = annotations

    def _index_class(self, cls: ast.ClassDef) -> None:
        values: Dict[str, List[ast.AST]] = {}
        annotations: Dict[str, List[ast.AST]] = {}
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                annotations.setdefault(stmt.target.id, []).append(stmt.annotation)
                if stmt.value is not None:
                    values.setdefault(stmt.target.id, []).append(stmt.value)
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            params = [*getattr(stmt.args, "posonlyargs", []), *stmt.args.args]
            if not params:
                continue
            self_name = params[0].arg
            for node in iter_scope(stmt):
                for target, value in _assignments(node):
                    if _is_self_attr(target, self_name):
                        values.setdefault(target.attr, []).append(value)
                if isinstance(node, ast.AnnAssign) and _is_self_attr(node.target, self_name):
                    annotations.setdefault(node.target.attr, []).append(node.annotation)
        self._attr_bindings[id(cls)] = values
        self._attr_annotations[id(cls)] = annotations

    def _scope_with_binding(self, name: str, at: ast.AST) -> ast.AST:
        """The scope whose binding of ``name`` is visible at ``at``."""
        scope = scope_of(at) if not isinstance(at, SCOPE_TYPES) else at
        while True:
            if id(scope) not in self._bindings:
                self._index_scope(scope)
            if name in self._bindings[id(scope)] or name in self._annotations[id(scope)]:
                return scope
            if isinstance(scope, ast.Module):
                return scope
            outer = scope_of(scope)
            while isinstance(outer, ast.ClassDef):  # class bodies do not enclose methods
                outer = scope_of(outer)
            scope = outer

    def self_class(self, expr: ast.AST) -> Optional[ast.ClassDef]:
        """For ``self.x`` inside a method, the class of that method."""
        if not (isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name)):
            return None
        function = scope_of(expr)
        while isinstance(function, ast.Lambda):
            function = scope_of(function)
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        cls = self.class_of(function)
        params = [*getattr(function.args, "posonlyargs", []), *function.args.args]
        if cls is None or not params or params[0].arg != expr.value.id:
            return None
        return cls

    def bound_values(self, expr: ast.AST) -> List[ast.AST]:
        """Expressions assigned to a name or ``self.<attr>`` (awaits unwrapped).

        A name is looked up in the innermost scope that binds it (function,
        enclosing functions, then module); ``self.<attr>`` in every method
        of the class. Includes ``with ... as x`` / ``async with ... as x``.
        """
        return [unwrap_await(v) for v in self._lookup(expr, annotations=False)]

    def bound_annotations(self, expr: ast.AST) -> List[ast.AST]:
        """Annotations of a parameter, a variable or a ``self.<attr>``."""
        return self._lookup(expr, annotations=True)

    def _lookup(self, expr: ast.AST, annotations: bool) -> List[ast.AST]:
        if isinstance(expr, ast.Name):
            scope = self._scope_with_binding(expr.id, expr)
            table = self._annotations if annotations else self._bindings
            return list(table[id(scope)].get(expr.id, ()))
        cls = self.self_class(expr)
        if cls is None:
            return []
        if id(cls) not in self._attr_bindings:
            self._index_class(cls)
        table = self._attr_annotations if annotations else self._attr_bindings
        return list(table[id(cls)].get(expr.attr, ()))  # type: ignore[attr-defined]

    def is_bound_to_call(self, expr: ast.AST, names: "frozenset[str] | set[str]") -> bool:
        """True when ``expr`` is bound from a call to one of ``names``."""
        return any(self.call_name(v) in names for v in self.bound_values(expr))

    def is_annotated_as(self, expr: ast.AST, names: "frozenset[str] | set[str]") -> bool:
        for annotation in self.bound_annotations(expr):
            for node in ast.walk(annotation):
                if self.qualname(node) in names:
                    return True
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    try:
                        inner = ast.parse(node.value, mode="eval").body
                    except SyntaxError:
                        continue
                    if self.qualname(inner) in names:
                        return True
        return False


def _is_self_attr(target: ast.AST, self_name: str) -> bool:
    return (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == self_name
    )


def _assignments(node: ast.AST) -> Iterator[Tuple[ast.AST, ast.AST]]:
    """(target, value) pairs a statement binds directly."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield target, node.value
    elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
        yield node.target, node.value
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        for item in node.items:
            if item.optional_vars is not None:
                yield item.optional_vars, item.context_expr


def prepare(ctx: FileContext, buckets: Dict[type, list]) -> List[Tuple[ast.AST, list]]:
    """The one walk: parents, scopes, imports; returns (node, rules) to dispatch.

    ``buckets`` maps a node type to the rules that asked for it. Nodes are
    dispatched in source (pre-)order.
    """
    dispatch: List[Tuple[ast.AST, list]] = []
    tree = ctx.tree
    tree._al_parent = None  # type: ignore[attr-defined]
    tree._al_scope = tree  # type: ignore[attr-defined]
    stack: List[Tuple[ast.AST, ast.AST, ast.AST]] = [(child, tree, tree) for child in reversed(tree.body)]
    get = buckets.get
    AST = ast.AST
    Import, ImportFrom = ast.Import, ast.ImportFrom
    openers = _OPENER_CLASSES
    push = stack.append
    pop = stack.pop
    child_fields = _CHILD_FIELDS
    while stack:
        node, node_parent, scope = pop()
        node._al_parent = node_parent  # type: ignore[attr-defined]
        node._al_scope = scope  # type: ignore[attr-defined]
        cls = node.__class__
        rules = get(cls)
        if rules:
            dispatch.append((node, rules))
        if cls is Import or cls is ImportFrom:
            ctx.add_import(node)
            continue
        fields = child_fields.get(cls)
        if fields is None:
            fields = _child_fields(cls)
        if not fields:
            continue
        opens = cls in openers
        # push children in reverse so they pop in source order
        for name in fields:
            value = getattr(node, name, None)
            if value is None:
                continue
            child_scope = node if opens and name == "body" else scope
            if value.__class__ is list:
                for item in reversed(value):
                    if isinstance(item, AST):
                        push((item, node, child_scope))
            elif isinstance(value, AST):
                push((value, node, child_scope))
    return dispatch
