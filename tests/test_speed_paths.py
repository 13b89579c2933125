"""Cache, process pool and prefilter never change the findings."""

from __future__ import annotations

import json
import os
import sysconfig
from pathlib import Path

import pytest

from asynclint.config import Settings
from asynclint.discovery import Discovery
from asynclint.engine import lint_file
from asynclint.runner import Cache, lint_paths
from conftest import BAD, GOOD
from fixture_expectations import fixture_files

ALL = Settings()


def _age(path: Path, seconds: int = 60) -> None:
    """Make a file look old enough for its stat to be trusted by the cache."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - seconds * 1_000_000_000))


def test_prefilter_never_changes_fixture_findings():
    for path in fixture_files():
        with_filter, _ = lint_file(str(path), ALL, prefilter=True)
        without, _ = lint_file(str(path), ALL, prefilter=False)
        assert with_filter == without, path


def _corpus(limit: int = 2500):
    """Real code nobody here wrote: the installed packages of this environment."""
    root = sysconfig.get_paths()["purelib"]
    files = Discovery(Settings(root=root, exclude=()), respect_gitignore=False).files([root])
    return sorted(files)[:limit]


@pytest.mark.slow
def test_prefilter_never_changes_corpus_findings():
    files = _corpus()
    assert len(files) > 500
    filtered, errors = lint_paths(files, ALL, jobs=2, prefilter=True)
    unfiltered, errors2 = lint_paths(files, ALL, jobs=2, prefilter=False)
    assert errors == errors2
    assert filtered == unfiltered


def test_jobs_do_not_change_output(tmp_path):
    files = []
    for i in range(60):
        path = tmp_path / f"m{i:02}.py"
        path.write_bytes(BAD if i % 3 else GOOD)
        files.append(str(path))
    serial, _ = lint_paths(files, ALL, jobs=1)
    parallel, _ = lint_paths(files, ALL, jobs=2)
    assert serial == parallel and len(serial) == 40
    assert [f.message for f in serial] == [f.message for f in parallel]


def test_cache_reuses_and_invalidates(tmp_path, monkeypatch):
    a = tmp_path / "a.py"
    b = tmp_path / "b.py"
    a.write_bytes(BAD)
    b.write_bytes(GOOD)
    _age(a)
    _age(b)
    cache_dir = tmp_path / "cache"
    first, _ = lint_paths([str(a), str(b)], ALL, jobs=1, cache=Cache(str(cache_dir), ALL))
    assert [f.code for f in first] == ["HNG100"]
    assert (cache_dir / ".gitignore").read_text().strip().endswith("*")

    # warm: nothing is read or linted
    import asynclint.runner as runner

    calls = []
    monkeypatch.setattr(runner, "lint_bytes", lambda *a, **k: calls.append(a[1]) or [])
    warm, _ = lint_paths([str(a), str(b)], ALL, jobs=1, cache=Cache(str(cache_dir), ALL))
    assert warm == first and calls == []

    # touched but unchanged content: read and hashed, not linted
    os.utime(a, None)
    _age(a, 30)
    again, _ = lint_paths([str(a), str(b)], ALL, jobs=1, cache=Cache(str(cache_dir), ALL))
    assert again == first and calls == []
    monkeypatch.undo()

    # changed content: linted again
    b.write_bytes(BAD)
    changed, _ = lint_paths([str(a), str(b)], ALL, jobs=1, cache=Cache(str(cache_dir), ALL))
    assert [f.path for f in changed] == [str(a), str(b)]

    # another configuration has its own cache file
    other = Settings(ignore=("HNG100",))
    assert lint_paths([str(a), str(b)], other, jobs=1, cache=Cache(str(cache_dir), other))[0] == []


def test_corrupt_cache_is_ignored(tmp_path):
    a = tmp_path / "a.py"
    a.write_bytes(BAD)
    cache = Cache(str(tmp_path / "c"), ALL)
    lint_paths([str(a)], ALL, jobs=1, cache=cache)
    Path(cache.file).write_text("{not json")
    found, _ = lint_paths([str(a)], ALL, jobs=1, cache=Cache(str(tmp_path / "c"), ALL))
    assert [f.code for f in found] == ["HNG100"]
    Path(cache.file).write_text(json.dumps({"files": {str(a): ["x"]}}))
    found, _ = lint_paths([str(a)], ALL, jobs=1, cache=Cache(str(tmp_path / "c"), ALL))
    assert [f.code for f in found] == ["HNG100"]


def test_cli_cache_flags(tmp_path, run_cli):
    (tmp_path / "a.py").write_bytes(BAD)
    assert run_cli(["--no-cache", "a.py"], tmp_path).code == 1
    assert not (tmp_path / ".asynclint_cache").exists()
    assert run_cli(["a.py"], tmp_path).code == 1
    assert (tmp_path / ".asynclint_cache" / ".gitignore").exists()
    assert run_cli(["--cache-dir", "elsewhere", "a.py"], tmp_path).code == 1
    assert (tmp_path / "elsewhere" / ".gitignore").exists()
    out1 = run_cli(["--output-format", "concise", "--jobs", "1", "a.py"], tmp_path).out
    out2 = run_cli(["--output-format", "concise", "--jobs", "2", "--no-cache", "a.py"], tmp_path).out
    assert out1 == out2
    assert run_cli(["--jobs", "0", "a.py"], tmp_path).code == 2
