"""Properties that hold for any input: no crash, positions inside the file,
fixes that parse, are idempotent and remove what they fixed, clean files never
written, and the same output whatever the job count or cache state."""

from __future__ import annotations

import ast
import json
import keyword
import os
import re
from collections import Counter
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asynclint import cli
from asynclint.config import Settings
from asynclint.engine import SourceError, decode, lint_bytes, lint_text, source_lines
from asynclint.fixes import parses
from asynclint.fixes.runner import fix_text
from asynclint.rule import Finding
from asynclint.runner import Cache, lint_paths
from conftest import BAD, GOOD

ALL = Settings()
PY311 = Settings(target_version=(3, 11))  # the HNG203 fix (asyncio.timeout) needs 3.11
# hypothesmith compiles what it generates, and Python warns about some of it
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
RELAXED = dict(deadline=None, suppress_health_check=list(HealthCheck))


def assert_inside(text: str, findings: Sequence[Finding]) -> None:
    """Every finding's range lies inside ``text``: rows within the line count,
    columns within the line's length + 1 (an end column is exclusive)."""
    lines = [line.rstrip("\r\n") for line in source_lines(text)] or [""]
    for f in findings:
        end_row = f.end_row or f.row
        end_col = f.end_col or f.col
        assert 1 <= f.row <= end_row <= len(lines), (f, len(lines))
        assert 1 <= f.col <= len(lines[f.row - 1]) + 1, (f, lines[f.row - 1])
        assert 1 <= end_col <= len(lines[end_row - 1]) + 1, (f, lines[end_row - 1])
        if end_row == f.row:
            assert f.col <= end_col, f


# -- any program -------------------------------------------------------------
# the prefix makes the prefilter pass and gives the rules names to resolve
PREFIXES = ["", "import asyncio, aiohttp, asyncpg\n", "import asyncio\nfrom fastapi import BackgroundTasks\n"]


def _lint_any(prefix: str, program: str) -> None:
    source = prefix + program
    findings = lint_text(source, "generated.py", ALL)
    assert_inside(source, findings)
    assert not [f for f in findings if f.code == "HNG002"], findings
    data = source.encode("utf-8", "surrogatepass")
    raw = lint_bytes(data, "generated.py", ALL, prefilter=False)
    try:
        text = decode(data)  # a leading U+FEFF is a BOM in bytes
    except SourceError:
        assert [f.code for f in raw] == ["HNG001"]
        return
    assert_inside(text, raw)
    assert raw == lint_text(text, "generated.py", ALL)


@pytest.mark.slow
@settings(max_examples=100, **RELAXED)
@given(prefix=st.sampled_from(PREFIXES), program=hypothesmith.from_grammar())
def test_any_grammar_program_lints_inside_the_file(prefix, program):
    _lint_any(prefix, program)


@pytest.mark.slow
@settings(max_examples=100, **RELAXED)
@given(prefix=st.sampled_from(PREFIXES), program=hypothesmith.from_node())
def test_any_node_program_lints_inside_the_file(prefix, program):
    _lint_any(prefix, program)


BROKEN_BASE = (
    'import asyncio\n"""doc: é"""\nasync def f(x):\n'
    '    t = asyncio.create_task(g(x, """a\nb"""))\n    return (1,\n        2)\r\n\x0c\n'
    "class C:\n    def m(self):\n        pass\n"
)


@settings(max_examples=300, **RELAXED)
@given(
    data=st.data(),
    insert=st.text(alphabet=st.sampled_from(list("()[]{}'\"\\\n\r\t\x0c :#=é\x00\ufeffab1.")), max_size=5),
)
def test_broken_programs_report_inside_the_file(data, insert):
    start = data.draw(st.integers(0, len(BROKEN_BASE)))
    end = data.draw(st.integers(start, min(len(BROKEN_BASE), start + 6)))
    _lint_any("", BROKEN_BASE[:start] + insert + BROKEN_BASE[end:])


BYTE_BASES = [
    b'# -*- coding: latin-1 -*-\nimport aiohttp\nx = "\xe9"\ns = aiohttp.ClientSession()\n',
    b'\xef\xbb\xbfimport aiohttp\r\nx = "\xc3\xa9"\r\ns = aiohttp.ClientSession()\r\n',
    b'import aiohttp\rx = "\xc3\xa9"\rasync def f():\r    s = aiohttp.ClientSession()\r',
    b"#!/usr/bin/env python\n# vim: set fileencoding=utf-8 :\nimport aiohttp\n\x0c\ns = aiohttp.ClientSession()  # noqa\n",
]


@settings(max_examples=300, **RELAXED)
@given(base=st.sampled_from(BYTE_BASES), data=st.data())
def test_broken_bytes_report_inside_the_file(base, data):
    start = data.draw(st.integers(0, len(base)))
    end = data.draw(st.integers(start, min(len(base), start + 4)))
    insert = data.draw(st.binary(max_size=4) | st.sampled_from([b"\xff", b"\x00", b"\xc3", b"\r", b"\xef\xbb\xbf", b'"""', b"\\"]))
    raw = base[:start] + insert + base[end:]
    findings = lint_bytes(raw, "x.py", ALL, prefilter=False)
    try:
        text = decode(raw)
    except SourceError:  # positions count characters of the line as far as it decodes
        assert [f.code for f in findings] == ["HNG001"]
        text = raw.decode("latin-1")
    assert_inside(text, findings)


# -- programs built from the fixture shapes ----------------------------------
RESERVED = {
    "asyncio", "aiohttp", "asyncpg", "fastapi", "sqlalchemy", "select", "self", "print",
    "BackgroundTasks", "Model", "lock", "items", "flag", "work", "payload", "after",
    "task", "_background_tasks", "set", "list", "dict", "str", "int", "object", "type",
}  # fmt: skip
IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True) | st.from_regex(r"[a-zé][a-zé0-9]{0,5}é", fullmatch=True)
IDENT = IDENT.filter(lambda s: not keyword.iskeyword(s) and s not in RESERVED and not s.startswith("task"))
NON_ASCII = ["données « test »", "naïve — ok", "日本語", "emoji 🎉", "ligne\u2028séparée", "page\x0csuivante\x85"]
CODES = ["HNG100", "HNG102", "HNG103", "HNG202", "HNG203", "HNG400", "HNG400-orm"]


@st.composite
def call(draw, func: str, args: List[str]) -> str:
    """``func(args)`` on one line, or one argument per line with a trailing comma and comments."""
    style = draw(st.sampled_from(["inline", "lines", "lines-comment", "hanging"]))
    if style == "inline" or not args:
        return f"{func}({', '.join(args)})"
    if style == "hanging":
        return f"{func}({args[0]},\n" + "".join(f"    {arg},\n" for arg in args[1:]) + ")"
    comment = "  # réglage" if style == "lines-comment" else ""
    inner = "".join(f"    {arg},{comment if i == 0 else ''}\n" for i, arg in enumerate(args))
    return f"{func}(\n{inner})"


def _indent(lines: List[str], depth: int = 1) -> List[str]:
    pad = "    " * depth
    return [pad + line if line.strip() else line for line in lines]


def _split(text: str) -> List[str]:
    return text.split("\n")


@st.composite
def shape(draw, code: str, names: List[str], clean: bool) -> Tuple[str, List[str], List[str], List[str], List[str], bool]:
    """(code, imports, module definitions, parameters, body lines, fix expected).

    ``clean``: the look-alike that must not be reported. ``names``: four
    fresh identifiers.
    """
    alias, var, other, param = names
    imports: List[str] = []
    defs: List[str] = []
    params: List[str] = []
    fixable = True
    if code == "HNG100":
        how = draw(st.sampled_from(["plain", "module-alias", "name-alias"]))
        if how == "plain":
            imports.append("import aiohttp")
            func = "aiohttp.ClientSession"
        elif how == "module-alias":
            imports.append(f"import aiohttp as {alias}")
            func = f"{alias}.ClientSession"
        else:
            imports.append(f"from aiohttp import ClientSession as {alias}")
            func = alias
        args = draw(st.lists(st.sampled_from(["headers={'X': 'é'}", "raise_for_status=True", "trust_env=True"]), unique=True, max_size=2))
        if clean:
            imports.append("import aiohttp")
            args.append("timeout=aiohttp.ClientTimeout(total=10)")
        expr = draw(call(func, args))
        form = draw(st.sampled_from(["assign", "async-with", "return", "argument"]))
        if form == "assign":
            body = _split(f"{var} = {expr}") + [f"await {var}.close()"]
        elif form == "async-with":
            body = _split(f"async with {expr} as {var}:") + ["    pass"]
        elif form == "return":
            body = ["if flag:"] + _indent(_split(f"return {expr}"))
        else:
            body = _split(f"{var} = print({expr}, 'é')")
    elif code == "HNG102":
        how = draw(st.sampled_from(["plain", "module-alias", "name-alias"]))
        imports.append({"plain": "import asyncpg", "module-alias": f"import asyncpg as {alias}", "name-alias": f"from asyncpg import create_pool as {alias}"}[how])
        func = {"plain": "asyncpg.create_pool", "module-alias": f"{alias}.create_pool", "name-alias": alias}[how]
        args = ["'postgresql://db/é'"] + draw(st.lists(st.sampled_from(["min_size=1", "max_size=5", "timeout=10", "command_timeout=60"]), unique=True, max_size=2))
        if clean:
            args += [a for a in ("timeout=10", "command_timeout=60") if a not in args]
        elif "timeout=10" in args and "command_timeout=60" in args:
            args.remove("timeout=10")
        body = _split(f"{var} = await {draw(call(func, args))}") + [f"await {var}.close()"]
    elif code == "HNG103":
        how = draw(st.sampled_from(["plain", "module-alias"]))
        imports.append("import asyncpg" if how == "plain" else f"import asyncpg as {alias}")
        params.append(f"{param}: {'asyncpg' if how == 'plain' else alias}.Pool")
        acquire = draw(call(f"{param}.acquire", ["timeout=5"] if clean else []))
        if draw(st.booleans()):
            body = _split(f"async with {acquire} as {other}:") + [f"    await {other}.execute('SELECT 1')"]
        else:
            body = _split(f"{other} = await {acquire}") + [
                "try:", f"    await {other}.execute('SELECT 1')", "finally:", f"    await {param}.release({other})"
            ]
    elif code == "HNG202":
        how = draw(st.sampled_from(["plain", "module-alias", "name-alias"]))
        imports.append({"plain": "import asyncio", "module-alias": f"import asyncio as {alias}", "name-alias": f"from asyncio import create_task as {alias}"}[how])
        func = {"plain": "asyncio.create_task", "module-alias": f"{alias}.create_task", "name-alias": alias}[how]
        defs.append("async def work(*args):\n    return args")
        expr = draw(call(func, [draw(call("work", draw(st.lists(st.sampled_from(["1", "'é'", "payload"]), max_size=2))))]))
        if clean:
            body = _split(f"{var} = {expr}") + [f"await {var}"]
        else:
            form = draw(st.sampled_from(["expr", "underscore", "comment", "semicolon"]))
            if form == "expr":
                body = _split(expr)
            elif form == "underscore":
                body = _split(f"_ = {expr}")
            elif form == "comment":
                body = _split(f"{expr}  # fire and forget, « vite »")
            else:
                body = _split(f"{expr}; after = 1")
                fixable = False  # the fix needs the call alone in its statement line
    elif code == "HNG203":
        imports += ["import asyncio", "from fastapi import BackgroundTasks"]
        job = [f"async def {alias}(delay):"]
        if draw(st.booleans()):
            job.append('    """Le travail « lent »."""')
        if clean:
            job += ["    async with asyncio.timeout(30):", "        await asyncio.sleep(delay)"]
        else:
            job += ["    await asyncio.sleep(delay)", "    return delay"]
        params.append(f"{param}: BackgroundTasks")
        body = _split(draw(call(f"{param}.add_task", [alias, "1"])))
        if draw(st.booleans()):
            defs.append("\n".join(job))
        else:
            body = job + body  # a coroutine nested in the endpoint
    elif code == "HNG400":
        imports.append("import asyncpg")
        params.append(f"{param}: asyncpg.Connection")
        clause = draw(st.sampled_from(["FOR UPDATE", "for update", "FOR NO KEY UPDATE", "FOR SHARE", "FOR UPDATE OF t", "FOR KEY SHARE"]))
        if clean:
            clause += draw(st.sampled_from([" NOWAIT", " SKIP LOCKED", " nowait"]))
        form = draw(st.sampled_from(["one", "implicit", "triple", "plus", "fstring", "comment-before"]))
        if form == "one":
            sql = f'"SELECT * FROM t WHERE id = $1 {clause}"'
        elif form == "implicit":
            sql = f'(\n    "SELECT * FROM t "  # é\n    "WHERE id = $1 {clause}"\n)'
        elif form == "triple":
            sql = f'"""\n    SELECT *\n      FROM t\n     WHERE id = $1\n       {clause}\n"""'
        elif form == "plus":
            sql = f'"SELECT * FROM " + {other!r} + " WHERE id = $1 {clause}"'
        elif form == "fstring":
            sql = f'f"SELECT * FROM {{{param}!s}} WHERE id = $1 {clause}"'
        else:
            sql = f'"SELECT * FROM t -- FOR UPDATE\\n WHERE id = $1 {clause}"'
        body = _split(f"{var} = await {draw(call(f'{param}.fetchrow', [sql, '1']))}")
    else:  # HNG400 with SQLAlchemy's .with_for_update()
        imports.append("from sqlalchemy import select")
        defs.append("class Model:\n    id = 0")
        option = "nowait=True" if clean else draw(st.sampled_from(["", "read=True", "nowait=False"]))
        if draw(st.booleans()):
            body = [f"{var} = select(Model).where(Model.id == 1).with_for_update({option})"]
        else:
            body = [f"{var} = (", "    select(Model)", "    .where(Model.id == 1)  # é", f"    .with_for_update({option})", ")"]
        code = "HNG400"
    return code, imports, defs, params, body, fixable


@st.composite
def program(draw, clean: bool = False) -> Tuple[str, List[Tuple[str, bool]]]:
    """(source, [(expected code, whether its fix must apply)])."""
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3))
    names = draw(st.lists(IDENT, min_size=4 * len(codes) + 4, max_size=4 * len(codes) + 4, unique=True))
    imports: List[str] = []
    defs: List[str] = []
    params: List[str] = []
    body: List[str] = []
    expected = []
    for i, code in enumerate(codes):
        code, more_imports, more_defs, more_params, lines, fixable = draw(shape(code, names[4 * i + 4 : 4 * i + 8], clean))
        # non-ASCII text before the node: a comment line, or a statement on the same line
        before = draw(st.sampled_from(["none", "comment", "string", "same-line"]))
        text = draw(st.sampled_from(NON_ASCII))
        if before == "comment":
            lines = [f"# {text}"] + lines
        elif before == "string":
            lines = [f'{names[0]} = "{text}"'] + lines
        elif before == "same-line" and not re.match(r"(async |if |for |try|with |def )", lines[0]):
            lines = [f'{names[0]} = "{text}"; {lines[0]}'] + lines[1:]
            fixable = fixable and code != "HNG202"  # the task fix needs the call alone on its line
        body += lines
        imports += more_imports
        defs += [d for d in more_defs if d not in defs]
        params += more_params
        expected.append((code, fixable))
    # blocks around the nodes
    for block in draw(st.lists(st.sampled_from(["if", "try", "with", "for", "else"]), max_size=3)):
        if block == "if":
            body = ["if flag:"] + _indent(body)
        elif block == "try":
            body = ["try:"] + _indent(body) + ["except ValueError:", "    raise"]
        elif block == "with":
            body = ["with lock:"] + _indent(body)
        elif block == "else":
            body = ["if not flag:", "    pass", "else:"] + _indent(body)
        else:
            body = ["for item in items:"] + _indent(body)
    # extra blank lines between statements of the outer block
    if draw(st.booleans()):
        body = [x for line in body for x in ([line, ""] if not line.startswith((" ", ")")) and not line.endswith(("(", ":", ",")) else [line])]
    # the coroutine, maybe nested in a class or in a function
    where = draw(st.sampled_from(["module", "class", "nested"]))
    fn = names[1]
    head = ["flag = True", "lock = object()", "items = [1]", "payload = 'é'", ""]
    if where == "module":
        wrapped = [f"async def {fn}({', '.join(params)}):"] + _indent(body)
    elif where == "class":
        wrapped = [f"class {names[2].capitalize()}X:", f"    async def {fn}({', '.join(['self', *params])}):"] + _indent(body, 2)
    else:
        wrapped = [f"def {names[3]}():", f"    async def {fn}({', '.join(params)}):"] + _indent(body, 2) + [f"    return {fn}"]
    blank = "\n" * draw(st.integers(1, 3))
    source = "\n".join(sorted(set(imports))) + "\n" + blank + "\n".join(head) + "\n" + "\n\n".join(defs) + blank + "\n".join(wrapped) + "\n"
    # indentation unit and line endings
    unit = draw(st.sampled_from(["    ", "  ", "\t"]))
    if unit != "    ":
        source = re.sub(r"(?m)^((?:    )+)", lambda m: unit * (len(m.group(1)) // 4), source)
    if draw(st.booleans()):
        source = source.replace("\n", "\r\n")
    return source, expected


def _counts(findings: Sequence[Finding]) -> Counter:
    return Counter(f.code for f in findings)


@pytest.mark.slow
@settings(max_examples=150, **RELAXED)
@given(generated=program())
def test_fixes_parse_are_idempotent_and_remove_what_they_fixed(generated):
    source, expected = generated
    ast.parse(source)
    before = lint_text(source, "gen.py", PY311)
    assert_inside(source, before)
    for code, _ in expected:
        assert code in _counts(before), f"{code} not found in:\n{source}"
    new, fixed, remaining = fix_text(source, "gen.py", PY311, unsafe=True)
    assert parses(new), new
    for code, fixable in expected:
        if fixable:
            assert code in _counts(fixed), f"{code} not fixed in:\n{source}"
    # idempotent
    again, fixed_again, remaining_again = fix_text(new, "gen.py", PY311, unsafe=True)
    assert again == new and not fixed_again
    assert remaining_again == remaining
    # the fixed findings are gone and nothing new appeared
    after, want = _counts(remaining), _counts(before)
    want.subtract(_counts(fixed))
    assert after == +want, (after, want, new)
    assert_inside(new, remaining)
    # the file's line endings are kept
    if "\r\n" in source:
        assert "\n" not in new.replace("\r\n", ""), new


@settings(max_examples=60, **RELAXED)
@given(generated=program(clean=True))
def test_look_alikes_are_not_reported(generated):
    source, _ = generated
    findings = lint_text(source, "gen.py", PY311)
    assert not findings, (findings, source)


def _stamp(paths: Sequence[Path]) -> Dict[Path, Tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}


@pytest.mark.slow
@settings(max_examples=8, **RELAXED)
@given(
    clean=st.lists(program(clean=True), min_size=2, max_size=5),
    other=st.none() | hypothesmith.from_node(),  # at most one: it sets a hypothesis target
)
def test_fix_never_writes_a_file_without_findings(tmp_path_factory, clean, other, capsys):
    folder = tmp_path_factory.mktemp("clean")
    sources = [source for source, _ in clean] + [p for p in [other] if p is not None and not lint_text(p, "x.py", PY311)]
    paths = []
    for i, source in enumerate(sources):
        path = folder / f"m{i}.py"
        path.write_bytes(source.encode("utf-8"))
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # an mtime a rewrite could not keep
        paths.append(path)
    stamps = _stamp(paths)
    code = cli.main(["--fix", "--unsafe-fixes", "--isolated", "--no-cache", str(folder)])
    capsys.readouterr()
    assert code == 0
    assert _stamp(paths) == stamps


# -- jobs and cache ------------------------------------------------------------
@pytest.mark.slow
@settings(max_examples=4, **RELAXED)
@given(
    bad=st.lists(program(), min_size=6, max_size=6),
    clean=st.lists(program(clean=True), min_size=3, max_size=3),
)
def test_jobs_and_cache_do_not_change_output(tmp_path_factory, bad, clean):
    root = tmp_path_factory.mktemp("tree")
    broken = [b"import asyncio\ndef (:\n", b"import asyncio\nx = '\xff'\n", b"import aiohttp\x00\n"]
    # each program seven times, told apart by a trailing comment (>= 60 files, so the pool is used)
    contents = [f"{s}# copy {i}\n".encode("utf-8") for s, _ in bad + clean for i in range(7)] + broken
    paths = []
    for i, data in enumerate(contents):
        path = root / f"pkg{i % 7}" / f"m{i:03}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        paths.append(str(path))
    paths.append(str(root / "vanished.py"))  # an error line, the same way each time
    assert len(paths) > 60

    def run(**kwargs):
        findings, errors = lint_paths(paths, ALL, **kwargs)
        return [f.to_dict() for f in findings], errors

    reference = run(jobs=1)
    assert reference[0] and reference[1]
    assert run(jobs=2) == reference
    cache_dir = str(root / ".cache")
    assert run(jobs=2, cache=Cache(cache_dir, ALL)) == reference  # cold
    assert run(jobs=1, cache=Cache(cache_dir, ALL)) == reference  # warm, recent files re-hashed
    for path in paths[:-1]:
        info = os.stat(path)
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - 60_000_000_000))
    assert run(jobs=2, cache=Cache(cache_dir, ALL)) == reference  # stat changed, content the same
    assert run(jobs=2, cache=Cache(cache_dir, ALL)) == reference  # stat trusted


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=100, **RELAXED)
@given(data=st.data())
def test_any_cache_content_is_harmless(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("cached")
    paths = []
    for i, content in enumerate([BAD, GOOD, b"import asyncio\ndef (:\n"]):
        path = root / f"m{i}.py"
        path.write_bytes(content)
        os.utime(path, ns=(10**9, 10**9))
        paths.append(str(path))
    def run(cache=None):
        found, errors = lint_paths(paths, ALL, jobs=1, cache=cache)
        return [f.to_dict() for f in found], errors

    reference = run()
    cache = Cache(str(root / ".cache"), ALL)
    assert run(cache) == reference
    raw = json.loads(Path(cache.file).read_text())
    # replace the whole file, one entry, or one stored finding by anything
    where = data.draw(st.sampled_from(["file", "entry", "finding"]))
    junk = data.draw(JSON)
    if where == "file":
        raw = junk
    elif where == "entry":
        raw["files"][data.draw(st.sampled_from(sorted(raw["files"])))] = junk
    else:
        entry = raw["files"][os.path.abspath(paths[0])]
        entry[3][0] = junk
    Path(cache.file).write_text(json.dumps(raw))
    assert run(Cache(str(root / ".cache"), ALL)) == reference
