"""Baselines: accept a legacy code base's current findings, fail only on new ones.

``asynclint --write-baseline FILE .`` records every finding (after ``# noqa``
and rule selection) in FILE; ``asynclint --baseline FILE .`` (or
``baseline = "FILE"`` in ``[tool.asynclint]``) then reports only the findings
that are not recorded there.

A finding is recorded by its file (relative to the baseline file's folder,
with forward slashes), its code and a fingerprint, never its line number, so
edits elsewhere in the file keep it matched. The fingerprint hashes

- the qualified name of the innermost ``def``/``class`` around the reported
  row (``Client.fetch``; empty at module level), and
- the reported source: the line(s) a ``# noqa`` comment for the finding
  would cover (a multi-line string counts as one line, as in flake8), with
  comments and all whitespace removed.

Identical findings in one scope share a key and are counted: with a count of
2, a third identical finding is reported. A finding whose line was edited
(its fingerprint changed) still matches an entry of the same file, rule and
scope that nothing else matched: the number of such findings in that scope
did not grow. Entries that no longer match any finding in the files linted
are counted as fixed, so the baseline can shrink.

The file is JSON with a ``version`` and entries sorted by path, code and
fingerprint, one entry per line, so that it diffs well in review.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from asynclint.config import ConfigError, Settings
from asynclint.noqa import line_ranges
from asynclint.rule import Finding

VERSION = 1
# a file that cannot be parsed, or a rule that crashed, is never accepted
NEVER_BASELINED = frozenset({"HNG001", "HNG002"})
FINGERPRINT_CHARS = 16

Key = Tuple[str, str, str]  # (path, code, fingerprint)
_WHITESPACE = re.compile(r"\s+")


class BaselineError(ConfigError):
    """A baseline file that is missing, unreadable or malformed (exit code 2)."""


def split_lines(text: str) -> List[str]:
    """Lines with their endings, split where ``ast`` and ``tokenize`` count rows (``\\n``)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


class SourceIndex:
    """What a file's fingerprints are made of: token groups, comments, scopes."""

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)
        self.ranges = line_ranges(self.lines)
        self.comments: Dict[int, int] = {}  # row -> column where its comment starts
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type == tokenize.COMMENT:
                    self.comments[tok.start[0]] = tok.start[1]
        except (tokenize.TokenError, SyntaxError, IndentationError):
            pass
        self.scopes: List[Tuple[int, int, int, str]] = []  # (first row, last row, depth, qualname)
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        self._collect(tree, "", 0)

    def _collect(self, node: ast.AST, prefix: str, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}.{child.name}" if prefix else child.name
                end = getattr(child, "end_lineno", None) or child.lineno
                self.scopes.append((child.lineno, end, depth + 1, name))
                self._collect(child, name, depth + 1)
            else:
                self._collect(child, prefix, depth)

    def scope(self, row: int) -> str:
        """Qualified name of the innermost function or class whose lines hold ``row``."""
        best: Optional[Tuple[int, int, str]] = None
        for first, last, depth, name in self.scopes:
            if first <= row <= last and (best is None or (first, depth) > best[:2]):
                best = (first, depth, name)
        return best[2] if best is not None else ""

    def source(self, row: int) -> str:
        """The reported line(s), comments and whitespace removed."""
        lo, hi = self.ranges.get(row, (row, row))
        parts = []
        for number in range(lo, hi + 1):
            if not 1 <= number <= len(self.lines):
                continue
            line = self.lines[number - 1]
            if number in self.comments:
                line = line[: self.comments[number]]
            parts.append(line)
        return _WHITESPACE.sub("", "".join(parts))


def fingerprint(scope: str, source: str) -> str:
    digest = hashlib.sha256(f"{scope}\0{source}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:FINGERPRINT_CHARS]


def relative_path(path: str, base_dir: str) -> str:
    if path == "-":
        return path
    try:
        rel = os.path.relpath(os.path.abspath(path), base_dir)
    except ValueError:  # another drive
        rel = os.path.abspath(path)
    return rel.replace(os.sep, "/")


def read_source(path: str) -> Optional[str]:
    from asynclint.engine import SourceError, decode

    try:
        with open(path, "rb") as handle:
            return decode(handle.read())
    except (OSError, SourceError):
        return None


class Fingerprints:
    """Keys for findings, reading each file's text once (``text_for``, else the disk)."""

    def __init__(self, base_dir: str, text_for: Optional[Callable[[str], Optional[str]]] = None) -> None:
        self.base_dir = base_dir
        self.text_for = text_for or (lambda path: None)
        self._index: Dict[str, SourceIndex] = {}

    def index(self, path: str) -> SourceIndex:
        if path not in self._index:
            text = self.text_for(path)
            if text is None:
                text = read_source(path) or ""
            self._index[path] = SourceIndex(text)
        return self._index[path]

    def set_text(self, path: str, text: str) -> None:
        """Use ``text`` as the content of ``path`` (already read by the caller)."""
        self._index[path] = SourceIndex(text)

    def key(self, finding: Finding) -> Tuple[Key, str]:
        """(key, scope) of a finding."""
        index = self.index(finding.path)
        scope = index.scope(finding.row)
        key = (relative_path(finding.path, self.base_dir), finding.code, fingerprint(scope, index.source(finding.row)))
        return key, scope


@dataclass
class Baseline:
    path: str
    counts: Dict[Key, int] = field(default_factory=dict)
    scopes: Dict[Key, str] = field(default_factory=dict)

    @property
    def base_dir(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))

    # -- reading and writing ------------------------------------------------
    @classmethod
    def load(cls, path: str) -> "Baseline":
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except FileNotFoundError:
            raise BaselineError(f"baseline file not found: {path} (create it with `asynclint --write-baseline {path}`)") from None
        except OSError as exc:
            raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
        baseline = cls(path)
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or "entries" not in data:
                raise ValueError("expected an object with `version` and `entries`")
            if data.get("version") != VERSION:
                raise ValueError(f"unsupported version {data.get('version')!r} (this asynclint reads version {VERSION})")
            if not isinstance(data["entries"], list):
                raise ValueError("`entries` must be a list")
            for number, entry in enumerate(data["entries"], 1):
                baseline._add_entry(entry, number)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BaselineError(f"{path}: not a valid asynclint baseline: {exc}; recreate it with --write-baseline") from None
        return baseline

    def _add_entry(self, entry: object, number: int) -> None:
        if not isinstance(entry, dict):
            raise ValueError(f"entry {number} is not an object")
        values = [entry.get(name) for name in ("path", "code", "fingerprint")]
        count = entry.get("count", 1)
        if not all(isinstance(v, str) and v for v in values):
            raise ValueError(f"entry {number} needs string `path`, `code` and `fingerprint`")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"entry {number}: `count` must be a positive integer")
        key: Key = (values[0], values[1], values[2])
        self.counts[key] = self.counts.get(key, 0) + count
        scope = entry.get("scope")
        if isinstance(scope, str):
            self.scopes[key] = "" if scope == "<module>" else scope

    def dumps(self) -> str:
        lines = []
        for key in sorted(self.counts):
            path, code, print_ = key
            entry = {
                "path": path,
                "code": code,
                "scope": self.scopes.get(key) or "<module>",
                "fingerprint": print_,
                "count": self.counts[key],
            }
            lines.append("    " + json.dumps(entry, ensure_ascii=False))
        body = ",\n".join(lines)
        entries = f"[\n{body}\n  ]" if lines else "[]"
        return f'{{\n  "version": {VERSION},\n  "entries": {entries}\n}}\n'

    def save(self) -> None:
        """Write the file atomically (a temporary file renamed over it)."""
        from asynclint.writer import replace_atomically

        try:
            if os.path.exists(self.path):
                mode = os.stat(self.path).st_mode & 0o7777
            else:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            replace_atomically(
                os.path.abspath(self.path), self.dumps().encode("utf-8"), mode, prefix=".asynclint-baseline-"
            )
        except OSError as exc:
            raise BaselineError(f"{self.path}: cannot write the baseline: {exc.strerror or exc}") from None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    # -- matching -------------------------------------------------------------
    def matcher(self, text_for: Optional[Callable[[str], Optional[str]]] = None) -> "Matcher":
        return Matcher(self, Fingerprints(self.base_dir, text_for))


class Matcher:
    """Consumes a baseline's counts as findings are matched against it."""

    def __init__(self, baseline: Baseline, prints: Fingerprints) -> None:
        self.baseline = baseline
        self.prints = prints
        self.remaining: Counter = Counter(baseline.counts)
        self.by_scope: Dict[Tuple[str, str, str], List[Key]] = {}
        for key in sorted(baseline.counts):
            scope = baseline.scopes.get(key)
            if scope is not None:
                self.by_scope.setdefault((key[0], key[1], scope), []).append(key)

    def new_findings(self, findings: Iterable[Finding]) -> List[Finding]:
        """The findings not recorded in the baseline (in the order given).

        First every finding is matched by its exact key. Then a finding still
        unmatched takes an entry still unmatched of the same file, rule and
        scope: the recorded line was edited (e.g. a fix on the same line
        changed it), and the number of such findings in that scope did not grow.
        """
        order: List[Tuple[Finding, Optional[Tuple[Key, str]]]] = []
        for finding in findings:
            if finding.code in NEVER_BASELINED:
                order.append((finding, None))
                continue
            key, scope = self.prints.key(finding)
            if self.remaining[key] > 0:
                self.remaining[key] -= 1
            else:
                order.append((finding, (key, scope)))
        kept = []
        for finding, keyed in order:
            if keyed is not None and self._take_edited(*keyed):
                continue
            kept.append(finding)
        return kept

    def _take_edited(self, key: Key, scope: str) -> bool:
        for other in self.by_scope.get((key[0], key[1], scope), ()):
            if self.remaining[other] > 0:
                self.remaining[other] -= 1
                return True
        return False

    def no_longer_found(self, coverage: "Coverage") -> int:
        """How many recorded findings in the files this run covered did not occur."""
        return sum(count for key, count in self.remaining.items() if count > 0 and coverage.covers(key))


class Coverage:
    """Which baseline entries a run speaks for: files it linted with codes it selected,
    and files that no longer exist under the paths it was given."""

    def __init__(self, base_dir: str, linted: Sequence[str], paths: Sequence[str], settings: Settings) -> None:
        self.base_dir = base_dir
        self.linted: Set[str] = {relative_path(p, base_dir) for p in linted}
        self.roots = [os.path.abspath(p) for p in paths if p != "-"]
        self.settings = settings

    def covers(self, key: Key) -> bool:
        path, code, _ = key
        absolute = path if path == "-" else os.path.normpath(os.path.join(self.base_dir, path))
        if code not in self.settings.codes_for(absolute):
            return False
        if path in self.linted:
            return True
        if path == "-" or os.path.exists(absolute):
            return False
        return any(absolute == root or absolute.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots)


def build(
    path: str,
    findings: Iterable[Finding],
    text_for: Optional[Callable[[str], Optional[str]]] = None,
    keep: Optional[Baseline] = None,
    coverage: Optional[Coverage] = None,
) -> Baseline:
    """A baseline of ``findings``, plus the entries of ``keep`` this run did not cover."""
    baseline = Baseline(path)
    prints = Fingerprints(baseline.base_dir, text_for)
    for finding in findings:
        if finding.code in NEVER_BASELINED:
            continue
        key, scope = prints.key(finding)
        baseline.counts[key] = baseline.counts.get(key, 0) + 1
        baseline.scopes[key] = scope
    if keep is not None and coverage is not None:
        for key, count in keep.counts.items():
            if not coverage.covers(key):
                baseline.counts[key] = baseline.counts.get(key, 0) + count
                if key in keep.scopes:
                    baseline.scopes.setdefault(key, keep.scopes[key])
    return baseline


def no_longer_message(count: int) -> str:
    if count == 1:
        return "1 baselined finding no longer occurs; run --write-baseline to shrink the baseline.\n"
    return f"{count} baselined findings no longer occur; run --write-baseline to shrink the baseline.\n"


def configured_path(
    cli_path: Optional[str], disabled: bool, settings: Settings
) -> Optional[str]:
    """The baseline in force: ``--baseline``, else the configured one (relative to its file)."""
    if disabled:
        return None
    if cli_path:
        return cli_path
    if settings.baseline:
        return os.path.join(settings.root, settings.baseline)
    return None


@dataclass
class Written:
    baseline: Baseline
    kept: int  # recorded findings kept from the old file (files this run did not cover)
    warning: Optional[str] = None


def write(
    path: str,
    findings: Sequence[Finding],
    linted: Sequence[str],
    paths: Sequence[str],
    settings: Settings,
    text_for: Optional[Callable[[str], Optional[str]]] = None,
) -> Written:
    """Record ``findings`` in ``path``; entries for files this run did not cover are kept."""
    old: Optional[Baseline] = None
    warning = None
    if os.path.exists(path):
        try:
            old = Baseline.load(path)
        except BaselineError:
            warning = f"{path}: the existing file is not a readable baseline; replaced it"
    coverage = Coverage(os.path.dirname(os.path.abspath(path)), linted, paths, settings)
    baseline = build(path, findings, text_for, keep=old, coverage=coverage)
    kept = 0
    if old is not None:
        kept = sum(count for key, count in old.counts.items() if not coverage.covers(key))
    baseline.save()
    return Written(baseline, kept, warning)
