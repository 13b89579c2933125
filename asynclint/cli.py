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
from asynclint.output import FORMAT_NAMES, TEXT_FORMATS, Report, formats

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes_arg(text: str) -> List[str]:
    return [c.strip().upper() for c in text.split(",") if c.strip()]


def _globs_arg(text: str) -> List[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


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
    cfg = parser.add_argument_group("configuration")
    cfg.add_argument("--config", metavar="FILE", help="use this pyproject.toml or asynclint.toml")
    cfg.add_argument("--isolated", action="store_true", help="ignore every configuration file")
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
    from asynclint.engine import lint_bytes, lint_file

    args = check_parser().parse_args(argv)
    paths = args.paths or ["."]
    settings = resolve_settings(args, paths)
    errors: List[str] = []
    findings = []
    linted: List[str] = []
    report_sources = {}
    if "-" in paths:
        name = args.stdin_filename or "-"
        data = sys.stdin.buffer.read()
        findings.extend(lint_bytes(data, name, settings))
        linted.append(name)
        report_sources[name] = data
        paths = [p for p in paths if p != "-"]
    if paths:
        discovery = Discovery(settings, respect_gitignore=args.respect_gitignore, force_exclude=args.force_exclude)
        files = discovery.files(paths)
        errors.extend(discovery.errors)
        for path in sorted(files):
            file_findings, error = lint_file(path, settings)
            if error:
                errors.append(error)
            findings.extend(file_findings)
            linted.append(path)
    findings.sort()
    report = Report(findings=findings, files=linted)
    for name, data in report_sources.items():
        from asynclint.engine import SourceError, decode

        try:
            report.set_source(name, decode(data))
        except SourceError:
            pass
    fmt = args.output_format or "full"
    from asynclint.output.text import statistics

    text = statistics(report) if args.statistics else formats()[fmt](report)
    if fmt in TEXT_FORMATS and not args.quiet:
        text += summary(report)
    _write(text, args.output_file)
    for error in errors:
        print(f"asynclint: error: {error}", file=sys.stderr)
    internal = any(f.code == "HNG002" for f in findings)
    if errors or internal:
        return EXIT_ERROR
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def summary(report: Report) -> str:
    count = len(report.findings)
    if not count:
        return "All checks passed!\n"
    noun = "error" if count == 1 else "errors"
    text = f"Found {count} {noun}.\n"
    fixable = sum(1 for f in report.findings if f.fix == "safe")
    unsafe = sum(1 for f in report.findings if f.fix == "unsafe")
    if fixable:
        text += f"[*] {fixable} fixable with the `--fix` option"
        text += f" ({unsafe} hidden fixes can be enabled with the `--unsafe-fixes` option).\n" if unsafe else ".\n"
    elif unsafe:
        text += f"No fixes available ({unsafe} hidden fixes can be enabled with the `--unsafe-fixes` option).\n"
    return text


def _write(text: str, output_file: Optional[str]) -> None:
    if output_file:
        with open(output_file, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
