"""HNG100, HNG101: HTTP clients and timeouts that are missing or switched off."""

from __future__ import annotations

import ast

from asynclint.astutil import has_keyword, iter_scope, method_call
from asynclint.context import FileContext, parent
from asynclint.rule import SAFE, Rule

AIOHTTP_SESSION = "aiohttp.ClientSession"
AIOHTTP_REQUEST = "aiohttp.request"
REQUEST_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "ws_connect")


class AiohttpSessionWithoutTimeout(Rule):
    """## What it does
    Checks for `aiohttp.ClientSession(...)` and `aiohttp.request(...)` calls
    that pass no `timeout=`.

    ## Why is this bad?
    Without a timeout aiohttp falls back to a 300-second total and no read
    timeout: a stalled upstream pins the coroutine and a connection-pool slot
    for minutes, and under load every worker ends up waiting. In the incident
    the maps service's sessions had no timeout, and a slow Google Maps
    response froze the backend.

    A session bound by `async with ... as session` whose every request call
    passes its own `timeout=` is not reported; a session only handed to
    helpers is, as nothing bounds its requests.

    ## Example
    ```python
    import aiohttp

    async def fetch(url):
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as resp:
                return await resp.json()
    ```

    ## Use instead
    ```python
    import aiohttp

    async def fetch(url):
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(url) as resp:
                return await resp.json()
    ```

    ## Fix safety
    The fix adds `timeout=aiohttp.ClientTimeout(total=N)` (N is the
    `fix-timeout` setting, 30 by default), spelled with the module's own
    import of aiohttp. It is safe: it only bounds a wait that was unbounded.

    ## References
    - [aiohttp: client timeouts](https://docs.aiohttp.org/en/stable/client_quickstart.html#timeouts)
    - [aiohttp: ClientTimeout](https://docs.aiohttp.org/en/stable/client_reference.html#clienttimeout)
    """

    code = "HNG100"
    name = "aiohttp-session-without-timeout"
    message = (
        "aiohttp session without a timeout waits up to 300 s on a stalled server; "
        "pass `timeout=aiohttp.ClientTimeout(total=...)`"
    )
    fix = SAFE
    fix_message = "Add `timeout=aiohttp.ClientTimeout(total=N)`"
    nodes = (ast.Call,)
    needles = (b"aiohttp",)

    def check(self, node: ast.Call, ctx: FileContext) -> None:
        name = ctx.qualname(node.func)
        if name not in (AIOHTTP_SESSION, AIOHTTP_REQUEST) or has_keyword(node, "timeout"):
            return
        if name == AIOHTTP_SESSION and _requests_all_timed(node):
            return
        ctx.report(self, node)


def _requests_all_timed(call: ast.Call) -> bool:
    """``async with ClientSession() as s`` whose block makes only timed requests on ``s``."""
    item = parent(call)
    block = parent(item) if isinstance(item, ast.withitem) else None
    if not isinstance(block, ast.AsyncWith) or not isinstance(item.optional_vars, ast.Name):
        return False
    session = item.optional_vars.id
    requests = []
    for stmt in block.body:
        for node in iter_scope(stmt):
            request = method_call(node, *REQUEST_METHODS)
            if (
                request is not None
                and isinstance(request.func.value, ast.Name)
                and request.func.value.id == session
            ):
                requests.append(request)
    return bool(requests) and all(has_keyword(r, "timeout") for r in requests)
