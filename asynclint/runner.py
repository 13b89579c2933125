"""Lint many files: cache first, then the rest serially or in a process pool.

The cache (``.asynclint_cache/`` by default) keeps, per file, its size,
mtime, a content hash and its findings, in one JSON file per asynclint
version and effective configuration. A file whose size and mtime are
unchanged is not read; one whose stat changed but whose content hash is
the same is not parsed. Writes are atomic; a corrupt cache is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from asynclint import __version__
from asynclint.config import Settings
from asynclint.engine import lint_bytes
from asynclint.rule import Finding
from asynclint.writer import replace_atomically

SERIAL_BELOW = 48  # files: below this a process pool costs more than it saves
CACHE_DIR = ".asynclint_cache"
RECENT_NS = 2_000_000_000


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class Entry:
    size: int
    mtime: int
    digest: str
    findings: List[dict] = field(default_factory=list)


class Cache:
    def __init__(self, directory: str, settings: Settings) -> None:
        self.directory = directory
        key = hashlib.blake2b(f"{__version__}\0{settings.key()}".encode(), digest_size=12).hexdigest()
        self.file = os.path.join(directory, f"{__version__}-{key}.json")
        self.entries: Dict[str, Entry] = {}
        self.dirty = False
        self._load()

    def _load(self) -> None:
        try:
            with open(self.file, "rb") as handle:
                raw = json.loads(handle.read())
            entries = {path: Entry(*value) for path, value in raw["files"].items()}
            if not all(_valid_entry(path, entry) for path, entry in entries.items()):
                raise ValueError("corrupt cache entry")
            self.entries = entries
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.entries = {}  # missing or corrupt (even if valid JSON): start afresh

    def lookup(self, abspath: str, size: int, mtime: int) -> Tuple[Optional[Entry], bool]:
        """(entry, fresh): fresh when size and mtime match (no need to read)."""
        entry = self.entries.get(abspath)
        if entry is None:
            return None, False
        return entry, entry.size == size and entry.mtime == mtime

    def store(self, abspath: str, entry: Entry) -> None:
        self.entries[abspath] = entry
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            os.makedirs(self.directory, exist_ok=True)
            ignore = os.path.join(self.directory, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w", encoding="utf-8") as handle:
                    handle.write("# Created by asynclint\n*\n")
            payload = json.dumps(
                {"version": __version__, "files": {p: [e.size, e.mtime, e.digest, e.findings] for p, e in self.entries.items()}},
                separators=(",", ":"),
            )
            replace_atomically(self.file, payload.encode("utf-8"), None, prefix=".cache-", sync=False)
        except OSError:
            pass  # a cache that cannot be written only costs time


_FINDING_KEYS = {"row", "col", "end_row", "end_col", "code", "message", "fix", "fix_target"}


def _valid_entry(path: object, entry: Entry) -> bool:
    """An entry as :meth:`Cache.save` writes it, so restoring it cannot fail."""
    ints = (entry.size, entry.mtime)
    if not isinstance(path, str) or not all(type(i) is int for i in ints) or not isinstance(entry.digest, str):
        return False
    if not isinstance(entry.findings, list):
        return False
    for item in entry.findings:
        if not isinstance(item, dict) or set(item) != _FINDING_KEYS:
            return False
        if not all(type(item[k]) is int for k in ("row", "col", "end_row", "end_col")):
            return False
        if not isinstance(item["code"], str) or not isinstance(item["message"], str) or item["fix"] not in (None, "safe", "unsafe"):
            return False
        target = item["fix_target"]
        if target is not None and not (isinstance(target, list) and len(target) == 4 and all(type(i) is int for i in target)):
            return False
    return True


def _strip(findings: Sequence[Finding]) -> List[dict]:
    out = []
    for f in findings:
        data = f.to_dict()
        del data["path"]
        out.append(data)
    return out


def _restore(path: str, stored: List[dict]) -> List[Finding]:
    return [Finding.from_dict({**item, "path": path}) for item in stored]


# -- workers --------------------------------------------------------------
_WORKER_SETTINGS: Optional[Settings] = None
_WORKER_PREFILTER = True


def _init_worker(settings: Settings, prefilter: bool) -> None:
    global _WORKER_SETTINGS, _WORKER_PREFILTER
    _WORKER_SETTINGS = settings
    _WORKER_PREFILTER = prefilter


Job = Tuple[str, Optional[str]]  # (path, digest of the cached content or None)
Done = Tuple[str, Optional[List[dict]], Optional[str], Optional[Tuple[int, int, str]]]


def _lint_one(path: str, known_digest: Optional[str], settings: Settings, prefilter: bool) -> Done:
    """(path, findings without path or None when the cached ones still hold, error, stat+digest)."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            data = handle.read()
    except OSError as exc:
        return path, [], f"{path}: cannot read file: {exc.strerror or exc}", None
    digest = content_hash(data)
    stat = (info.st_size, info.st_mtime_ns, digest)
    if known_digest == digest:
        return path, None, None, stat
    return path, _strip(lint_bytes(data, path, settings, prefilter)), None, stat


def _lint_chunk(chunk: List[Job]) -> List[Done]:
    assert _WORKER_SETTINGS is not None
    return [_lint_one(path, digest, _WORKER_SETTINGS, _WORKER_PREFILTER) for path, digest in chunk]


def _pool_context():
    import multiprocessing

    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def lint_paths(
    paths: Sequence[str],
    settings: Settings,
    jobs: int = 0,
    cache: Optional[Cache] = None,
    prefilter: bool = True,
) -> Tuple[List[Finding], List[str]]:
    """Findings (sorted) and error lines for ``paths``, in a deterministic order."""
    findings: List[Finding] = []
    errors: List[str] = []
    todo: List[Job] = []
    now = time.time_ns()
    for path in paths:
        if cache is None:
            todo.append((path, None))
            continue
        abspath = os.path.abspath(path)
        try:
            info = os.stat(path)
        except OSError:
            todo.append((path, None))
            continue
        entry, fresh = cache.lookup(abspath, info.st_size, info.st_mtime_ns)
        # a file written within the last seconds may change again within the
        # same mtime tick: check its content rather than trust its stat
        if fresh and entry is not None and now - info.st_mtime_ns > RECENT_NS:
            findings.extend(_restore(path, entry.findings))
        else:
            todo.append((path, entry.digest if entry is not None else None))
    jobs = jobs or default_jobs()
    if jobs <= 1 or len(todo) < SERIAL_BELOW:
        results = [_lint_one(path, digest, settings, prefilter) for path, digest in todo]
    else:
        # import the rules and build the prefilter once, before the workers fork
        from asynclint.engine import prefilter_for

        prefilter_for(settings.selected_codes(), settings)
        size = max(4, min(64, len(todo) // (jobs * 8) or 1))
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=_pool_context(), initializer=_init_worker, initargs=(settings, prefilter)
        ) as pool:
            results = [done for chunk in pool.map(_lint_chunk, chunks) for done in chunk]
    for path, stored, error, stat in results:
        if error:
            errors.append(error)
            continue
        abspath = os.path.abspath(path)
        if stored is None:  # content unchanged: the cached findings hold
            assert cache is not None
            entry = cache.entries[abspath]
            stored = entry.findings
        findings.extend(_restore(path, stored))
        if cache is not None and stat is not None:
            cache.store(abspath, Entry(stat[0], stat[1], stat[2], stored))
    if cache is not None:
        cache.save()
    findings.sort()
    return findings, errors
