"""Unsafe fix for row locks (HNG400): ``NOWAIT`` after the clause, or ``nowait=True``.

Unsafe because the caller must now handle the lock error
(``asyncpg.exceptions.LockNotAvailableError``, SQLSTATE 55P03) where it used
to wait.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

import libcst as cst

from asynclint.fixes import FixContext, Fixer, Plan
from asynclint.fixes.timeouts import add_keywords
from asynclint.rule import Finding
from asynclint.rules.sql_locks import unbounded_clauses

NOWAIT = " NOWAIT"
Leaf = Union[cst.SimpleString, cst.FormattedStringText]
HOLE = "\x00"


def _string_parts(node: cst.CSTNode, out: List[Optional[Tuple[Leaf, bool]]]) -> bool:
    """Flatten a string expression into (literal leaf, is raw) pairs, None for holes.

    Returns False for bytes, which are not SQL here.
    """
    if isinstance(node, (cst.SimpleString, cst.FormattedString)):
        prefix = node.prefix.lower()
        if "b" in prefix:
            return False
        if isinstance(node, cst.SimpleString):
            out.append((node, "r" in prefix))
        else:
            for part in node.parts:
                out.append((part, "r" in prefix) if isinstance(part, cst.FormattedStringText) else None)
    elif isinstance(node, cst.ConcatenatedString):
        return _string_parts(node.left, out) and _string_parts(node.right, out)
    elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _string_parts(node.left, out) and _string_parts(node.right, out)
    else:
        out.append(None)
    return True


def _body(leaf: Leaf) -> Tuple[str, str, str]:
    """(opening, body, closing) of a leaf's source text."""
    if isinstance(leaf, cst.FormattedStringText):
        return "", leaf.value, ""
    value = leaf.value
    prefix = len(leaf.prefix)
    quote = 3 if value[prefix : prefix + 3] in ('"""', "'''") else 1
    return value[: prefix + quote], value[prefix + quote : len(value) - quote], value[len(value) - quote :]


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "\n": ""}


def _decoded(leaf: Leaf, raw: bool) -> List[Tuple[str, int]]:
    """The leaf's characters as Python sees them, each with the raw offset just after it.

    Common escapes (newline, tab, quotes, backslash, line continuation) are
    decoded so SQL comments end where they really end; other escapes are kept
    as written, which at worst makes the fix find nothing to change.
    """
    body = _body(leaf)[1]
    out: List[Tuple[str, int]] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and not raw and i + 1 < len(body) and body[i + 1] in _ESCAPES:
            decoded = _ESCAPES[body[i + 1]]
            i += 2
            if decoded:
                out.append((decoded, i))
            continue
        i += 1
        out.append((char, i))
    return out


class _ReplaceLeaves(cst.CSTTransformer):
    def __init__(self, mapping: Dict[int, Leaf]) -> None:
        super().__init__()
        self.mapping = mapping

    def on_leave(self, original_node, updated_node):  # type: ignore[override]
        return self.mapping.get(id(original_node), updated_node)


def _plan_literal(node: cst.CSTNode, finding: Finding, ctx: FixContext) -> Optional[Plan]:
    leaves: List[Optional[Tuple[Leaf, bool]]] = []
    if not _string_parts(node, leaves):
        return None
    joined: List[str] = []
    owners: List[Tuple[int, int]] = []  # per char of the SQL: (leaf index, raw end offset)
    for index, item in enumerate(leaves):
        if item is None:
            joined.append(HOLE)
            owners.append((-1, 0))
            continue
        for char, raw_end in _decoded(*item):
            joined.append(char)
            owners.append((index, raw_end))
    text = "".join(joined)
    inserts: Dict[int, List[Tuple[int, str]]] = {}
    for start, end, _mode in unbounded_clauses(text):
        leaf_index, offset = owners[end - 1]
        if leaf_index < 0:
            return None
        # match the clause's own case: "for update" gets " nowait"
        word = NOWAIT if text[start : start + 3].isupper() else NOWAIT.lower()
        inserts.setdefault(leaf_index, []).append((offset, word))
    if not inserts:
        return None

    def transform(updated: cst.CSTNode) -> cst.CSTNode:
        # libcst hands over a rebuilt node: find the same leaves again by order
        current: List[Optional[Tuple[Leaf, bool]]] = []
        _string_parts(updated, current)
        mapping: Dict[int, Leaf] = {}
        for leaf_index, offsets in inserts.items():
            item = current[leaf_index]
            assert item is not None
            leaf = item[0]
            opening, body, closing = _body(leaf)
            for offset, word in sorted(offsets, reverse=True):
                body = body[:offset] + word + body[offset:]
            mapping[id(leaf)] = leaf.with_changes(value=opening + body + closing)
        return updated.visit(_ReplaceLeaves(mapping))

    return Plan(node, transform)


def _plan_orm_call(node: cst.CSTNode, finding: Finding, ctx: FixContext) -> Optional[Plan]:
    call = node
    assert isinstance(call, cst.Call)
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in ("with_for_update", "select_for_update"):
        existing = [a for a in call.args if a.keyword is not None and a.keyword.value == "nowait"]
        if existing:
            return Plan(call, lambda updated: _set_keyword(updated, "nowait", "True"))
        return Plan(call, lambda updated: add_keywords(updated, [("nowait", "True")]))
    flags = [a for a in call.args if a.keyword is not None and a.keyword.value == "with_for_update"]
    if not flags:
        return None
    if isinstance(flags[0].value, cst.Dict):
        return Plan(call, _add_nowait_entry)
    return Plan(call, lambda updated: _set_keyword(updated, "with_for_update", '{"nowait": True}'))


def _add_nowait_entry(call: cst.Call) -> cst.Call:
    """``with_for_update={"read": True}`` -> ``{"read": True, "nowait": True}``."""
    args = []
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "with_for_update" and isinstance(arg.value, cst.Dict):
            elements = list(arg.value.elements)
            entry = cst.DictElement(cst.SimpleString('"nowait"'), cst.Name("True"))
            if elements and not isinstance(elements[-1].comma, cst.Comma):
                elements[-1] = elements[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            elements.append(entry)
            arg = arg.with_changes(value=arg.value.with_changes(elements=elements))
        args.append(arg)
    return call.with_changes(args=args)


def _set_keyword(call: cst.Call, name: str, value: str) -> cst.Call:
    args = [
        a.with_changes(value=cst.parse_expression(value)) if a.keyword is not None and a.keyword.value == name else a
        for a in call.args
    ]
    return call.with_changes(args=args)


def _plan(node: cst.CSTNode, finding: Finding, ctx: FixContext) -> Optional[Plan]:
    if isinstance(node, cst.Call):
        return _plan_orm_call(node, finding, ctx)
    return _plan_literal(node, finding, ctx)


FIXERS = [
    Fixer(
        "HNG400",
        (cst.Call, cst.SimpleString, cst.FormattedString, cst.ConcatenatedString, cst.BinaryOperation),
        _plan,
    )
]
