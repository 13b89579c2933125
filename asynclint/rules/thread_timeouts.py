"""HNG105: an asyncio timeout around work that runs in a thread."""

from __future__ import annotations

import ast
from typing import Optional, Tuple

from asynclint.astutil import is_none, iter_scope, keyword, method_call
from asynclint.context import FileContext, scope_of
from asynclint.rule import ASYNC_DEF, Rule

WAIT_FOR = "asyncio.wait_for"
TIMEOUT_CMS = frozenset({"asyncio.timeout", "asyncio.timeout_at"})
TO_THREAD = "asyncio.to_thread"


def _position(node: ast.AST) -> Tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _thread_call(ctx: FileContext, expr: Optional[ast.AST]) -> Optional[str]:
    """``"run_in_executor"`` / ``"to_thread"`` when ``expr`` starts thread work."""
    if not isinstance(expr, ast.Call):
        return None
    if method_call(expr, "run_in_executor") is not None:
        return "run_in_executor"
    if ctx.qualname(expr.func) == TO_THREAD:
        return "to_thread"
    return None


def _last_binding(scope: ast.AST, name: str, before: ast.AST) -> Optional[ast.AST]:
    """The value of the last binding of ``name`` in ``scope`` before ``before``.

    Returns None when there is none, or when that binding's value is not a
    plain expression (a ``for`` target, a tuple unpacking, ``+=``, ...).
    """
    limit = _position(before)
    best: Optional[Tuple[Tuple[int, int], Optional[ast.AST]]] = None
    for node in iter_scope(scope):
        bound: Optional[Tuple[ast.AST, Optional[ast.AST]]] = None
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    bound = (node, node.value)
                elif any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)):
                    bound = (node, None)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr, ast.AugAssign)):
            target = node.target
            if isinstance(target, ast.Name) and target.id == name:
                value = None if isinstance(node, ast.AugAssign) else node.value
                bound = (node, value)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
            targets = (
                [node.target]
                if isinstance(node, (ast.For, ast.AsyncFor))
                else [i.optional_vars for i in node.items if i.optional_vars is not None]
            )
            if any(
                isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t)
            ):
                bound = (node, None)
        if bound is None:
            continue
        where = _position(bound[0])
        if where < limit and (best is None or where >= best[0]):
            best = (where, bound[1])
    return best[1] if best is not None else None


def _thread_work(ctx: FileContext, expr: Optional[ast.AST], at: ast.AST) -> Optional[str]:
    """Thread work awaited as ``expr``: a thread call, or a name bound from one earlier."""
    kind = _thread_call(ctx, expr)
    if kind is not None or not isinstance(expr, ast.Name):
        return kind
    scope = scope_of(at)
    if isinstance(scope, ast.ClassDef):
        return None
    return _thread_call(ctx, _last_binding(scope, expr.id, at))


class TimeoutCannotStopThread(Rule):
    """## What it does
    Checks for `asyncio.wait_for(X, ...)` and `async with
    asyncio.timeout(...)` / `asyncio.timeout_at(...)` where the awaited `X`
    is `loop.run_in_executor(...)` or `asyncio.to_thread(...)`, or a name
    bound from one of those earlier in the same function.

    ## Why is this bad?
    An asyncio timeout cancels the await, not the work: the thread keeps
    running the blocking call to its end and keeps its executor slot. The
    caller sees a timeout and retries, each retry takes another slot, and
    once the thread pool is exhausted every `run_in_executor` /
    `to_thread` queues for ever. In the incident, Gemini calls wrapped in
    `asyncio.wait_for` exhausted the thread pool this way.

    Bound the blocking call itself instead (the client's own timeout, a
    socket timeout, a request deadline), so the thread returns.

    A timeout explicitly set to `None` is not reported (it bounds nothing),
    nor is a timeout around ordinary coroutines.

    ## Example
    ```python
    import asyncio

    import requests

    async def fetch(url):
        return await asyncio.wait_for(asyncio.to_thread(requests.get, url), timeout=10)
    ```

    ## Use instead
    ```python
    import asyncio

    import requests

    async def fetch(url):
        return await asyncio.to_thread(requests.get, url, timeout=10)
    ```

    ## Fix safety
    There is no fix: the right bound depends on the blocking call.

    ## References
    - [asyncio: wait_for](https://docs.python.org/3/library/asyncio-task.html#asyncio.wait_for)
    - [asyncio: to_thread](https://docs.python.org/3/library/asyncio-task.html#asyncio.to_thread)
    - [asyncio: loop.run_in_executor](https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.run_in_executor)
    - [concurrent.futures: Future.cancel](https://docs.python.org/3/library/concurrent.futures.html#concurrent.futures.Future.cancel)
    """

    code = "HNG105"
    name = "timeout-cannot-stop-thread"
    message = (
        "{timeout} around `{work}` abandons the await but cannot stop the thread, which "
        "keeps running and holds its executor slot; bound the blocking call itself "
        "(e.g. its client or socket timeout)"
    )
    nodes = (ast.Call, ast.AsyncWith)
    needles = (b"run_in_executor", b"to_thread")
    requires = (ASYNC_DEF,)

    def check(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Call):
            self._check_wait_for(node, ctx)
        elif isinstance(node, ast.AsyncWith):
            self._check_timeout_block(node, ctx)

    def _check_wait_for(self, node: ast.Call, ctx: FileContext) -> None:
        if ctx.qualname(node.func) != WAIT_FOR:
            return
        timeout = node.args[1] if len(node.args) > 1 else None
        if timeout is None:
            named = keyword(node, "timeout")
            timeout = named.value if named is not None else None
        if timeout is None or is_none(timeout):
            return  # no timeout (or an explicit None): nothing is abandoned
        awaited = node.args[0] if node.args else None
        if awaited is None:
            named = keyword(node, "fut") or keyword(node, "aw")
            awaited = named.value if named is not None else None
        work = _thread_work(ctx, awaited, node)
        if work is not None:
            ctx.report(
                self, node, self.message.format(timeout="`asyncio.wait_for()`", work=work)
            )

    def _check_timeout_block(self, node: ast.AsyncWith, ctx: FileContext) -> None:
        cm_name = None
        for item in node.items:
            call = item.context_expr
            if not isinstance(call, ast.Call):
                continue
            name = ctx.qualname(call.func)
            if name not in TIMEOUT_CMS:
                continue
            when = call.args[0] if call.args else None
            if when is None:
                named = keyword(call, "delay") or keyword(call, "when")
                when = named.value if named is not None else None
            if when is not None and not is_none(when):
                cm_name = name
                break
        if cm_name is None:
            return
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue  # a nested definition runs under its own timeouts
            for inner in iter_scope(stmt):
                if not isinstance(inner, ast.Await):
                    continue
                work = _thread_work(ctx, inner.value, inner)
                if work is not None:
                    label = f"`async with {cm_name}()`"
                    ctx.report(self, node, self.message.format(timeout=label, work=work))
                    return
