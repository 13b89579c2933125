"""--add-noqa: where the comments go, merging, encodings, and that both the
asynclint CLI and the real flake8 then report nothing."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asynclint import add_noqa as add_noqa_module
from asynclint.add_noqa import add_noqa_file, add_noqa_text
from asynclint.config import Settings
from asynclint.engine import lint_text
from conftest import BAD, ROOT

FIXTURES = ROOT / "fixtures"


def _add(source: str) -> str:
    findings = lint_text(source, "example.py", Settings())
    assert findings, "the example must have findings"
    text, _, skipped = add_noqa_text(source, findings)
    assert not skipped
    assert not lint_text(text, "example.py", Settings()), text
    assert ast.dump(ast.parse(text)) == ast.dump(ast.parse(source))
    return text


def _flake8(paths, cwd: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "HNG", *paths],
        cwd=str(cwd),
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_comment_on_the_reported_line():
    source = "import aiohttp\n\nasync def f():\n    return aiohttp.ClientSession()\n"
    assert _add(source).splitlines()[3] == "    return aiohttp.ClientSession()  # noqa: HNG100"


def test_several_codes_on_one_line_are_one_sorted_comment():
    source = "import asyncio\n\nclass C:\n    def __init__(self):\n        asyncio.create_task(self.run())\n"
    assert _add(source).splitlines()[4].endswith("asyncio.create_task(self.run())  # noqa: HNG201, HNG202")


def test_existing_noqa_codes_are_kept_and_extended():
    source = (
        "import aiohttp\n\nasync def f():\n"
        "    a = aiohttp.ClientSession()  # noqa: E501\n"
        "    b = aiohttp.ClientSession()  # noqa:E501 because the URL is long\n"
        "    c = aiohttp.ClientSession()  # type: ignore[call-arg]\n"
        "    d = aiohttp.ClientSession()  # noqa\n"
        "    return a, b, c, d\n"
    )
    lines = _add(source).splitlines()
    assert lines[3] == "    a = aiohttp.ClientSession()  # noqa: E501, HNG100"
    assert lines[4] == "    b = aiohttp.ClientSession()  # noqa:E501, HNG100 because the URL is long"
    assert lines[5] == "    c = aiohttp.ClientSession()  # type: ignore[call-arg]  # noqa: HNG100"
    assert lines[6] == "    d = aiohttp.ClientSession()  # noqa"  # a bare noqa covers every code


def test_multi_line_string_gets_the_comment_after_its_closing_quotes():
    source = (
        "async def debit(conn, user_id):\n"
        "    return await conn.fetchval(\n"
        '        """\n'
        "        SELECT balance FROM tokens WHERE user_id = $1 FOR UPDATE\n"
        '        """, user_id)\n'
        "\n"
        "async def other(conn):\n"
        '    await conn.execute("""SELECT 1 FROM t\n'
        '        FOR UPDATE"""); print("locked")\n'
    )
    lines = _add(source).splitlines()
    assert lines[2] == '        """'  # the reported line opens the string: no comment can go there
    assert lines[4] == '        """, user_id)  # noqa: HNG400'
    assert lines[8] == '        FOR UPDATE"""); print("locked")  # noqa: HNG400'


def test_line_inside_a_multi_line_call_gets_its_own_comment():
    source = (
        "import aiohttp\n\nasync def f(url):\n"
        "    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s:\n"
        "        async with s.get(\n"
        "            url,\n"
        "            timeout=aiohttp.ClientTimeout(total=None),\n"
        "        ) as resp:\n"
        "            return await resp.text()\n"
    )
    lines = _add(source).splitlines()
    assert lines[6] == "            timeout=aiohttp.ClientTimeout(total=None),  # noqa: HNG101"
    assert lines[4] == "        async with s.get("


def test_noqa_text_inside_a_string_is_not_edited_and_is_reported():
    source = 'import aiohttp\n\nasync def f():\n    s = aiohttp.ClientSession(); note = "# noqa: E501"\n    return s, note\n'
    findings = lint_text(source, "example.py", Settings())
    text, added, skipped = add_noqa_text(source, findings)
    assert (text, added) == (source, 0)
    assert skipped == [(4, ["HNG100"])]


def test_syntax_errors_get_no_noqa(tmp_path, run_cli):
    broken = tmp_path / "broken.py"
    broken.write_bytes(b"import aiohttp\nasync def f(:\n    pass\n")
    result = run_cli(["--isolated", "--add-noqa", "."], tmp_path)
    assert result.code == 0, result.err
    assert "Added 0 noqa directives." in result.err
    assert broken.read_bytes() == b"import aiohttp\nasync def f(:\n    pass\n"


def test_cli_and_flake8_report_nothing_after_add_noqa_and_a_second_run_adds_nothing(tmp_path, run_cli):
    shutil.copytree(FIXTURES / "incident_app", tmp_path / "incident_app")
    for fixture in sorted(FIXTURES.glob("HNG*.py")):
        shutil.copy(fixture, tmp_path / fixture.name)
    before = {p: p.read_text(encoding="utf-8") for p in tmp_path.rglob("*.py")}
    assert run_cli(["--isolated", "."], tmp_path).code == 1
    assert _flake8(["."], tmp_path).stdout.strip()

    first = run_cli(["--isolated", "--add-noqa", "."], tmp_path)
    assert first.code == 0, first.err
    count = int(first.err.split("Added ")[1].split()[0])
    assert count > 100
    assert "warning" not in first.err

    after = run_cli(["--isolated", "--output-format", "concise", "."], tmp_path)
    assert after.code == 0, after.out
    assert "All checks passed!" in after.out
    flake8 = _flake8(["."], tmp_path)
    assert flake8.returncode == 0 and not flake8.stdout.strip(), flake8.stdout

    for path, old in before.items():
        new = path.read_text(encoding="utf-8")
        assert ast.dump(ast.parse(new)) == ast.dump(ast.parse(old)), path
        assert len(new.splitlines()) == len(old.splitlines()), path
    second = run_cli(["--isolated", "--add-noqa", "."], tmp_path)
    assert second.code == 0
    assert "Added 0 noqa directives." in second.err


def test_encoding_bom_and_line_endings_are_kept(tmp_path, run_cli):
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(b"\xef\xbb\xbfimport aiohttp\r\n\r\n# caf\xc3\xa9\r\nasync def f():\r\n    return aiohttp.ClientSession()\r\n")
    latin = tmp_path / "latin.py"
    latin.write_bytes(
        b"# -*- coding: latin-1 -*-\nimport aiohttp\n\nasync def f():\n    x = '\xe9t\xe9'\n    return aiohttp.ClientSession(), x"
    )
    result = run_cli(["--isolated", "--add-noqa", "."], tmp_path)
    assert result.code == 0, result.err
    assert "Added 2 noqa directives." in result.err
    assert crlf.read_bytes() == (
        b"\xef\xbb\xbfimport aiohttp\r\n\r\n# caf\xc3\xa9\r\nasync def f():\r\n"
        b"    return aiohttp.ClientSession()  # noqa: HNG100\r\n"
    )
    # the last line has no newline: none is added
    assert latin.read_bytes().endswith(b"    x = '\xe9t\xe9'\n    return aiohttp.ClientSession(), x  # noqa: HNG100")
    assert run_cli(["--isolated", "."], tmp_path).code == 0


def test_a_file_changed_on_disk_meanwhile_is_not_written(tmp_path, monkeypatch):
    path = tmp_path / "bad.py"
    path.write_bytes(BAD)
    real = add_noqa_module.add_noqa_text

    def edit_meanwhile(text, findings):
        path.write_bytes(BAD + b"# edited\n")
        return real(text, findings)

    monkeypatch.setattr(add_noqa_module, "add_noqa_text", edit_meanwhile)
    outcome = add_noqa_file(str(path), Settings())
    assert outcome.added == 0
    assert not outcome.errors
    assert "changed on disk" in outcome.warnings[0]
    assert path.read_bytes() == BAD + b"# edited\n"


def test_read_only_file_is_an_error(tmp_path, run_cli):
    path = tmp_path / "bad.py"
    path.write_bytes(BAD)
    path.chmod(0o444)
    try:
        result = run_cli(["--isolated", "--add-noqa", "."], tmp_path)
    finally:
        path.chmod(0o644)
    assert result.code == 2
    assert "read-only" in result.err
    assert path.read_bytes() == BAD


@pytest.mark.parametrize(
    "args, message",
    [
        (["--add-noqa", "--fix", "."], "--add-noqa cannot be combined"),
        (["--add-noqa", "--diff", "."], "--add-noqa cannot be combined"),
        (["--add-noqa", "--write-baseline", "b.json", "."], "--add-noqa cannot be combined"),
        (["--add-noqa", "-"], "cannot read stdin"),
    ],
)
def test_conflicting_flags(tmp_path, run_cli, args, message):
    (tmp_path / "bad.py").write_bytes(BAD)
    result = run_cli(["--isolated", *args], tmp_path)
    assert result.code == 2
    assert message in result.err
    assert (tmp_path / "bad.py").read_bytes() == BAD


def test_with_a_baseline_only_new_findings_get_comments(tmp_path, run_cli):
    (tmp_path / "bad.py").write_bytes(BAD)
    assert run_cli(["--isolated", "--write-baseline", "b.json", "."], tmp_path).code == 0
    new = BAD + b"\nasync def g():\n    return aiohttp.ClientSession()\n"
    (tmp_path / "bad.py").write_bytes(new)
    result = run_cli(["--isolated", "--baseline", "b.json", "--add-noqa", "."], tmp_path)
    assert result.code == 0, result.err
    assert "Added 1 noqa directive." in result.err
    lines = (tmp_path / "bad.py").read_text().splitlines()
    assert lines[3] == "    return aiohttp.ClientSession()"
    assert lines[6] == "    return aiohttp.ClientSession()  # noqa: HNG100"
