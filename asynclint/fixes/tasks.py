"""Unsafe fixes for task lifecycle: keep discarded tasks (HNG202), bound background work (HNG203)."""

from __future__ import annotations

from typing import Optional, Set

import libcst as cst

from asynclint.fixes import FixContext, Fixer, Plan
from asynclint.rule import Finding

TASK_SET = "_background_tasks"


def _asyncio_alias(module: cst.Module) -> Optional[str]:
    """The name the module binds the asyncio module to at top level, if any."""
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if isinstance(alias.name, cst.Name) and alias.name.value == "asyncio":
                        return alias.asname.name.value if alias.asname else "asyncio"  # type: ignore[union-attr]
    return None


def _asyncio(ctx: FixContext) -> str:
    alias = _asyncio_alias(ctx.module)
    if alias is None:
        ctx.add_import("asyncio")
        alias = "asyncio"
    return alias


def _names_in(node: cst.CSTNode) -> Set[str]:
    names: Set[str] = set()

    class Collect(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            names.add(name.value)

    node.visit(Collect())
    return names


def _module_binds(module: cst.Module, name: str) -> bool:
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, cst.AnnAssign):
                    targets = [small.target]
                if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                    return True
    return False


# -- HNG202 ---------------------------------------------------------------
def _plan_keep_task(node: cst.CSTNode, finding: Finding, ctx: FixContext) -> Optional[Plan]:
    small = ctx.parent(node)
    line = ctx.parent(small) if small is not None else None
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    name: Optional[str] = None
    if isinstance(small, cst.Expr) and small.value is node:
        pass
    elif isinstance(small, cst.Assign) and small.value is node and len(small.targets) == 1:
        target = small.targets[0].target
        if not isinstance(target, cst.Name):
            return None
        name = None if target.value == "_" else target.value
    elif isinstance(small, cst.AnnAssign) and small.value is node and isinstance(small.target, cst.Name):
        name = None if small.target.value == "_" else small.target.value
    else:
        return None
    if name is None:
        scope = _enclosing_scope(line, ctx)
        used = _names_in(scope)
        name, n = "task", 0
        while name in used:
            n += 1
            name = f"task_{n}"
    asyncio = _asyncio(ctx)
    if not _module_binds(ctx.module, TASK_SET):
        ctx.add_module_statement(f"{TASK_SET}: set[{asyncio}.Task] = set()")
    keep = [
        cst.parse_statement(f"{TASK_SET}.add({name})\n"),
        cst.parse_statement(f"{name}.add_done_callback({TASK_SET}.discard)\n"),
    ]

    def transform(updated: cst.CSTNode) -> cst.FlattenSentinel:
        assert isinstance(updated, cst.SimpleStatementLine)
        inner = updated.body[0]
        if isinstance(inner, cst.Expr) or (
            isinstance(inner, (cst.Assign, cst.AnnAssign)) and _target_is_underscore(inner)
        ):
            value = inner.value
            assert value is not None
            first = updated.with_changes(
                body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=value)]  # type: ignore[arg-type]
            )
        else:
            first = updated
        return cst.FlattenSentinel([first, *keep])

    return Plan(line, transform)


def _target_is_underscore(stmt: cst.BaseSmallStatement) -> bool:
    if isinstance(stmt, cst.Assign):
        target = stmt.targets[0].target
    elif isinstance(stmt, cst.AnnAssign):
        target = stmt.target
    else:
        return False
    return isinstance(target, cst.Name) and target.value == "_"


def _enclosing_scope(node: cst.CSTNode, ctx: FixContext) -> cst.CSTNode:
    current: Optional[cst.CSTNode] = node
    while current is not None:
        if isinstance(current, (cst.FunctionDef, cst.Lambda)):
            return current
        current = ctx.parent(current)
    return ctx.module


# -- HNG203 ---------------------------------------------------------------
def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _plan_timeout_body(node: cst.CSTNode, finding: Finding, ctx: FixContext) -> Optional[Plan]:
    function = node
    if not isinstance(function, cst.FunctionDef) or function.asynchronous is None:
        return None
    if not isinstance(function.body, cst.IndentedBlock):
        return None  # a one-line `async def f(): ...` body
    statements = list(function.body.body)
    head = 1 if statements and _is_docstring(statements[0]) else 0
    if len(statements) <= head:
        return None
    asyncio = _asyncio(ctx)
    guard = cst.parse_expression(f"{asyncio}.timeout({ctx.timeout})")

    def transform(updated: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(updated, cst.FunctionDef) and isinstance(updated.body, cst.IndentedBlock)
        body = list(updated.body.body)
        wrapped = cst.With(
            items=[cst.WithItem(item=guard)],
            body=cst.IndentedBlock(body=body[head:]),
            asynchronous=cst.Asynchronous(),
        )
        return updated.with_changes(body=updated.body.with_changes(body=[*body[:head], wrapped]))

    return Plan(function, transform)


FIXERS = [
    Fixer("HNG202", (cst.Call,), _plan_keep_task),
    Fixer("HNG203", (cst.FunctionDef,), _plan_timeout_body),
]
