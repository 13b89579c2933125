"""Safe fixes that add a missing timeout keyword: HNG100, HNG102, HNG103."""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import libcst as cst

from asynclint.fixes import FixContext, Fixer, Plan
from asynclint.rule import Finding


def _keywords(call: cst.Call) -> List[str]:
    return [arg.keyword.value for arg in call.args if arg.keyword is not None]


def add_keywords(call: cst.Call, pairs: Sequence[Tuple[str, str]]) -> cst.Call:
    """Append ``name=value`` arguments, keeping the call's layout and trailing comma."""
    args = list(call.args)
    for name, value in pairs:
        new = cst.Arg(
            keyword=cst.Name(name),
            value=cst.parse_expression(value),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
            ),
        )
        if not args:
            args.append(new)
            continue
        last = args[-1]
        if isinstance(last.comma, cst.Comma):
            # trailing comma: the new argument takes it (and the newline before ")")
            between = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else None
            if between is None:
                between = cst.Comma(whitespace_after=_after_open_paren(call))
            args[-1] = last.with_changes(comma=between)
            args.append(new.with_changes(comma=last.comma))
        else:
            between = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else None
            if between is None:
                between = cst.Comma(whitespace_after=_after_open_paren(call))
            args[-1] = last.with_changes(comma=between, whitespace_after_arg=cst.SimpleWhitespace(""))
            args.append(new.with_changes(whitespace_after_arg=last.whitespace_after_arg))
    return call.with_changes(args=args)


def _after_open_paren(call: cst.Call) -> cst.BaseParenthesizableWhitespace:
    """The whitespace after "(": a newline and indent for a multi-line call."""
    ws = call.whitespace_before_args
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws
    return cst.SimpleWhitespace(" ")


# -- HNG100 --------------------------------------------------------------
def _module_imports(module: cst.Module) -> Tuple[Optional[str], Optional[str]]:
    """(alias bound to the aiohttp module, local name of ClientTimeout) at module level."""
    module_alias = None
    timeout_name = None
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    name = _dotted(alias.name)
                    if name == "aiohttp" or name.startswith("aiohttp."):
                        if alias.asname is not None and name == "aiohttp":
                            module_alias = module_alias or alias.asname.name.value  # type: ignore[union-attr]
                        elif alias.asname is None:
                            module_alias = module_alias or "aiohttp"
            elif isinstance(small, cst.ImportFrom) and small.module is not None and not small.relative:
                if _dotted(small.module) in ("aiohttp", "aiohttp.client") and not isinstance(small.names, cst.ImportStar):
                    for alias in small.names:
                        if alias.name.value == "ClientTimeout":  # type: ignore[union-attr]
                            local = alias.asname.name.value if alias.asname else "ClientTimeout"  # type: ignore[union-attr]
                            timeout_name = timeout_name or local
    return module_alias, timeout_name


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return _dotted(node.value) + "." + node.attr.value
    return ""


def _plan_session_timeout(node: cst.CSTNode, finding: Finding, ctx: FixContext) -> Optional[Plan]:
    call = node
    assert isinstance(call, cst.Call)
    if "timeout" in _keywords(call):
        return None
    module_alias, timeout_name = _module_imports(ctx.module)
    if timeout_name is not None:
        spelling = timeout_name
    elif module_alias is not None:
        spelling = f"{module_alias}.ClientTimeout"
    else:
        ctx.add_import("aiohttp", "ClientTimeout")
        spelling = "ClientTimeout"
    value = f"{spelling}(total={ctx.timeout})"
    return Plan(call, lambda updated: add_keywords(updated, [("timeout", value)]))


# -- HNG102 / HNG103 ------------------------------------------------------
def _plan_pool_timeouts(node: cst.CSTNode, finding: Finding, ctx: FixContext) -> Optional[Plan]:
    call = node
    assert isinstance(call, cst.Call)
    present = _keywords(call)
    pairs = []
    if "timeout" not in present:
        pairs.append(("timeout", ctx.timeout))
    if "command_timeout" not in present:
        pairs.append(("command_timeout", ctx.timeout_times(2)))
    if not pairs:
        return None
    return Plan(call, lambda updated: add_keywords(updated, pairs))


def _plan_acquire_timeout(node: cst.CSTNode, finding: Finding, ctx: FixContext) -> Optional[Plan]:
    call = node
    assert isinstance(call, cst.Call)
    if "timeout" in _keywords(call):
        return None
    return Plan(call, lambda updated: add_keywords(updated, [("timeout", ctx.timeout)]))


FIXERS = [
    Fixer("HNG100", (cst.Call,), _plan_session_timeout),
    Fixer("HNG102", (cst.Call,), _plan_pool_timeouts),
    Fixer("HNG103", (cst.Call,), _plan_acquire_timeout),
]
