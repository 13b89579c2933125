"""HNG200-HNG203: task lifecycle (who creates a task, who keeps it, who stops it).

A "spawn" is a call that schedules a new task on the event loop:

- ``asyncio.create_task(...)`` and ``asyncio.ensure_future(...)`` under any
  import spelling (``import asyncio as aio``, ``from asyncio import
  create_task``);
- ``<loop>.create_task(...)`` where ``<loop>`` is bound (a local, an
  enclosing or module name, or ``self.<attr>``) from
  ``asyncio.get_event_loop()``, ``get_running_loop()`` or
  ``new_event_loop()``, is such a call itself (the chained
  ``asyncio.get_event_loop().create_task(...)``), or is a name or attribute
  spelled ``loop`` / ``_loop``.

``create_task`` on a structured task group (``async with asyncio.TaskGroup()
as tg``, ``async with anyio.create_task_group() as tg``; anyio's
``tg.start_soon``) is never a spawn: the group owns and awaits its tasks.

``ensure_future`` returns an existing future unchanged, so it counts as a
spawn only when its argument is a call that does not already return a
future (``gather``, ``shield``, ``run_in_executor``, ...) or a name bound
to such a call; an argument that cannot be resolved (a parameter) is not a
spawn.
"""

from __future__ import annotations

import ast
from typing import Iterator, List, Optional, Set, Tuple

from asynclint.astutil import iter_scope, method_call
from asynclint.context import FUNCTION_TYPES, FileContext, parent, scope_of
from asynclint.rule import UNSAFE, Rule

SPAWN_FUNCTIONS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
ENSURE_FUTURE = "asyncio.ensure_future"
LOOP_GETTERS = frozenset(
    {"asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop"}
)
LOOP_NAMES = frozenset({"loop", "_loop"})
TASK_GROUPS = frozenset(
    {"asyncio.TaskGroup", "anyio.create_task_group", "anyio.TaskGroup", "trio.open_nursery"}
)
# Calls that already return a future: ensure_future() hands it back unchanged.
FUTURE_FUNCTIONS = frozenset(
    {
        "asyncio.gather",
        "asyncio.shield",
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.wrap_future",
        "asyncio.run_coroutine_threadsafe",
        "asyncio.Future",
    }
)
FUTURE_METHODS = frozenset({"create_future", "run_in_executor", "create_task"})
# Builtins that read every local of the calling function at once.
NAMESPACE_READS = frozenset({"locals", "vars"})
CONSTRUCTORS = frozenset({"__init__", "__post_init__", "__new__"})
LOOP_RUNNERS = frozenset({"run_until_complete", "run_forever"})
# Methods that put one task / an iterable of tasks into a collection.
COLLECTION_ADDS = frozenset({"add", "append", "appendleft", "insert", "setdefault"})
COLLECTION_BULK_ADDS = frozenset({"extend", "update"})
# Methods that return None: ``spawn(...).add_done_callback(cb)`` keeps no reference.
CHAINED_METHODS = frozenset({"add_done_callback", "set_name"})
# Wrappers that only copy a collection of tasks before iterating it.
ITER_COPIES = frozenset({"list", "tuple", "set", "sorted", "reversed"})

BACKGROUND_TASKS = frozenset({"fastapi.BackgroundTasks"})
BACKGROUND_TASKS_PARAM = "background_tasks"
TIMEOUT_GUARDS = frozenset(
    {
        "asyncio.timeout",
        "asyncio.timeout_at",
        "asyncio.wait_for",
        "anyio.fail_after",
        "anyio.move_on_after",
        "async_timeout.timeout",
        "async_timeout.timeout_at",
    }
)

SPAWN_NEEDLES = (b"create_task", b"ensure_future")


# -- spawn resolution ---------------------------------------------------------
def is_spawn(node: ast.AST, ctx: FileContext) -> bool:
    """``node`` is a call that creates an unstructured task (see module doc)."""
    if not isinstance(node, ast.Call):
        return False
    memo = ctx.memo.setdefault("HNG2xx-spawn", {})
    assert isinstance(memo, dict)
    key = id(node)
    if key not in memo:
        memo[key] = _is_spawn(node, ctx)
    return memo[key]


def _is_spawn(call: ast.Call, ctx: FileContext) -> bool:
    name = ctx.qualname(call.func)
    if name in SPAWN_FUNCTIONS:
        if name == ENSURE_FUTURE:
            return _ensure_future_spawns(call, ctx)
        return True
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "create_task"):
        return False
    return _is_loop(func.value, ctx)


def _is_loop(receiver: ast.AST, ctx: FileContext) -> bool:
    if isinstance(receiver, ast.Call):
        return ctx.call_name(receiver) in LOOP_GETTERS
    if not isinstance(receiver, (ast.Name, ast.Attribute)):
        return False
    values = ctx.bound_values(receiver)
    if any(_is_task_group(v, ctx) for v in values):
        return False
    if any(ctx.call_name(v) in LOOP_GETTERS for v in values):
        return True
    spelled = receiver.id if isinstance(receiver, ast.Name) else receiver.attr
    return spelled in LOOP_NAMES


def _is_task_group(value: ast.AST, ctx: FileContext) -> bool:
    return ctx.call_name(value) in TASK_GROUPS


def _returns_future(value: ast.AST, ctx: FileContext) -> bool:
    if not isinstance(value, ast.Call):
        return False
    if ctx.call_name(value) in FUTURE_FUNCTIONS:
        return True
    return isinstance(value.func, ast.Attribute) and value.func.attr in FUTURE_METHODS


def _ensure_future_spawns(call: ast.Call, ctx: FileContext) -> bool:
    if call.args:
        arg = call.args[0]
    else:
        arg = next((kw.value for kw in call.keywords if kw.arg == "coro_or_future"), None)
    if arg is None:
        return False
    if isinstance(arg, ast.Call):
        return not _returns_future(arg, ctx)
    if isinstance(arg, (ast.Name, ast.Attribute)):
        values = ctx.bound_values(arg)
        return bool(values) and all(
            isinstance(v, ast.Call) and not _returns_future(v, ctx) for v in values
        )
    return False


# -- small tree helpers -------------------------------------------------------
def _params(function: ast.AST) -> List[ast.arg]:
    args = function.args  # type: ignore[attr-defined]
    out = [*getattr(args, "posonlyargs", []), *args.args, *args.kwonlyargs]
    if args.vararg is not None:
        out.append(args.vararg)
    if args.kwarg is not None:
        out.append(args.kwarg)
    return out


def _first_param(function: ast.AST) -> Optional[str]:
    args = function.args  # type: ignore[attr-defined]
    params = [*getattr(args, "posonlyargs", []), *args.args]
    return params[0].arg if params else None


def _is_attr_of(node: ast.AST, owner: str) -> Optional[str]:
    """``attr`` when ``node`` is ``<owner>.attr``."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == owner
    ):
        return node.attr
    return None


def _in_default(node: ast.AST) -> bool:
    """``node`` is (inside) a default argument value of a def or lambda."""
    child, up = node, parent(node)
    while up is not None and not isinstance(up, (ast.stmt, ast.Module)):
        if isinstance(up, ast.arguments):
            return any(child is d for d in up.defaults) or any(
                child is d for d in up.kw_defaults if d is not None
            )
        if isinstance(up, ast.Lambda) and child is up.body:
            return False
        child, up = up, parent(up)
    return False


def _enclosing_statements(node: ast.AST) -> Iterator[ast.AST]:
    up = parent(node)
    while up is not None:
        yield up
        up = parent(up)


def _is_main_guard(test: ast.AST) -> bool:
    """``__name__ == "__main__"`` (either order)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main


def _under_main_guard(node: ast.AST) -> bool:
    child = node
    for up in _enclosing_statements(node):
        if isinstance(up, ast.If) and _is_main_guard(up.test) and child in up.body:
            return True
        child = up
    return False


# -- HNG200 -------------------------------------------------------------------
class TaskCreatedAtImportTime(Rule):
    """## What it does
    Checks for tasks created at import time: `asyncio.create_task`,
    `asyncio.ensure_future` or `loop.create_task` called at module level, in
    a class body (also inside a module-level `if`/`try`/`with`/`for`), or as
    a default argument value.

    ## Why is this bad?
    At import time no event loop is running: `asyncio.create_task` raises,
    and `ensure_future` / `get_event_loop().create_task` attach the task to
    a loop that may never run, or to a different loop than the one the
    application later starts. Either way the task belongs to no one: nothing
    keeps it, awaits it or cancels it at shutdown. In the incident the Maps
    API-key check was spawned with `ensure_future` at import, once per
    worker, on whatever loop happened to be current, and the test suite hung
    in event-loop teardown.

    Code under `if __name__ == "__main__":` does not run at import and is not
    reported; neither is a script that creates a task on a loop it then
    drives itself (`loop.run_until_complete(...)` / `loop.run_forever()` on
    the same loop, or a spawn passed straight to `run_until_complete`).

    ## Example
    ```python
    import asyncio

    async def refresh_cache():
        while True:
            await asyncio.sleep(60)

    refresher = asyncio.ensure_future(refresh_cache())
    ```

    ## Use instead
    ```python
    import asyncio
    import contextlib

    async def refresh_cache():
        while True:
            await asyncio.sleep(60)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        refresher = asyncio.create_task(refresh_cache())
        try:
            yield
        finally:
            refresher.cancel()
    ```

    ## Fix safety
    There is no fix: where the task should start and who should own it is a
    design decision.

    ## References
    - [asyncio: creating tasks](https://docs.python.org/3/library/asyncio-task.html#creating-tasks)
    - [asyncio: ensure_future](https://docs.python.org/3/library/asyncio-future.html#asyncio.ensure_future)
    - [FastAPI: lifespan events](https://fastapi.tiangolo.com/advanced/events/)
    """

    code = "HNG200"
    name = "task-created-at-import-time"
    message = (
        "Task created at import time has no running loop and no owner; "
        "start it from an async start()/lifespan handler and keep the task"
    )
    nodes = (ast.Call,)
    needles = SPAWN_NEEDLES

    def check(self, node: ast.Call, ctx: FileContext) -> None:
        if not is_spawn(node, ctx):
            return
        if _in_default(node):
            ctx.report(self, node)
            return
        if not _at_import_time(node) or _under_main_guard(node):
            return
        if _script_drives_loop(node, ctx):
            return
        ctx.report(self, node)


def _at_import_time(node: ast.AST) -> bool:
    """Module level or a class body, with no function around it."""
    scope = scope_of(node)
    while isinstance(scope, ast.ClassDef):
        scope = scope_of(scope)
    return isinstance(scope, ast.Module)


def _script_drives_loop(call: ast.Call, ctx: FileContext) -> bool:
    """A sync script that creates the task for a loop it runs itself."""
    for up in _enclosing_statements(call):
        if isinstance(up, ast.stmt):
            break
        if method_call(up, "run_until_complete") is not None:
            return True
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return False
    loop_name = func.value.id
    scope = scope_of(call)
    for node in iter_scope(scope):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LOOP_RUNNERS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == loop_name
        ):
            return True
    return False


# -- HNG201 -------------------------------------------------------------------
class TaskCreatedInConstructor(Rule):
    """## What it does
    Checks for tasks created directly inside a synchronous constructor:
    `__init__`, `__post_init__` or `__new__` (not in an `async def` or
    callback nested in it).

    ## Why is this bad?
    The object can then only be built while an event loop is running (an
    import, a test fixture or a sync script raises or binds the wrong
    loop), and the task it starts has no owner that cancels it at shutdown,
    so event-loop teardown waits on it forever. In the incident the rate
    limiter started its `_periodic_cleanup` loop from `__init__`, and tests
    hung at teardown.

    Not reported when the task is stored on `self.<attr>` (directly, or in a
    collection on `self.<attr>`) and a method of the same class cancels it
    (`self.<attr>.cancel()`, or `.cancel()` on each item of the collection):
    the object owns the task and stops it.

    ## Example
    ```python
    import asyncio

    class RateLimiter:
        def __init__(self):
            self._hits = {}
            self._cleanup = asyncio.create_task(self._periodic_cleanup())

        async def _periodic_cleanup(self):
            while True:
                await asyncio.sleep(60)
                self._hits.clear()
    ```

    ## Use instead
    ```python
    import asyncio

    class RateLimiter:
        def __init__(self):
            self._hits = {}
            self._cleanup = None

        async def start(self):
            self._cleanup = asyncio.create_task(self._periodic_cleanup())

        async def stop(self):
            self._cleanup.cancel()

        async def _periodic_cleanup(self):
            while True:
                await asyncio.sleep(60)
                self._hits.clear()
    ```

    ## Fix safety
    There is no fix: moving the start into an async method changes the
    class's API.

    ## References
    - [asyncio: creating tasks](https://docs.python.org/3/library/asyncio-task.html#creating-tasks)
    - [asyncio: Task.cancel](https://docs.python.org/3/library/asyncio-task.html#asyncio.Task.cancel)
    - [FastAPI: lifespan events](https://fastapi.tiangolo.com/advanced/events/)
    """

    code = "HNG201"
    name = "task-created-in-constructor"
    message = (
        "Task created in a constructor needs a running loop and has no owner to cancel it; "
        "start it from an async start()/lifespan handler and keep the task"
    )
    nodes = (ast.Call,)
    needles = SPAWN_NEEDLES

    def check(self, node: ast.Call, ctx: FileContext) -> None:
        if not is_spawn(node, ctx) or _in_default(node):
            return
        function = ctx.function_of(node)
        if not isinstance(function, ast.FunctionDef) or function.name not in CONSTRUCTORS:
            return
        cls = ctx.class_of(function)
        if cls is None:
            return
        if _owned_and_cancelled(node, function, cls):
            return
        ctx.report(self, node)


def _owned_and_cancelled(call: ast.Call, ctor: ast.FunctionDef, cls: ast.ClassDef) -> bool:
    self_name = _first_param(ctor)
    if self_name is None:
        return False
    singles: Set[str] = set()
    collections: Set[str] = set()
    _storage(call, ctor, self_name, singles, collections)
    if not singles and not collections:
        return False
    return _cancels(cls, singles, collections)


def _storage(
    value: ast.AST,
    ctor: ast.FunctionDef,
    self_name: str,
    singles: Set[str],
    collections: Set[str],
    in_collection: bool = False,
) -> None:
    """Attributes of ``self`` where the constructor stores the task ``value``.

    ``singles`` get ``self.x = task``; ``collections`` get the task put into
    ``self.x`` (``self.x[k] = task``, ``self.x.add(task)``, ``self.x =
    [spawn(...) for ...]``).
    """
    up = parent(value)
    if _holds_element(up, value):
        _storage(up, ctor, self_name, singles, collections, in_collection=True)
    elif isinstance(up, (ast.Assign, ast.AnnAssign)) and up.value is value:
        targets = up.targets if isinstance(up, ast.Assign) else [up.target]
        for target in targets:
            attr = _is_attr_of(target, self_name)
            if attr is not None:
                (collections if in_collection else singles).add(attr)
            elif isinstance(target, ast.Subscript):
                attr = _is_attr_of(target.value, self_name)
                if attr is not None:
                    collections.add(attr)
            elif isinstance(target, ast.Name) and parent(target) is up:
                # task = spawn(...); self._task = task / self._tasks.add(task)
                for node in iter_scope(ctor):
                    if isinstance(node, ast.Name) and node.id == target.id and isinstance(node.ctx, ast.Load):
                        _storage(node, ctor, self_name, singles, collections, in_collection)
    elif (
        isinstance(up, ast.Call)
        and any(arg is value for arg in up.args)
        and isinstance(up.func, ast.Attribute)
        and up.func.attr in (COLLECTION_BULK_ADDS if in_collection else COLLECTION_ADDS)
    ):
        attr = _is_attr_of(up.func.value, self_name)
        if attr is not None:
            collections.add(attr)


def _holds_element(container: Optional[ast.AST], value: ast.AST) -> bool:
    """``container`` is a literal or comprehension whose items include ``value``."""
    if isinstance(container, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        return container.elt is value
    if isinstance(container, ast.DictComp):
        return container.value is value
    if isinstance(container, (ast.List, ast.Set, ast.Tuple)):
        return any(item is value for item in container.elts)
    if isinstance(container, ast.Dict):
        return any(item is value for item in container.values)
    if isinstance(container, ast.Starred):
        return True
    return False


def _cancels(cls: ast.ClassDef, singles: Set[str], collections: Set[str]) -> bool:
    for method in cls.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        self_name = _first_param(method)
        if self_name is None:
            continue
        # local aliases: task = self._task / tasks = list(self._tasks)
        single_aliases: Set[str] = set()
        collection_aliases: Set[str] = set()
        for node in ast.walk(method):
            for target, value in _pairs(node):
                if not isinstance(target, ast.Name):
                    continue
                if _is_attr_of(value, self_name) in singles:
                    single_aliases.add(target.id)
                if _iterated_attr(value, self_name) in collections:
                    collection_aliases.add(target.id)
        for node in ast.walk(method):
            if method_call(node, "cancel") is not None:
                receiver = node.func.value  # type: ignore[attr-defined]
                if _is_attr_of(receiver, self_name) in singles:
                    return True
                if isinstance(receiver, ast.Name) and receiver.id in single_aliases:
                    return True
            if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
                iterated = node.iter
                from_alias = isinstance(iterated, ast.Name) and iterated.id in collection_aliases
                if (from_alias or _iterated_attr(iterated, self_name) in collections) and _calls_cancel_on(
                    node.body, node.target.id
                ):
                    return True
    return False


def _pairs(node: ast.AST) -> Iterator[Tuple[ast.AST, ast.AST]]:
    """(target, value) of an assignment, pairing ``a, b = x, y`` item by item."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if (
                isinstance(target, ast.Tuple)
                and isinstance(node.value, ast.Tuple)
                and len(target.elts) == len(node.value.elts)
            ):
                yield from zip(target.elts, node.value.elts)
            else:
                yield target, node.value
    elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
        yield node.target, node.value


def _iterated_attr(expr: ast.AST, self_name: str) -> Optional[str]:
    """``self.x`` in ``for t in self.x / self.x.values() / list(self.x) / self.x.copy()``."""
    if isinstance(expr, ast.Call):
        if isinstance(expr.func, ast.Name) and expr.func.id in ITER_COPIES and expr.args:
            return _iterated_attr(expr.args[0], self_name)
        if isinstance(expr.func, ast.Attribute) and expr.func.attr in ("values", "copy") and not expr.args:
            return _iterated_attr(expr.func.value, self_name)
        return None
    return _is_attr_of(expr, self_name)


def _calls_cancel_on(body: List[ast.stmt], name: str) -> bool:
    for stmt in body:
        for node in ast.walk(stmt):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "cancel"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
            ):
                return True
    return False


# -- HNG202 -------------------------------------------------------------------
class TaskReferenceDiscarded(Rule):
    """## What it does
    Checks for tasks whose only reference is dropped: a spawn used as an
    expression statement (also `create_task(...).add_done_callback(cb)` as a
    statement), assigned to `_`, or assigned to a local name that is never
    read afterwards in the function. ruff's RUF006 covers many of the same
    spellings; asynclint adds a fix that keeps the task, and the related
    import-time (HNG200) and constructor (HNG201) rules.

    A task kept in a set, list, dict or attribute, returned, awaited,
    gathered or passed to a function is not discarded.

    ## Why is this bad?
    The event loop keeps only a weak reference to a task. A task nobody
    references can be garbage-collected mid-flight, and if it fails its
    exception is never retrieved: the work silently stops. In the incident,
    fire-and-forget tasks vanished and their records stayed "processing".

    ## Example
    ```python
    import asyncio

    async def notify(user_id):
        await asyncio.sleep(1)

    async def handle(user_id):
        asyncio.create_task(notify(user_id))
    ```

    ## Use instead
    ```python
    import asyncio

    background_tasks = set()

    async def notify(user_id):
        await asyncio.sleep(1)

    async def handle(user_id):
        task = asyncio.create_task(notify(user_id))
        background_tasks.add(task)
        task.add_done_callback(background_tasks.discard)
    ```

    ## Fix safety
    The optional fix keeps the task in a module-level set and removes it
    with `add_done_callback(set.discard)`. It is unsafe: the task now lives
    until it finishes, which changes when it (and what it holds) is freed,
    and its exception is still only logged, never handled.

    ## References
    - [asyncio: create_task (keep a reference)](https://docs.python.org/3/library/asyncio-task.html#asyncio.create_task)
    - [ruff: RUF006 asyncio-dangling-task](https://docs.astral.sh/ruff/rules/asyncio-dangling-task/)
    """

    code = "HNG202"
    name = "task-reference-discarded"
    message = (
        "Task reference is discarded, so the task can be garbage-collected mid-flight and its "
        "exception is never retrieved; keep it (e.g. in a set with "
        "`add_done_callback(set.discard)`) or await it"
    )
    fix = UNSAFE
    fix_message = "Keep the task in a module-level set and discard it when done"
    nodes = (ast.Call,)
    needles = SPAWN_NEEDLES

    def check(self, node: ast.Call, ctx: FileContext) -> None:
        if is_spawn(node, ctx) and _discarded(node, ctx):
            ctx.report(self, node)


def _discarded(call: ast.Call, ctx: FileContext) -> bool:
    up = parent(call)
    if isinstance(up, ast.Expr):
        return True
    if _chained_statement(call, up):
        return True
    if isinstance(up, ast.AnnAssign) and up.value is call:
        targets: List[ast.AST] = [up.target]
    elif isinstance(up, ast.Assign) and up.value is call:
        targets = list(up.targets)
    else:
        return False
    function = ctx.function_of(call)
    for target in targets:
        if not isinstance(target, ast.Name):
            return False
        if target.id == "_":
            continue
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False  # a module or class name can be read from elsewhere
        if _read_after(target.id, up, function):
            return False
    return True


def _chained_statement(call: ast.Call, up: Optional[ast.AST]) -> bool:
    """``spawn(...).add_done_callback(cb)`` as a statement: the task is still dropped."""
    if not (isinstance(up, ast.Attribute) and up.attr in CHAINED_METHODS):
        return False
    method_call = parent(up)
    return (
        isinstance(method_call, ast.Call)
        and method_call.func is up
        and isinstance(parent(method_call), ast.Expr)
    )


def _read_after(name: str, assign: ast.stmt, function: ast.AST) -> bool:
    """Whether the local ``name`` bound by ``assign`` may be read afterwards."""
    end = (assign.end_lineno or assign.lineno, assign.end_col_offset or 0)
    loops = [
        up
        for up in _enclosing_statements(assign)
        if isinstance(up, (ast.For, ast.AsyncFor, ast.While))
        and _inside(up, function)
    ]
    for node in iter_scope(function):
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return True  # not a local: read elsewhere
        if isinstance(node, FUNCTION_TYPES + (ast.ClassDef,)):
            if _mentions(node, name):
                return True  # a closure may read it at any time
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NAMESPACE_READS:
            return True
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            read = node
        elif (
            isinstance(node, ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
        ):
            read = node.target
        else:
            continue
        if (read.lineno, read.col_offset) > end:
            return True
        if any(_contains(loop, read) for loop in loops):
            return True  # read again on the next iteration
    return False


def _inside(node: ast.AST, function: ast.AST) -> bool:
    return any(up is function for up in _enclosing_statements(node))


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    return any(up is outer for up in _enclosing_statements(inner))


def _mentions(scope: ast.AST, name: str) -> bool:
    """A nested function, lambda or class that reads ``name``."""
    body = scope.body if isinstance(scope, ast.Lambda) else scope  # type: ignore[attr-defined]
    return any(
        isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)
        for node in ast.walk(body)
    )


# -- HNG203 -------------------------------------------------------------------
class BackgroundTaskWithoutTimeout(Rule):
    """## What it does
    Checks for FastAPI/Starlette background tasks whose coroutine has no
    timeout: `background_tasks.add_task(fn, ...)` where `fn` is an `async
    def` in the same module (at module level or nested in the calling
    function) whose body never uses `asyncio.timeout`,
    `asyncio.timeout_at`, `asyncio.wait_for`, `anyio.fail_after`,
    `anyio.move_on_after` or `async_timeout.timeout`, at any depth.

    The receiver is a parameter annotated `BackgroundTasks` (from fastapi or
    starlette), a name bound from `BackgroundTasks()`, or a parameter named
    `background_tasks`. A function that cannot be resolved (imported, an
    attribute, a `partial`, or a decorated `async def` whose decorator may
    add a timeout) is not reported.

    ## Why is this bad?
    A background task runs after the response is sent, with nobody awaiting
    it: if it hangs on a stalled upstream or a pool, it is never cancelled,
    nothing reports it, and the record it was meant to finish stays
    "processing" forever. In the incident, generation jobs started this way
    from a nested `async def` inside the endpoint hung and were never
    completed.

    ## Example
    ```python
    import asyncio
    from fastapi import BackgroundTasks, FastAPI

    app = FastAPI()

    async def generate(job_id):
        await asyncio.sleep(5)

    @app.post("/jobs/{job_id}")
    async def start(job_id: int, background_tasks: BackgroundTasks):
        background_tasks.add_task(generate, job_id)
        return {"status": "processing"}
    ```

    ## Use instead
    ```python
    import asyncio
    from fastapi import BackgroundTasks, FastAPI

    app = FastAPI()

    async def generate(job_id):
        async with asyncio.timeout(300):
            await asyncio.sleep(5)

    @app.post("/jobs/{job_id}")
    async def start(job_id: int, background_tasks: BackgroundTasks):
        background_tasks.add_task(generate, job_id)
        return {"status": "processing"}
    ```

    ## Fix safety
    The fix wraps the coroutine's body in `async with asyncio.timeout(N):`
    (Python 3.11 or later only). It is unsafe: a job that legitimately runs
    longer than N seconds is now cancelled, and the code must still mark
    its record failed on timeout.

    ## References
    - [FastAPI: background tasks](https://fastapi.tiangolo.com/tutorial/background-tasks/)
    - [Starlette: background tasks](https://www.starlette.io/background/)
    - [asyncio: timeouts](https://docs.python.org/3/library/asyncio-task.html#timeouts)
    """

    code = "HNG203"
    name = "background-task-without-timeout"
    message = (
        "Background task `{fn}` has no timeout: if it hangs it is never cancelled and its work "
        "stays unfinished forever; wrap its body in `async with asyncio.timeout(...)`"
    )
    fix = UNSAFE
    fix_message = "Wrap the coroutine's body in `async with asyncio.timeout(N):`"
    nodes = (ast.Call,)
    needles = (b"add_task",)

    def check(self, node: ast.Call, ctx: FileContext) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "add_task"):
            return
        if not _is_background_tasks(func.value, ctx):
            return
        if node.args:
            target = node.args[0]
        else:
            target = next((kw.value for kw in node.keywords if kw.arg == "func"), None)
        if not isinstance(target, ast.Name):
            return
        definition = _resolve_async_def(target, ctx)
        if definition is None or _has_timeout_guard(definition, ctx):
            return
        ctx.report(self, node, self.message.format(fn=target.id), fix_target=definition)

    @classmethod
    def fix_available(cls, settings) -> bool:
        # `asyncio.timeout` exists from Python 3.11 on
        return settings.target_version >= (3, 11)


def _is_background_tasks(receiver: ast.AST, ctx: FileContext) -> bool:
    if not isinstance(receiver, (ast.Name, ast.Attribute)):
        return False
    if ctx.is_annotated_as(receiver, BACKGROUND_TASKS):
        return True
    if ctx.is_bound_to_call(receiver, BACKGROUND_TASKS):
        return True
    if isinstance(receiver, ast.Name) and receiver.id == BACKGROUND_TASKS_PARAM:
        return _is_parameter(receiver)
    return False


def _is_parameter(name: ast.Name) -> bool:
    """``name`` refers to a parameter of the enclosing function (or an outer one)."""
    scope = scope_of(name)
    while isinstance(scope, FUNCTION_TYPES + (ast.ClassDef,)):
        if isinstance(scope, FUNCTION_TYPES):
            if any(p.arg == name.id for p in _params(scope)):
                return True
            if _binds(scope, name.id):
                return False
        scope = scope_of(scope)
    return False


def _binds(scope: ast.AST, name: str) -> bool:
    for node in iter_scope(scope):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
    return False


def _resolve_async_def(target: ast.Name, ctx: FileContext) -> Optional[ast.AsyncFunctionDef]:
    """The undecorated ``async def`` that ``target`` names in the same module."""
    if target.id in ctx.imports:
        return None
    scope = scope_of(target)
    while True:
        if isinstance(scope, ast.ClassDef):  # class bodies do not enclose methods
            scope = scope_of(scope)
            continue
        if isinstance(scope, FUNCTION_TYPES) and any(p.arg == target.id for p in _params(scope)):
            return None
        definitions = []
        other_binding = False
        for node in iter_scope(scope):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if node.name == target.id:
                    definitions.append(node)
            elif isinstance(node, ast.Name) and node.id == target.id and not isinstance(node.ctx, ast.Load):
                other_binding = True
            elif isinstance(node, (ast.Global, ast.Nonlocal)) and target.id in node.names:
                other_binding = True
        if definitions or other_binding:
            if other_binding or len(definitions) != 1:
                return None
            definition = definitions[0]
            if not isinstance(definition, ast.AsyncFunctionDef) or definition.decorator_list:
                return None
            return definition
        if isinstance(scope, ast.Module):
            return None
        scope = scope_of(scope)


def _has_timeout_guard(function: ast.AsyncFunctionDef, ctx: FileContext) -> bool:
    for stmt in function.body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Name, ast.Attribute)) and ctx.qualname(node) in TIMEOUT_GUARDS:
                return True
    return False
