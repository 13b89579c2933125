"""The ``asynclint`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import List, Optional, Sequence

from asynclint import __version__
from asynclint.config import (
    ConfigError,
    Settings,
    check_selector,
    find_config,
    load_settings,
    with_overrides,
)
from asynclint.output import FORMAT_NAMES, TEXT_FORMATS, Report, renderer

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes_arg(text: str) -> List[str]:
    return [c.strip().upper() for c in text.split(",") if c.strip()]


def _globs_arg(text: str) -> List[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _jobs_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asynclint",
        description="Find the code shapes that make asyncio services hang.",
        epilog="Other commands: `asynclint rule CODE | --all` prints a rule's documentation.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to lint (default: .); - reads stdin")
    parser.add_argument("--version", action="version", version=f"asynclint {__version__}")
    sel = parser.add_argument_group("rule selection")
    sel.add_argument("--select", type=_codes_arg, metavar="CODES", help="comma-separated codes or prefixes (ALL, HNG1, HNG100); replaces the configured selection")
    sel.add_argument("--extend-select", type=_codes_arg, metavar="CODES", help="codes or prefixes to enable on top of the selection")
    sel.add_argument("--ignore", type=_codes_arg, metavar="CODES", help="codes or prefixes to disable")
    files = parser.add_argument_group("file selection")
    files.add_argument("--exclude", type=_globs_arg, metavar="GLOBS", help="gitignore-style patterns to exclude (replaces the configured and default ones)")
    files.add_argument("--extend-exclude", type=_globs_arg, metavar="GLOBS", help="patterns to exclude on top of the configured ones")
    files.add_argument("--force-exclude", action="store_true", help="apply exclusions to files named on the command line too")
    files.add_argument("--respect-gitignore", dest="respect_gitignore", action="store_true", default=True, help="skip files ignored by .gitignore (default)")
    files.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_false", help="lint files ignored by .gitignore too")
    files.add_argument("--stdin-filename", metavar="NAME", help="the name used for stdin input in reports and for per-file settings")
    perf = parser.add_argument_group("speed")
    perf.add_argument("--jobs", "-j", type=_jobs_arg, default=0, metavar="N", help="worker processes (default: all cores)")
    perf.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    perf.add_argument("--cache-dir", metavar="DIR", help="where the cache lives (default: .asynclint_cache next to the config)")
    cfg = parser.add_argument_group("configuration")
    cfg.add_argument("--config", metavar="FILE", help="use this pyproject.toml or asynclint.toml")
    cfg.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    fix = parser.add_argument_group("fixes")
    fix.add_argument("--fix", action="store_true", help="apply safe fixes, then report what remains")
    fix.add_argument("--unsafe-fixes", action="store_true", help="also apply (with --fix) or show unsafe fixes")
    fix.add_argument("--diff", action="store_true", help="print the diff --fix would apply and write nothing (exit 1 when non-empty)")
    fix.add_argument("--show-fixes", action="store_true", help="list the fixes applied")
    fix.add_argument("--exit-non-zero-on-fix", action="store_true", help="exit 1 when a fix was applied, even if nothing remains")
    legacy = parser.add_argument_group("existing code bases")
    chosen = legacy.add_mutually_exclusive_group()
    chosen.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in FILE (overrides `baseline` in the config)")
    chosen.add_argument("--no-baseline", action="store_true", help="ignore the configured baseline")
    legacy.add_argument("--write-baseline", metavar="FILE", help="record the current findings in FILE and exit 0")
    legacy.add_argument("--add-noqa", action="store_true", help="add `# noqa: CODE` comments to every line with a finding and exit")
    out = parser.add_argument_group("output")
    out.add_argument("--output-format", choices=FORMAT_NAMES, default=None, help="report format (default: full)")
    out.add_argument("-o", "--output-file", metavar="FILE", help="write the report to FILE instead of stdout")
    out.add_argument("--statistics", action="store_true", help="print the number of findings per rule instead of the findings")
    out.add_argument("-q", "--quiet", action="store_true", help="print findings only, no summary")
    out.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    return parser


def rule_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asynclint rule", description="Print a rule's documentation.")
    parser.add_argument("code", nargs="?", help="rule code, e.g. HNG100")
    parser.add_argument("--all", action="store_true", help="every rule")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["rule"]:
            return rule_command(args[1:])
        if args[:1] == ["check"]:
            args = args[1:]
        return check_command(args)
    except ConfigError as exc:
        print(f"asynclint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:  # pragma: no cover
        return 130


def rule_command(argv: Sequence[str]) -> int:
    from asynclint.docs import render_rule
    from asynclint.registry import all_rules, get_rule

    args = rule_parser().parse_args(argv)
    if args.all:
        sys.stdout.write("\n\n".join(render_rule(cls) for cls in all_rules().values()))
        return EXIT_OK
    if not args.code:
        print("asynclint rule: give a rule code (e.g. HNG100) or --all", file=sys.stderr)
        return EXIT_ERROR
    cls = get_rule(args.code)
    if cls is None:
        print(f"asynclint rule: unknown rule code {args.code!r}", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(render_rule(cls))
    return EXIT_OK


def resolve_settings(args: argparse.Namespace, paths: Sequence[str]) -> Settings:
    if args.isolated:
        settings = Settings(root=os.getcwd())
    elif args.config:
        config = Path(args.config)
        if not config.is_file():
            raise ConfigError(f"--config: no such file: {args.config}")
        settings = load_settings(config)
    else:
        first = paths[0] if paths and paths[0] != "-" else (args.stdin_filename or ".")
        found = find_config(Path(first))
        settings = load_settings(found) if found is not None else Settings(root=os.getcwd())
    for flag in ("select", "extend_select", "ignore"):
        for code in getattr(args, flag) or ():
            check_selector(code, "--" + flag.replace("_", "-"))
    if args.select is not None:
        # as in ruff, a new `select` starts over: the file's ignores no longer apply
        selection = dict(
            select=tuple(args.select),
            extend_select=tuple(args.extend_select or ()),
            ignore=tuple(args.ignore or ()),
        )
    else:
        selection = dict(
            extend_select=settings.extend_select + tuple(args.extend_select or ()),
            ignore=settings.ignore + tuple(args.ignore or ()),
        )
    return with_overrides(
        settings,
        **selection,
        exclude=tuple(args.exclude) if args.exclude is not None else None,
        extend_exclude=settings.extend_exclude + tuple(args.extend_exclude or ()),
    )


def check_command(argv: Sequence[str]) -> int:
    from asynclint.discovery import Discovery

    args = check_parser().parse_args(argv)
    paths = args.paths or ["."]
    settings = resolve_settings(args, paths)
    baseline = _load_baseline(args, paths, settings)
    if args.add_noqa:
        return _add_noqa(args, paths, settings, baseline)
    fixing = args.fix or args.diff
    run = Run(settings, unsafe=args.unsafe_fixes, fixing=fixing, write=args.fix and not args.diff)
    stdin_fixed: Optional[bytes] = None
    if "-" in paths:
        name = args.stdin_filename or "-"
        stdin_fixed = run.stdin(name, sys.stdin.buffer.read())
        paths = [p for p in paths if p != "-"]
    if paths:
        discovery = Discovery(settings, respect_gitignore=args.respect_gitignore, force_exclude=args.force_exclude)
        files = sorted(discovery.files(paths))
        run.errors.extend(discovery.errors)
        if fixing:
            for path in files:
                run.file(path)
        else:
            run.many(files, jobs=args.jobs, cache_dir=None if args.no_cache else (args.cache_dir or _default_cache_dir(settings)))
    findings = sorted(run.findings)
    if args.write_baseline:
        return _write_baseline(args.write_baseline, args.quiet, paths, run, findings)
    gone = 0
    if baseline is not None:
        findings, gone = _apply_baseline(baseline, paths, run, findings)
    report = Report(findings=findings, files=run.linted, unsafe_fixes=args.unsafe_fixes)
    for name, text in run.sources.items():
        report.set_source(name, text)
    fmt = args.output_format or "full"
    if fmt in ("json", "json-lines", "sarif") and not args.diff:
        run.attach_fix_edits(report)
    if args.diff:
        diff = "".join(run.diffs)
        _write(diff, args.output_file)
        count = len(run.fixed)
        if not args.quiet:
            print(f"Would fix {count} error{'s' if count != 1 else ''}." if count else "No errors would be fixed.", file=sys.stderr)
        _print_problems(run)
        if run.errors:
            return EXIT_ERROR
        return EXIT_FINDINGS if diff else EXIT_OK
    from asynclint.output.text import statistics

    text = statistics(report) if args.statistics else renderer(fmt)(report)
    if fmt in TEXT_FORMATS and not args.quiet and not args.statistics:
        if args.show_fixes and run.fixed:
            text += show_fixes(run.fixed)
        if run.findings or run.fixed or not run.errors:
            text += summary(report, len(run.fixed) if fixing else None)
        if gone:
            text += _no_longer_message(gone)
    elif gone and not args.quiet:
        sys.stderr.write(_no_longer_message(gone))
    if stdin_fixed is not None and args.fix:
        sys.stdout.flush()
        sys.stdout.buffer.write(stdin_fixed)  # the fixed source, in its own encoding; the report goes to stderr
        sys.stdout.buffer.flush()
        if args.output_file:
            _write(text, args.output_file)
        else:
            sys.stderr.write(text)
    else:
        _write(text, args.output_file)
    _print_problems(run)
    internal = any(f.code == "HNG002" for f in findings)
    if run.errors or internal:
        return EXIT_ERROR
    if args.exit_non_zero_on_fix and run.fixed:
        return EXIT_FINDINGS
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def _load_baseline(args: argparse.Namespace, paths: Sequence[str], settings: Settings):
    """The baseline in force (None: none), after checking the flags that go with it."""
    if args.add_noqa and (args.fix or args.diff or args.write_baseline):
        raise ConfigError("--add-noqa cannot be combined with --fix, --diff or --write-baseline")
    if args.add_noqa and "-" in paths:
        raise ConfigError("--add-noqa writes files: it cannot read stdin")
    if args.write_baseline and args.diff:
        raise ConfigError("--write-baseline cannot be combined with --diff")
    if args.write_baseline:
        return None  # every current finding is recorded
    from asynclint.baseline import Baseline, configured_path

    path = configured_path(args.baseline, args.no_baseline, settings)
    return Baseline.load(path) if path else None


def _apply_baseline(baseline, paths: Sequence[str], run: "Run", findings: List) -> tuple:
    """(findings not in the baseline, baselined findings that no longer occur)."""
    from asynclint.baseline import Coverage

    matcher = baseline.matcher(run.sources.get)
    findings = matcher.new_findings(findings)
    return findings, matcher.no_longer_found(Coverage(baseline.base_dir, run.linted, paths, run.settings))


def _no_longer_message(count: int) -> str:
    from asynclint.baseline import no_longer_message

    return no_longer_message(count)


def _write_baseline(path: str, quiet: bool, paths: Sequence[str], run: "Run", findings: List) -> int:
    from asynclint.baseline import NEVER_BASELINED, write

    _print_problems(run)
    if run.errors:
        print("asynclint: error: baseline not written: some files could not be linted", file=sys.stderr)
        return EXIT_ERROR
    written = write(path, findings, run.linted, paths, run.settings, run.sources.get)
    if written.warning:
        print(f"asynclint: warning: {written.warning}", file=sys.stderr)
    for f in findings:
        if f.code in NEVER_BASELINED:
            print(f"asynclint: warning: not recorded in a baseline: {f.path}:{f.row}:{f.col}: {f.code} {f.message}", file=sys.stderr)
    if not quiet:
        total = written.baseline.total - written.kept
        kept = f" (and kept {written.kept} for files not linted)" if written.kept else ""
        print(f"Recorded {total} finding{'s' if total != 1 else ''} in {path}{kept}.", file=sys.stderr)
    return EXIT_ERROR if any(f.code == "HNG002" for f in findings) else EXIT_OK


def _add_noqa(args: argparse.Namespace, paths: Sequence[str], settings: Settings, baseline) -> int:
    from asynclint.add_noqa import add_noqa_paths, added_message
    from asynclint.discovery import Discovery

    discovery = Discovery(settings, respect_gitignore=args.respect_gitignore, force_exclude=args.force_exclude)
    files = sorted(discovery.files(paths))
    keep = None
    if baseline is not None:
        matcher = baseline.matcher()

        def keep(path: str, text: str, found: List) -> List:
            matcher.prints.set_text(path, text)
            return matcher.new_findings(found)

    outcome = add_noqa_paths(files, settings, keep)
    if not args.quiet:
        sys.stderr.write(added_message(outcome.added))
    for warning in outcome.warnings:
        print(f"asynclint: warning: {warning}", file=sys.stderr)
    for error in discovery.errors + outcome.errors:
        print(f"asynclint: error: {error}", file=sys.stderr)
    return EXIT_ERROR if discovery.errors or outcome.errors else EXIT_OK


def _default_cache_dir(settings: Settings) -> str:
    from asynclint.runner import CACHE_DIR

    return os.path.join(settings.root, CACHE_DIR)


def _print_problems(run: "Run") -> None:
    for warning in run.warnings:
        print(f"asynclint: warning: {warning}", file=sys.stderr)
    for error in run.errors:
        print(f"asynclint: error: {error}", file=sys.stderr)


class Run:
    """Lints (and with fixing on, fixes) files one by one, collecting the results."""

    def __init__(self, settings: Settings, unsafe: bool, fixing: bool, write: bool) -> None:
        self.settings = settings
        self.unsafe = unsafe
        self.fixing = fixing
        self.write = write
        self.findings: List = []
        self.fixed: List = []
        self.linted: List[str] = []
        self.errors: List[str] = []
        self.warnings: List[str] = []
        self.diffs: List[str] = []
        self.sources: dict = {}

    def many(self, paths: List[str], jobs: int, cache_dir: Optional[str]) -> None:
        from asynclint.runner import Cache, lint_paths

        cache = Cache(cache_dir, self.settings) if cache_dir else None
        findings, errors = lint_paths(paths, self.settings, jobs=jobs, cache=cache)
        self.linted.extend(paths)
        self.findings.extend(findings)
        self.errors.extend(errors)

    def stdin(self, name: str, data: bytes) -> Optional[bytes]:
        """Lint (and fix) stdin; returns the bytes to print back: the input
        itself unless a fix changed it, then the new text in the input's
        encoding (BOM and coding cookie honoured)."""
        from asynclint.engine import SourceError, decode, lint_bytes

        self.linted.append(name)
        try:
            text = decode(data)
        except SourceError:
            self.findings.extend(lint_bytes(data, name, self.settings))
            return data
        self.sources[name] = text
        if not self.fixing:
            self.findings.extend(lint_bytes(data, name, self.settings))
            return None
        from asynclint.fixes import unified_diff
        from asynclint.fixes.runner import fix_text

        new_text, fixed, remaining = fix_text(text, name, self.settings, self.unsafe)
        self.fixed.extend(fixed)
        self.findings.extend(remaining)
        if new_text == text:
            return data
        import io
        import tokenize

        from asynclint.writer import Original, WriteError, encode

        try:
            out = encode(new_text, Original(name, data, tokenize.detect_encoding(io.BytesIO(data).readline)[0]))
        except WriteError as exc:
            self.errors.append(str(exc))
            self.fixed = [f for f in self.fixed if f not in fixed]
            self.findings = [f for f in self.findings if f not in remaining] + lint_bytes(data, name, self.settings)
            return data
        self.diffs.append(unified_diff(name, text, new_text))
        self.sources[name] = new_text
        return out

    def file(self, path: str) -> None:
        self.linted.append(path)
        if not self.fixing:
            from asynclint.engine import lint_file

            findings, error = lint_file(path, self.settings)
            if error:
                self.errors.append(error)
            self.findings.extend(findings)
            return
        from asynclint.fixes import unified_diff
        from asynclint.fixes.runner import fix_file

        outcome = fix_file(path, self.settings, self.unsafe, write=self.write)
        if outcome.error:
            self.errors.append(outcome.error)
        if outcome.warning:
            self.warnings.append(outcome.warning)
        self.fixed.extend(outcome.fixed)
        self.findings.extend(outcome.remaining)
        if outcome.changed:
            self.diffs.append(unified_diff(path, outcome.old_text, outcome.new_text))
            self.sources[path] = outcome.new_text

    def attach_fix_edits(self, report: Report) -> None:
        """Give every fixable finding its edits and applicability (JSON and SARIF)."""
        fixable = [f for f in report.findings if f.fix]
        if not fixable:
            return
        from asynclint.engine import SourceError, decode
        from asynclint.fixes.runner import fix_edits
        from asynclint.registry import get_rule

        texts: dict = {}
        for finding in fixable:
            if finding.path not in texts:
                text = self.sources.get(finding.path)
                if text is None:
                    try:
                        with open(finding.path, "rb") as handle:
                            text = decode(handle.read())
                    except (OSError, SourceError):
                        text = None
                texts[finding.path] = text
            text = texts[finding.path]
            if text is None:
                continue
            edits = fix_edits(text, finding, self.settings)
            rule = get_rule(finding.code)
            report.fixes[id(finding)] = (
                {
                    "applicability": finding.fix,
                    "message": rule.fix_message if rule is not None else "",
                    "edits": edits,
                }
                if edits
                else None
            )


def show_fixes(fixed: List) -> str:
    from collections import Counter

    from asynclint.output import display_path
    from asynclint.registry import get_rule

    by_file: dict = {}
    for f in fixed:
        by_file.setdefault(display_path(f.path), Counter())[f.code] += 1
    total = len(fixed)
    lines = [f"\nFixed {total} error{'s' if total != 1 else ''}:"]
    for path in sorted(by_file):
        lines.append(f"- {path}:")
        for code, count in sorted(by_file[path].items()):
            rule = get_rule(code)
            lines.append(f"    {count} × {code} ({rule.name if rule else ''})")
    return "\n".join(lines) + "\n\n"


def summary(report: Report, fixed: Optional[int] = None) -> str:
    remaining = len(report.findings)
    if fixed:
        total = fixed + remaining
        return f"Found {total} error{'s' if total != 1 else ''} ({fixed} fixed, {remaining} remaining).\n"
    if not remaining:
        return "All checks passed!\n"
    text = f"Found {remaining} error{'s' if remaining != 1 else ''}.\n"
    fixable = sum(1 for f in report.findings if f.fix == "safe")
    unsafe = sum(1 for f in report.findings if f.fix == "unsafe")
    if report.unsafe_fixes:
        fixable, unsafe = fixable + unsafe, 0
        flag = "`--fix --unsafe-fixes`"
    else:
        flag = "`--fix`"
    if fixable:
        text += f"[*] {fixable} fixable with the {flag} option"
        text += f" ({unsafe} hidden fixes can be enabled with the `--unsafe-fixes` option).\n" if unsafe else ".\n"
    elif unsafe:
        text += f"No fixes available ({unsafe} hidden fixes can be enabled with the `--unsafe-fixes` option).\n"
    return text


def _write(text: str, output_file: Optional[str]) -> None:
    if output_file:
        directory = os.path.dirname(output_file)
        try:
            if directory:
                os.makedirs(directory, exist_ok=True)
            # surrogateescape: a file name that is not UTF-8 is written as its own bytes
            with open(output_file, "w", encoding="utf-8", errors="surrogateescape") as handle:
                handle.write(text)
        except OSError as exc:
            raise ConfigError(f"--output-file: cannot write {output_file}: {exc.strerror or exc}") from None
    else:
        try:
            sys.stdout.write(text)
        except UnicodeEncodeError:  # a file name that is not UTF-8, or a narrow console encoding
            encoding = sys.stdout.encoding or "utf-8"
            try:
                data = text.encode(encoding, "surrogateescape")
            except UnicodeEncodeError:
                data = text.encode(encoding, "backslashreplace")
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        sys.stdout.flush()
