"""Decode and parse each file once, walk it once, dispatch to every selected rule."""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple, Type, Union

from asynclint import noqa
from asynclint.config import Settings
from asynclint.context import FileContext, prepare
from asynclint.registry import InternalErrorRule, SyntaxErrorRule, all_rules
from asynclint.rule import Finding, Lower, Rule

_INSTANCES: Dict[str, Rule] = {}


class SourceError(Exception):
    """The file could not be decoded or parsed; carries an HNG001 finding's position."""

    def __init__(self, detail: str, row: int = 1, col: int = 1) -> None:
        super().__init__(detail)
        self.detail = detail
        self.row = max(row, 1)
        self.col = max(col, 1)


def rule_instances(codes: Iterable[str]) -> List[Rule]:
    rules = all_rules()
    out = []
    for code in sorted(codes):
        cls: Optional[Type[Rule]] = rules.get(code)
        if cls is None or not cls.nodes:
            continue
        if code not in _INSTANCES:
            _INSTANCES[code] = cls()
        out.append(_INSTANCES[code])
    return out


Needle = Union[bytes, "re.Pattern[bytes]", Lower]


class Prefilter:
    """A byte-level test: which of the selected rules could report in this file?

    Built from the selected rules' own needles: any of ``needles`` (byte
    strings or compiled byte patterns) and all of ``requires`` (a byte
    string or pattern, or a tuple of which one must occur). Files that no
    rule could report in are never decoded or parsed, and a file is walked
    only for the rules whose needles it contains. Byte strings are found
    with ``bytes.__contains__`` (fast), patterns with one search each.
    """

    def __init__(self, codes: Iterable[str], settings: Settings) -> None:
        self.always: List[str] = []
        self.rules: List[Tuple[str, Tuple[Needle, ...], tuple]] = []
        for code in sorted(codes):
            cls = all_rules().get(code)
            if cls is None or not cls.nodes:
                continue
            needles = cls.needles_for(settings)
            if not needles:
                self.always.append(code)
                continue
            # literal needles first: they are the cheap ones
            ordered = tuple(sorted(needles, key=lambda n: (not isinstance(n, bytes), _source(n))))
            self.rules.append((code, ordered, tuple(cls.requires)))

    def matching(self, data: bytes) -> FrozenSet[str]:
        """The codes whose needles occur in ``data``."""
        found = list(self.always)
        seen: Dict[object, object] = {}
        for code, needles, requires in self.rules:
            # shared gates such as b"async" first: memoised, they rule out
            # several rules with one scan
            if all(_occurs(r, data, seen) for r in requires) and any(_occurs(n, data, seen) for n in needles):
                found.append(code)
        return frozenset(found)

    def __call__(self, data: bytes) -> bool:
        return bool(self.matching(data))


def _occurs(required: Union[Needle, Tuple[Needle, ...]], data: bytes, seen: Dict[object, object]) -> bool:
    """Whether a needle (or one of a tuple of needles) occurs; memoised per file."""
    if isinstance(required, tuple):
        return any(_occurs(r, data, seen) for r in required)
    hit = seen.get(required)
    if hit is None:
        if isinstance(required, Lower):
            lowered = seen.get(Lower)
            if lowered is None:
                lowered = seen[Lower] = data.lower()
            hit = _occurs(required.needle, lowered, {})  # type: ignore[arg-type]
        elif isinstance(required, bytes):
            hit = required in data
        else:
            hit = required.search(data) is not None
        seen[required] = hit
    return bool(hit)


def _source(needle: Needle) -> bytes:
    if isinstance(needle, Lower):
        return _source(needle.needle)
    return needle if isinstance(needle, bytes) else needle.pattern


_PREFILTERS: Dict[Tuple[FrozenSet[str], str], Prefilter] = {}


def prefilter_for(codes: FrozenSet[str], settings: Settings) -> Prefilter:
    key = (codes, settings.key())
    if key not in _PREFILTERS:
        _PREFILTERS[key] = Prefilter(codes, settings)
    return _PREFILTERS[key]


def decode(data: bytes) -> str:
    """Text of a Python source file, honouring a BOM and a PEP 263 cookie."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(str(exc.msg if hasattr(exc, "msg") else exc)) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        ends = [m.end() for m in re.finditer(rb"\r\n|\r|\n", data[: exc.start])]
        line_start = ends[-1] if ends else 0
        # the column counts characters, as for every other finding
        prefix = data[line_start : exc.start].decode(encoding, "replace").lstrip("\ufeff")
        raise SourceError(
            f"cannot decode as {encoding}: invalid byte {data[exc.start:exc.start + 1]!r}",
            len(ends) + 1,
            len(prefix) + 1,
        ) from None
    except LookupError:
        raise SourceError(f"unknown encoding {encoding!r}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def source_lines(text: str) -> List[str]:
    """The lines as Python numbers them (ends kept): only ``\\n``, ``\\r\\n`` and
    ``\\r`` end a line, unlike ``str.splitlines`` (form feed, ``\\x85``, U+2028...)."""
    return _LINE.findall(text)


def parse(text: str, path: str) -> ast.Module:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the code's SyntaxWarnings are not asynclint's output
            return ast.parse(text, filename=path)
    except SyntaxError as exc:
        detail = exc.msg or "invalid syntax"
        # Python may point past the end (EOF) or give an offset within the
        # logical line: keep the position inside the file
        lines = source_lines(text)
        row = min(max(exc.lineno or 1, 1), max(len(lines), 1))
        width = len(lines[row - 1].rstrip("\r\n")) if lines else 0
        raise SourceError(detail, row, min(max(exc.offset or 1, 1), width + 1)) from None
    except (ValueError, TypeError) as exc:  # NUL bytes on older Pythons
        raise SourceError(str(exc)) from None
    except (RecursionError, MemoryError):
        raise SourceError("too deeply nested to parse") from None


def syntax_finding(path: str, error: SourceError) -> Finding:
    return Finding(
        path=path,
        row=error.row,
        col=error.col,
        code=SyntaxErrorRule.code,
        message=SyntaxErrorRule.message.format(detail=error.detail),
        end_row=error.row,
        end_col=error.col,
    )


def run_rules(
    tree: ast.Module, lines: Sequence[str], path: str, settings: Settings, codes: FrozenSet[str]
) -> List[Finding]:
    """Run the rules named by ``codes`` on a parsed tree; unfiltered findings."""
    rules = rule_instances(codes)
    ctx = FileContext(path, tree, lines, settings)
    buckets: Dict[type, List[Rule]] = {}
    for rule in rules:
        for node_type in rule.nodes:
            buckets.setdefault(node_type, []).append(rule)
    try:
        dispatch = prepare(ctx, buckets)
    except RecursionError:
        return [syntax_finding(path, SourceError("too deeply nested to analyse"))]
    failed: Dict[str, Finding] = {}
    too_deep: Dict[str, Finding] = {}
    for node, node_rules in dispatch:
        for rule in node_rules:
            if rule.code in failed or rule.code in too_deep:
                continue
            try:
                rule.check(node, ctx)
            except RecursionError:  # deeply nested code, not a rule bug: HNG001
                row = getattr(node, "lineno", 1)
                col = ctx.column(row, getattr(node, "col_offset", 0))
                too_deep[rule.code] = syntax_finding(path, SourceError("too deeply nested to analyse", row, col))
            except Exception as exc:  # a rule bug must not hide the others' findings
                failed[rule.code] = _internal_error(path, rule, node, exc)
    findings = [f for f in ctx.findings if f.code not in failed and f.code not in too_deep]
    if InternalErrorRule.code in codes:
        findings.extend(failed.values())
    if too_deep and SyntaxErrorRule.code in codes:
        findings.append(min(too_deep.values()))
    return findings


def _internal_error(path: str, rule: Rule, node: ast.AST, exc: Exception) -> Finding:
    row = getattr(node, "lineno", 1)
    summary = f"{type(exc).__name__}: {exc}".strip()
    if len(summary) > 200:
        summary = summary[:197] + "..."
    return Finding(
        path=path,
        row=row,
        col=getattr(node, "col_offset", 0) + 1,
        code=InternalErrorRule.code,
        message=InternalErrorRule.message.format(rule=f"{rule.code} ({rule.name})", detail=summary),
        end_row=row,
        end_col=getattr(node, "col_offset", 0) + 1,
    )


TOOL_CODES = frozenset({SyntaxErrorRule.code, InternalErrorRule.code})


def lint_text(
    text: str,
    path: str,
    settings: Settings,
    needed: Optional[bool] = None,
    rule_codes: Optional[FrozenSet[str]] = None,
) -> List[Finding]:
    """Findings for decoded source.

    ``needed``: whether the prefilter matched (None: compute it); HNG001 is
    reported only for files a rule needed. ``rule_codes``: run only these
    rules (those whose needles the file contains); None runs every selected one.
    """
    codes = settings.codes_for(path)
    if not codes:
        return []
    lines = source_lines(text)
    try:
        tree = parse(text, path)
    except SourceError as error:
        if needed is None:
            needed = prefilter_for(codes, settings)(text.encode("utf-8", "surrogatepass"))
        findings = [syntax_finding(path, error)] if SyntaxErrorRule.code in codes and needed else []
    else:
        run = codes if rule_codes is None else codes & (rule_codes | TOOL_CODES)
        findings = run_rules(tree, lines, path, settings, run)
    return sorted(noqa.filter_findings(findings, lines, text))


def lint_bytes(data: bytes, path: str, settings: Settings, prefilter: bool = True) -> List[Finding]:
    """All findings for one file's content, suppressions applied, sorted.

    With ``prefilter`` (the default) a file in which no selected rule can
    report is not parsed at all, and only the rules whose needles occur run;
    without it every file is parsed by every rule (the findings are the
    same: a test holds the two side by side).
    """
    codes = settings.codes_for(path)
    if not codes:
        return []
    matched = prefilter_for(codes, settings).matching(data)
    needed = bool(matched)
    if prefilter and not needed:
        return []
    try:
        text = decode(data)
    except SourceError as error:
        if SyntaxErrorRule.code in codes and needed:
            return [syntax_finding(path, error)]
        return []
    return lint_text(text, path, settings, needed=needed, rule_codes=matched if prefilter else None)


def lint_file(path: str, settings: Settings, prefilter: bool = True) -> Tuple[List[Finding], Optional[str]]:
    """(findings, error message) for a file on disk; an unreadable file is an error."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return [], f"{path}: cannot read file: {exc.strerror or exc}"
    return lint_bytes(data, path, settings, prefilter), None
