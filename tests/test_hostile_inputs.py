"""Hostile inputs, through the real command line: each has one expected result,
and none may crash asynclint, hang it, or make it write a file it cannot fix."""

from __future__ import annotations

import ast
import os
import signal
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

from asynclint import cli
from asynclint.config import Settings
from asynclint.runner import lint_paths
from conftest import BAD

CONCISE = ["--output-format", "concise", "--no-cache"]
SESSION = b"s = aiohttp.ClientSession()\n"  # HNG100, safely fixable


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def stamp(path: Path):
    return path.read_bytes(), path.stat().st_mtime_ns


def findings(out: str) -> List[str]:
    """``path:row:col: CODE`` of each concise line."""
    return [line.split(" ")[0] + " " + line.split(" ")[1] for line in out.splitlines() if ": HNG" in line]


# -- bytes the decoder or the parser refuses --------------------------------------
BYTE_LEVEL: Dict[str, bytes] = {
    # 0xff is not UTF-8: reported where it is, in characters ("é" is one)
    "undecodable.py": b'import aiohttp\nx = "\xc3\xa9\xff"\n' + SESSION,
    "nul.py": b"import aiohttp\nx = 1\x00\n" + SESSION,
    "unknown_cookie.py": b"# -*- coding: klingon -*-\nimport aiohttp\n" + SESSION,
}
EXPECTED = {
    "undecodable.py": ("undecodable.py:2:7: HNG001", "cannot decode as utf-8: invalid byte b'\\xff'"),
    "nul.py": ("nul.py:1:1: HNG001", "null bytes"),
    "unknown_cookie.py": ("unknown_cookie.py:1:1: HNG001", "unknown encoding: klingon"),
}


@pytest.mark.parametrize("name", sorted(BYTE_LEVEL))
def test_byte_level_hostile_file_is_hng001_and_never_written(tmp_path, run_cli, name):
    path = write(tmp_path / name, BYTE_LEVEL[name])
    os.utime(path, ns=(10**9, 10**9))
    before = stamp(path)
    result = run_cli([*CONCISE, name], tmp_path)
    where, detail = EXPECTED[name]
    assert result.code == 1, result.err
    assert findings(result.out) == [where]
    assert detail in result.out
    fixed = run_cli([*CONCISE, "--fix", "--unsafe-fixes", name], tmp_path)
    assert fixed.code == 1 and findings(fixed.out) == [where]
    assert stamp(path) == before


STDIN = {
    "undecodable": (BYTE_LEVEL["undecodable.py"], None),
    "nul": (BYTE_LEVEL["nul.py"], None),
    "unknown-cookie": (BYTE_LEVEL["unknown_cookie.py"], None),
    "clean-bom-crlf": (b"\xef\xbb\xbfimport aiohttp\r\nx = 1\r\n", None),
    "latin1": (b"# -*- coding: latin-1 -*-\nimport aiohttp\nx = '\xe9'\n" + SESSION, b"(timeout=aiohttp.ClientTimeout(total=30))"),
    "bom-crlf": (b"\xef\xbb\xbfimport aiohttp\r\n" + SESSION.replace(b"\n", b"\r\n"), b"(timeout=aiohttp.ClientTimeout(total=30))"),
}


@pytest.mark.parametrize("name", sorted(STDIN))
def test_stdin_fix_prints_the_input_bytes_back(tmp_path, name):
    """``asynclint - --fix`` prints the source back (editors replace their buffer
    with it): byte for byte when nothing was fixed, else in its own encoding."""
    import subprocess

    data, fix = STDIN[name]
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--no-cache", "--fix", "-", "--stdin-filename", "x.py"],
        input=data, capture_output=True, cwd=str(tmp_path), timeout=60,
    )
    assert proc.stdout == (data if fix is None else data.replace(b"()", fix)), proc.stderr


def test_latin1_cookie_on_utf8_bytes_is_read_as_latin1(tmp_path, run_cli):
    # Python itself reads these bytes as latin-1 ("Ã©"): so does asynclint,
    # and a fix writes latin-1 back, keeping every other byte as it was
    data = b'# -*- coding: latin-1 -*-\nimport aiohttp\nx = "\xc3\xa9"; ' + SESSION
    path = write(tmp_path / "mojibake.py", data)
    result = run_cli([*CONCISE, "mojibake.py"], tmp_path)
    assert result.code == 1
    assert findings(result.out) == ["mojibake.py:3:15: HNG100"]  # "Ã©" is two characters
    clean = write(tmp_path / "clean.py", b'# -*- coding: latin-1 -*-\nx = "\xc3\xa9"\n')
    os.utime(clean, ns=(10**9, 10**9))
    before = stamp(clean)
    assert run_cli([*CONCISE, "--fix", "."], tmp_path).code == 0
    assert stamp(clean) == before
    assert path.read_bytes() == data.replace(b"()", b"(timeout=aiohttp.ClientTimeout(total=30))")


def test_bom_and_crlf(tmp_path, run_cli):
    data = b"\xef\xbb\xbfimport aiohttp\r\n\r\n# donn\xc3\xa9es\r\n" + SESSION.replace(b"\n", b"\r\n")
    path = write(tmp_path / "bom.py", data)
    result = run_cli([*CONCISE, "bom.py"], tmp_path)
    assert result.code == 1
    assert findings(result.out) == ["bom.py:4:5: HNG100"]  # the BOM is not a column
    assert run_cli([*CONCISE, "--fix", "bom.py"], tmp_path).code == 0
    new = path.read_bytes()
    assert new == data.replace(b"()", b"(timeout=aiohttp.ClientTimeout(total=30))")
    assert new.startswith(b"\xef\xbb\xbf") and b"\n" not in new.replace(b"\r\n", b"")


def test_form_feed_and_unicode_line_separators_do_not_shift_lines(tmp_path, run_cli):
    # Python ends lines only at \n, \r\n and \r; str.splitlines also splits at
    # form feeds, U+2028, \x85...: noqa, columns and snippets must not drift
    data = (
        "import aiohttp\n\x0c\n# donn\u00e9es\u2028suite \x85 fin\n"
        's = aiohttp.ClientSession()  # noqa: HNG100\n'
        'x = "\u00e9\u2028"; t = aiohttp.ClientSession()\n'
    ).encode("utf-8")
    path = write(tmp_path / "ff.py", data)
    result = run_cli(["--no-cache", "--output-format", "full", "ff.py"], tmp_path)
    assert result.code == 1
    assert "ff.py:5:15: HNG100" in result.out
    assert '5 | x = "\u00e9\u2028"; t = aiohttp.ClientSession()\n  |' in result.out
    assert "^" * 23 + " HNG100" in result.out
    assert "ff.py:4:" not in result.out  # the noqa is read from the right line
    assert run_cli(["--no-cache", "--fix", "ff.py"], tmp_path).code == 0
    assert path.read_bytes() == data.replace(b"t = aiohttp.ClientSession()", b"t = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))")


def test_empty_file(tmp_path, run_cli):
    path = write(tmp_path / "empty.py", b"")
    result = run_cli(["--no-cache", "empty.py"], tmp_path)
    assert (result.code, result.out, result.err) == (0, "All checks passed!\n", "")
    assert run_cli(["--no-cache", "--fix", "empty.py"], tmp_path).code == 0
    assert path.read_bytes() == b""


def test_fifty_thousand_lines(tmp_path, run_cli):
    lines = ["import asyncio", "import aiohttp", ""]
    expected = []
    n = 0
    while len(lines) < 50_000:
        n += 1
        if n % 1000 == 0:
            lines += [f"async def fetch_{n}(url):", f"    # requête n° {n}", "    async with aiohttp.ClientSession() as s:"]
            expected.append(f"big.py:{len(lines)}:16: HNG100")
            lines += ["        return await s.get(url)", ""]
        else:
            lines += [f"async def handler_{n}(x):", f"    y = x + {n}", "    await asyncio.sleep(0)", "    return y", ""]
    write(tmp_path / "big.py", ("\n".join(lines) + "\n").encode("utf-8"))
    assert len(lines) >= 50_000 and len(expected) == 10
    started = time.monotonic()
    result = run_cli([*CONCISE, "big.py"], tmp_path)
    elapsed = time.monotonic() - started
    assert result.code == 1, result.err
    assert findings(result.out) == expected
    assert elapsed < 30, f"{elapsed:.1f} s for 50,000 lines"


# -- nesting deeper than Python's recursion limit ----------------------------------
# (HNG001 is reported for files a rule looks at: `import aiohttp` makes HNG100 look)
def test_deep_parentheses_are_hng001(tmp_path, run_cli):
    write(tmp_path / "parens.py", b"import aiohttp\nx = " + b"(" * 1000 + b")" * 1000 + b"\n")
    result = run_cli([*CONCISE, "parens.py"], tmp_path)
    assert result.code == 1, result.err
    assert [f.split(":")[1] + " " + f.split(" ")[1] for f in findings(result.out)] == ["2 HNG001"]
    assert "Traceback" not in result.err


def test_deep_operator_chains(tmp_path, run_cli):
    # 1,000 terms parse (no finding); 100,000 exceed the parser's recursion on
    # Python 3.10+ (HNG001), while 3.9's parser takes them (no finding)
    huge = b"import aiohttp\nx = " + b" + ".join([b"a"] * 100_000) + b"\n"
    write(tmp_path / "chain.py", b"import aiohttp\nx = " + b" + ".join([b"a"] * 1000) + b"\n")
    write(tmp_path / "chain_huge.py", huge)
    try:
        ast.parse(huge)
        expected = []
    except (RecursionError, MemoryError):
        expected = ["chain_huge.py:1:1: HNG001"]
    result = run_cli([*CONCISE, "chain.py", "chain_huge.py"], tmp_path)
    assert result.code == (1 if expected else 0), result.err
    assert findings(result.out) == expected
    assert ("too deeply nested to parse" in result.out) == bool(expected)
    assert "Traceback" not in result.err


def test_deep_nesting_in_a_rule_is_hng001_not_an_internal_error(tmp_path, run_cli):
    # parses, but a rule following the `.copy()` chain recurses past the limit
    source = (
        "import asyncio\n\n\nclass Worker:\n"
        "    def __init__(self):\n        self._tasks = set()\n"
        "        self._tasks.add(asyncio.create_task(self.run()))\n\n"
        "    async def run(self):\n        pass\n\n"
        "    def close(self):\n"
        f"        for t in self._tasks{'.copy()' * 1200}:\n"
        "            t.cancel()\n"
    )
    write(tmp_path / "deep.py", source.encode())
    result = run_cli([*CONCISE, "deep.py"], tmp_path)
    assert result.code == 1, result.err
    assert findings(result.out) == ["deep.py:7:25: HNG001"]  # the node the rule was checking
    assert "too deeply nested to analyse" in result.out


def test_fix_on_code_too_deep_for_libcst_leaves_it_alone(tmp_path, run_cli):
    data = b"import asyncio\n\n\nasync def f(a):\n    asyncio.create_task(g(" + b" + ".join([b"a"] * 600) + b"))\n"
    path = write(tmp_path / "deep.py", data)
    result = run_cli([*CONCISE, "--fix", "--unsafe-fixes", "deep.py"], tmp_path)
    assert result.code == 1, result.err
    assert findings(result.out) == ["deep.py:5:5: HNG202"]
    assert "Traceback" not in result.err
    assert path.read_bytes() == data


# -- syntax newer than the oldest supported Python ---------------------------------
PY312 = '''import aiohttp

type Handler = list[int]
type Pair[T] = tuple[T, T]


async def fetch[T](url: str, parse: T) -> T:
    async with aiohttp.ClientSession() as session:
        return parse(await session.get(url))


class Client[T: (str, bytes)]:
    async def open(self) -> None:
        self.session = aiohttp.ClientSession()


def label(items):
    return f"{", ".join(f"{x!r}" for x in items)}: {f"{f"{len(items)}"}"}"
'''


def test_python312_syntax(tmp_path, run_cli):
    """PEP 695 type parameters and aliases, PEP 701 f-strings: linted and fixed
    on 3.12+; a syntax error (HNG001) where the running Python cannot parse them."""
    path = write(tmp_path / "new.py", PY312.encode())
    result = run_cli([*CONCISE, "new.py"], tmp_path)
    assert result.code == 1, result.err
    if sys.version_info >= (3, 12):
        assert findings(result.out) == ["new.py:8:16: HNG100", "new.py:14:24: HNG100"]
        assert run_cli([*CONCISE, "--fix", "new.py"], tmp_path).code == 0
        assert path.read_text().count("ClientTimeout(total=30)") == 2
    else:
        assert findings(result.out) == ["new.py:3:6: HNG001"]


@pytest.mark.skipif(sys.version_info < (3, 14), reason="Python 3.14 syntax")
def test_python314_syntax(tmp_path, run_cli):
    # PEP 758 (except without parentheses) and PEP 750 (template strings)
    source = (
        "import aiohttp\n\n\nasync def f(name):\n"
        "    try:\n        greeting = t'hello {name}'\n"
        "    except ValueError, TypeError:\n        pass\n"
        "    return aiohttp.ClientSession()\n"
    )
    write(tmp_path / "new.py", source.encode())
    result = run_cli([*CONCISE, "new.py"], tmp_path)
    assert result.code == 1, result.err
    assert findings(result.out) == ["new.py:9:12: HNG100"]


# -- the file system ----------------------------------------------------------------
def test_directory_symlink_loop(tmp_path, run_cli):
    write(tmp_path / "pkg" / "a.py", BAD)
    (tmp_path / "pkg" / "sub").mkdir()
    (tmp_path / "pkg" / "sub" / "loop").symlink_to("..", target_is_directory=True)
    result = run_cli([*CONCISE, "pkg"], tmp_path)
    assert result.code == 1, result.err
    assert findings(result.out) == ["pkg/a.py:4:12: HNG100"]  # once


def test_unreadable_file_is_an_error_and_the_others_are_linted(tmp_path, run_cli):
    # root can read any mode, so: a symlink (inside the tree) to a file that is gone
    write(tmp_path / "pkg" / "a.py", BAD)
    (tmp_path / "pkg" / "bad.py").symlink_to("missing.py")
    result = run_cli([*CONCISE, "pkg"], tmp_path)
    assert result.code == 2
    assert findings(result.out) == ["pkg/a.py:4:12: HNG100"]
    assert "asynclint: error: pkg/bad.py: cannot read file: No such file or directory" in result.err


def test_fifo_named_py_does_not_hang(tmp_path, run_cli):
    write(tmp_path / "pkg" / "a.py", BAD)
    os.mkfifo(tmp_path / "pkg" / "pipe.py")

    def hung(signum, frame):
        raise TimeoutError("asynclint blocked on the FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        result = run_cli([*CONCISE, "pkg"], tmp_path)
        fixed = run_cli([*CONCISE, "--fix", "pkg"], tmp_path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert result.code == 1 and findings(result.out) == ["pkg/a.py:4:12: HNG100"]
    assert fixed.code == 0


HOSTILE_NAMES = [b"\xff\xfe.py", b"esc\x1bz.py", b"nl\nx.py", b"a&<>\"'.py", b"pct%2C,x:y.py", "\u00e9 \u00fc.py".encode()]


@pytest.mark.parametrize("fmt", ["full", "concise", "json", "json-lines", "github", "gitlab", "sarif", "junit"])
def test_hostile_file_names_in_every_format(tmp_path, fmt):
    """Names that are not UTF-8, or hold control or markup characters: every
    format prints them (no crash), and the structured ones stay parseable."""
    import json
    import subprocess
    import xml.dom.minidom

    for name in HOSTILE_NAMES:
        with open(os.path.join(os.fsencode(tmp_path), name), "wb") as handle:
            handle.write(BAD)
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--no-cache", "--output-format", fmt, "."],
        capture_output=True, cwd=str(tmp_path), timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},  # strict, as in a UTF-8 terminal
    )
    assert proc.returncode == 1, proc.stderr.decode("utf-8", "replace")
    assert proc.stderr == b""
    if fmt in ("json", "gitlab", "sarif"):
        assert len(json.loads(proc.stdout.decode("utf-8", "surrogateescape"))) > 0
    elif fmt == "json-lines":
        assert len([json.loads(line) for line in proc.stdout.splitlines()]) == len(HOSTILE_NAMES)
    elif fmt == "junit":
        assert len(xml.dom.minidom.parseString(proc.stdout).getElementsByTagName("failure")) == len(HOSTILE_NAMES)
    else:
        assert proc.stdout.count(b"HNG100") >= len(HOSTILE_NAMES)
        assert (b"file=\xff\xfe.py,line=4,col=12" if fmt == "github" else b"\xff\xfe.py:4:12: HNG100") in proc.stdout


def test_path_that_does_not_exist(tmp_path, run_cli):
    write(tmp_path / "a.py", BAD)
    result = run_cli([*CONCISE, "nope.py", "a.py"], tmp_path)
    assert result.code == 2
    assert findings(result.out) == ["a.py:4:12: HNG100"]
    assert "asynclint: error: nope.py: no such file or directory" in result.err


@pytest.mark.parametrize("fix", [False, True], ids=["lint", "fix"])
def test_file_deleted_between_discovery_and_reading(tmp_path, monkeypatch, capsys, fix):
    from asynclint.discovery import Discovery

    write(tmp_path / "a.py", BAD)
    gone = write(tmp_path / "gone.py", BAD)
    found = Discovery.files

    def files_then_delete(self, paths):
        out = found(self, paths)
        gone.unlink()
        return out

    monkeypatch.setattr(Discovery, "files", files_then_delete)
    monkeypatch.chdir(tmp_path)
    code = cli.main([*CONCISE, *(["--fix"] if fix else []), "."])
    out, err = capsys.readouterr()
    assert code == 2
    assert findings(out) == ([] if fix else ["a.py:4:12: HNG100"])
    assert "asynclint: error: gone.py: cannot read file: No such file or directory" in err


def test_runner_reports_a_vanished_path(tmp_path):
    write(tmp_path / "a.py", BAD)
    found, errors = lint_paths([str(tmp_path / "a.py"), str(tmp_path / "gone.py")], Settings(), jobs=1)
    assert [(f.row, f.code) for f in found] == [(4, "HNG100")]
    assert errors == [f"{tmp_path / 'gone.py'}: cannot read file: No such file or directory"]


@pytest.mark.parametrize("name", ["pyproject.toml", "asynclint.toml"])
def test_invalid_toml_config(tmp_path, run_cli, name):
    write(tmp_path / name, b"[tool.asynclint\nselect = [\n")
    write(tmp_path / "a.py", BAD)
    result = run_cli(["a.py"], tmp_path)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(f"asynclint: error: {tmp_path / name}: invalid TOML: ")
    assert "Traceback" not in result.err


CORRUPT_CACHES = {
    "not-json": lambda raw: "{",
    "files-a-list": lambda raw: {**raw, "files": []},
    "entry-too-short": lambda raw: {**raw, "files": {p: e[:2] for p, e in raw["files"].items()}},
    "size-a-string": lambda raw: {**raw, "files": {p: ["66", *e[1:]] for p, e in raw["files"].items()}},
    "findings-a-string": lambda raw: {**raw, "files": {p: [*e[:3], "x"] for p, e in raw["files"].items()}},
    "unknown-finding-key": lambda raw: {**raw, "files": {p: [*e[:3], [{"bogus": 1}]] for p, e in raw["files"].items()}},
    "row-a-string": lambda raw: {**raw, "files": {p: [*e[:3], [{**f, "row": "4"} for f in e[3]]] for p, e in raw["files"].items()}},
}


@pytest.mark.parametrize("variant", sorted(CORRUPT_CACHES))
def test_corrupt_cache_is_ignored(tmp_path, run_cli, variant):
    import json

    path = write(tmp_path / "a.py", BAD)
    os.utime(path, ns=(10**9, 10**9))  # old: the cache trusts its stat
    first = run_cli(["--output-format", "concise", "a.py"], tmp_path)
    (cache,) = (tmp_path / ".asynclint_cache").glob("*.json")
    raw = json.loads(cache.read_text())
    assert raw["files"] and all(e[3] for e in raw["files"].values())
    corrupt = CORRUPT_CACHES[variant](raw)
    cache.write_text(corrupt if isinstance(corrupt, str) else json.dumps(corrupt))
    again = run_cli(["--output-format", "concise", "a.py"], tmp_path)
    assert (again.code, again.out, again.err) == (first.code, first.out, first.err)
    assert findings(again.out) == ["a.py:4:12: HNG100"]


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400", "0", "-1", "true", '"30"'])
def test_fix_timeout_must_be_a_finite_positive_number(tmp_path, run_cli, value):
    write(tmp_path / "pyproject.toml", f"[tool.asynclint]\nfix-timeout = {value}\n".encode())
    path = write(tmp_path / "a.py", BAD)
    result = run_cli(["--no-cache", "--fix", "a.py"], tmp_path)
    assert result.code == 2
    assert "`fix-timeout` must be a positive number of seconds" in result.err
    assert path.read_bytes() == BAD  # never `total=inf`


# -- a rule that fails ----------------------------------------------------------------
def test_failing_rule_is_hng002_and_the_other_findings_stand(tmp_path, monkeypatch, capsys):
    from asynclint.rules.http_timeouts import AiohttpSessionWithoutTimeout

    write(
        tmp_path / "bad.py",
        b"import asyncio\nimport aiohttp\n\n\nasync def f():\n"
        b"    asyncio.create_task(g())\n    return aiohttp.ClientSession()\n",
    )
    write(tmp_path / "good.py", BAD)
    check = AiohttpSessionWithoutTimeout.check

    def failing(self, node, ctx):
        if ctx.path.endswith("bad.py"):
            raise KeyError("no such scope")
        return check(self, node, ctx)

    monkeypatch.setattr(AiohttpSessionWithoutTimeout, "check", failing)
    monkeypatch.chdir(tmp_path)
    code = cli.main([*CONCISE, "--jobs", "1", "."])
    out, err = capsys.readouterr()
    assert code == 2
    assert findings(out) == ["bad.py:6:5: HNG002", "bad.py:6:5: HNG202", "good.py:4:12: HNG100"]
    assert (
        "bad.py:6:5: HNG002 Internal error in HNG100 (aiohttp-session-without-timeout): KeyError: 'no such scope'"
        in out
    )


# -- never run the code, never write outside the paths given -------------------------
MARKER_CODE = "open({marker!r}, 'w').write('ran')\nimport asyncio\nimport aiohttp\n\n\nasync def f():\n    asyncio.create_task(g())\n    return aiohttp.ClientSession()\n"


def test_linted_code_is_never_run(tmp_path, run_cli):
    marker = tmp_path / "MARKER"
    pkg = tmp_path / "pkg"
    for name in ("mod.py", "__init__.py", "conftest.py", "setup.py", "aiohttp.py", "asyncio.py", "stub.pyi"):
        write(pkg / name, MARKER_CODE.format(marker=str(marker)).encode())
    write(pkg / "pyproject.toml", b"[tool.asynclint]\nselect = ['ALL']\n")
    result = run_cli([*CONCISE, "pkg"], tmp_path)
    assert result.code == 1, result.err
    fixed = run_cli([*CONCISE, "--fix", "--unsafe-fixes", "pkg"], tmp_path)
    assert fixed.code == 0, fixed.out + fixed.err
    assert b"ClientTimeout" in (pkg / "mod.py").read_bytes()
    assert not marker.exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_fix_keeps_the_owner(tmp_path, run_cli):
    path = write(tmp_path / "theirs.py", BAD)
    os.chown(path, 1234, 2345)
    assert run_cli(["--no-cache", "--fix", "theirs.py"], tmp_path).code == 0
    info = path.stat()
    assert b"ClientTimeout" in path.read_bytes() and (info.st_uid, info.st_gid) == (1234, 2345)


def test_fix_keeps_hard_links(tmp_path, run_cli):
    path = write(tmp_path / "a.py", BAD)
    other = tmp_path / "same_file.txt"
    os.link(path, other)
    assert run_cli(["--no-cache", "--fix", "a.py"], tmp_path).code == 0
    assert b"ClientTimeout" in other.read_bytes()
    assert path.stat().st_ino == other.stat().st_ino
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".asynclint-")] == []


def test_fix_never_writes_outside_the_paths_given(tmp_path, run_cli):
    inside = tmp_path / "project" / "src"
    outside = tmp_path / "project" / "other.py"
    elsewhere = tmp_path / "elsewhere"
    write(inside / "a.py", BAD)
    for path in (outside, elsewhere / "lib" / "b.py", elsewhere / "c.py"):
        write(path, BAD)
    # links out of the folder: neither followed nor written through
    (inside / "linked_dir").symlink_to(elsewhere / "lib", target_is_directory=True)
    (inside / "linked.py").symlink_to(elsewhere / "c.py")
    (inside / "parent.py").symlink_to(outside)
    watched = [outside, elsewhere / "lib" / "b.py", elsewhere / "c.py"]
    for path in watched:
        os.utime(path, ns=(10**9, 10**9))
    before = {p: stamp(p) for p in watched}
    result = run_cli([*CONCISE, "--fix", "--unsafe-fixes", "project/src"], tmp_path)
    assert result.code == 0, result.out + result.err
    assert b"ClientTimeout" in (inside / "a.py").read_bytes()
    assert {p: stamp(p) for p in watched} == before
    assert sorted(p.name for p in tmp_path.rglob("*") if p.name.startswith(".asynclint-")) == []
