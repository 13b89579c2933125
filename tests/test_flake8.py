"""The real flake8 executable and the asynclint CLI agree on every fixture."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from fixture_expectations import FIXTURES, ROOT, expected, fixture_files, selected_codes

PARITY_CODES = ("HNG001", "HNG002")  # flake8 reports unparsable files itself (E999)


def _flake8(paths, *extra):
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "HNG", "--format", "%(path)s\t%(row)d\t%(code)s", *extra, *paths],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    out = set()
    for line in proc.stdout.splitlines():
        path, row, code = line.split("\t")
        out.add((os.path.normpath(path), int(row), code))
    return out


def _cli(paths):
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--isolated", "--output-format", "json", *paths],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return {
        (os.path.relpath(item["filename"], ROOT), item["location"]["row"], item["code"])
        for item in json.loads(proc.stdout)
        if item["code"] not in PARITY_CODES
    }


@pytest.fixture(scope="module")
def both():
    paths = [str(p.relative_to(ROOT)) for p in fixture_files()]
    return _flake8(paths), _cli(paths)


def test_flake8_and_cli_report_the_same(both):
    flake8, cli = both
    assert cli, "the fixtures have findings"
    assert flake8 == cli, f"only flake8: {sorted(flake8 - cli)}\nonly CLI: {sorted(cli - flake8)}"


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_flake8_meets_fixture_expectations(both, path):
    flake8, _ = both
    rel = str(path.relative_to(ROOT))
    codes = selected_codes(path)
    got = {(row, code) for p, row, code in flake8 if p == rel and code in codes}
    want = {(row, code) for row, code in expected(path) if code in codes}
    assert got == want


def test_flake8_honours_select_ignore_and_noqa(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import aiohttp\n\nasync def f():\n"
        "    a = aiohttp.ClientSession()\n"
        "    b = aiohttp.ClientSession()  # noqa: HNG100\n"
        "    return a, b\n"
    )
    assert _flake8([str(bad)]) == {(str(bad), 4, "HNG100")}
    assert _flake8([str(bad)], "--extend-ignore", "HNG1") == set()


def test_flake8_reads_tool_asynclint_settings(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\nextend-blocking-calls = ["mylib.fetch_sync"]\n')
    src = tmp_path / "svc.py"
    src.write_text("import mylib\n\nasync def f():\n    return mylib.fetch_sync()\n")
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "HNG", str(src)], cwd=str(tmp_path), capture_output=True, text=True
    )
    assert re.search(r"svc\.py:4:\d+: HNG110", proc.stdout), proc.stdout + proc.stderr


def test_flake8_plugin_never_imports_libcst(tmp_path):
    src = tmp_path / "x.py"
    src.write_text("import aiohttp\naiohttp.ClientSession()\n")
    code = (
        "import sys\n"
        "from flake8.main.cli import main\n"
        "try:\n"
        f"    main(['--select', 'HNG', {str(src)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('LIBCST' if any(m == 'libcst' or m.startswith('libcst.') for m in sys.modules) else 'CLEAN')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip().endswith("CLEAN"), proc.stdout + proc.stderr
