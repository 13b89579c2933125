"""HNG300, HNG301, HNG302: loops that never yield or die silently, swallowed cancellation.

Shared vocabulary:

* an *await point* is ``await``, ``async for`` or ``async with``: the only
  places where a coroutine gives the event loop a chance to run other tasks
  and where ``task.cancel()`` can be delivered;
* a loop's or handler's *own nodes* are the nodes of its body that belong to
  the same function (nested ``def``, ``lambda`` and ``class`` bodies are not
  entered: their awaits, breaks and raises happen elsewhere).
"""

from __future__ import annotations

import ast
import re
from typing import Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from asynclint.astutil import is_constant_true, iter_scope, method_call
from asynclint.context import FileContext, dotted, parent, scope_of
from asynclint.rule import ASYNC_DEF, Rule

AWAIT_POINTS = (ast.Await, ast.AsyncFor, ast.AsyncWith)
YIELDS = (ast.Yield, ast.YieldFrom)
EXITS = (ast.Break, ast.Return, ast.Raise)
LOOPS = (ast.For, ast.AsyncFor, ast.While)
NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
TRY_TYPES: Tuple[type, ...] = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())

CANCELLED_ERROR = "asyncio.CancelledError"
SUPPRESS = "contextlib.suppress"
AWAIT_HELPERS = ("asyncio.gather", "asyncio.wait", "asyncio.wait_for")

# Method calls a busy-wait test may make: they only read state (an
# ``asyncio.Event``, a future, a queue, a lock) and cannot change it.
STATE_QUERIES = frozenset(
    {"is_set", "done", "cancelled", "empty", "full", "locked", "qsize", "is_closing"}
)
PURE_BUILTINS = frozenset({"len", "bool"})
# Objects another thread can complete or set: a busy-wait on them ends.
THREAD_DRIVEN = ("threading.", "multiprocessing.", "queue.", "concurrent.futures.")


# -- shared helpers ----------------------------------------------------------
def _own_nodes(stmts: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Nodes of ``stmts`` in their own function (nested scopes not entered)."""
    for stmt in stmts:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # iter_scope(def) would walk the def's own body: take only what
            # the enclosing function evaluates (decorators and defaults)
            yield stmt
            outer: List[ast.AST] = [*stmt.decorator_list, *stmt.args.defaults]
            outer += [d for d in stmt.args.kw_defaults if d is not None]
        elif isinstance(stmt, ast.ClassDef):
            yield stmt
            outer = [*stmt.decorator_list, *stmt.bases, *stmt.keywords]
        else:
            yield from iter_scope(stmt)
            continue
        for child in outer:
            yield from iter_scope(child)


def _exception_names(type_expr: ast.AST) -> List[ast.AST]:
    """The classes an ``except`` clause (or ``suppress``) names, tuples flattened."""
    if isinstance(type_expr, ast.Tuple):
        out: List[ast.AST] = []
        for elt in type_expr.elts:
            out.extend(_exception_names(elt))
        return out
    return [type_expr]


def _is_builtin(expr: ast.AST, name: str, ctx: FileContext) -> bool:
    """``expr`` is the builtin ``name`` (not shadowed by an import)."""
    if isinstance(expr, ast.Name) and expr.id == name:
        return name not in ctx.imports
    return ctx.qualname(expr) == "builtins." + name


def _is_cancelled_error(expr: ast.AST, ctx: FileContext) -> bool:
    """``asyncio.CancelledError`` under any import spelling.

    ``concurrent.futures.CancelledError`` is a different class since Python
    3.8 (an ``Exception``): it is never the cancellation of an asyncio task.
    """
    return ctx.qualname(expr) == CANCELLED_ERROR


def _catches_cancellation(type_expr: Optional[ast.AST], ctx: FileContext) -> bool:
    """Bare ``except``, ``BaseException`` or ``asyncio.CancelledError``, alone or in a tuple."""
    if type_expr is None:
        return True
    return any(
        _is_builtin(name, "BaseException", ctx) or _is_cancelled_error(name, ctx)
        for name in _exception_names(type_expr)
    )


def _has_cancellation_point(stmts: Sequence[ast.AST]) -> bool:
    """An await point (or an async generator's ``yield``, where ``athrow`` lands)."""
    return any(isinstance(n, AWAIT_POINTS + YIELDS) for n in _own_nodes(stmts))


# -- HNG300 ------------------------------------------------------------------
class LoopNeverYields(Rule):
    """## What it does
    Checks `async def` functions for `while` loops that can never give the
    event loop a turn: a `while True` (or other always-true test) whose body
    has no `await`, `async for` or `async with` and no `break`, `return` or
    `raise`; and a busy-wait `while <test>` whose body has no await point, no
    exit, no calls, and assigns none of the names or attributes the test
    reads.

    ## Why is this bad?
    asyncio runs every task on one thread and switches only at an `await`.
    A loop that never awaits keeps that thread forever: no request is
    served, no timeout fires, no health check answers, and the whole
    service freezes the way the incident's backend did. A busy-wait on a
    flag or an `asyncio.Event` is the same hang in disguise: only another
    coroutine could change the state, and none can run while the loop
    spins.

    A `while True` loop run by a `try` with handlers (or by a `with
    ...assertRaises(...)` / `pytest.raises(...)` block) that calls something
    is the drain idiom (`while True: queue.get_nowait()` until `except
    QueueEmpty`): a call ends it by raising, so it is not reported.

    Nested functions are not part of the loop: an `await` inside a nested
    `async def` does not make the loop yield. A busy-wait test that calls
    anything other than a pure state query (`is_set()`, `done()`,
    `empty()`, `locked()`, `len()` ...) is not reported, as the call itself
    may make progress (a clock, a socket), and neither is one on an object
    another thread can complete (`threading`, `concurrent.futures`).

    ## Example
    ```python
    import asyncio

    class Worker:
        def __init__(self):
            self.ready = asyncio.Event()

        async def wait_until_ready(self):
            while not self.ready.is_set():
                pass
    ```

    ## Use instead
    ```python
    import asyncio

    class Worker:
        def __init__(self):
            self.ready = asyncio.Event()

        async def wait_until_ready(self):
            await self.ready.wait()
    ```

    ## Fix safety
    There is no fix: where the loop should wait depends on what it is
    waiting for.

    ## References
    - [asyncio: developing with asyncio, concurrency and multithreading](https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading)
    - [asyncio.sleep (`sleep(0)` yields to other tasks)](https://docs.python.org/3/library/asyncio-task.html#asyncio.sleep)
    - [asyncio.Event.wait](https://docs.python.org/3/library/asyncio-sync.html#asyncio.Event.wait)
    """

    code = "HNG300"
    name = "loop-never-yields"
    message = (
        "`while True` loop in an async function never awaits, so it blocks the event loop "
        "forever; await inside the loop (at least `await asyncio.sleep(0)`) or give it an exit"
    )
    busy_wait_message = (
        "busy-wait: this loop never awaits and nothing in it can change its condition, so it "
        "blocks the event loop forever; await the change instead (e.g. `await event.wait()`)"
    )
    nodes = (ast.While,)
    needles = (b"while",)
    requires = (ASYNC_DEF,)

    def check(self, node: ast.While, ctx: FileContext) -> None:
        if not ctx.in_async_function(node):
            return
        body = list(_own_nodes(node.body))
        if any(isinstance(n, AWAIT_POINTS + YIELDS + EXITS) for n in body):
            return
        if is_constant_true(node.test):
            if not _ended_by_exception(node, body):
                ctx.report(self, node)
        elif _is_busy_wait(node.test, body, ctx):
            ctx.report(self, node, self.busy_wait_message)


def _ended_by_exception(loop: ast.While, body: List[ast.AST]) -> bool:
    """The drain idiom: the loop is in a ``try`` with handlers (or a ``with
    ...raises(...)`` block) and calls something, which ends it by raising
    (``while True: queue.get_nowait()`` until ``except QueueEmpty``)."""
    up = parent(loop)
    if not any(isinstance(n, ast.Call) for n in body):
        return False
    if isinstance(up, TRY_TYPES):
        return bool(up.handlers) and any(stmt is loop for stmt in up.body)
    if isinstance(up, (ast.With, ast.AsyncWith)) and any(stmt is loop for stmt in up.body):
        return any(
            isinstance(item.context_expr, ast.Call)
            and isinstance(item.context_expr.func, (ast.Attribute, ast.Name))
            and getattr(item.context_expr.func, "attr", getattr(item.context_expr.func, "id", None)) in ("assertRaises", "raises")
            for item in up.items
        )
    return False


def _is_busy_wait(test: ast.AST, body: List[ast.AST], ctx: FileContext) -> bool:
    """Nothing in the loop or its test can make ``test`` change."""
    if isinstance(test, ast.Constant):
        return False
    test_nodes = list(ast.walk(test))
    if any(isinstance(n, AWAIT_POINTS + YIELDS + (ast.NamedExpr, ast.Lambda)) for n in test_nodes):
        return False
    if any(isinstance(n, (ast.Call, *NESTED_SCOPES)) for n in body):
        return False
    for call in (n for n in test_nodes if isinstance(n, ast.Call)):
        if not _is_state_query(call, ctx):
            return False
    reads = _test_reads(test_nodes)
    if not reads:
        return False
    written = _written_chains(body)
    return not any(_overlap(read, target) for read in reads for target in written)


def _is_state_query(call: ast.Call, ctx: FileContext) -> bool:
    """``len(x)``, ``bool(x)`` or ``<obj>.is_set()``-style reads of loop-driven state."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in PURE_BUILTINS and func.id not in ctx.imports
    if not (isinstance(func, ast.Attribute) and func.attr in STATE_QUERIES):
        return False
    receiver = func.value
    if dotted(receiver) is None:
        return False
    if ctx.qualname(receiver) is not None:  # a module: `threading.main_thread().is_alive()`...
        return False
    for value in ctx.bound_values(receiver):
        if isinstance(value, ast.Call):
            name = ctx.call_name(value) or ""
            if name.startswith(THREAD_DRIVEN) or method_call(value, "submit") is not None:
                return False
    for annotation in ctx.bound_annotations(receiver):
        for sub in ast.walk(annotation):
            if (ctx.qualname(sub) or "").startswith(THREAD_DRIVEN):
                return False
    return True


def _chain(expr: ast.AST) -> Optional[str]:
    """The dotted name at the root of ``expr``: ``self.items[0].ready`` -> ``self.items``."""
    parts: List[str] = []
    while True:
        if isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        elif isinstance(expr, (ast.Subscript, ast.Starred)):
            parts = []
            expr = expr.value
        elif isinstance(expr, ast.Name):
            parts.append(expr.id)
            return ".".join(reversed(parts))
        else:
            return None


def _test_reads(test_nodes: List[ast.AST]) -> Set[str]:
    """The names and attribute chains a loop test reads (a method's receiver for calls)."""
    reads: Set[str] = set()
    for node in test_nodes:
        if not isinstance(node, (ast.Name, ast.Attribute)):
            continue
        up = parent(node)
        if isinstance(up, ast.Attribute) and up.value is node:
            continue  # part of a longer chain
        if isinstance(up, ast.Call) and up.func is node:
            if isinstance(node, ast.Attribute):
                node = node.value  # the receiver of `x.is_set()`
            else:
                continue  # `len(...)`
        chain = _chain(node)
        if chain is not None:
            reads.add(chain)
    return reads


def _targets(target: ast.AST) -> Iterator[ast.AST]:
    if isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _targets(elt)
    elif isinstance(target, ast.Starred):
        yield from _targets(target.value)
    else:
        yield target


def _written_chains(body: List[ast.AST]) -> Set[str]:
    """Names and attribute chains the loop body binds, rebinds, mutates or deletes."""
    targets: List[ast.AST] = []
    names: Set[str] = set()
    for node in body:
        if isinstance(node, ast.Assign):
            targets.extend(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
            targets.append(node.target)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            targets.append(node.target)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets.extend(i.optional_vars for i in node.items if i.optional_vars is not None)
        elif isinstance(node, ast.Delete):
            targets.extend(node.targets)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:  # `case Point(x=x)`, `case [*rest]`, `case {**rest}` (Python 3.10+)
            for field_name in ("name", "rest"):
                captured = getattr(node, field_name, None) if type(node).__name__.startswith("Match") else None
                if isinstance(captured, str):
                    names.add(captured)
    for target in targets:
        for single in _targets(target):
            chain = _chain(single)
            if chain is not None:
                names.add(chain)
    return names


def _overlap(read: str, written: str) -> bool:
    return read == written or read.startswith(written + ".") or written.startswith(read + ".")


# -- HNG301 ------------------------------------------------------------------
class BackgroundLoopWithoutErrorHandling(Rule):
    """## What it does
    Checks `async def` functions for `while True` loops that await but have
    no way out other than an exception and no per-iteration error handling:
    no `break` of the loop, no `return`, no `try` directly in the loop body
    (also inside its `if`/`with` blocks, but not in a nested loop or
    function) with a handler for `Exception`, `BaseException` or a bare
    `except`, and no enclosing `try` in the same function that handles
    something other than `CancelledError` alone.

    ## Why is this bad?
    Such a loop is almost always a background job (a cleanup, a poller, a
    consumer). One unexpected exception ends it, and as nobody awaits a
    background task, nobody sees the error: the job just stops. In the
    incident, the rate limiter's `_periodic_cleanup` loop died this way and
    its state grew until the service stalled.

    A loop inside `try`/`except SomeError` (a websocket receive loop inside
    `except WebSocketDisconnect`) is a loop whose end is handled, and is not
    reported. A handler for `CancelledError` alone does not count: it only
    covers shutdown. Neither is the loop of an async generator (a `yield` in
    the loop): an exception there reaches whoever iterates it.

    ## Example
    ```python
    import asyncio

    class RateLimiter:
        def __init__(self):
            self.hits = {}

        async def periodic_cleanup(self):
            while True:
                await asyncio.sleep(60)
                self.hits.clear()
    ```

    ## Use instead
    ```python
    import asyncio
    import logging

    logger = logging.getLogger(__name__)

    class RateLimiter:
        def __init__(self):
            self.hits = {}

        async def periodic_cleanup(self):
            while True:
                await asyncio.sleep(60)
                try:
                    async with asyncio.timeout(10):
                        self.hits.clear()
                except Exception:
                    logger.exception("rate limiter cleanup failed")
    ```

    ## Fix safety
    There is no fix: what to log, and whether to retry or stop, is the
    job's decision.

    ## References
    - [asyncio: detect never-retrieved exceptions](https://docs.python.org/3/library/asyncio-dev.html#detect-never-retrieved-exceptions)
    - [asyncio.timeout](https://docs.python.org/3/library/asyncio-task.html#asyncio.timeout)
    - [logging.Logger.exception](https://docs.python.org/3/library/logging.html#logging.Logger.exception)
    """

    code = "HNG301"
    name = "background-loop-without-error-handling"
    message = (
        "`while True` loop has no per-iteration error handling, so one unexpected exception "
        "silently ends it; wrap each iteration in `try`/`except Exception` that logs the error, "
        "and bound the iteration with `asyncio.timeout(...)`"
    )
    nodes = (ast.While,)
    needles = (b"while",)
    requires = (ASYNC_DEF,)

    def check(self, node: ast.While, ctx: FileContext) -> None:
        if not ctx.in_async_function(node) or not is_constant_true(node.test):
            return
        body = list(_own_nodes(node.body))
        if not any(isinstance(n, AWAIT_POINTS) for n in body):
            return  # HNG300's case
        if any(isinstance(n, ast.Return) for n in body) or _breaks_out(node):
            return
        if any(isinstance(n, YIELDS) for n in body):
            return  # an async generator's loop: its errors reach whoever iterates it
        for stmt in _loop_statements(node):
            if isinstance(stmt, TRY_TYPES) and any(_is_broad(h, ctx) for h in stmt.handlers):
                return
        if _inside_guarding_try(node, ctx):
            return
        ctx.report(self, node)


def _loop_statements(loop: ast.While) -> Iterator[ast.AST]:
    """Statements that belong to this loop's iteration, not to a nested loop or function.

    Compound statements (``if``, ``with``, ``try``) are entered; a nested
    loop's body is not (its ``else`` runs once per iteration of this loop).
    """
    stack: List[ast.AST] = list(reversed(loop.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, NESTED_SCOPES):
            continue
        if isinstance(node, LOOPS):
            stack.extend(reversed(node.orelse))
            continue
        stack.extend(reversed([n for n in ast.iter_child_nodes(node) if not isinstance(n, ast.expr)]))


def _breaks_out(loop: ast.While) -> bool:
    """A ``break`` of this loop (not of a nested one; a nested loop's ``else`` counts)."""
    return any(isinstance(n, ast.Break) for n in _loop_statements(loop))


def _is_broad(handler: ast.ExceptHandler, ctx: FileContext) -> bool:
    """A bare ``except``, or ``Exception``/``BaseException`` alone or in a tuple."""
    if handler.type is None:
        return True
    return any(
        _is_builtin(name, "Exception", ctx) or _is_builtin(name, "BaseException", ctx)
        for name in _exception_names(handler.type)
    )


def _inside_guarding_try(node: ast.AST, ctx: FileContext) -> bool:
    """``node`` is in the body of a ``try`` (same function) handling more than cancellation."""
    function = scope_of(node)
    child, up = node, parent(node)
    while up is not None and up is not function:
        if isinstance(up, TRY_TYPES) and any(child is stmt for stmt in up.body):
            for handler in up.handlers:
                if handler.type is None or not all(
                    _is_cancelled_error(name, ctx) for name in _exception_names(handler.type)
                ):
                    return True
        child, up = up, parent(up)
    return False


# -- HNG302 ------------------------------------------------------------------
class CancellationSwallowed(Rule):
    """## What it does
    Checks `async def` functions for `except` clauses that catch
    cancellation (a bare `except:`, `BaseException`,
    `asyncio.CancelledError`, alone or in a tuple) and contain no `raise`
    statement, and for `with contextlib.suppress(...)` of those.

    ## Why is this bad?
    `task.cancel()` works by raising `CancelledError` inside the task. A
    handler that catches it and carries on (or returns) turns the
    cancellation into a normal result: `await task` after `task.cancel()`,
    `asyncio.timeout`, `TaskGroup` and event-loop shutdown then wait for a
    task that does not stop. The incident's tests hung in event-loop
    teardown, which is exactly what a task that ignores its cancellation
    does to the teardown that cancels it.

    Any `raise` in the handler counts as re-raising (bare `raise`,
    `raise exc`, `raise Other(...) from exc`, even a conditional one), and
    so does a call to a function of the same file annotated `-> NoReturn`
    (or `Never`): a module-level function, or a method through `self`.
    A handler that keeps the exception (`saved = exc`) for a `raise saved`
    later in the function re-raises it too.
    `except Exception` is not reported: since Python 3.8
    `CancelledError` derives from `BaseException`. Neither is
    `concurrent.futures.CancelledError`, a different class that a task's
    cancellation never raises. A `try` body with no await point (no
    `await`, `async for`, `async with` or generator `yield`) cannot receive
    a cancellation and is not reported either.

    Not reported: the idiom of awaiting a task this same function cancelled
    earlier (`task.cancel()`, then `await task`, or `asyncio.gather`,
    `asyncio.wait` or `asyncio.wait_for` of it, inside the `try` or the
    `suppress` block), where the `CancelledError` is the task's, not ours.

    ## Example
    ```python
    import asyncio

    async def consume(queue):
        try:
            while True:
                item = await queue.get()
                print(item)
        except asyncio.CancelledError:
            print("consumer stopped")
    ```

    ## Use instead
    ```python
    import asyncio

    async def consume(queue):
        try:
            while True:
                item = await queue.get()
                print(item)
        except asyncio.CancelledError:
            print("consumer stopped")
            raise
    ```

    ## Fix safety
    There is no fix: the handler's cleanup may need to move into a
    `finally` block, which only its author can decide.

    ## References
    - [asyncio: task cancellation](https://docs.python.org/3/library/asyncio-task.html#task-cancellation)
    - [asyncio.CancelledError](https://docs.python.org/3/library/asyncio-exceptions.html#asyncio.CancelledError)
    - [contextlib.suppress](https://docs.python.org/3/library/contextlib.html#contextlib.suppress)
    """

    code = "HNG302"
    name = "cancellation-swallowed"
    message = (
        "this `except` catches `asyncio.CancelledError` and never re-raises it, so "
        "`task.cancel()`, `asyncio.timeout` and shutdown wait for a task that does not stop; "
        "re-raise it with `raise` after cleanup, or catch `Exception` instead"
    )
    suppress_message = (
        "`contextlib.suppress` swallows `asyncio.CancelledError`, so `task.cancel()`, "
        "`asyncio.timeout` and shutdown wait for a task that does not stop; suppress "
        "`Exception` instead, or catch the cancellation and re-raise it"
    )
    nodes = (ast.ExceptHandler, ast.With)
    # a bare `except:`, or one of the names that catch cancellation (also
    # what `contextlib.suppress(...)` must be given to swallow it)
    needles = (b"BaseException", b"CancelledError", re.compile(rb"except\s*:"))
    requires = (ASYNC_DEF,)

    def check(self, node: ast.AST, ctx: FileContext) -> None:
        if not ctx.in_async_function(node):
            return
        if isinstance(node, ast.ExceptHandler):
            self._check_handler(node, ctx)
        else:
            self._check_with(node, ctx)  # type: ignore[arg-type]

    def _check_handler(self, handler: ast.ExceptHandler, ctx: FileContext) -> None:
        if not _catches_cancellation(handler.type, ctx):
            return
        if any(isinstance(n, ast.Raise) or _never_returns(n, handler, ctx) for n in _own_nodes(handler.body)):
            return
        if _raised_later(handler, ctx):
            return
        block = parent(handler)
        if not isinstance(block, TRY_TYPES) or not _has_cancellation_point(block.body):
            return
        if _awaits_only_cancelled_tasks(block.body, block, ctx):
            return
        ctx.report(self, handler)

    def _check_with(self, with_node: ast.With, ctx: FileContext) -> None:
        swallows = False
        for item in with_node.items:
            call = item.context_expr
            if isinstance(call, ast.Call) and ctx.qualname(call.func) == SUPPRESS:
                if any(
                    not isinstance(arg, ast.Starred) and _catches_cancellation(arg, ctx)
                    for arg in call.args
                ):
                    swallows = True
        if not swallows or not _has_cancellation_point(with_node.body):
            return
        if _awaits_only_cancelled_tasks(with_node.body, with_node, ctx):
            return
        ctx.report(self, with_node, self.suppress_message)


NO_RETURN = frozenset({"typing.NoReturn", "typing.Never", "typing_extensions.NoReturn", "typing_extensions.Never"})


def _never_returns(node: ast.AST, handler: ast.ExceptHandler, ctx: FileContext) -> bool:
    """``node`` calls a function of this file annotated ``-> NoReturn`` (or
    ``Never``): a module-level function by name, or a method of the enclosing
    class through ``self``/``cls``. Such a call re-raises as surely as ``raise``."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        body: Sequence[ast.stmt] = ctx.tree.body
        name = func.id
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        function = ctx.function_of(handler)
        cls = ctx.class_of(function) if function is not None else None
        if cls is None:
            return False
        body, name = cls.body, func.attr
    else:
        return False
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name and stmt.returns is not None:
            returns = stmt.returns
            if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
                try:
                    returns = ast.parse(returns.value.strip(), mode="eval").body
                except SyntaxError:
                    continue
            if ctx.qualname(returns) in NO_RETURN:
                return True
    return False


def _raised_later(handler: ast.ExceptHandler, ctx: FileContext) -> bool:
    """The handler keeps the exception (``saved = exc``) and the function
    raises that name after the handler (``raise saved``): a deferred re-raise."""
    if handler.name is None:
        return False
    kept = {
        target.id
        for node in _own_nodes(handler.body)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == handler.name
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    function = ctx.function_of(handler)
    if not kept or function is None:
        return False
    end = getattr(handler, "end_lineno", handler.lineno)
    return any(
        isinstance(node, ast.Raise) and isinstance(node.exc, ast.Name) and node.exc.id in kept and node.lineno > end
        for node in iter_scope(function)
    )


def _key(expr: ast.AST) -> str:
    return ast.dump(expr)


def _awaited_tasks(expr: ast.AST, ctx: FileContext) -> Optional[List[Tuple[str, str]]]:
    """What an ``await`` waits for, as ("one", task) / ("each", collection) keys.

    None when it awaits anything other than a task or tasks (a call that is not
    ``asyncio.gather``/``wait``/``wait_for`` of them).
    """
    if dotted(expr) is not None or isinstance(expr, ast.Subscript):
        return [("one", _key(expr))]
    if not isinstance(expr, ast.Call):
        return None
    name = ctx.qualname(expr.func)
    if name not in AWAIT_HELPERS:
        return None
    if name == "asyncio.wait_for":
        first = _first_argument(expr, "fut")
        return _awaited_tasks(first, ctx) if first is not None else None
    if name == "asyncio.wait":
        first = _first_argument(expr, "fs")
        if isinstance(first, (ast.List, ast.Set, ast.Tuple)):
            out: List[Tuple[str, str]] = []
            for elt in first.elts:
                if isinstance(elt, ast.Starred):
                    inner: Optional[List[Tuple[str, str]]] = [("each", _key(elt.value))]
                else:
                    inner = _awaited_tasks(elt, ctx)
                if inner is None:
                    return None
                out.extend(inner)
            return out or None
        return [("each", _key(first))] if first is not None else None
    out = []
    for arg in expr.args:  # asyncio.gather(t1, t2, *tasks)
        if isinstance(arg, ast.Starred):
            out.append(("each", _key(arg.value)))
            continue
        inner = _awaited_tasks(arg, ctx)
        if inner is None:
            return None
        out.extend(inner)
    return out or None


def _first_argument(call: ast.Call, keyword: str) -> Optional[ast.AST]:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _awaits_only_cancelled_tasks(body: Sequence[ast.AST], block: ast.AST, ctx: FileContext) -> bool:
    """Every await point in ``body`` waits for tasks this function cancelled before ``block``."""
    awaited: List[Tuple[str, str]] = []
    for node in _own_nodes(body):
        if isinstance(node, (ast.AsyncFor, ast.AsyncWith) + YIELDS):
            return False
        if isinstance(node, ast.Await):
            tasks = _awaited_tasks(node.value, ctx)
            if tasks is None:
                return False
            awaited.extend(tasks)
    if not awaited:
        return False
    cancelled = _cancelled_before(block, ctx)
    return all(task in cancelled for task in awaited)


def _cancelled_before(block: ast.AST, ctx: FileContext) -> Set[Tuple[str, str]]:
    """Tasks (and collections of tasks) on which ``.cancel()`` is called before ``block``."""
    function = scope_of(block)
    start = (block.lineno, block.col_offset)  # type: ignore[attr-defined]
    out: Set[Tuple[str, str]] = set()
    for node in iter_scope(function):
        call = method_call(node, "cancel")
        if call is None or (call.lineno, call.col_offset) >= start:
            continue
        receiver = call.func.value  # type: ignore[attr-defined]
        if dotted(receiver) is None and not isinstance(receiver, ast.Subscript):
            continue
        out.add(("one", _key(receiver)))
        if isinstance(receiver, ast.Name):
            for collection in _iterated_by(receiver.id, call, function):
                out.add(("each", _key(collection)))
    return out


def _iterated_by(name: str, node: ast.AST, function: ast.AST) -> Iterator[ast.AST]:
    """Collections ``name`` iterates over at ``node``: ``for name in tasks`` (or a comprehension)."""
    up = parent(node)
    while up is not None and up is not function:
        generators: List[Tuple[ast.AST, ast.AST]] = []
        if isinstance(up, (ast.For, ast.AsyncFor)):
            generators.append((up.target, up.iter))
        elif isinstance(up, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            generators.extend((g.target, g.iter) for g in up.generators)
        for target, iterable in generators:
            if isinstance(target, ast.Name) and target.id == name:
                yield iterable
                # `for t in tasks.values()` / `list(tasks)` also cancel what `tasks` holds
                if not isinstance(iterable, ast.Call) or iterable.keywords:
                    continue
                if method_call(iterable, "values") is not None and not iterable.args:
                    yield iterable.func.value  # type: ignore[attr-defined]
                elif (
                    isinstance(iterable.func, ast.Name)
                    and iterable.func.id in ("list", "tuple", "set")
                    and len(iterable.args) == 1
                ):
                    yield iterable.args[0]
        up = parent(up)
