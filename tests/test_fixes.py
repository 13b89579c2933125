"""--fix: golden outputs per fixture, idempotence, and every writing guarantee."""

from __future__ import annotations

import ast
import json
import os
import stat
from pathlib import Path

import pytest

from asynclint.config import Settings
from asynclint.engine import lint_text
from asynclint.fixes import apply_fixes
from asynclint.fixes.runner import fix_text
from asynclint.writer import Original, WriteError, write_text
from conftest import BAD
from fixture_expectations import FIXTURES, fixture_files, selected_codes

GOLDEN = FIXTURES / "fixed"
FIXABLE = {"HNG100", "HNG102", "HNG103", "HNG202", "HNG203", "HNG400"}
UPDATE = os.environ.get("ASYNCLINT_UPDATE_GOLDEN") == "1"


def _settings(path: Path) -> Settings:
    # py311 so that the HNG203 fix (asyncio.timeout) is offered
    return Settings(select=tuple(sorted(selected_codes(path))), target_version=(3, 11))


def _fixed(path: Path):
    text = path.read_text(encoding="utf-8")
    return fix_text(text, str(path), _settings(path), unsafe=True)


CASES = [p for p in fixture_files() if "incident_app" not in p.parts and selected_codes(p) & FIXABLE]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_golden_fix(path: Path):
    new, fixed, remaining = _fixed(path)
    golden = GOLDEN / path.name
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(new, encoding="utf-8")
    assert fixed, f"{path.name}: the fixture has fixable findings"
    # (1) the golden output matches
    assert golden.read_text(encoding="utf-8") == new, f"regenerate with ASYNCLINT_UPDATE_GOLDEN=1: {golden}"
    # (2) the golden file parses
    ast.parse(new)
    # (3) linting it reports no finding that a fix could still remove
    settings = _settings(path)
    left = [f for f in lint_text(new, str(path), settings) if f.fix]
    assert not apply_fixes(new, left, settings).applied
    assert len(left) < len([f for f in lint_text(path.read_text(encoding="utf-8"), str(path), settings) if f.fix])
    # (4) --fix on it changes nothing
    again, fixed_again, _ = fix_text(new, str(path), settings, unsafe=True)
    assert again == new and not fixed_again


def test_every_fixable_rule_has_a_golden_file():
    covered = set()
    for path in CASES:
        _, fixed, _ = _fixed(path)
        covered |= {f.code for f in fixed}
    assert covered == FIXABLE


def test_non_ascii_before_the_node_does_not_shift_the_edit():
    src = 'import aiohttp\nx = "é€"; s = aiohttp.ClientSession()\n'
    new, fixed, _ = fix_text(src, "x.py", Settings(), unsafe=False)
    assert new == 'import aiohttp\nx = "é€"; s = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))\n'


@pytest.mark.parametrize(
    "imports,expected",
    [
        ("import aiohttp as ah\n", "ah.ClientSession(timeout=ah.ClientTimeout(total=30))"),
        ("from aiohttp import ClientSession as CS, ClientTimeout as CT\n", "CS(timeout=CT(total=30))"),
        ("from aiohttp import ClientSession\n", "ClientSession(timeout=ClientTimeout(total=30))"),
    ],
)
def test_hng100_uses_the_modules_spelling(imports, expected):
    call = expected.split("(timeout")[0] + "()"
    new, _, remaining = fix_text(f"{imports}\nasync def f():\n    return {call}\n", "x.py", Settings(), unsafe=False)
    assert expected in new and not remaining
    if imports.startswith("from aiohttp import ClientSession\n"):
        assert "ClientTimeout" in new.split("async def")[0], "the import was added"


def test_fix_timeout_setting_is_used():
    src = "import asyncpg\n\nasync def f(dsn):\n    return await asyncpg.create_pool(dsn)\n"
    new, _, _ = fix_text(src, "x.py", Settings(fix_timeout=7), unsafe=False)
    assert "asyncpg.create_pool(dsn, timeout=7, command_timeout=14)" in new


def test_safe_fix_leaves_unsafe_findings(tmp_path, run_cli):
    src = (
        "import aiohttp\n\nasync def f(conn):\n"
        "    s = aiohttp.ClientSession()\n"
        "    return await conn.fetchrow('SELECT a FROM t WHERE id = 1 FOR UPDATE')\n"
    )
    (tmp_path / "svc.py").write_text(src)
    result = run_cli(["--fix", "svc.py"], tmp_path)
    assert result.code == 1
    assert "Found 2 errors (1 fixed, 1 remaining)." in result.out
    assert "HNG400" in result.out and "--unsafe-fixes" in result.out
    text = (tmp_path / "svc.py").read_text()
    assert "ClientTimeout(total=30)" in text and "NOWAIT" not in text
    result = run_cli(["--fix", "--unsafe-fixes", "svc.py"], tmp_path)
    assert result.code == 0 and "FOR UPDATE NOWAIT" in (tmp_path / "svc.py").read_text()


def test_hng203_fix_needs_py311(tmp_path, run_cli):
    src = (
        "from fastapi import BackgroundTasks\n\n"
        "async def handler(background_tasks: BackgroundTasks):\n"
        "    async def work():\n        await go()\n"
        "    background_tasks.add_task(work)\n"
    )
    (tmp_path / "a.py").write_text(src)
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.9"\n[tool.asynclint]\n')
    assert run_cli(["--fix", "--unsafe-fixes", "a.py"], tmp_path).code == 1
    assert (tmp_path / "a.py").read_text() == src
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\ntarget-version = "py311"\n')
    assert run_cli(["--fix", "--unsafe-fixes", "a.py"], tmp_path).code == 0
    assert "async with asyncio.timeout(30):" in (tmp_path / "a.py").read_text()
    assert "\nimport asyncio\n" in (tmp_path / "a.py").read_text().split("async def")[0]


def test_diff_writes_nothing(tmp_path, run_cli):
    (tmp_path / "svc.py").write_bytes(BAD)
    result = run_cli(["--diff", "svc.py"], tmp_path)
    assert result.code == 1
    assert "+    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))" in result.out
    assert "Would fix 1 error." in result.err
    assert (tmp_path / "svc.py").read_bytes() == BAD
    fixed_bytes = BAD.replace(b"ClientSession()", b"ClientSession(timeout=aiohttp.ClientTimeout(total=30))")
    (tmp_path / "svc.py").write_bytes(fixed_bytes)
    result = run_cli(["--diff", "svc.py"], tmp_path)
    assert result.code == 0 and result.out == ""


def test_exit_non_zero_on_fix_and_show_fixes(tmp_path, run_cli):
    (tmp_path / "svc.py").write_bytes(BAD)
    result = run_cli(["--fix", "--show-fixes", "--exit-non-zero-on-fix", "svc.py"], tmp_path)
    assert result.code == 1
    assert "Fixed 1 error:" in result.out and "1 × HNG100" in result.out
    assert "Found 1 error (1 fixed, 0 remaining)." in result.out
    assert run_cli(["--fix", "svc.py"], tmp_path).code == 0


def test_stdin_fix_prints_fixed_source(tmp_path, run_cli):
    result = run_cli(["--fix", "-", "--stdin-filename", "svc.py"], tmp_path, stdin=BAD)
    assert "ClientSession(timeout=aiohttp.ClientTimeout(total=30))" in result.out
    assert result.code == 0


def test_json_carries_fix_edits(tmp_path, run_cli):
    (tmp_path / "svc.py").write_bytes(BAD)
    data = json.loads(run_cli(["--output-format", "json", "svc.py"], tmp_path).out)
    fix = data[0]["fix"]
    assert fix["applicability"] == "safe"
    assert fix["edits"] == [
        {
            "content": "    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))\n",
            "location": {"row": 4, "column": 1},
            "end_location": {"row": 5, "column": 1},
        }
    ]
    (tmp_path / "svc.py").write_text("async def f(c):\n    await c.execute('SELECT a FROM t FOR SHARE')\n")
    data = json.loads(run_cli(["--output-format", "json", "svc.py"], tmp_path).out)
    assert data[0]["fix"]["applicability"] == "unsafe"
    assert "FOR SHARE NOWAIT" in data[0]["fix"]["edits"][0]["content"]


def test_incident_app_fix_round_trip(tmp_path, run_cli):
    import shutil

    app = tmp_path / "incident_app"
    shutil.copytree(FIXTURES / "incident_app", app)
    before = {p: p.read_bytes() for p in app.rglob("*.py")}
    diff = run_cli(["--diff", "--unsafe-fixes", "incident_app"], tmp_path)
    assert diff.code == 1 and diff.out.startswith("--- ")
    assert {p: p.read_bytes() for p in app.rglob("*.py")} == before
    result = run_cli(["--fix", "--unsafe-fixes", "--output-format", "concise", "incident_app"], tmp_path)
    for path in app.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"))
    remaining = {line.split(" ")[1] for line in result.out.splitlines() if ": HNG" in line}
    assert not remaining & {"HNG100", "HNG102", "HNG103", "HNG400"}
    after = {p: p.read_bytes() for p in app.rglob("*.py")}
    again = run_cli(["--fix", "--unsafe-fixes", "incident_app"], tmp_path)
    assert {p: p.read_bytes() for p in app.rglob("*.py")} == after, "a second --fix changes nothing"
    assert "fixed" not in again.out


# -- writing guarantees -------------------------------------------------------
def _fix_file(tmp_path, run_cli, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    result = run_cli(["--fix", name], tmp_path)
    return path, result


def test_crlf_is_kept(tmp_path, run_cli):
    path, result = _fix_file(tmp_path, run_cli, "crlf.py", BAD.replace(b"\n", b"\r\n"))
    data = path.read_bytes()
    assert b"ClientTimeout(total=30)" in data
    assert data.count(b"\r\n") == data.count(b"\n") == 4


def test_bom_is_kept(tmp_path, run_cli):
    path, _ = _fix_file(tmp_path, run_cli, "bom.py", b"\xef\xbb\xbf" + BAD)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfimport aiohttp") and b"ClientTimeout(total=30)" in data


def test_encoding_cookie_is_kept(tmp_path, run_cli):
    src = b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + BAD
    path, _ = _fix_file(tmp_path, run_cli, "latin.py", src)
    data = path.read_bytes()
    assert b"# caf\xe9\n" in data and b"ClientTimeout(total=30)" in data


def test_mode_is_kept(tmp_path, run_cli):
    path = tmp_path / "x.py"
    path.write_bytes(BAD)
    path.chmod(0o751)
    run_cli(["--fix", "x.py"], tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".asynclint-")], "no temporary file left"


def test_symlink_is_written_through(tmp_path, run_cli):
    real = tmp_path / "real.py"
    real.write_bytes(BAD)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    run_cli(["--fix", "link.py"], tmp_path)
    assert link.is_symlink()
    assert b"ClientTimeout(total=30)" in real.read_bytes()


def test_read_only_file_is_an_error(tmp_path, run_cli):
    path = tmp_path / "ro.py"
    path.write_bytes(BAD)
    path.chmod(0o444)
    other = tmp_path / "other.py"
    other.write_bytes(BAD)
    result = run_cli(["--fix", "ro.py", "other.py"], tmp_path)
    assert result.code == 2
    assert "ro.py: file is read-only" in result.err
    assert path.read_bytes() == BAD
    assert b"ClientTimeout" in other.read_bytes()


def test_file_changed_since_read_is_skipped(tmp_path):
    path = tmp_path / "x.py"
    path.write_bytes(BAD)
    original = Original.read(str(path))
    path.write_bytes(BAD + b"# edited meanwhile\n")
    with pytest.raises(WriteError) as info:
        write_text(original, "replaced\n")
    assert info.value.changed
    assert path.read_bytes() == BAD + b"# edited meanwhile\n"


def test_unparsable_result_is_never_written(tmp_path, monkeypatch):
    import asynclint.fixes as fixes

    monkeypatch.setattr(fixes, "parses", lambda text: False)
    new, fixed, _ = fix_text(BAD.decode(), "x.py", Settings(), unsafe=False)
    assert new == BAD.decode() and not fixed


def test_clean_file_is_not_touched(tmp_path, run_cli):
    path = tmp_path / "ok.py"
    path.write_text("x = 1\n")
    os.utime(path, (1_000_000, 1_000_000))
    assert run_cli(["--fix", "ok.py"], tmp_path).code == 0
    assert path.stat().st_mtime == 1_000_000
