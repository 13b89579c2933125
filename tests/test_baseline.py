"""Baselines: record the current findings, then report only new ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from asynclint.baseline import SourceIndex
from conftest import BAD, ROOT

SHRINK = "run --write-baseline to shrink the baseline."
NEW_FUNCTION = '''

async def fetch_elevation(points):
    async with aiohttp.ClientSession() as session:
        async with session.get("https://maps.invalid/elevation", params={"p": points}) as resp:
            return await resp.json()
'''


def concise(result) -> list:
    return [line for line in result.out.splitlines() if ": HNG" in line]


@pytest.fixture
def app(tmp_path) -> Path:
    target = tmp_path / "incident_app"
    shutil.copytree(ROOT / "fixtures" / "incident_app", target)
    return target


def test_done_when_scenario(app, run_cli):
    args = ["--baseline", "asynclint-baseline.json", "--output-format", "concise", "."]
    written = run_cli(["--write-baseline", "asynclint-baseline.json", "."], app)
    assert written.code == 0, written.err
    assert "Recorded 19 findings in asynclint-baseline.json." in written.err
    assert written.out == ""

    clean = run_cli(args, app)
    assert clean.code == 0, clean.out + clean.err
    assert "All checks passed!" in clean.out
    assert SHRINK not in clean.out + clean.err

    # one new hang pattern in a new function: only it is reported
    maps = app / "app" / "services" / "maps.py"
    original = maps.read_text(encoding="utf-8")
    maps.write_text(original + NEW_FUNCTION, encoding="utf-8")
    new = run_cli(args, app)
    assert new.code == 1
    row = len(original.splitlines()) + 4
    assert concise(new) == [f"app/services/maps.py:{row}:16: HNG100 [*] " + concise(new)[0].split(" [*] ", 1)[1]]
    assert "Found 1 error." in new.out

    # removed again: clean
    maps.write_text(original, encoding="utf-8")
    assert run_cli(args, app).code == 0

    # one baselined finding fixed: reported as no longer occurring
    fixed = original.replace(
        "            connector=aiohttp.TCPConnector(limit=20),\n",
        "            connector=aiohttp.TCPConnector(limit=20),\n            timeout=aiohttp.ClientTimeout(total=30),\n",
    )
    assert fixed != original
    maps.write_text(fixed, encoding="utf-8")
    result = run_cli(args, app)
    assert result.code == 0
    assert result.out.endswith("All checks passed!\n1 baselined finding no longer occurs; " + SHRINK + "\n")

    # unrelated edits (lines inserted at the top, code reformatted) keep every match
    for name in ("app/services/tokens.py", "app/db.py", "app/rate_limit.py"):
        path = app / name
        path.write_text("# Copyright header added later\nimport logging  # é\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    gemini = app / "app" / "services" / "gemini.py"
    gemini.write_text(
        gemini.read_text(encoding="utf-8").replace("asyncio.wait_for(future, timeout=30)", "asyncio.wait_for( future,timeout=30 )"),
        encoding="utf-8",
    )
    result = run_cli(args, app)
    assert result.code == 0, result.out
    assert "1 baselined finding no longer occurs" in result.out

    # shrinking the baseline makes the message go away
    assert run_cli(["--write-baseline", "asynclint-baseline.json", "."], app).code == 0
    result = run_cli(args, app)
    assert result.code == 0
    assert SHRINK not in result.out + result.err
    data = json.loads((app / "asynclint-baseline.json").read_text(encoding="utf-8"))
    assert sum(e["count"] for e in data["entries"]) == 18


def test_file_format_is_stable_sorted_and_relative(app, run_cli):
    assert run_cli(["--write-baseline", "asynclint-baseline.json", "."], app).code == 0
    first = (app / "asynclint-baseline.json").read_bytes()
    assert run_cli(["--write-baseline", "asynclint-baseline.json", "app"], app).code == 0
    assert (app / "asynclint-baseline.json").read_bytes() == first
    text = first.decode("utf-8")
    assert text.startswith('{\n  "version": 1,\n  "entries": [\n    {"path": ')
    assert text.endswith("\n  ]\n}\n")
    data = json.loads(text)
    keys = [(e["path"], e["code"], e["fingerprint"]) for e in data["entries"]]
    assert keys == sorted(keys)
    assert len(text.splitlines()) == len(data["entries"]) + 5  # one line per entry
    entry = next(e for e in data["entries"] if e["code"] == "HNG400")
    assert entry == {
        "path": "app/services/tokens.py",
        "code": "HNG400",
        "scope": "TokenService.debit",
        "fingerprint": entry["fingerprint"],
        "count": 1,
    }
    assert next(e for e in data["entries"] if e["code"] == "HNG200")["scope"] == "<module>"
    # no line numbers: edits elsewhere in a file do not change its entries
    assert all(set(e) == {"path", "code", "scope", "fingerprint", "count"} for e in data["entries"])


def test_paths_are_relative_to_the_baseline_folder(app, run_cli):
    (app / "ci").mkdir()
    assert run_cli(["--write-baseline", "ci/baseline.json", "app"], app).code == 0
    data = json.loads((app / "ci" / "baseline.json").read_text(encoding="utf-8"))
    assert {e["path"] for e in data["entries"]} >= {"../app/db.py", "../app/services/maps.py"}
    # the same baseline from another working folder
    result = run_cli(["--baseline", "../ci/baseline.json", "."], app / "app")
    assert result.code == 0, result.out
    result = run_cli(["--baseline", str(app / "ci" / "baseline.json"), str(app / "app" / "db.py")], ROOT)
    assert result.code == 0, result.out


def _module(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "svc.py"
    path.write_text("import aiohttp\n\n" + body, encoding="utf-8")
    return path


POOL = """
async def open_sessions(n):
    sessions = []
    sessions.append(aiohttp.ClientSession())
    sessions.append(aiohttp.ClientSession())
    return sessions
"""


def test_identical_findings_are_counted(tmp_path, run_cli):
    _module(tmp_path, POOL)
    assert run_cli(["--write-baseline", "b.json", "."], tmp_path).code == 0
    entries = json.loads((tmp_path / "b.json").read_text())["entries"]
    assert [(e["scope"], e["count"]) for e in entries] == [("open_sessions", 2)]

    third = POOL.replace("    return sessions", "    sessions.append(aiohttp.ClientSession())\n    return sessions")
    _module(tmp_path, third)
    result = run_cli(["--baseline", "b.json", "--output-format", "concise", "."], tmp_path)
    assert result.code == 1
    assert len(concise(result)) == 1

    # one of the two removed: nothing new, one no longer occurs
    one = POOL.replace("    sessions.append(aiohttp.ClientSession())\n", "", 1)
    _module(tmp_path, one)
    result = run_cli(["--baseline", "b.json", "."], tmp_path)
    assert result.code == 0
    assert "1 baselined finding no longer occurs" in result.out


def test_the_same_line_in_another_function_is_new(tmp_path, run_cli):
    _module(tmp_path, POOL)
    assert run_cli(["--write-baseline", "b.json", "."], tmp_path).code == 0
    _module(tmp_path, POOL.replace("open_sessions", "open_more_sessions"))
    result = run_cli(["--baseline", "b.json", "--output-format", "concise", "."], tmp_path)
    assert result.code == 1
    assert len(concise(result)) == 2
    assert "2 baselined findings no longer occur; " + SHRINK in result.out


def test_an_edited_line_still_matches_in_its_own_scope(tmp_path, run_cli):
    body = "async def f(url):\n    return aiohttp.ClientSession(base_url=url)\n"
    _module(tmp_path, body)
    assert run_cli(["--write-baseline", "b.json", "."], tmp_path).code == 0
    _module(tmp_path, body.replace("base_url=url", "base_url=url, headers={'x': '1'}"))
    result = run_cli(["--baseline", "b.json", "."], tmp_path)
    assert result.code == 0, result.out
    assert SHRINK not in result.out
    # the trade-off: one fixed and one added in the same function, the count did not grow
    _module(tmp_path, body.replace("base_url=url", "base_url=url, timeout=T") + "    s = aiohttp.ClientSession()\n")
    assert run_cli(["--baseline", "b.json", "."], tmp_path).code == 0
    # in another function it is new, and the old entry no longer occurs
    _module(tmp_path, body.replace("def f", "def g"))
    result = run_cli(["--baseline", "b.json", "."], tmp_path)
    assert result.code == 1
    assert "1 baselined finding no longer occurs" in result.out


def test_fix_with_a_baseline_does_not_turn_same_line_findings_into_new_ones(app, run_cli):
    assert run_cli(["--write-baseline", "asynclint-baseline.json", "."], app).code == 0
    # the HNG103 fix edits the line that also carries HNG104
    result = run_cli(["--baseline", "asynclint-baseline.json", "--fix", "."], app)
    assert "acquire(timeout=30)" in (app / "app" / "services" / "tokens.py").read_text(encoding="utf-8")
    assert result.code == 0, result.out
    assert "Found 5 errors (5 fixed, 0 remaining)." in result.out
    assert "5 baselined findings no longer occur" in result.out


def test_comments_and_whitespace_do_not_change_the_fingerprint():
    one = SourceIndex("def f():\n    x = g(a,b)  # old comment\n")
    two = SourceIndex("\n\nclass C:\n  def f(self):\n        x  =  g( a, b )  # noqa: E501\n")
    assert one.source(2) == two.source(5) == "x=g(a,b)"
    assert (one.scope(2), two.scope(5), two.scope(1)) == ("f", "C.f", "")
    multi = SourceIndex('x = q(\n    """\n    SELECT 1\n    """, 1)  # c\n')
    assert multi.source(2) == multi.source(4) == '"""SELECT1""",1)'
    assert multi.source(1) == "x=q("


def test_partial_runs_do_not_report_other_files_as_fixed(tmp_path, run_cli):
    (tmp_path / "a.py").write_bytes(BAD)
    (tmp_path / "b.py").write_bytes(BAD)
    assert run_cli(["--write-baseline", "base.json", "."], tmp_path).code == 0
    (tmp_path / "b.py").write_bytes(BAD.replace(b"ClientSession()", b"ClientSession(timeout=aiohttp.ClientTimeout(total=5))"))
    only_a = run_cli(["--baseline", "base.json", "a.py"], tmp_path)
    assert only_a.code == 0 and SHRINK not in only_a.out
    other_rules = run_cli(["--baseline", "base.json", "--select", "HNG2", "."], tmp_path)
    assert other_rules.code == 0 and SHRINK not in other_rules.out
    assert "1 baselined finding no longer occurs" in run_cli(["--baseline", "base.json", "."], tmp_path).out
    # a deleted file's findings no longer occur either
    (tmp_path / "a.py").unlink()
    assert "2 baselined findings no longer occur" in run_cli(["--baseline", "base.json", "."], tmp_path).out


def test_writing_part_of_the_tree_keeps_the_rest(tmp_path, run_cli):
    (tmp_path / "a.py").write_bytes(BAD)
    (tmp_path / "b.py").write_bytes(BAD)
    assert run_cli(["--write-baseline", "base.json", "."], tmp_path).code == 0
    (tmp_path / "a.py").write_bytes(BAD.replace(b"ClientSession()", b"ClientSession(timeout=aiohttp.ClientTimeout(total=5))"))
    result = run_cli(["--write-baseline", "base.json", "a.py"], tmp_path)
    assert result.code == 0
    assert "Recorded 0 findings in base.json (and kept 1 for files not linted)." in result.err
    entries = json.loads((tmp_path / "base.json").read_text())["entries"]
    assert [e["path"] for e in entries] == ["b.py"]


def test_machine_formats_print_the_message_to_stderr(tmp_path, run_cli):
    (tmp_path / "a.py").write_bytes(BAD)
    assert run_cli(["--write-baseline", "base.json", "."], tmp_path).code == 0
    (tmp_path / "a.py").write_bytes(BAD + b"\n\nasync def g():\n    return aiohttp.ClientSession()\n")
    (tmp_path / "gone.py").write_bytes(b"")
    result = run_cli(["--baseline", "base.json", "--output-format", "json", "."], tmp_path)
    assert result.code == 1
    assert [item["location"]["row"] for item in json.loads(result.out)] == [8]
    (tmp_path / "a.py").write_bytes(b"")
    result = run_cli(["--baseline", "base.json", "--output-format", "json", "."], tmp_path)
    assert result.code == 0
    assert json.loads(result.out) == []
    assert "1 baselined finding no longer occurs" in result.err
    quiet = run_cli(["--baseline", "base.json", "-q", "."], tmp_path)
    assert quiet.out == "" and quiet.err == ""


def test_syntax_errors_are_never_baselined(tmp_path, run_cli):
    (tmp_path / "broken.py").write_bytes(b"import aiohttp\nasync def f(:\n    pass\n")
    written = run_cli(["--write-baseline", "base.json", "."], tmp_path)
    assert written.code == 0
    assert "not recorded in a baseline: broken.py:2:13: HNG001" in written.err
    assert json.loads((tmp_path / "base.json").read_text())["entries"] == []
    assert run_cli(["--baseline", "base.json", "."], tmp_path).code == 1


CONFIG = '[tool.asynclint]\nbaseline = "asynclint-baseline.json"\n'


def test_config_key_relative_to_the_config_file(tmp_path, run_cli):
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_bytes(BAD)
    missing = run_cli(["."], pkg)
    assert missing.code == 2
    assert "baseline file not found" in missing.err
    assert "--write-baseline" in missing.err
    # writing does not need the configured file to exist
    assert run_cli(["--write-baseline", "../asynclint-baseline.json", "."], pkg).code == 0
    assert (tmp_path / "asynclint-baseline.json").is_file()
    assert run_cli(["."], pkg).code == 0
    assert run_cli(["."], tmp_path).code == 0
    assert run_cli(["--no-baseline", "."], pkg).code == 1
    assert run_cli(["--isolated", "."], pkg).code == 1
    # --baseline overrides the configured file
    (tmp_path / "empty.json").write_text('{"version": 1, "entries": []}')
    assert run_cli(["--baseline", "../empty.json", "."], pkg).code == 1
    conflict = run_cli(["--baseline", "../empty.json", "--no-baseline", "."], pkg)
    assert conflict.code == 2


@pytest.mark.parametrize(
    "value, message",
    [
        ("3", "`baseline` must be the path of a baseline file"),
        ('""', "`baseline` must be the path of a baseline file"),
    ],
)
def test_bad_config_value(tmp_path, run_cli, value, message):
    (tmp_path / "pyproject.toml").write_text(f"[tool.asynclint]\nbaseline = {value}\n")
    (tmp_path / "a.py").write_bytes(BAD)
    result = run_cli(["."], tmp_path)
    assert result.code == 2
    assert message in result.err


@pytest.mark.parametrize(
    "content, message",
    [
        ("{", "not a valid asynclint baseline"),
        ("[]", "expected an object"),
        ('{"version": 99, "entries": []}', "unsupported version 99"),
        ('{"version": 1, "entries": [{"path": "a.py"}]}', "entry 1 needs string"),
        ('{"version": 1, "entries": [{"path": "a.py", "code": "HNG100", "fingerprint": "x", "count": 0}]}', "positive integer"),
        ("\xff", "not a valid asynclint baseline"),
    ],
)
def test_corrupt_baseline_is_an_error(tmp_path, run_cli, content, message):
    (tmp_path / "a.py").write_bytes(BAD)
    (tmp_path / "base.json").write_bytes(content.encode("latin-1"))
    result = run_cli(["--baseline", "base.json", "."], tmp_path)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


def test_missing_baseline_given_on_the_command_line(tmp_path, run_cli):
    (tmp_path / "a.py").write_bytes(BAD)
    result = run_cli(["--baseline", "nope.json", "."], tmp_path)
    assert result.code == 2
    assert "baseline file not found: nope.json" in result.err


def test_write_baseline_replaces_a_corrupt_file_and_refuses_unlintable_runs(tmp_path, run_cli):
    (tmp_path / "a.py").write_bytes(BAD)
    (tmp_path / "base.json").write_text("{")
    result = run_cli(["--write-baseline", "base.json", "."], tmp_path)
    assert result.code == 0
    assert "not a readable baseline; replaced it" in result.err
    assert json.loads((tmp_path / "base.json").read_text())["version"] == 1
    before = (tmp_path / "base.json").read_bytes()
    result = run_cli(["--write-baseline", "base.json", "a.py", "missing.py"], tmp_path)
    assert result.code == 2
    assert "baseline not written" in result.err
    assert (tmp_path / "base.json").read_bytes() == before
    assert run_cli(["--write-baseline", "base.json", "--diff", "."], tmp_path).code == 2


def test_stdin_with_a_baseline(tmp_path, run_cli):
    (tmp_path / "a.py").write_bytes(BAD)
    assert run_cli(["--write-baseline", "base.json", "."], tmp_path).code == 0
    result = run_cli(["--baseline", "base.json", "-", "--stdin-filename", "a.py"], tmp_path, stdin=BAD)
    assert result.code == 0, result.out
    new = BAD + b"\nasync def g():\n    return aiohttp.ClientSession()\n"
    result = run_cli(["--baseline", "base.json", "--output-format", "concise", "-", "--stdin-filename", "a.py"], tmp_path, stdin=new)
    assert result.code == 1
    assert concise(result)[0].startswith("a.py:7:12: HNG100")
