"""HNG110: blocking calls made directly on the event loop inside ``async def``."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterator, Optional, Set, Tuple

from asynclint.astutil import is_none, is_true, iter_scope, keyword
from asynclint.context import CANONICAL, FUNCTION_TYPES, FileContext, dotted, parent, scope_of
from asynclint.rule import ASYNC_DEF, Rule

if TYPE_CHECKING:  # pragma: no cover
    from asynclint.config import Settings

REQUEST_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

# Qualified names whose call blocks the calling thread until I/O completes.
BLOCKING_FUNCTIONS: FrozenSet[str] = frozenset(
    ["time.sleep", "urllib.request.urlopen", "socket.create_connection"]
    + ["requests." + m for m in REQUEST_METHODS]
    + ["subprocess." + f for f in ("run", "call", "check_call", "check_output")]
    # openai's module-level client is the synchronous one
    + ["openai.chat.completions.create", "openai.responses.create"]
)

REQUESTS_SESSIONS = frozenset({"requests.Session", "requests.session"})
GENAI_CLIENTS = frozenset({"google.genai.Client"})
OPENAI_CLIENTS = frozenset({"openai.OpenAI", "openai.AzureOpenAI"})
ANTHROPIC_CLIENTS = frozenset(
    {"anthropic.Anthropic", "anthropic.AnthropicVertex", "anthropic.AnthropicBedrock"}
)

# (attribute path between the client and the call, method names, client constructors)
CLIENT_METHODS: Tuple[Tuple[Tuple[str, ...], Tuple[str, ...], FrozenSet[str]], ...] = (
    ((), REQUEST_METHODS, REQUESTS_SESSIONS),
    (("models",), ("generate_content", "generate_content_stream"), GENAI_CLIENTS),
    (("chat", "completions"), ("create",), OPENAI_CLIENTS),
    (("responses",), ("create",), OPENAI_CLIENTS),
    (("messages",), ("create", "stream"), ANTHROPIC_CLIENTS),
)

THREAD_OFFLOADERS = frozenset({"asyncio.to_thread", "anyio.to_thread.run_sync"})

BASE_NEEDLES: Tuple[bytes, ...] = (
    b"sleep",
    b"requests",
    b"urlopen",
    b"subprocess",
    b"create_connection",
    b"genai",
    b"openai",
    b"anthropic",
)


class BlockingCallInAsyncFunction(Rule):
    """## What it does
    Checks for blocking calls made directly in the body of an `async def`:
    `time.sleep`, the `requests` request functions and the methods of a
    `requests.Session()`, `urllib.request.urlopen`, `subprocess.run` /
    `call` / `check_call` / `check_output`, `socket.create_connection`, and
    the synchronous AI SDK clients: `google.genai.Client(...)`'s
    `.models.generate_content(...)` and `.models.generate_content_stream(...)`,
    `openai.OpenAI(...)`'s `.chat.completions.create(...)` and
    `.responses.create(...)`, and `anthropic.Anthropic(...)`'s
    `.messages.create(...)` and `.messages.stream(...)`. Iterating a
    synchronous stream on the event loop is reported too, also when the
    stream was only *created* in a thread (`for chunk in await
    asyncio.to_thread(client.models.generate_content_stream, ...)`).

    Calls inside a nested `def` or `lambda`, and functions handed uncalled to
    `loop.run_in_executor(...)` or `asyncio.to_thread(...)`, run in another
    thread and are not reported. So are the async clients
    (`client.aio.models...`, `AsyncOpenAI`, `AsyncAnthropic`, `httpx.AsyncClient`,
    `asyncio.sleep`). A client or session is recognised when it is built in
    the same module and bound to a local or module-level name, by
    `with ... as name`, or to `self.<attr>` in any method of the class (or
    annotated with its class); anything the linter cannot resolve is not
    reported. A call that is itself awaited is not reported either.

    The `extend-blocking-calls` setting adds qualified names
    (`"pkg.mod.func"`) whose calls are treated as blocking too.

    ## Why is this bad?
    A blocking call holds the event loop's only thread: while it waits on
    the network, a subprocess or a sleep, no other coroutine runs, no
    timeout fires and no request is served. In the incident, a background
    generation iterated Gemini's synchronous stream
    (`for chunk in client.models.generate_content_stream(...)`) inside an
    `async def`; when the upstream stalled, the whole backend stopped
    answering, health checks included. Wrapping the call in
    `asyncio.timeout(...)` or `asyncio.wait_for(...)` does not help: a
    timeout can only cancel the coroutine at its next `await`, and blocking
    code never reaches one.

    ## Example
    ```python
    from google import genai

    client = genai.Client()

    async def summarize(text):
        parts = []
        for chunk in client.models.generate_content_stream(
            model="gemini-2.5-flash", contents=text
        ):
            parts.append(chunk.text)
        return "".join(parts)
    ```

    ## Use instead
    ```python
    from google import genai

    client = genai.Client()

    async def summarize(text):
        parts = []
        stream = await client.aio.models.generate_content_stream(
            model="gemini-2.5-flash", contents=text
        )
        async for chunk in stream:
            parts.append(chunk.text)
        return "".join(parts)
    ```

    Where no async API exists, run the call in a thread with
    `await asyncio.to_thread(fn, ...)` and bound the blocking call itself
    (its own `timeout=` argument): a timeout around the thread abandons the
    wait but leaves the thread running (see HNG105).

    ## Fix safety
    There is no automatic fix: the async replacement differs per library.

    ## References
    - [asyncio: running blocking code](https://docs.python.org/3/library/asyncio-dev.html#running-blocking-code)
    - [asyncio.to_thread](https://docs.python.org/3/library/asyncio-task.html#asyncio.to_thread)
    - [Google Gen AI SDK: async](https://googleapis.github.io/python-genai/#async)
    - [OpenAI Python library: async usage](https://github.com/openai/openai-python#async-usage)
    - [Anthropic Python SDK: async usage](https://github.com/anthropics/anthropic-sdk-python#async-usage)
    """

    code = "HNG110"
    name = "blocking-call-in-async-function"
    message = (
        "Blocking call inside `async def` stalls the event loop, and `asyncio.timeout` "
        "cannot interrupt it; use the library's async API, or `await asyncio.to_thread(...)` "
        "with a timeout on the blocking call itself"
    )
    call_message = (
        "`{call}` blocks the event loop inside `async def`, and `asyncio.timeout` cannot "
        "interrupt it; use the library's async API, or `await asyncio.to_thread(...)` with "
        "a timeout on the blocking call itself"
    )
    iter_message = (
        "Iterating a synchronous stream inside `async def` blocks the event loop on every "
        "chunk (creating it in a thread does not help), and `asyncio.timeout` cannot "
        "interrupt it; use the library's async streaming API with `async for`"
    )
    nodes = (ast.Call, ast.For)
    needles = BASE_NEEDLES
    requires = (ASYNC_DEF,)

    @classmethod
    def needles_for(cls, settings: "Settings") -> Tuple[bytes, ...]:
        """The needles plus the last part of every `extend-blocking-calls` name."""
        extra = {n.rsplit(".", 1)[-1].encode() for n in settings.extend_blocking_calls}
        return cls.needles + tuple(sorted(extra - set(cls.needles)))

    def check(self, node: ast.AST, ctx: FileContext) -> None:
        if not ctx.in_async_function(node):
            return
        if isinstance(node, ast.For):
            if _iterates_thread_made_stream(node.iter, ctx):
                ctx.report(self, node.iter, self.iter_message)
            return
        assert isinstance(node, ast.Call)
        if isinstance(parent(node), ast.Await):
            return  # an awaited call returns an awaitable: not the blocking API
        name = _blocking_name(node, ctx)
        if name is not None:
            ctx.report(self, node, self.call_message.format(call=name))


def _blocking_name(call: ast.Call, ctx: FileContext) -> Optional[str]:
    """How to name ``call`` in the message when it blocks, else None."""
    qualname = _resolved_qualname(call.func, ctx)
    if qualname is not None:
        if qualname in BLOCKING_FUNCTIONS or qualname in _extended(ctx):
            return qualname
        return None
    method = _client_method(call.func, ctx)
    if method is not None:
        return method
    return None


def _extended(ctx: FileContext) -> FrozenSet[str]:
    """The `extend-blocking-calls` names, also in their canonical spelling."""
    cached = ctx.memo.get("HNG110.extended")
    if cached is None:
        names = ctx.settings.extend_blocking_calls
        cached = frozenset(CANONICAL.get(n, n) for n in names) | frozenset(names)
        ctx.memo["HNG110.extended"] = cached
    return cached  # type: ignore[return-value]


def _resolved_qualname(expr: ast.AST, ctx: FileContext) -> Optional[str]:
    """``ctx.qualname`` unless a function-local binding shadows the imported name."""
    name = dotted(expr)
    if name is None:
        return None
    qualname = ctx.qualname(expr)
    if qualname is None or _shadowed(name.partition(".")[0], expr, ctx):
        return None
    return qualname


def _client_method(func: ast.AST, ctx: FileContext) -> Optional[str]:
    """``session.get`` / ``client.models.generate_content`` on a synchronous client."""
    if not isinstance(func, ast.Attribute):
        return None
    imported = _imported_packages(ctx)
    for path, methods, constructors in CLIENT_METHODS:
        if func.attr not in methods or not any(c.split(".")[0] in imported for c in constructors):
            continue
        receiver: ast.AST = func.value
        for attr in reversed(path):
            if not (isinstance(receiver, ast.Attribute) and receiver.attr == attr):
                receiver = None  # type: ignore[assignment]
                break
            receiver = receiver.value
        if receiver is None:
            continue
        constructor = _constructed_by(receiver, constructors, ctx)
        if constructor is not None:
            return constructor + "(...)." + ".".join(path + (func.attr,))
    return None


def _imported_packages(ctx: FileContext) -> FrozenSet[str]:
    """Top-level packages the module imports anything from."""
    cached = ctx.memo.get("HNG110.packages")
    if cached is None:
        cached = frozenset(target.split(".")[0] for target in ctx.imports.values())
        ctx.memo["HNG110.packages"] = cached
    return cached  # type: ignore[return-value]


def _constructed_by(expr: ast.AST, constructors: FrozenSet[str], ctx: FileContext) -> Optional[str]:
    """The constructor in ``constructors`` that ``expr`` certainly comes from, else None.

    ``expr`` is a constructor call itself, or a name / ``self.<attr>``
    annotated with one of the classes, or whose every non-``None`` binding is
    a call to one of them.
    """
    if isinstance(expr, ast.Call):
        name = _resolved_qualname(expr.func, ctx)
        return name if name in constructors else None
    followable = True
    if isinstance(expr, ast.Name):
        followable = _followable(expr, ctx)[0]
    elif ctx.self_class(expr) is None:
        return None
    for name in sorted(constructors):
        if ctx.is_annotated_as(expr, {name}):
            return name
    if not followable:
        return None
    found: Optional[str] = None
    for value in ctx.bound_values(expr):
        if is_none(value):
            continue
        if not isinstance(value, ast.Call):
            return None
        name = _resolved_qualname(value.func, ctx)
        if name not in constructors:
            return None
        found = name
    return found


def _iterates_thread_made_stream(expr: ast.AST, ctx: FileContext) -> bool:
    """``await to_thread(<sync stream method>, ...)``, directly or through a local name."""
    if isinstance(expr, ast.Name):
        followable, function = _followable(expr, ctx)
        if not followable or function is None or function is not scope_of(expr):
            return False
        values = ctx.bound_values(expr)
        return len(values) == 1 and _thread_made_stream(values[0], ctx)
    if isinstance(expr, ast.Await):
        return _thread_made_stream(expr.value, ctx)
    return False


def _thread_made_stream(call: Optional[ast.AST], ctx: FileContext) -> bool:
    if not isinstance(call, ast.Call):
        return False
    if _resolved_qualname(call.func, ctx) in THREAD_OFFLOADERS:
        args = call.args
    elif isinstance(call.func, ast.Attribute) and call.func.attr == "run_in_executor":
        args = call.args[1:]
    else:
        return False
    if not args:
        return False
    method = _client_method(args[0], ctx)
    if method is None:
        return False
    if method.endswith(".models.generate_content_stream"):
        return True
    if method.endswith((".chat.completions.create", ".responses.create")):
        stream = keyword(call, "stream")
        return stream is not None and is_true(stream.value)
    return False


# -- scopes --------------------------------------------------------------


class _Locals:
    """Names a function binds in its own scope (imports excluded)."""

    __slots__ = ("bound", "complex", "params")

    def __init__(self, params: Set[str], bound: Set[str], complex_: Set[str]) -> None:
        self.params = params  # parameters
        self.bound = bound  # every other binding
        self.complex = complex_  # bound otherwise than by `name = value` / `with ... as name`


def _local_names(function: ast.AST, ctx: FileContext) -> _Locals:
    memo: Dict[int, _Locals] = ctx.memo.setdefault("HNG110", {})  # type: ignore[assignment]
    cached = memo.get(id(function))
    if cached is not None:
        return cached
    args = function.args  # type: ignore[attr-defined]
    params = {a.arg for a in [*getattr(args, "posonlyargs", []), *args.args, *args.kwonlyargs]}
    params.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    bound: Set[str] = set()
    complex_: Set[str] = set()
    declared: Set[str] = set()
    for node in iter_scope(function):
        if node is function:
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
            if not _simple_target(node):
                complex_.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
            complex_.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
    result = _Locals(params - declared, bound - declared, complex_ - declared)
    memo[id(function)] = result
    return result


def _simple_target(name: ast.Name) -> bool:
    """``name = value``, ``name: T = value``, ``(name := value)``, ``with v as name``."""
    owner = parent(name)
    if isinstance(owner, ast.Assign):
        return name in owner.targets
    if isinstance(owner, (ast.AnnAssign, ast.NamedExpr)):
        return owner.target is name and owner.value is not None
    if isinstance(owner, ast.withitem):
        return owner.optional_vars is name
    return False


def _enclosing_functions(node: ast.AST) -> Iterator[ast.AST]:
    """The functions and lambdas around ``node``, innermost first (class bodies skipped)."""
    scope = scope_of(node) if not isinstance(node, FUNCTION_TYPES) else node
    while isinstance(scope, (ast.ClassDef,) + FUNCTION_TYPES):
        if isinstance(scope, FUNCTION_TYPES):
            yield scope
        scope = scope_of(scope)


def _binding_scope(name: str, at: ast.AST, ctx: FileContext) -> Optional[ast.AST]:
    """The innermost function binding ``name`` (parameter or otherwise) seen from ``at``."""
    for function in _enclosing_functions(at):
        local = _local_names(function, ctx)
        if name in local.params or name in local.bound:
            return function
    return None


def _shadowed(name: str, at: ast.AST, ctx: FileContext) -> bool:
    """An imported ``name`` rebound by a function around ``at`` or by a module-level def/class."""
    if _binding_scope(name, at, ctx) is not None:
        return True
    defined = ctx.memo.get("HNG110.defs")
    if defined is None:
        defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        defined = frozenset(s.name for s in ctx.tree.body if isinstance(s, defs))
        ctx.memo["HNG110.defs"] = defined
    return name in defined  # type: ignore[operator]


def _followable(expr: ast.Name, ctx: FileContext) -> Tuple[bool, Optional[ast.AST]]:
    """(whether ``ctx.bound_values`` tells what ``expr`` holds, the binding function).

    Not when the innermost binding is a parameter (its argument is unknown)
    or a ``for`` target, ``except ... as``, tuple unpacking, augmented
    assignment, ``def`` / ``class`` or ``del``.
    """
    function = _binding_scope(expr.id, expr, ctx)
    if function is None:
        return True, None
    local = _local_names(function, ctx)
    if expr.id in local.params or expr.id in local.complex:
        return False, function
    return True, function
