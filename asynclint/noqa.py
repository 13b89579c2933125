"""Suppression comments, with flake8's semantics so one comment serves both.

``# noqa`` / ``# noqa: HNG100,HNG2`` on the reported line (a multi-line
string counts as one line, as in flake8), ``# asynclint: noqa`` and
``# asynclint: noqa: CODES`` on a line of its own for the whole file.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from asynclint.rule import Finding

# the same expression flake8 uses, so both tools agree on every comment
NOQA_INLINE = re.compile(
    r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE
)
NOQA_FILE = re.compile(
    r"^\s*#\s*asynclint\s*:\s*noqa(?:\s*:\s*(?P<codes>[A-Z]+[0-9]*(?:[,\s]+[A-Z]+[0-9]*)*))?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_SPLIT = re.compile(r"[,\s]+")


def _codes(text: Optional[str], upper: bool = True) -> Optional[Tuple[str, ...]]:
    if text is None:
        return None
    return tuple(c.upper() if upper else c for c in _SPLIT.split(text.strip()) if c)


def file_suppression(source: str) -> Tuple[bool, Tuple[str, ...]]:
    """(whole file suppressed, codes suppressed for the whole file)."""
    if "asynclint" not in source:
        return False, ()
    codes: List[str] = []
    for match in NOQA_FILE.finditer(source):
        found = _codes(match.group("codes"))
        if found is None:
            return True, ()
        codes.extend(found)
    return False, tuple(codes)


def line_ranges(lines: Sequence[str]) -> Dict[int, Tuple[int, int]]:
    """Row -> (first, last) row of the token group flake8 reads noqa from."""
    ranges: Dict[int, Tuple[int, int]] = {}
    source = "".join(lines)
    lo, hi = len(lines) + 2, -1
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            lo = min(lo, tok.start[0])
            hi = max(hi, tok.end[0])
            if tok.type in (tokenize.NL, tokenize.NEWLINE):
                for row in range(lo, hi + 1):
                    ranges[row] = (lo, hi)
                lo, hi = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return ranges


def filter_findings(findings: Iterable[Finding], lines: Sequence[str], source: str) -> List[Finding]:
    findings = list(findings)
    if not findings:
        return findings
    whole, file_codes = file_suppression(source)
    if whole:
        return []
    if file_codes:
        findings = [f for f in findings if not f.code.startswith(file_codes)]
    if "noqa" not in source.lower():
        return findings
    ranges: Optional[Dict[int, Tuple[int, int]]] = None
    kept = []
    for finding in findings:
        if ranges is None:
            ranges = line_ranges(lines)
        lo, hi = ranges.get(finding.row, (finding.row, finding.row))
        text = "".join(lines[lo - 1 : hi])
        if not is_suppressed(finding.code, text):
            kept.append(finding)
    return kept


def is_suppressed(code: str, text: str) -> bool:
    match = NOQA_INLINE.search(text)
    if match is None:
        return False
    codes = _codes(match.group("codes"), upper=False)  # flake8 compares as written
    if codes is None:
        return True
    return code in codes or code.startswith(codes)
