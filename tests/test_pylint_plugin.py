"""The real pylint executable, with asynclint's plugin, and the asynclint CLI agree.

How the two differ, and how the comparison accounts for it:

- ``# noqa`` comments: the CLI honours them, pylint does not (in pylint mode
  suppression is ``# pylint: disable=...``). The CLI is therefore also run on
  a copy of the fixtures in which every inline ``# noqa`` is neutralised
  (same length, so no position moves); pylint must match THAT run exactly,
  and every finding the plain CLI run lacks must be one that a ``# noqa``
  comment on its line suppresses, as asynclint's own noqa reader decides.
  The file-level ``# asynclint: noqa`` comments are honoured by both and
  stay in the copy.
- HNG001 (unparsable file): pylint parses each file before any plugin runs
  and reports a file it cannot parse itself, as ``syntax-error`` (E0001); the
  plugin never sees it. So pylint's E0001 is counted as HNG001. Both come from
  the same Python parser and land on the same line (pylint's column counts
  differently, so HNG001 is compared by line only).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

import pytest

pytest.importorskip("pylint")

from asynclint import noqa  # noqa: E402
from asynclint.pylint_plugin import code_for, message_table, msgid_for, symbol_for  # noqa: E402
from asynclint.registry import all_rules  # noqa: E402
from fixture_expectations import FIXTURES, ROOT, expected, fixture_files, selected_codes  # noqa: E402

Key = Tuple[str, int, str]  # (path, line, code)
SYMBOLS = ",".join(symbol for _, _, symbol in message_table())
CLI_LINE = re.compile(r"^(?P<path>.+?):(?P<row>\d+):(?P<col>\d+): (?P<code>HNG\d{3}) ")
INLINE_NOQA = re.compile(r"# noqa", re.IGNORECASE)  # what asynclint.noqa.NOQA_INLINE starts with


def _pylint(paths: Iterable[str], *extra: str, cwd: Path = ROOT, only_ours: bool = True) -> Dict[Key, int]:
    """(path, line, code) -> 1-based column, from one run of the real pylint."""
    selection = ["--disable=all", f"--enable={SYMBOLS},syntax-error"] if only_ours else []
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pylint",
            "--load-plugins=asynclint.pylint_plugin",
            "--persistent=n",
            "--score=n",
            "--output-format=json",
            *selection,
            *extra,
            *paths,
        ],
        cwd=str(cwd),
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode & 1 == 0, f"pylint fatal error\n{proc.stdout}\n{proc.stderr}"  # bit 1: fatal
    out: Dict[Key, int] = {}
    for item in json.loads(proc.stdout):
        msgid = item["message-id"]
        if msgid == "E0001":
            code = "HNG001"
        elif msgid.startswith("W7"):
            code = code_for(msgid)
        else:
            assert not only_ours, item
            continue
        out[(os.path.normpath(item["path"]), item["line"], code)] = item["column"] + 1
    return out


def _cli(paths: Iterable[str], cwd: Path = ROOT) -> Dict[Key, int]:
    """(path, line, code) -> column, from the asynclint command line."""
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--isolated", "--output-format", "concise", *paths],
        cwd=str(cwd),
        capture_output=True,
        text=True,
    )
    assert proc.returncode in (0, 1), proc.stderr
    out: Dict[Key, int] = {}
    for line in proc.stdout.splitlines():
        match = CLI_LINE.match(line)
        if match:
            key = (os.path.normpath(match["path"]), int(match["row"]), match["code"])
            out[key] = int(match["col"])
    return out


def _neutralised_copy(paths: List[str], dest: Path) -> None:
    """Copy the files to ``dest`` (same relative paths) with every inline ``# noqa`` disabled."""
    for rel in paths:
        text = (ROOT / rel).read_bytes().decode("utf-8")
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(INLINE_NOQA.sub("# n0qa", text).encode("utf-8"))


def _suppressed_by_noqa(key: Key) -> bool:
    path, row, code = key
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines(keepends=True)
    lo, hi = noqa.line_ranges(lines).get(row, (row, row))
    return noqa.is_suppressed(code, "".join(lines[lo - 1:hi]))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    paths = [str(p.relative_to(ROOT)) for p in fixture_files()]
    copy = tmp_path_factory.mktemp("no_noqa")
    _neutralised_copy(paths, copy)
    return _pylint(paths), _cli(paths), _cli(paths, cwd=copy)


def _diff(a: Set[Key], b: Set[Key]) -> str:
    return f"only pylint: {sorted(a - b)}\nonly CLI: {sorted(b - a)}"


def test_pylint_matches_the_cli_with_noqa_disabled(runs):
    pylint, _, cli_without_noqa = runs
    assert cli_without_noqa, "the fixtures have findings"
    assert set(pylint) == set(cli_without_noqa), _diff(set(pylint), set(cli_without_noqa))
    columns = {k: (pylint[k], cli_without_noqa[k]) for k in pylint if k[2] != "HNG001"}
    assert all(p == c for p, c in columns.values()), {k: v for k, v in columns.items() if v[0] != v[1]}


def test_pylint_and_cli_differ_only_by_noqa(runs):
    pylint, cli, _ = runs
    assert set(cli) <= set(pylint), _diff(set(pylint), set(cli))
    unexplained = [k for k in set(pylint) - set(cli) if not _suppressed_by_noqa(k)]
    assert not unexplained, unexplained


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_pylint_meets_fixture_expectations(runs, path):
    pylint, _, _ = runs
    rel = str(path.relative_to(ROOT))
    codes = selected_codes(path)
    got = {(row, code) for p, row, code in pylint if p == rel and code in codes}
    want = {(row, code) for row, code in expected(path) if code in codes}
    assert got == want


def test_whole_pylint_on_the_incident_app_reports_what_asynclint_does():
    """``pylint --load-plugins=asynclint.pylint_plugin fixtures/incident_app``, every checker on."""
    app = "fixtures/incident_app"
    pylint = _pylint([app], only_ours=False)
    cli = _cli([app])
    assert cli
    assert set(pylint) == set(cli), _diff(set(pylint), set(cli))


def test_pylint_suppression_is_pylints(tmp_path):
    src = tmp_path / "svc.py"
    src.write_text(
        "import aiohttp\n"
        "\n"
        "\n"
        "async def handler():\n"
        "    a = aiohttp.ClientSession()  # pylint: disable=aiohttp-session-without-timeout\n"
        "    b = aiohttp.ClientSession()  # pylint: disable=W7100\n"
        "    c = aiohttp.ClientSession()  # noqa: HNG100\n"
        "    d = aiohttp.ClientSession()\n"
        "    # pylint: disable-next=asynclint\n"
        "    e = aiohttp.ClientSession()\n"
        "    return a, b, c, d, e\n",
        encoding="utf-8",
    )
    whole = tmp_path / "whole.py"
    whole.write_text("# asynclint: noqa: HNG1\nimport aiohttp\n\naiohttp.ClientSession()\n", encoding="utf-8")
    got = _pylint(["svc.py", "whole.py"], cwd=tmp_path)
    # `# noqa` is not pylint's comment: line 7 is still reported
    assert set(got) == {("svc.py", 7, "HNG100"), ("svc.py", 8, "HNG100")}
    # and the CLI reads `# noqa`, not pylint's comments
    assert set(_cli(["svc.py"], cwd=tmp_path)) == {("svc.py", row, "HNG100") for row in (5, 6, 8, 10)}


def test_disabling_a_symbol_on_the_command_line(tmp_path):
    src = tmp_path / "svc.py"
    src.write_text(
        "import aiohttp\nimport asyncio\n\n\nasync def f():\n    asyncio.create_task(f())\n    return aiohttp.ClientSession()\n"
    )
    got = _pylint(["svc.py"], "--disable=aiohttp-session-without-timeout", cwd=tmp_path)
    assert set(got) == {("svc.py", 6, "HNG202")}


def test_unparsable_file_is_pylints_syntax_error(tmp_path):
    (tmp_path / "broken.py").write_text("import aiohttp\n\n\nasync def f(:\n    pass\n")
    got = _pylint(["broken.py"], cwd=tmp_path)
    assert set(got) == {("broken.py", 4, "HNG001")} == set(_cli(["broken.py"], cwd=tmp_path))


def test_parallel_pylint_reports_the_same(tmp_path):
    paths = ["fixtures/HNG2xx.py", "fixtures/HNG3xx.py", "fixtures/incident_app/app/db.py"]
    assert _pylint(paths, "--jobs=2") == _pylint(paths)


def test_tool_asynclint_rule_settings_are_read(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.asynclint]\nextend-blocking-calls = ["mylib.fetch_sync"]\n')
    (tmp_path / "svc.py").write_text("import mylib\n\n\nasync def f():\n    return mylib.fetch_sync()\n")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "pyproject.toml").write_text('[tool.asynclint]\nfix-timeout = "soon"\n')
    (bad / "svc.py").write_text("x = 1\n")
    got = _pylint(["svc.py", os.path.join("bad", "svc.py")], cwd=tmp_path)
    assert set(got) == {("svc.py", 5, "HNG110"), (os.path.join("bad", "svc.py"), 1, "HNG002")}


# -- the message table -----------------------------------------------------


def _pylint_own_messages():
    """(symbols, checker ids) of pylint's checkers and all its bundled extensions."""
    import pkgutil

    import pylint.extensions
    from pylint import checkers
    from pylint.lint import PyLinter

    linter = PyLinter()
    checkers.initialize(linter)
    for info in pkgutil.iter_modules(pylint.extensions.__path__):
        if not info.name.startswith("_"):
            linter.load_plugin_modules([f"pylint.extensions.{info.name}"])
    symbols = {m.symbol for m in linter.msgs_store.messages}
    ids = {msgid[1:3] for c in linter.get_checkers() for msgid in c.msgs}
    return symbols, ids


def test_one_message_per_rule_with_readable_unique_ids():
    table = message_table()
    assert [code for code, _, _ in table] == list(all_rules())
    assert {"HNG001", "HNG002"} <= {code for code, _, _ in table}
    for code, msgid, symbol in table:
        assert msgid == "W7" + code[3:] and code_for(msgid) == code
        assert symbol in (all_rules()[code].name, "asynclint-" + all_rules()[code].name)
    assert len({m for _, m, _ in table}) == len({s for _, _, s in table}) == len(table)


def test_ids_and_symbols_do_not_clash_with_pylints_own():
    symbols, ids = _pylint_own_messages()
    ours = message_table()
    assert not {s for _, _, s in ours} & symbols
    assert not {m[1:3] for _, m, _ in ours} & ids
    # a slug is renamed only when pylint already has it
    renamed = {code for code, _, s in ours if s != all_rules()[code].name}
    assert renamed == {code for code in all_rules() if all_rules()[code].name in symbols}


def test_docs_list_every_message():
    text = (ROOT / "docs" / "pylint.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| \[?(HNG\d{3})\]?[^|]* \| `(W\d{4})` \| `([a-z0-9-]+)` \|", text, re.M))
    assert rows == set(message_table())
    assert msgid_for("HNG100") == "W7100" and symbol_for("HNG100") == "aiohttp-session-without-timeout"
