"""HNG400 over real SQL-heavy code: the installed sources of SQLAlchemy and Django.

Both libraries talk about `FOR UPDATE` in docstrings and build locking
clauses from string fragments; neither may produce a finding inside a
docstring, and no file may crash the rule (HNG002) or be rejected (HNG001)
when Python itself parses it.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import List, Optional, Set

import pytest

from asynclint.config import Settings
from asynclint.engine import lint_file

SETTINGS = Settings(select=("HNG400", "HNG001", "HNG002"))


def _package_root(name: str) -> Optional[Path]:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _string_statement_rows(tree: ast.Module) -> Set[int]:
    """Rows covered by docstrings and other bare string statements."""
    out: Set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, (ast.Constant, ast.JoinedStr))
            and (isinstance(node.value, ast.JoinedStr) or isinstance(node.value.value, str))
        ):
            out.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return out


def _parses(path: Path) -> Optional[ast.Module]:
    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError):
        return None


@pytest.mark.slow
@pytest.mark.parametrize("package", ["sqlalchemy", "django"])
def test_corpus_has_no_docstring_findings_and_no_crashes(package: str) -> None:
    root = _package_root(package)
    if root is None:
        pytest.skip(f"{package} is not installed (pip install -e '.[test]')")
    files = sorted(root.rglob("*.py"))
    assert files, f"no Python files under {root}"
    problems: List[str] = []
    findings = []
    for path in files:
        found, error = lint_file(str(path), SETTINGS)
        assert error is None, error
        if not found:
            continue
        tree = _parses(path)
        docstring_rows = _string_statement_rows(tree) if tree is not None else set()
        for finding in found:
            where = f"{path.relative_to(root.parent)}:{finding.row}: {finding.code} {finding.message}"
            if finding.code == "HNG002":
                problems.append("crash: " + where)
            elif finding.code == "HNG001":
                if tree is not None:
                    problems.append("parsed by Python but reported unparsable: " + where)
            elif finding.row in docstring_rows:
                problems.append("finding in a docstring: " + where)
            else:
                findings.append(where)
    assert not problems, "\n".join(problems)
    # Shown with `pytest -s` / on failure: the code findings, for review.
    print(f"\n{package}: {len(files)} files, {len(findings)} HNG400 finding(s)")
    for line in findings:
        print("  " + line)
