"""``--add-noqa``: suppress every current finding with a ``# noqa: CODE`` comment.

The comment goes where both flake8 and asynclint read it: at the end of the
last line of the finding's token group. That is the reported line itself,
except for a multi-line string, which flake8 reads as one line: a finding on
its first line gets the comment after the closing quotes (after whatever
code follows them on that line). A line inside a multi-line call is a line of
its own, and gets its own comment.

An existing ``# noqa: X`` comment there is extended (codes already written
are kept, none is repeated); a bare ``# noqa`` already covers everything. A
second run adds nothing. Syntax errors (HNG001) and internal errors (HNG002)
get no comment.

Files are written like ``--fix`` writes them (:mod:`asynclint.writer`):
atomically, in their own encoding, BOM and line endings, and not at all when
they changed on disk since they were read. As a last check, the new text
must parse to the same tree as the old one (comments are not in the tree).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

from asynclint.baseline import NEVER_BASELINED, split_lines
from asynclint.config import Settings
from asynclint.noqa import NOQA_INLINE, line_ranges
from asynclint.rule import Finding
from asynclint.writer import Original, WriteError, write_text

_SPLIT = re.compile(r"[,\s]+")


@dataclass
class Outcome:
    added: int = 0  # comments added or extended
    errors: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)


def _comment_columns(text: str) -> Dict[int, int]:
    """Row -> column where the comment on that row starts."""
    columns: Dict[int, int] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                columns[tok.start[0]] = tok.start[1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return columns


def _position(lines: Sequence[str], first_row: int, text: str, offset: int) -> Tuple[int, int]:
    """(row, column) of ``offset`` in ``text``, the joined lines from ``first_row`` on."""
    row = first_row + text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return row, column


def add_noqa_text(text: str, findings: Sequence[Finding]) -> Tuple[str, int, List[Tuple[int, List[str]]]]:
    """(new text, comments added or extended, [(row, codes)] that could not be added).

    A finding cannot get a comment when its line group already holds a
    ``# noqa: ...`` that is not a comment (text inside a string): flake8
    reads only the first one.
    """
    lines = split_lines(text)
    ranges = line_ranges(lines)
    comments: Optional[Dict[int, int]] = None
    groups: Dict[Tuple[int, int], Set[str]] = {}
    for finding in findings:
        if finding.code in NEVER_BASELINED:
            continue
        group = ranges.get(finding.row, (finding.row, finding.row))
        groups.setdefault(group, set()).add(finding.code)
    added = 0
    skipped: List[Tuple[int, List[str]]] = []
    for (lo, hi), codes in sorted(groups.items()):
        if not 1 <= lo <= hi <= len(lines):
            skipped.append((lo, sorted(codes)))
            continue
        group_text = "".join(lines[lo - 1 : hi])
        match = NOQA_INLINE.search(group_text)
        if match is None:
            line = lines[hi - 1]
            body = line.rstrip("\r\n")
            ending = line[len(body) :]
            lines[hi - 1] = body.rstrip(" \t") + "  # noqa: " + ", ".join(sorted(codes)) + ending
            added += 1
            continue
        existing = match.group("codes")
        if existing is None:
            continue  # a bare `# noqa` covers every code
        if comments is None:
            comments = _comment_columns(text)
        row, column = _position(lines, lo, group_text, match.start())
        if comments.get(row, len(lines[row - 1]) + 1) > column:
            skipped.append((lo, sorted(codes)))  # the first `# noqa` is inside a string
            continue
        written = tuple(c for c in _SPLIT.split(existing) if c)
        missing = [c for c in sorted(codes) if c not in written and not c.startswith(written)]
        if not missing:
            continue
        end = match.start("codes") + len(existing.rstrip(", \t\r\n"))
        row, column = _position(lines, lo, group_text, end)
        line = lines[row - 1]
        lines[row - 1] = line[:column] + ", " + ", ".join(missing) + line[column:]
        added += 1
    return "".join(lines), added, skipped


def _same_tree(old: str, new: str) -> bool:
    try:
        return ast.dump(ast.parse(old)) == ast.dump(ast.parse(new))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


Keep = Callable[[str, str, List[Finding]], List[Finding]]


def add_noqa_file(path: str, settings: Settings, keep: Optional[Keep] = None, outcome: Optional[Outcome] = None) -> Outcome:
    """Add the comments one file needs. ``keep(path, text, findings)`` narrows the
    findings (e.g. to those not in a baseline)."""
    from asynclint.engine import SourceError, decode, lint_bytes

    outcome = outcome if outcome is not None else Outcome()
    try:
        original = Original.read(path)
    except OSError as exc:
        outcome.errors.append(f"{path}: cannot read file: {exc.strerror or exc}")
        return outcome
    findings = [f for f in lint_bytes(original.data, path, settings) if f.code not in NEVER_BASELINED]
    if not findings:
        return outcome
    try:
        text = decode(original.data)
    except SourceError:  # pragma: no cover - such a file has only HNG001
        return outcome
    if keep is not None:
        findings = keep(path, text, findings)
        if not findings:
            return outcome
    new_text, added, skipped = add_noqa_text(text, findings)
    for row, codes in skipped:
        outcome.warnings.append(
            f"{path}:{row}: no noqa comment added for {', '.join(codes)}: the line already holds a `# noqa` inside a string"
        )
    if new_text == text:
        return outcome
    if not _same_tree(text, new_text):  # pragma: no cover - a guard, never expected
        outcome.errors.append(f"{path}: adding noqa comments would change the code; not writing")
        return outcome
    try:
        write_text(original, new_text)
    except WriteError as exc:
        (outcome.warnings if exc.changed else outcome.errors).append(str(exc))
        return outcome
    outcome.added += added
    return outcome


def add_noqa_paths(paths: Sequence[str], settings: Settings, keep: Optional[Keep] = None) -> Outcome:
    outcome = Outcome()
    for path in paths:
        add_noqa_file(path, settings, keep, outcome)
    return outcome


def added_message(count: int) -> str:
    return f"Added {count} noqa directive{'s' if count != 1 else ''}.\n"
