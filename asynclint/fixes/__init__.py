"""Fixes as libcst transforms, kept apart from detection.

Imported only when fixing, diffing or printing fix edits. A fixer receives a
finding (its code and range), finds the libcst node at exactly that range,
and says which node to replace and how. Positions: findings carry 1-based
character columns (converted from ``ast`` byte offsets in one place,
``FileContext.column``); libcst's ``PositionProvider`` counts characters from
0, so the start of a node is ``(finding.row, finding.col - 1)``.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from asynclint.config import Settings
from asynclint.rule import Finding

Replacement = Union[cst.CSTNode, cst.FlattenSentinel, cst.RemovalSentinel]
Transform = Callable[[cst.CSTNode], Replacement]


@dataclass
class Plan:
    """Replace ``target`` (found from the finding's node) with ``transform(updated target)``."""

    target: cst.CSTNode
    transform: Transform


@dataclass
class FixContext:
    """What a fixer may use: settings, the module, parents and queued module edits."""

    settings: Settings
    module: cst.Module
    parents: Dict[cst.CSTNode, cst.CSTNode]
    codemod: CodemodContext
    # statements to insert after the module's imports (deduplicated by code)
    module_statements: List[str] = field(default_factory=list)

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self.parents.get(node)

    def add_import(self, module: str, obj: Optional[str] = None) -> None:
        AddImportsVisitor.add_needed_import(self.codemod, module, obj)

    def add_module_statement(self, code: str) -> None:
        if code not in self.module_statements:
            self.module_statements.append(code)

    @property
    def timeout(self) -> str:
        """``fix-timeout`` written as a literal (``30``, ``2.5``)."""
        value = self.settings.fix_timeout
        return str(int(value)) if float(value).is_integer() else repr(float(value))

    def timeout_times(self, factor: int) -> str:
        value = self.settings.fix_timeout * factor
        return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class Fixer:
    """How one rule fixes a finding: the node types at the finding's range, and a plan."""

    code: str
    node_types: Tuple[type, ...]
    plan: Callable[[cst.CSTNode, Finding, FixContext], Optional[Plan]]


def fixers() -> Dict[str, Fixer]:
    from asynclint.fixes import sql, tasks, timeouts

    out: Dict[str, Fixer] = {}
    for module in (timeouts, sql, tasks):
        for fixer in module.FIXERS:
            out[fixer.code] = fixer
    return out


class _Index(cst.CSTVisitor):
    """Every node by its range, outermost first (a visit is pre-order)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.by_range: Dict[Tuple[int, int, int, int], List[cst.CSTNode]] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        pos = self.get_metadata(PositionProvider, node, None)
        if pos is not None:
            key = (pos.start.line, pos.start.column, pos.end.line, pos.end.column)
            self.by_range.setdefault(key, []).append(node)
        return True


@dataclass
class _Parsed:
    module: cst.Module
    parents: Dict[cst.CSTNode, cst.CSTNode]
    by_range: Dict[Tuple[int, int, int, int], List[cst.CSTNode]]

    def find(self, key: Tuple[int, int, int, int], types: Tuple[type, ...]) -> Optional[cst.CSTNode]:
        return next((n for n in self.by_range.get(key, ()) if isinstance(n, types)), None)


_LAST_PARSED: Dict[str, _Parsed] = {}


def _parse(text: str) -> _Parsed:
    """libcst's tree of ``text`` with its metadata; the last one is kept, as
    reports ask for one finding's edits at a time on the same text."""
    parsed = _LAST_PARSED.get(text)
    if parsed is None:
        module = cst.parse_module(text)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        index = _Index()
        wrapper.visit(index)
        parsed = _Parsed(
            module,
            dict(wrapper.resolve(ParentNodeProvider)),
            index.by_range,
        )
        _LAST_PARSED.clear()
        _LAST_PARSED[text] = parsed
    return parsed


class _Apply(cst.CSTTransformer):
    def __init__(self, plans: Dict[cst.CSTNode, List[Transform]]) -> None:
        super().__init__()
        self.plans = plans

    def on_leave(self, original_node, updated_node):  # type: ignore[override]
        transforms = self.plans.get(original_node)
        if not transforms:
            return updated_node
        result = updated_node
        for transform in transforms:
            if not isinstance(result, cst.CSTNode):
                break
            result = transform(result)
        return result


def _key(finding: Finding) -> Tuple[int, int, int, int]:
    """libcst's (line, column, end line, end column) of the node the fix edits."""
    row, col, end_row, end_col = finding.fix_target or (
        finding.row,
        finding.col,
        finding.end_row or finding.row,
        finding.end_col or finding.col,
    )
    return (row, col - 1, end_row, end_col - 1)


@dataclass
class FixResult:
    text: str
    applied: List[Finding]


def apply_fixes(text: str, findings: Sequence[Finding], settings: Settings) -> FixResult:
    """Apply the fixes of ``findings`` (already filtered by applicability) in one pass.

    Findings whose fix cannot be planned are left alone. Two findings whose
    fixes target the same node: the first is applied, the rest wait for the
    next pass. Returns the original text when the result would not parse, or
    when the code is too deeply nested for libcst's recursive visitors.
    """
    try:
        return _apply_fixes(text, findings, settings)
    except RecursionError:
        return FixResult(text, [])


def _apply_fixes(text: str, findings: Sequence[Finding], settings: Settings) -> FixResult:
    table = fixers()
    # a finding carries a fix only when its rule offers one under these
    # settings (Rule.fix_available, e.g. HNG203 needs target-version >= 3.11)
    todo = [f for f in findings if f.code in table and f.fix]
    if not todo:
        return FixResult(text, [])
    try:
        parsed = _parse(text)
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return FixResult(text, [])
    module = parsed.module
    ctx = FixContext(
        settings=settings,
        module=module,
        parents=parsed.parents,
        codemod=CodemodContext(),
    )
    plans: Dict[cst.CSTNode, List[Transform]] = {}
    planned_targets: Dict[int, str] = {}
    applied: List[Finding] = []
    for finding in todo:
        fixer = table[finding.code]
        node = parsed.find(_key(finding), fixer.node_types)
        if node is None:
            continue
        plan = fixer.plan(node, finding, ctx)
        if plan is None:
            continue
        previous = planned_targets.get(id(plan.target))
        if previous is not None:
            if previous == finding.code:
                applied.append(finding)  # the same edit fixes both findings
            continue  # another rule's edit on this node: left for the next pass
        planned_targets[id(plan.target)] = finding.code
        plans.setdefault(plan.target, []).append(plan.transform)
        applied.append(finding)
    if not applied:
        return FixResult(text, [])
    new_module = module.visit(_Apply(plans))
    if ctx.module_statements:
        new_module = _insert_module_statements(new_module, ctx.module_statements)
    if ctx.codemod.scratch.get(AddImportsVisitor.CONTEXT_KEY):
        new_module = AddImportsVisitor(ctx.codemod).transform_module(new_module)
    new_text = new_module.code
    if not parses(new_text):
        return FixResult(text, [])
    return FixResult(new_text, applied)


def parses(text: str) -> bool:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


def _is_docstring_or_future(stmt: cst.CSTNode, index: int) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    inner = stmt.body[0]
    if index == 0 and isinstance(inner, cst.Expr) and isinstance(inner.value, (cst.SimpleString, cst.ConcatenatedString)):
        return True
    return isinstance(inner, cst.ImportFrom) and isinstance(inner.module, cst.Name) and inner.module.value == "__future__"


def _insert_module_statements(module: cst.Module, statements: List[str]) -> cst.Module:
    """Insert statements after the leading docstring and imports of the module."""
    body = list(module.body)
    index = 0
    while index < len(body) and (_is_import_line(body[index]) or _is_docstring_or_future(body[index], index)):
        index += 1
    existing = {module.code_for_node(stmt).strip() for stmt in body}
    new = [cst.parse_statement(code + "\n") for code in statements if code.strip() not in existing]
    if not new:
        return module
    if index < len(body):
        first = new[0]
        if index > 0:
            new[0] = first.with_changes(leading_lines=[cst.EmptyLine()])
        body[index] = body[index].with_changes(
            leading_lines=[cst.EmptyLine(), *body[index].leading_lines]
            if not body[index].leading_lines
            else body[index].leading_lines
        )
    body[index:index] = new
    return module.with_changes(body=body)


# -- edits, for reports -------------------------------------------------------
def text_edits(old: str, new: str) -> List[dict]:
    """The change from ``old`` to ``new`` as ruff-style edits (1-based rows and columns)."""
    from asynclint.engine import source_lines

    old_lines = source_lines(old)
    new_lines = source_lines(new)
    edits = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(
            {
                "content": "".join(new_lines[j1:j2]),
                "location": {"row": i1 + 1, "column": 1},
                "end_location": {"row": i2 + 1, "column": 1},
            }
        )
    return edits


def unified_diff(path: str, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=path,
            tofile=path,
        )
    )
