"""HNG100, HNG101: HTTP clients and timeouts that are missing or switched off."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set

from asynclint.astutil import has_keyword, has_kwargs_splat, iter_scope, keyword, method_call
from asynclint.context import FUNCTION_TYPES, FileContext, parent, scope_of
from asynclint.rule import SAFE, Rule

AIOHTTP_SESSION = "aiohttp.ClientSession"
AIOHTTP_REQUEST = "aiohttp.request"
AIOHTTP_TIMEOUT = "aiohttp.ClientTimeout"
REQUEST_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "ws_connect")
# ClientTimeout's timeout fields, in positional order (``ceil_threshold`` is not a timeout)
AIOHTTP_TIMEOUT_FIELDS = ("total", "connect", "sock_read", "sock_connect")

HTTPX_CLIENTS = frozenset({"httpx.AsyncClient", "httpx.Client"})
HTTPX_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
HTTPX_FUNCTIONS = frozenset("httpx." + method for method in HTTPX_METHODS)
HTTPX_TIMEOUT = "httpx.Timeout"
HTTPX_TIMEOUT_FIELDS = ("connect", "read", "write", "pool")

ASYNCPG_CONNECT = frozenset({"asyncpg.create_pool", "asyncpg.connect"})
ASYNCPG_POOL_FACTORIES = frozenset({"asyncpg.create_pool"})
ASYNCPG_POOL_TYPES = frozenset({"asyncpg.Pool"})

WAIT_FOR = "asyncio.wait_for"
ASYNCIO_TIMEOUT = "asyncio.timeout"
# methods of an ``asyncio.Timeout`` that only read it (``reschedule`` would arm it)
TIMEOUT_READERS = ("expired", "when")


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

    A session bound by `async with ... as session` whose block makes at least
    one request call on `session` (in the block or in a later item of the same
    `async with`), every one passing its own `timeout=`, is not reported. A
    session only handed to helpers is, as nothing bounds their requests. A
    call that forwards `**kwargs` is not reported: the timeout may be inside.

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
    request_message = (
        "`aiohttp.request()` without a timeout waits up to 300 s on a stalled server; "
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
        ctx.report(self, node, self.request_message if name == AIOHTTP_REQUEST else None)


def _requests_all_timed(call: ast.Call) -> bool:
    """``async with ClientSession() as s`` whose block makes only timed requests on ``s``.

    The requests may sit in the block or in a later item of the same
    statement (``async with ClientSession() as s, s.get(url, timeout=t) as r``).
    """
    item = parent(call)
    block = parent(item) if isinstance(item, ast.withitem) else None
    if not isinstance(block, ast.AsyncWith) or not isinstance(item.optional_vars, ast.Name):
        return False
    session = item.optional_vars.id
    later_items = block.items[block.items.index(item) + 1:]
    roots: List[ast.AST] = [i.context_expr for i in later_items] + list(block.body)
    requests = []
    for root in roots:
        for node in iter_scope(root):
            request = method_call(node, *REQUEST_METHODS)
            if (
                request is not None
                and isinstance(request.func.value, ast.Name)
                and request.func.value.id == session
            ):
                requests.append(request)
    return bool(requests) and all(has_keyword(r, "timeout") for r in requests)


class TimeoutDisabled(Rule):
    """## What it does
    Checks for timeouts explicitly switched off with a literal `None` (or `0`
    where the library reads zero as "no timeout"). It reports:

    - `aiohttp.ClientTimeout()` with no field set, or with every field
      (`total`, `connect`, `sock_read`, `sock_connect`) `None` or `0`;
    - `timeout=None` on `aiohttp.ClientSession(...)`, `aiohttp.request(...)`
      and on the request methods (`get`, `post`, ..., `request`,
      `ws_connect`) of a name bound from `ClientSession(...)`: a local, an
      `async with ... as` target, or `self.<attr>`;
    - `timeout=None` on `httpx.AsyncClient(...)`, `httpx.Client(...)`, the
      httpx module functions (`httpx.get`, ..., `httpx.request`,
      `httpx.stream`) and the same methods on a name bound from one of those
      clients; `httpx.Timeout(None)` with no field bounded;
    - `timeout=None` or `command_timeout=None` on `asyncpg.create_pool(...)`
      or `asyncpg.connect(...)`, and `acquire(timeout=None)` on a pool bound
      from `asyncpg.create_pool(...)` or annotated `asyncpg.Pool`;
    - `asyncio.wait_for(aw, None)` (or `timeout=None`) and
      `asyncio.timeout(None)`.

    A module-level constant bound only to such a literal (`TIMEOUT = None`)
    counts as the literal; a parameter, an attribute or a computed value
    never does. The finding is on the call.

    ## Why is this bad?
    A `None` timeout means "wait forever". The incident's backend froze
    because waits on a stalled upstream and on an exhausted asyncpg pool had
    no bound; writing `timeout=None` recreates that hang on purpose, often to
    silence a timeout that fired once. httpx's own 5-second
    default and asyncpg's 60-second connect timeout are both lost this way.
    On aiohttp, `timeout=None` on a request switches its timeout off; on a
    session it means no timeout on older releases and the 300-second default
    on newer ones: either way not the bound the code seems to ask for.

    `asyncio.timeout(None)` kept as `as cm` and handed on or rescheduled
    (`cm.reschedule(...)`) is the documented way to set a deadline later, and
    is not reported; one that is only entered, or only asked `expired()` /
    `when()`, can never fire and is.

    ## Example
    ```python
    import asyncio

    import httpx

    async def stream_events(url):
        async with httpx.AsyncClient(timeout=None) as client:
            response = await client.get(url)
            return response.json()

    async def wait_ready(event):
        await asyncio.wait_for(event.wait(), None)
    ```

    ## Use instead
    ```python
    import asyncio

    import httpx

    async def stream_events(url):
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=300.0)) as client:
            response = await client.get(url)
            return response.json()

    async def wait_ready(event):
        await asyncio.wait_for(event.wait(), 30)
    ```

    ## Fix safety
    There is no fix: only the author knows how long the wait may take. Pick
    a bound above the slowest legitimate case (a long stream can keep a
    connect timeout and bound each read instead of the total).

    ## References
    - [aiohttp: ClientTimeout](https://docs.aiohttp.org/en/stable/client_reference.html#clienttimeout)
    - [httpx: timeouts](https://www.python-httpx.org/advanced/timeouts/)
    - [asyncpg: connection pools](https://magicstack.github.io/asyncpg/current/api/index.html#connection-pools)
    - [asyncio: timeouts](https://docs.python.org/3/library/asyncio-task.html#timeouts)
    """

    code = "HNG101"
    name = "timeout-disabled"
    message = (
        "timeout switched off with `None`, so this wait can hang forever; "
        "pass a finite number of seconds"
    )
    fix = None
    fix_message = ""
    nodes = (ast.Call,)
    needles = (b"aiohttp", b"httpx", b"asyncpg", b"asyncio")
    # switched off by a literal None, or an aiohttp ClientTimeout of zeros;
    # every shape names a timeout (`timeout=`, `Timeout(`) or is `wait_for`
    requires = ((b"None", b"ClientTimeout"), (b"timeout", b"Timeout", b"wait_for"))

    aiohttp_timeout_message = (
        "`aiohttp.ClientTimeout` with every field None or 0 sets no timeout at all; "
        "set `total=` (or `sock_read=`) to a number of seconds"
    )
    aiohttp_session_message = (
        "`timeout=None` gives this aiohttp session no real bound (none on older aiohttp, "
        "the 300 s default on newer); pass `timeout=aiohttp.ClientTimeout(total=...)`"
    )
    aiohttp_request_message = (
        "`timeout=None` switches this aiohttp request's timeout off, so a stalled server "
        "hangs it forever; pass `timeout=aiohttp.ClientTimeout(total=...)` or drop it"
    )
    httpx_message = (
        "`timeout=None` switches off httpx's 5 s default, so a stalled server hangs this "
        "call forever; pass `timeout=httpx.Timeout(...)` with a number of seconds"
    )
    httpx_timeout_message = (
        "`httpx.Timeout(None)` sets no timeout at all, so a stalled server hangs forever; "
        "give it a number of seconds, e.g. `httpx.Timeout(30.0)`"
    )
    asyncpg_message = (
        "`{keywords}` means no {what} timeout in asyncpg, so a stalled database "
        "hangs forever; pass a number of seconds"
    )
    acquire_message = (
        "`acquire(timeout=None)` waits forever for a connection when the asyncpg pool "
        "is exhausted; pass `timeout=` a number of seconds"
    )
    wait_for_message = (
        "`asyncio.wait_for()` with a `None` timeout waits forever; "
        "pass a number of seconds"
    )
    asyncio_timeout_message = (
        "`asyncio.timeout(None)` never expires, so it bounds nothing; "
        "pass a number of seconds (or `reschedule()` it)"
    )

    def check(self, node: ast.Call, ctx: FileContext) -> None:
        message = self._problem(node, ctx)
        if message is not None:
            ctx.report(self, node, message)

    def _problem(self, call: ast.Call, ctx: FileContext) -> Optional[str]:
        name = ctx.qualname(call.func)
        if name == AIOHTTP_TIMEOUT:
            return self.aiohttp_timeout_message if _client_timeout_off(call, ctx) else None
        if name == AIOHTTP_SESSION:
            return self.aiohttp_session_message if _keyword_off(call, "timeout", ctx) else None
        if name == AIOHTTP_REQUEST:
            return self.aiohttp_request_message if _keyword_off(call, "timeout", ctx) else None
        if name in HTTPX_CLIENTS or name in HTTPX_FUNCTIONS:
            return self.httpx_message if _keyword_off(call, "timeout", ctx) else None
        if name == HTTPX_TIMEOUT:
            return self.httpx_timeout_message if _httpx_timeout_off(call, ctx) else None
        if name in ASYNCPG_CONNECT:
            return self._asyncpg_problem(call, ctx)
        if name == WAIT_FOR:
            off = _argument_off(call, 1, "timeout", ctx)
            return self.wait_for_message if off else None
        if name == ASYNCIO_TIMEOUT:
            off = _argument_off(call, 0, "delay", ctx)
            return self.asyncio_timeout_message if off and not _reschedulable(call) else None
        if isinstance(call.func, ast.Attribute):
            return self._method_problem(call, call.func, ctx)
        return None

    def _asyncpg_problem(self, call: ast.Call, ctx: FileContext) -> Optional[str]:
        off = [kw for kw in ("timeout", "command_timeout") if _keyword_off(call, kw, ctx)]
        if not off:
            return None
        what = {"timeout": "connect", "command_timeout": "per-query"}
        return self.asyncpg_message.format(
            keywords="`, `".join(kw + "=None" for kw in off),
            what=" and ".join(what[kw] for kw in off),
        )

    def _method_problem(
        self, call: ast.Call, func: ast.Attribute, ctx: FileContext
    ) -> Optional[str]:
        method = func.attr
        if method not in REQUEST_METHODS and method not in HTTPX_METHODS and method != "acquire":
            return None
        if not _keyword_off(call, "timeout", ctx):
            return None
        receiver = func.value
        if isinstance(receiver, ast.Name):
            # a parameter holds whatever the caller passed, not an outer binding
            bound = not _parameter_shadows(receiver, ctx)
        elif ctx.self_class(receiver) is not None:
            bound = True
        else:
            return None
        if bound and method in REQUEST_METHODS and ctx.is_bound_to_call(receiver, {AIOHTTP_SESSION}):
            return self.aiohttp_request_message
        if bound and method in HTTPX_METHODS and ctx.is_bound_to_call(receiver, HTTPX_CLIENTS):
            return self.httpx_message
        if method == "acquire" and (
            (bound and ctx.is_bound_to_call(receiver, ASYNCPG_POOL_FACTORIES))
            or ctx.is_annotated_as(receiver, ASYNCPG_POOL_TYPES)
        ):
            return self.acquire_message
        return None


# -- what counts as "switched off" -------------------------------------------


def _literal_off(value: ast.AST, zero_off: bool) -> bool:
    """``None``, or ``0`` / ``0.0`` where the library reads zero as "no timeout"."""
    if not isinstance(value, ast.Constant):
        return False
    if value.value is None:
        return True
    number = value.value
    return zero_off and isinstance(number, (int, float)) and not isinstance(number, bool) and number == 0


def _off(value: ast.AST, ctx: FileContext, zero_off: bool = False) -> bool:
    """A literal that switches a timeout off, or a module constant bound only to one."""
    if _literal_off(value, zero_off):
        return True
    if isinstance(value, ast.Name) and isinstance(value.ctx, ast.Load):
        values = _module_constant(value, ctx)
        return bool(values) and all(_literal_off(v, zero_off) for v in values)
    return False


def _keyword_off(call: ast.Call, name: str, ctx: FileContext) -> bool:
    kw = keyword(call, name)
    return kw is not None and _off(kw.value, ctx)


def _argument_off(call: ast.Call, index: int, name: str, ctx: FileContext) -> bool:
    """The argument at ``index`` (or passed as ``name=``) switches the timeout off."""
    if any(isinstance(arg, ast.Starred) for arg in call.args[: index + 1]):
        return False
    if len(call.args) > index:
        return _off(call.args[index], ctx)
    return _keyword_off(call, name, ctx)


def _client_timeout_off(call: ast.Call, ctx: FileContext) -> bool:
    """``aiohttp.ClientTimeout(...)`` whose every timeout field is None or 0."""
    if has_kwargs_splat(call) or any(isinstance(arg, ast.Starred) for arg in call.args):
        return False
    values = list(call.args[: len(AIOHTTP_TIMEOUT_FIELDS)])
    for kw in call.keywords:
        if kw.arg in AIOHTTP_TIMEOUT_FIELDS:
            values.append(kw.value)
        elif kw.arg != "ceil_threshold":
            return False
    return all(_off(value, ctx, zero_off=True) for value in values)


def _httpx_timeout_off(call: ast.Call, ctx: FileContext) -> bool:
    """``httpx.Timeout(None)`` with no field given a bound.

    ``httpx.Timeout(None, connect=5.0)`` bounds the connect phase and is not
    reported; ``httpx.Timeout()`` with nothing at all is an error in httpx.
    """
    if has_kwargs_splat(call) or len(call.args) > 1:
        return False
    if call.args and isinstance(call.args[0], ast.Starred):
        return False
    default: Optional[ast.AST] = call.args[0] if call.args else None
    fields: Dict[str, ast.AST] = {}
    for kw in call.keywords:
        if kw.arg == "timeout" and default is None:
            default = kw.value
        elif kw.arg in HTTPX_TIMEOUT_FIELDS:
            fields[kw.arg] = kw.value
        else:
            return False
    if default is None and len(fields) < len(HTTPX_TIMEOUT_FIELDS):
        return False
    values = ([default] if default is not None else []) + list(fields.values())
    return all(_off(value, ctx) for value in values)


def _reschedulable(call: ast.Call) -> bool:
    """``asyncio.timeout(None)`` kept in a name that may be rescheduled later.

    Entered without ``as``, or bound to a name only read through
    ``expired()`` / ``when()``, it can never fire. Kept anywhere else (handed
    to a function, stored, returned, rescheduled) a deadline may be set later.
    """
    holder = parent(call)
    if isinstance(holder, ast.withitem):
        if holder.optional_vars is None:
            return False
        target = holder.optional_vars
    elif isinstance(holder, ast.Assign) and len(holder.targets) == 1:
        target = holder.targets[0]
    elif isinstance(holder, ast.AnnAssign):
        target = holder.target
    else:
        return True
    if not isinstance(target, ast.Name):
        return True
    scope = scope_of(call)
    for node in ast.walk(scope):
        if not (isinstance(node, ast.Name) and node.id == target.id and isinstance(node.ctx, ast.Load)):
            continue
        attribute = parent(node)
        if (
            isinstance(attribute, ast.Attribute)
            and attribute.attr in TIMEOUT_READERS
            and isinstance(parent(attribute), ast.Call)
        ):
            continue
        return True
    return False


# -- module-level constants --------------------------------------------------


def _module_constant(name: ast.Name, ctx: FileContext) -> List[ast.AST]:
    """The values a module-level constant is bound to, when ``name`` reads it.

    Empty unless ``name`` resolves to the module scope (no enclosing function
    or class binds it, as a parameter or otherwise) and the module binds it
    only by plain assignment (no imports, loops, augmented assignment or
    ``global`` rebinding anywhere in the file).
    """
    scope = scope_of(name)
    first = True
    while not isinstance(scope, ast.Module):
        # a class body's names are visible only directly in that body
        if (first or not isinstance(scope, ast.ClassDef)) and name.id in _scope_names(scope, ctx):
            return []
        first = False
        scope = scope_of(scope)
    return list(_module_constants(ctx).get(name.id, ()))


def _parameter_shadows(name: ast.Name, ctx: FileContext) -> bool:
    """``name`` reads a parameter that no assignment in its function rebinds.

    What a caller passes in is unknown, even when an outer scope binds the
    same name to a client or a pool.
    """
    scope = scope_of(name)
    while not isinstance(scope, ast.Module):
        if isinstance(scope, FUNCTION_TYPES):
            args = scope.args
            params = [*getattr(args, "posonlyargs", []), *args.args, *args.kwonlyargs]
            params += [a for a in (args.vararg, args.kwarg) if a is not None]
            if any(a.arg == name.id for a in params):
                return not any(
                    isinstance(node, ast.Name) and node.id == name.id and isinstance(node.ctx, ast.Store)
                    for node in iter_scope(scope)
                )
        if name.id in _scope_names(scope, ctx):
            return False
        scope = scope_of(scope)
        while isinstance(scope, ast.ClassDef):  # class bodies do not enclose methods
            scope = scope_of(scope)
    return False


def _memo(ctx: FileContext) -> dict:
    memo = ctx.memo.get(TimeoutDisabled.code)
    if memo is None:
        memo = ctx.memo[TimeoutDisabled.code] = {}
    return memo  # type: ignore[return-value]


def _scope_names(scope: ast.AST, ctx: FileContext) -> Set[str]:
    """Every name a function, lambda or class body binds (parameters included)."""
    cache: Dict[int, Set[str]] = _memo(ctx).setdefault("scopes", {})
    names = cache.get(id(scope))
    if names is None:
        names = set()
        if isinstance(scope, FUNCTION_TYPES):
            args = scope.args
            params = [*getattr(args, "posonlyargs", []), *args.args, *args.kwonlyargs]
            params += [a for a in (args.vararg, args.kwarg) if a is not None]
            names.update(a.arg for a in params)
        for node in iter_scope(scope):
            names.update(_bound_names(node))
        cache[id(scope)] = names
    return names


def _module_constants(ctx: FileContext) -> Dict[str, List[ast.AST]]:
    """Module names bound only by plain assignments: name -> assigned values."""
    memo = _memo(ctx)
    constants = memo.get("module")
    if constants is not None:
        return constants
    values: Dict[str, List[ast.AST]] = {}
    other: Set[str] = set()
    plain: Set[int] = set()  # the Name targets of plain assignments
    for node in iter_scope(ctx.tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    plain.add(id(target))
                    values.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            plain.add(id(node.target))
            if node.value is not None:
                values.setdefault(node.target.id, []).append(node.value)
        elif id(node) not in plain:
            other.update(_bound_names(node))
    for node in ast.walk(ctx.tree):  # ``global X`` lets any function rebind it
        if isinstance(node, ast.Global):
            other.update(node.names)
    constants = {name: v for name, v in values.items() if name not in other}
    memo["module"] = constants
    return constants


def _bound_names(node: ast.AST) -> Set[str]:
    """Names one node binds in its scope, however it binds them."""
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, (ast.Store, ast.Del)) else set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return set(node.names)
    if isinstance(node, ast.ExceptHandler) and node.name:
        return {node.name}
    return set()
