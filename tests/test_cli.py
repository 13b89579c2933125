"""The command line: exit codes, selection, config, suppression, formats, discovery."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import BAD, GOOD


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_exit_codes(tmp_path, run_cli):
    write(tmp_path / "good.py", GOOD)
    assert run_cli(["good.py"], tmp_path).code == 0
    write(tmp_path / "bad.py", BAD)
    result = run_cli(["."], tmp_path)
    assert result.code == 1
    assert "bad.py:4:12: HNG100" in result.out
    assert "Found 1 error." in result.out
    assert run_cli(["--exit-zero", "."], tmp_path).code == 0


def test_check_subcommand_and_default_path(tmp_path, run_cli):
    write(tmp_path / "pkg" / "bad.py", BAD)
    assert run_cli(["check"], tmp_path).code == 1
    assert "pkg/bad.py:4:12: HNG100" in run_cli([], tmp_path).out


def test_missing_path_is_error_but_others_linted(tmp_path, run_cli):
    write(tmp_path / "bad.py", BAD)
    result = run_cli(["nope.py", "bad.py"], tmp_path)
    assert result.code == 2
    assert "nope.py: no such file or directory" in result.err
    assert "bad.py:4:12: HNG100" in result.out


def test_syntax_error_is_hng001_and_others_still_linted(tmp_path, run_cli):
    write(tmp_path / "broken.py", b"import aiohttp\nasync def f(:\n    pass\n")
    write(tmp_path / "bad.py", BAD)
    # a file no rule could report in is never parsed, so it has no HNG001
    write(tmp_path / "plain.py", b"def g(:\n    pass\n")
    result = run_cli(["--output-format", "concise", "."], tmp_path)
    assert result.code == 1
    assert "broken.py:2:13: HNG001" in result.out
    assert "plain.py" not in result.out
    assert "bad.py:4:12: HNG100" in result.out
    assert "Traceback" not in result.err


def test_undecodable_file_is_hng001(tmp_path, run_cli):
    write(tmp_path / "latin.py", b"import aiohttp\ny = '\xff\xfe'\n")
    result = run_cli(["--output-format", "concise", "latin.py"], tmp_path)
    assert result.code == 1
    assert "latin.py:2:6: HNG001" in result.out


def test_coding_cookie_and_bom(tmp_path, run_cli):
    write(tmp_path / "cookie.py", b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + BAD)
    write(tmp_path / "bom.py", b"\xef\xbb\xbf" + BAD.replace(b"\n", b"\r\n"))
    result = run_cli(["--output-format", "concise", "."], tmp_path)
    assert "cookie.py:6:12: HNG100" in result.out
    assert "bom.py:4:12: HNG100" in result.out


def test_select_ignore_prefixes(tmp_path, run_cli):
    write(tmp_path / "bad.py", BAD)
    assert run_cli(["--select", "HNG001", "bad.py"], tmp_path).code == 0
    assert run_cli(["--select", "HNG1", "bad.py"], tmp_path).code == 1
    assert run_cli(["--select", "ALL", "--ignore", "HNG10", "bad.py"], tmp_path).code == 0
    assert run_cli(["--ignore", "HNG1", "--extend-select", "HNG100", "bad.py"], tmp_path).code == 1
    bad = run_cli(["--select", "XYZ1", "bad.py"], tmp_path)
    assert bad.code == 2 and "unknown rule selector 'XYZ1'" in bad.err


def test_noqa(tmp_path, run_cli):
    write(tmp_path / "a.py", BAD.replace(b"ClientSession()", b"ClientSession()  # noqa: HNG100"))
    write(tmp_path / "b.py", BAD.replace(b"ClientSession()", b"ClientSession()  # noqa:HNG1"))
    write(tmp_path / "c.py", BAD.replace(b"ClientSession()", b"ClientSession()  # noqa"))
    write(tmp_path / "d.py", BAD.replace(b"ClientSession()", b"ClientSession()  # noqa: HNG400"))
    write(tmp_path / "e.py", b"# asynclint: noqa\n" + BAD)
    write(tmp_path / "f.py", b"# asynclint: noqa: HNG100\n" + BAD)
    write(tmp_path / "g.py", b"# asynclint: noqa: HNG400\n" + BAD)
    result = run_cli(["--output-format", "concise", "."], tmp_path)
    reported = sorted(line.split(":")[0] for line in result.out.splitlines() if "HNG100" in line)
    assert reported == ["d.py", "g.py"]


def test_config_errors_name_the_key(tmp_path, run_cli):
    write(tmp_path / "bad.py", BAD)
    write(tmp_path / "pyproject.toml", b"[tool.asynclint]\nselekt = ['HNG1']\n")
    result = run_cli(["bad.py"], tmp_path)
    assert result.code == 2 and "unknown key `selekt`" in result.err
    write(tmp_path / "pyproject.toml", b"[tool.asynclint]\nfix-timeout = -3\n")
    result = run_cli(["bad.py"], tmp_path)
    assert result.code == 2 and "`fix-timeout`" in result.err
    write(tmp_path / "pyproject.toml", b"[tool.asynclint]\nignore = ['HNG9']\n")
    result = run_cli(["bad.py"], tmp_path)
    assert result.code == 2 and "'HNG9'" in result.err
    write(tmp_path / "pyproject.toml", b"[tool.asynclint\n")
    result = run_cli(["bad.py"], tmp_path)
    assert result.code == 2 and "invalid TOML" in result.err
    write(tmp_path / "pyproject.toml", b"[tool.asynclint]\ntarget-version = 'py27'\n")
    result = run_cli(["bad.py"], tmp_path)
    assert result.code == 2 and "`target-version`" in result.err


def test_config_selection_and_isolated(tmp_path, run_cli):
    write(tmp_path / "bad.py", BAD)
    write(tmp_path / "pyproject.toml", b"[tool.asynclint]\nignore = ['HNG100']\n")
    assert run_cli(["bad.py"], tmp_path).code == 0
    assert run_cli(["--isolated", "bad.py"], tmp_path).code == 1
    other = write(tmp_path / "other" / "asynclint.toml", b"select = ['HNG1']\n")
    assert run_cli(["--config", str(other), "bad.py"], tmp_path).code == 1
    # the CLI's --select replaces the file's selection
    assert run_cli(["--select", "HNG100", "bad.py"], tmp_path).code == 1


def test_nearest_config_above_first_path(tmp_path, run_cli):
    write(tmp_path / "pyproject.toml", b"[tool.asynclint]\nignore = ['HNG100']\n")
    write(tmp_path / "sub" / "asynclint.toml", b"select = ['ALL']\n")
    write(tmp_path / "sub" / "bad.py", BAD)
    assert run_cli(["sub"], tmp_path).code == 1
    assert run_cli(["sub/bad.py"], tmp_path).code == 1
    (tmp_path / "sub" / "asynclint.toml").unlink()
    assert run_cli(["sub"], tmp_path).code == 0


def test_per_file_ignores(tmp_path, run_cli):
    write(tmp_path / "tests" / "test_x.py", BAD)
    write(tmp_path / "app" / "x.py", BAD)
    write(tmp_path / "pyproject.toml", b"[tool.asynclint.per-file-ignores]\n'tests/*' = ['HNG1']\n")
    result = run_cli(["--output-format", "concise", "."], tmp_path)
    assert "app/x.py" in result.out and "tests/test_x.py" not in result.out


def test_discovery_gitignore_and_excludes(tmp_path, run_cli):
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", b"generated/\n*_pb2.py\n")
    for rel in ["app/a.py", "generated/b.py", "app/c_pb2.py", ".venv/d.py", "build/e.py", "app/f.pyi", "app/g.txt", "node_modules/h.py"]:
        write(tmp_path / rel, BAD)
    result = run_cli(["--output-format", "concise", "."], tmp_path)
    files = sorted({line.split(":")[0] for line in result.out.splitlines() if "HNG" in line})
    assert files == ["app/a.py", "app/f.pyi"]
    result = run_cli(["--output-format", "concise", "--no-respect-gitignore", "."], tmp_path)
    files = sorted({line.split(":")[0] for line in result.out.splitlines() if "HNG" in line})
    assert files == ["app/a.py", "app/c_pb2.py", "app/f.pyi", "generated/b.py"]
    result = run_cli(["--output-format", "concise", "--extend-exclude", "app/f.pyi", "."], tmp_path)
    assert "app/f.pyi" not in result.out
    # a file named explicitly is linted unless --force-exclude
    assert run_cli(["build/e.py"], tmp_path).code == 1
    assert run_cli(["--force-exclude", "build/e.py"], tmp_path).code == 0
    assert run_cli(["--force-exclude", "generated/b.py"], tmp_path).code == 0


def test_stdin(tmp_path, run_cli):
    result = run_cli(["--output-format", "concise", "-", "--stdin-filename", "svc/x.py"], tmp_path, stdin=BAD)
    assert result.code == 1 and "svc/x.py:4:12: HNG100" in result.out
    assert run_cli(["-"], tmp_path, stdin=GOOD).code == 0


def test_json_output(tmp_path, run_cli):
    write(tmp_path / "bad.py", BAD)
    result = run_cli(["--output-format", "json", "bad.py"], tmp_path)
    data = json.loads(result.out)
    assert len(data) == 1
    item = data[0]
    assert item["code"] == "HNG100"
    assert item["location"] == {"row": 4, "column": 12}
    assert item["end_location"] == {"row": 4, "column": 35}
    assert item["filename"] == str(tmp_path / "bad.py")
    assert item["url"].endswith("HNG100.html")
    assert item["fix"]["applicability"] == "safe"


def test_full_output_has_snippet(tmp_path, run_cli):
    write(tmp_path / "bad.py", BAD)
    out = run_cli(["bad.py"], tmp_path).out
    assert "4 |     return aiohttp.ClientSession()" in out
    assert "^^^^^^^^^^^^^^^^^^^^^^^ HNG100" in out


def test_quiet_and_statistics(tmp_path, run_cli):
    write(tmp_path / "bad.py", BAD)
    write(tmp_path / "bad2.py", BAD)
    quiet = run_cli(["-q", "--output-format", "concise", "."], tmp_path)
    assert "Found" not in quiet.out and quiet.out.count("HNG100") == 2
    stats = run_cli(["--statistics", "-q", "."], tmp_path)
    assert stats.out.strip().split() == ["2", "HNG100", "[*]", "aiohttp-session-without-timeout"]


def test_output_is_deterministic(tmp_path, run_cli):
    for name in ["z.py", "a.py", "m/b.py"]:
        write(tmp_path / name, BAD + BAD.replace(b"def f", b"def g"))
    first = run_cli(["--output-format", "concise", "."], tmp_path).out
    assert first == run_cli(["--output-format", "concise", "z.py", "m", "a.py"], tmp_path).out
    rows = [line.split(": ")[0] for line in first.splitlines() if "HNG" in line]
    assert rows == ["a.py:4:12", "a.py:8:12", "m/b.py:4:12", "m/b.py:8:12", "z.py:4:12", "z.py:8:12"]


def test_rule_command(run_cli):
    result = run_cli(["rule", "HNG100"])
    assert result.code == 0
    assert result.out.startswith("# aiohttp-session-without-timeout (HNG100)")
    for heading in ["What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References"]:
        assert f"## {heading}" in result.out
    assert run_cli(["rule", "HNG999"]).code == 2
    every = run_cli(["rule", "--all"])
    assert every.code == 0 and "(HNG001)" in every.out and "(HNG100)" in every.out


def test_version(run_cli):
    from asynclint import __version__

    result = run_cli(["--version"])
    assert result.code == 0 and result.out.strip() == f"asynclint {__version__}"


def test_per_file_ignores_all(tmp_path, run_cli):
    write(tmp_path / "gen" / "x.py", BAD)
    write(tmp_path / "pyproject.toml", b"[tool.asynclint.per-file-ignores]\n'gen/*' = ['ALL']\n")
    assert run_cli(["."], tmp_path).code == 0


def test_missing_path_does_not_claim_success(tmp_path, run_cli):
    result = run_cli(["nope.py"], tmp_path)
    assert result.code == 2 and "All checks passed" not in result.out
