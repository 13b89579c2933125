"""One parametrized test over every fixture: findings == the file's own comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from asynclint.config import Settings
from asynclint.engine import lint_file
from fixture_expectations import FIXTURES, expected, fixture_files, selected_codes

FILES = fixture_files()


def _id(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_fixture(path: Path) -> None:
    codes = selected_codes(path)
    settings = Settings(select=tuple(sorted(codes)) or ("HNG001",))
    findings, error = lint_file(str(path), settings)
    assert error is None
    got = {(f.row, f.code) for f in findings}
    want = {(row, code) for row, code in expected(path) if code in codes}
    missing = sorted(want - got)
    unexpected = sorted(got - want)
    assert not missing and not unexpected, (
        f"\nmissing (expected but not reported): {missing}"
        f"\nunexpected (reported, no comment): {unexpected}"
    )


def test_every_fixture_code_is_known_or_future() -> None:
    """Expectation comments only name codes from the catalog."""
    catalog = {
        "HNG001", "HNG002", "HNG100", "HNG101", "HNG102", "HNG103", "HNG104", "HNG105",
        "HNG110", "HNG200", "HNG201", "HNG202", "HNG203", "HNG300", "HNG301", "HNG302",
        "HNG400",
    }
    for path in FILES:
        unknown = {code for _, code in expected(path)} - catalog
        assert not unknown, f"{path}: unknown codes {unknown}"
