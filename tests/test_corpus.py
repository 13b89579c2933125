"""Real code nobody here wrote: every installed package of this environment
(and the standard library) lints without an internal error, and HNG001 only
where Python itself refuses the file. ``pytest -s`` prints the counts per rule."""

from __future__ import annotations

import ast
import sysconfig
import warnings
from collections import Counter

import pytest

from asynclint.config import Settings
from asynclint.discovery import Discovery
from asynclint.runner import lint_paths

pytestmark = pytest.mark.slow


def _parses(path: str) -> bool:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)  # bytes: the coding cookie and BOM are honoured
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@pytest.mark.parametrize("tree", ["purelib", "stdlib"])
def test_installed_code_lints_cleanly(tree):
    root = sysconfig.get_paths()[tree]
    files = sorted(Discovery(Settings(root=root, exclude=()), respect_gitignore=False).files([root]))
    assert len(files) > 1000, root
    findings, errors = lint_paths(files, Settings(), jobs=2)
    counts = Counter(f.code for f in findings)
    print(f"\n{root}: {len(files)} files, {len(findings)} findings")
    for code, count in sorted(counts.items()):
        print(f"  {code}: {count}")
    assert errors == []
    internal = [f"{f.path}:{f.row}:{f.col}: {f.message}" for f in findings if f.code == "HNG002"]
    assert internal == []
    wrongly_unparsable = [f"{f.path}:{f.row}:{f.col}: {f.message}" for f in findings if f.code == "HNG001" and _parses(f.path)]
    assert wrongly_unparsable == []
