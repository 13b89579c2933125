"""Which files to lint: recursive, *.py and *.pyi, gitignore and excludes honoured."""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from asynclint.config import Settings

if TYPE_CHECKING:  # pragma: no cover
    import pathspec

_GLOB_CHARS = re.compile(r"[*?\[]")


class Excludes:
    """Gitignore-style exclude patterns; plain names and name globs (the
    defaults) are matched without building a PathSpec."""

    def __init__(self, patterns: Sequence[str]) -> None:
        names: List[str] = []
        globs: List[str] = []
        rest: List[str] = []
        for pattern in patterns:
            bare = pattern.rstrip("/")
            if not bare or "/" in bare or bare.startswith("!") or "**" in bare:
                rest.append(pattern)
            elif _GLOB_CHARS.search(bare):
                globs.append(fnmatch.translate(bare))
            else:
                names.append(bare)
        self.names = frozenset(names)
        self.globs = re.compile("|".join(globs)) if globs else None
        self.spec = None
        if rest:
            import pathspec

            self.spec = pathspec.PathSpec.from_lines("gitwildmatch", rest)

    def match(self, name: str, candidates: Sequence[str]) -> bool:
        if name in self.names or (self.globs is not None and self.globs.match(name)):
            return True
        return self.spec is not None and any(self.spec.match_file(c) for c in candidates)

SUFFIXES = (".py", ".pyi")


class Discovery:
    def __init__(self, settings: Settings, respect_gitignore: bool = True, force_exclude: bool = False) -> None:
        self.settings = settings
        self.respect_gitignore = respect_gitignore
        self.force_exclude = force_exclude
        self.root = os.path.abspath(settings.root)
        self.exclude = Excludes([*settings.exclude, *settings.extend_exclude])
        self._gitignores: Dict[str, Optional["pathspec.PathSpec"]] = {}
        self.errors: List[str] = []

    # -- exclusion -----------------------------------------------------
    def excluded(self, path: str, is_dir: bool) -> bool:
        """Matches an exclude pattern, relative to the config root or by its own name."""
        absolute = os.path.abspath(path)
        name = os.path.basename(absolute)
        if self.exclude.spec is None:
            return self.exclude.match(name, ())
        suffix = "/" if is_dir else ""
        candidates = [name + suffix]
        rel = os.path.relpath(absolute, self.root)
        if not rel.startswith(".."):
            candidates.append(rel.replace(os.sep, "/") + suffix)
        return self.exclude.match(name, candidates)

    def _excluded_anywhere(self, path: str) -> bool:
        """A file named explicitly: excluded itself or through any folder above it."""
        absolute = os.path.abspath(path)
        rel = os.path.relpath(absolute, self.root)
        parts = rel.split(os.sep) if not rel.startswith("..") else [os.path.basename(absolute)]
        current = self.root if not rel.startswith("..") else os.path.dirname(absolute)
        for index, part in enumerate(parts):
            current = os.path.join(current, part)
            if self.excluded(current, is_dir=index < len(parts) - 1):
                return True
        return False

    def _gitignore(self, directory: str) -> Optional["pathspec.PathSpec"]:
        if directory not in self._gitignores:
            spec = None
            candidate = os.path.join(directory, ".gitignore")
            if os.path.isfile(candidate):
                import pathspec

                try:
                    with open(candidate, encoding="utf-8", errors="replace") as handle:
                        spec = pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
                except OSError:
                    spec = None
            self._gitignores[directory] = spec
        return self._gitignores[directory]

    def _git_root(self, start: str) -> Optional[str]:
        for directory in [start, *map(str, Path(start).parents)]:
            if os.path.exists(os.path.join(directory, ".git")):
                return directory
        return None

    def ignored(self, path: str, is_dir: bool, chain: Sequence[str]) -> bool:
        """Ignored by any .gitignore in ``chain`` (directories from the git root down)."""
        if not self.respect_gitignore:
            return False
        for directory in chain:
            spec = self._gitignore(directory)
            if spec is None:
                continue
            rel = os.path.relpath(path, directory).replace(os.sep, "/")
            if spec.match_file(rel + ("/" if is_dir else "")):
                return True
        return False

    def _chain_for(self, directory: str) -> List[str]:
        git_root = self._git_root(directory) if self.respect_gitignore else None
        if git_root is None:
            return [directory]
        chain = []
        current = Path(directory)
        while True:
            chain.append(str(current))
            if str(current) == git_root or current.parent == current:
                break
            current = current.parent
        return list(reversed(chain))

    # -- walking ---------------------------------------------------------
    def files(self, paths: Sequence[str]) -> List[str]:
        out: List[str] = []
        seen: Set[str] = set()
        for given in paths:
            if os.path.isdir(given):
                start = os.path.abspath(given)
                for path in self._walk(given, self._chain_for(start)):
                    if path not in seen:
                        seen.add(path)
                        out.append(path)
            elif os.path.exists(given):
                if self.force_exclude and (
                    self._excluded_anywhere(given)
                    or self.ignored(os.path.abspath(given), False, self._chain_for(os.path.dirname(os.path.abspath(given))))
                ):
                    continue
                if given not in seen:
                    seen.add(given)
                    out.append(given)
            else:
                self.errors.append(f"{given}: no such file or directory")
        return out

    def _walk(self, top: str, chain: List[str]) -> Iterator[str]:
        """Files under ``top``. A symlink whose target lies outside ``top`` is
        not followed, so nothing outside the given folder is read or fixed."""
        real_top = os.path.realpath(top)
        visited: Set[Tuple[int, int]] = set()
        stack: List[Tuple[str, List[str]]] = [(top, chain)]
        while stack:
            directory, dir_chain = stack.pop()
            try:
                info = os.stat(directory)
            except OSError as exc:
                self.errors.append(f"{directory}: cannot read directory: {exc.strerror or exc}")
                continue
            key = (info.st_dev, info.st_ino)
            if key in visited:  # a symlink loop or a second link to the same folder
                continue
            visited.add(key)
            try:
                with os.scandir(directory) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                self.errors.append(f"{directory}: cannot read directory: {exc.strerror or exc}")
                continue
            subdirs = []
            for entry in entries:
                path = os.path.join(directory, entry.name) if directory != "." else entry.name
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    continue
                absolute = os.path.abspath(path)
                if self.excluded(path, is_dir) or self.ignored(absolute, is_dir, dir_chain):
                    continue
                if entry.is_symlink() and not _inside(os.path.realpath(path), real_top):
                    continue
                if is_dir:
                    subdirs.append((path, dir_chain + [absolute]))
                elif entry.name.endswith(SUFFIXES):
                    if not entry.is_file() and os.path.exists(path):
                        continue  # a FIFO, socket or device: reading it could block forever
                    yield path
            stack.extend(reversed(subdirs))


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # another drive
        return False
