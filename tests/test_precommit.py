"""The real `pre-commit try-repo` runs the hooks from this repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BAD, GOOD
from fixture_expectations import ROOT

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=str(cwd),
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(repo: Path, home: Path, hook: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [*PRE_COMMIT, "try-repo", str(ROOT), hook, "--all-files"],
        cwd=str(repo),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _repo(tmp_path: Path, content: bytes) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "svc.py").write_bytes(content)
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "init")
    return repo


def test_hook_fails_on_a_finding(tmp_path, pre_commit_home):
    result = _try_repo(_repo(tmp_path, BAD), pre_commit_home, "asynclint")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "svc.py:4:12: HNG100" in result.stdout


def test_hook_passes_on_clean_code(tmp_path, pre_commit_home):
    result = _try_repo(_repo(tmp_path, GOOD), pre_commit_home, "asynclint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout
