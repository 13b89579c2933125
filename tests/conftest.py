from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The tests start many short asynclint, flake8 and pylint processes: let them
# keep compiled bytecode, as a normal install does, instead of recompiling.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


class Result:
    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr


@pytest.fixture
def run_cli():
    """Run the real ``asynclint`` command (as a subprocess) in a folder."""

    def run(args: List[str], cwd: Optional[Path] = None, stdin: Optional[bytes] = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "asynclint", *args],
            cwd=str(cwd or ROOT),
            input=stdin if stdin is not None else b"",
            capture_output=True,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )
        return Result(
            subprocess.CompletedProcess(
                proc.args, proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
            )
        )

    return run


BAD = b"import aiohttp\n\nasync def f():\n    return aiohttp.ClientSession()\n"
GOOD = b"import aiohttp\n\nasync def f():\n    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))\n"
