"""Benchmark asynclint on a real corpus against the parse floor, ruff and flake8-async.

Usage (from the repository root, with asynclint installed in the running Python)::

    python benchmarks/corpus.py [--runs 5] [--skip-flake8]

It builds (or reuses) ``benchmarks/.corpus-venv`` with aiohttp, asyncpg,
fastapi, starlette, sqlalchemy, django, httpx, anyio and pydantic, and
``benchmarks/.tools-venv`` with ruff, flake8 and flake8-async; then lints the
corpus venv's ``site-packages`` and prints a table of median wall times and
ratios, all measured in this one run. The JSON result goes to
``benchmarks/results/corpus.json``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

HERE = Path(__file__).resolve().parent
CORPUS_VENV = HERE / ".corpus-venv"
TOOLS_VENV = HERE / ".tools-venv"
RESULTS = HERE / "results"
CORPUS_PACKAGES = ["aiohttp", "asyncpg", "fastapi", "starlette", "sqlalchemy", "django", "httpx", "anyio", "pydantic"]
TOOL_PACKAGES = ["ruff", "flake8", "flake8-async"]
ASYNC_HEAVY = ["aiohttp", "starlette", "fastapi", "anyio", "httpx"]


def venv(path: Path, packages: List[str]) -> Path:
    python = path / "bin" / "python"
    marker = path / ".installed"
    if not (python.exists() and marker.exists() and marker.read_text() == " ".join(packages)):
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
        marker.write_text(" ".join(packages))
    return python


def site_packages(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def python_files(root: Path) -> List[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file() and "__pycache__" not in p.parts)


# as on a normal install, let every tool keep its compiled bytecode
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: List[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=str(cwd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def median(fn: Callable[[], float], runs: int) -> float:
    return statistics.median(fn() for _ in range(runs))


def floor(files: List[Path]) -> float:
    """Read every file and ast.parse it, in one process: the cost asynclint must beat."""
    start = time.perf_counter()
    for path in files:
        try:
            ast.parse(path.read_bytes())
        except (SyntaxError, ValueError, RecursionError):
            pass
    return time.perf_counter() - start


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median is reported)")
    parser.add_argument("--skip-flake8", action="store_true", help="skip flake8-async (slow)")
    args = parser.parse_args(argv)

    corpus_python = venv(CORPUS_VENV, CORPUS_PACKAGES)
    tools_python = venv(TOOLS_VENV, TOOL_PACKAGES)
    root = site_packages(corpus_python)
    ruff = str(tools_python.parent / "ruff")
    flake8 = [str(tools_python), "-m", "flake8"]
    # the venvs live inside this repository, whose .gitignore lists them
    asynclint = [sys.executable, "-m", "asynclint", "--exit-zero", "-q", "--output-format", "concise", "--no-respect-gitignore"]
    cache_dir = HERE / ".bench-cache"

    files = python_files(root)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    heavy = [root / name for name in ASYNC_HEAVY if (root / name).is_dir()]
    heavy_files = [p for d in heavy for p in python_files(d)]
    runs = args.runs
    target = [str(root)]

    def cold(jobs: Optional[int] = None, paths: List[str] = target) -> float:
        extra = ["--jobs", str(jobs)] if jobs else []
        return timed([*asynclint, "--no-cache", *extra, *paths], root)

    check = subprocess.run([*asynclint, "--no-cache", *target], cwd=str(root), capture_output=True, text=True, env=ENV)
    found = len(check.stdout.splitlines())
    if found == 0:
        raise SystemExit("asynclint found nothing in the corpus: is it being skipped?")

    results: Dict[str, float] = {}
    results["floor"] = median(lambda: floor(files), runs)
    results["asynclint_cold"] = median(lambda: cold(), runs)
    results["asynclint_cold_jobs1"] = median(lambda: cold(1), runs)

    shutil.rmtree(cache_dir, ignore_errors=True)
    warm_cmd = [*asynclint, "--cache-dir", str(cache_dir), *target]
    timed(warm_cmd, root)  # fill the cache
    results["asynclint_warm"] = median(lambda: timed(warm_cmd, root), runs)

    victim = next(p for p in files if b"async def" in p.read_bytes())
    original = victim.read_bytes()

    def after_touch() -> float:
        victim.write_bytes(original + b"\n# edited\n")
        try:
            return timed(warm_cmd, root)
        finally:
            victim.write_bytes(original)
            timed(warm_cmd, root)  # back to a full cache

    results["asynclint_one_file_changed"] = median(after_touch, runs)

    results["ruff_cold"] = median(lambda: timed([ruff, "check", "--no-cache", "--no-respect-gitignore", "--exit-zero", "--select", "ASYNC,RUF006", "-q", *target], root), runs)
    ruff_cache = HERE / ".bench-ruff-cache"
    shutil.rmtree(ruff_cache, ignore_errors=True)
    ruff_warm = [ruff, "check", "--cache-dir", str(ruff_cache), "--no-respect-gitignore", "--exit-zero", "--select", "ASYNC,RUF006", "-q", *target]
    timed(ruff_warm, root)
    results["ruff_warm"] = median(lambda: timed(ruff_warm, root), runs)

    heavy_paths = [str(d) for d in heavy]
    results["heavy_floor"] = median(lambda: floor(heavy_files), runs)
    results["heavy_asynclint_cold"] = median(lambda: cold(None, heavy_paths), runs)
    results["heavy_asynclint_cold_jobs1"] = median(lambda: cold(1, heavy_paths), runs)
    if not args.skip_flake8:
        results["heavy_flake8_async"] = timed([*flake8, "--isolated", "--select", "ASYNC", "--exit-zero", *heavy_paths], root)

    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    ratios = {
        "cold / floor": results["asynclint_cold"] / results["floor"],
        "cold / ruff cold": results["asynclint_cold"] / results["ruff_cold"],
        "warm / ruff warm": results["asynclint_warm"] / results["ruff_warm"],
        "one file changed / warm": results["asynclint_one_file_changed"] / results["asynclint_warm"],
        "jobs 1 / floor": results["asynclint_cold_jobs1"] / results["floor"],
        "async-heavy cold / its floor": results["heavy_asynclint_cold"] / results["heavy_floor"],
        "async-heavy jobs 1 / its floor": results["heavy_asynclint_cold_jobs1"] / results["heavy_floor"],
    }
    if "heavy_flake8_async" in results:
        ratios["flake8-async / async-heavy cold"] = results["heavy_flake8_async"] / results["heavy_asynclint_cold"]

    print(f"corpus: {root}")
    print(f"files: {len(files)}  lines: {lines}  async-heavy files: {len(heavy_files)}  cores: {os.cpu_count()}")
    print(f"asynclint findings in the corpus: {found}")
    print(f"{'measurement':32} {'median s':>10} {'files/s':>10} {'lines/s':>12}")
    for name, seconds in results.items():
        count = len(heavy_files) if name.startswith("heavy") else len(files)
        heavy_lines = lines if not name.startswith("heavy") else None
        rate_lines = f"{heavy_lines / seconds:12.0f}" if heavy_lines else f"{'':>12}"
        print(f"{name:32} {seconds:10.3f} {count / seconds:10.0f} {rate_lines}")
    print()
    for name, value in ratios.items():
        print(f"{name:36} {value:8.2f}x")
    print(f"{'peak memory of a child process':36} {peak_mb:8.0f} MB")

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "corpus.json").write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "cores": os.cpu_count(),
                "files": len(files),
                "lines": lines,
                "async_heavy_files": len(heavy_files),
                "runs": runs,
                "asynclint_findings": found,
                "seconds": results,
                "ratios": ratios,
                "peak_child_rss_mb": peak_mb,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {RESULTS / 'corpus.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
