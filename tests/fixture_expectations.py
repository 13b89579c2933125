"""Expectations written in the fixture files themselves.

``# error: HNG100`` (or ``# error: HNG201, HNG202``) at the end of a line
means those codes must be reported on that line; ``# error-next-line:
HNG400`` on a line of its own puts the expectation on the following line
(for findings on a line that opens a multi-line string). Lines without
such a comment must not be reported.

Which rules run: a fixture named after a code (``HNG100.py``) or a group
(``HNG2xx.py``) runs those codes; ``# asynclint-test: select=HNG1,HNG2``
anywhere in the file overrides; the incident app runs every rule.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path
from typing import FrozenSet, List, Set, Tuple

from asynclint.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EXPECT = re.compile(r"#\s*error(?P<next>-next-line)?:\s*(?P<codes>HNG\d{3}(?:\s*,\s*HNG\d{3})*)")
SELECT = re.compile(r"#\s*asynclint-test:\s*select=(?P<codes>[A-Z0-9,]+)")


def fixture_files() -> List[Path]:
    """Every fixture file with expectations (golden fix outputs excluded)."""
    files = []
    for path in sorted(FIXTURES.rglob("*.py")):
        rel = path.relative_to(FIXTURES)
        if rel.parts[0] == "fixed":
            continue
        files.append(path)
    return files


def expected(path: Path) -> Set[Tuple[int, str]]:
    out: Set[Tuple[int, str]] = set()
    text = path.read_text(encoding="utf-8")
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type != tokenize.COMMENT:
            continue
        match = EXPECT.search(tok.string)
        if not match:
            continue
        row = tok.start[0] + (1 if match.group("next") else 0)
        for code in re.split(r"\s*,\s*", match.group("codes")):
            out.add((row, code))
    return out


def selected_codes(path: Path) -> FrozenSet[str]:
    """The codes a fixture exercises (only codes that have a rule)."""
    known = set(all_rules())
    text = path.read_text(encoding="utf-8")
    match = SELECT.search(text)
    if match:
        prefixes = tuple(c for c in match.group("codes").split(",") if c)
    elif "incident_app" in path.parts:
        prefixes = ("HNG",)
    else:
        stem = path.stem.split("_")[0].upper()
        prefixes = (stem.rstrip("X"),)
    return frozenset(c for c in known if c.startswith(prefixes))


def select_argument(path: Path) -> str:
    return ",".join(sorted(selected_codes(path)))
