"""Human formats (full, concise), GitHub annotations and statistics."""

from __future__ import annotations

from collections import Counter
from typing import List

from asynclint.output import Report, display_path
from asynclint.registry import get_rule
from asynclint.rule import Finding


def _marker(report: Report, finding: Finding) -> str:
    return "[*] " if report.applicable(finding) else ""


def _header(report: Report, f: Finding) -> str:
    return f"{display_path(f.path)}:{f.row}:{f.col}: {f.code} {_marker(report, f)}{f.message}"


def concise(report: Report) -> str:
    return "".join(_header(report, f) + "\n" for f in report.findings)


def full(report: Report) -> str:
    out: List[str] = []
    for f in report.findings:
        out.append(_header(report, f))
        lines = report.lines(f.path)
        if 1 <= f.row <= len(lines):
            first = max(1, f.row - 1)
            last = min(len(lines), f.end_row if f.end_row >= f.row else f.row, f.row + 4)
            width = len(str(last))
            pad = " " * width
            out.append(f"{pad} |")
            for row in range(first, last + 1):
                out.append(f"{row:>{width}} | {lines[row - 1].rstrip()}")
                if row == f.row:
                    text = lines[row - 1].rstrip()
                    end = f.end_col if f.end_row == f.row and f.end_col > f.col else len(text) + 1
                    caret = " " * (f.col - 1) + "^" * max(1, end - f.col)
                    out.append(f"{pad} | {caret} {f.code}")
            out.append(f"{pad} |")
            rule = get_rule(f.code)
            if rule is not None and rule.fix and rule.fix_message:
                note = "" if report.applicable(f) else " (unsafe fix: use --unsafe-fixes)" if rule.fix == "unsafe" else ""
                out.append(f"{pad} = help: {rule.fix_message}{note}")
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(report: Report) -> str:
    """GitHub Actions workflow commands: one ``::error`` annotation per finding."""
    out = []
    for f in report.findings:
        props = ",".join(
            [
                f"file={_escape_property(display_path(f.path))}",
                f"line={f.row}",
                f"col={f.col}",
                f"endLine={max(f.end_row, f.row)}",
                f"endColumn={max(f.end_col, f.col)}",
                f"title={_escape_property(f.code)}",
            ]
        )
        out.append(f"::error {props}::{_escape_data(f'{f.code} {f.message}')}\n")
    return "".join(out)


def statistics(report: Report) -> str:
    counts = Counter(f.code for f in report.findings)
    if not counts:
        return ""
    width = len(str(max(counts.values())))
    rows = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = get_rule(code)
        fixable = "[*]" if rule is not None and rule.fix == "safe" else "[-]" if rule is not None and rule.fix else "   "
        name = rule.name if rule is not None else ""
        rows.append(f"{count:>{width}}\t{code}\t{fixable} {name}\n")
    return "".join(rows)
