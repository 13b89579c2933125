"""A self-contained HTML adoption report (``--output-format html``).

One page, no external resources: the CSS and the small script are inline
and a Content-Security-Policy forbids every fetch. The page shows the
summary counts, the findings per rule, per directory, the files with the
most findings, and every finding with its source snippet. Everything the
page shows is rendered server-side, so it reads the same with JavaScript
off; the script only fills the "shown" counter and adds a rule filter.

The output is deterministic: no timestamps, no random ids, sorted tables.
Counts carry ids and ``data-count`` attributes (``#total-findings``,
``#files-linted``, ``#files-with-findings``, ``[data-rule=CODE]``,
``[data-dir=PATH]``, ``[data-file=PATH]``) for scripts and tests.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from html import escape
from typing import Dict, List, Optional, Sequence, Tuple

import asynclint
from asynclint.output import Report, display_path
from asynclint.registry import get_rule
from asynclint.rule import Finding

# Lines of context shown above and below the reported line.
CONTEXT = 2
# At most this many lines of a multi-line node are shown.
MAX_SPAN = 6
# Rows of the "files with the most findings" table.
WORST_FILES = 10

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

STYLE = """
:root { --fg:#1f2328; --muted:#59636e; --bg:#fff; --panel:#f6f8fa; --line:#d1d9e0;
  --accent:#0969da; --bad:#cf222e; --hit:#fff8c5; --mark:#ffd8b5; }
@media (prefers-color-scheme: dark) {
  :root { --fg:#e6edf3; --muted:#9198a1; --bg:#0d1117; --panel:#151b23; --line:#3d444d;
    --accent:#4493f8; --bad:#f85149; --hit:#3b2e00; --mark:#6e3b00; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem; color: var(--fg); background: var(--bg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1rem; margin: 1.5rem 0 .5rem; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
a { color: var(--accent); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
.muted { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; }
.card { flex: 1 1 10rem; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; }
.card .count { display: block; font-size: 1.8rem; font-weight: 600; }
.card.bad .count { color: var(--bad); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.finding { border: 1px solid var(--line); border-radius: 6px; margin: .75rem 0; overflow: hidden; }
.finding header { background: var(--panel); padding: .5rem .75rem; border-bottom: 1px solid var(--line); }
.finding .loc { font-weight: 600; }
.finding .message { margin: .25rem 0 0; }
.finding .help { margin: 0; padding: .4rem .75rem; border-top: 1px solid var(--line); color: var(--muted); }
.badge { display: inline-block; padding: 0 .4rem; border: 1px solid var(--line); border-radius: 1rem; font-size: .8rem; }
pre.snippet { margin: 0; padding: .5rem 0; overflow-x: auto; }
pre.snippet span.line { display: block; padding: 0 .75rem 0 0; white-space: pre; }
pre.snippet span.no { display: inline-block; min-width: 3.5rem; padding-right: .75rem; text-align: right;
  color: var(--muted); user-select: none; }
pre.snippet span.hit { background: var(--hit); }
pre.snippet span.hit span.no { color: var(--bad); font-weight: 600; }
pre.snippet span.span span.no { box-shadow: inset -3px 0 0 var(--mark); }
pre.snippet mark { background: var(--mark); color: inherit; border-bottom: 2px solid var(--bad); }
.js-only { display: none; }
body[data-js="ok"] .js-only { display: block; }
.js-error { background: var(--bad); color: #fff; padding: .5rem 1rem; margin: 1rem 0; }
.filter { margin: .5rem 0; }
[hidden] { display: none !important; }
"""

# Installed before anything else runs: a script error shows up in the page
# itself (tests look for the element it adds).
ONERROR = """
window.onerror = function (message, source, line) {
  var box = document.createElement("div");
  box.id = "js-error";
  box.className = "js-error";
  box.textContent = "Report script error: " + message + " (line " + line + ")";
  (document.body || document.documentElement).appendChild(box);
};
"""

SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var findings = document.querySelectorAll("article.finding");
  var shown = document.getElementById("findings-shown");
  document.getElementById("js-total").textContent = String(data.total);
  var select = document.getElementById("rule-filter");
  data.rules.forEach(function (rule) {
    var option = document.createElement("option");
    option.value = rule.code;
    option.textContent = rule.code + " " + rule.name + " (" + rule.count + ")";
    select.appendChild(option);
  });
  function apply() {
    var code = select.value, count = 0;
    findings.forEach(function (el) {
      var keep = !code || el.getAttribute("data-code") === code;
      el.hidden = !keep;
      if (keep) { count += 1; }
    });
    document.querySelectorAll("section.file").forEach(function (el) {
      el.hidden = !el.querySelector("article.finding:not([hidden])");
    });
    shown.textContent = String(count);
  }
  select.addEventListener("change", apply);
  apply();
  document.body.setAttribute("data-js", "ok");
})();
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _prose(text: str) -> str:
    """Escaped text with its `backticked` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(text))


def _script_json(data: object) -> str:
    """JSON safe to place inside a <script> element."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _directory(path: str) -> str:
    return os.path.dirname(path) or "."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _rule_link(code: str, text: Optional[str] = None) -> str:
    rule = get_rule(code)
    label = _e(text if text is not None else code)
    if rule is None:
        return label
    return f'<a href="{_e(rule.url())}" rel="noreferrer" target="_blank">{label}</a>'


def _snippet(report: Report, f: Finding) -> str:
    """A few lines around the finding; its line is marked, the node's columns
    on it are wrapped in <mark>, further lines of a multi-line node get a
    side bar."""
    lines = report.lines(f.path)
    if not 1 <= f.row <= len(lines):
        return '<p class="help">Source not available.</p>'
    span_end = min(max(f.end_row, f.row), f.row + MAX_SPAN - 1, len(lines))
    first = max(1, f.row - CONTEXT)
    last = min(len(lines), span_end + CONTEXT)
    out = []
    for row in range(first, last + 1):
        text = lines[row - 1].rstrip("\r\n")
        if row == f.row:
            start = min(max(f.col - 1, 0), len(text))
            single = f.end_row == f.row and f.end_col > f.col
            end = min(max(f.end_col - 1, start), len(text)) if single else len(text)
            if end > start:
                body = f"{_e(text[:start])}<mark>{_e(text[start:end])}</mark>{_e(text[end:])}"
            else:
                body = _e(text)
            cls, attr = "line hit", ' data-hit="1"'
        else:
            body = _e(text)
            cls, attr = ("line span" if f.row < row <= span_end else "line"), ""
        out.append(f'<span class="{cls}"{attr}><span class="no">{row}</span>{body}</span>')
    return '<pre class="snippet">' + "".join(out) + "</pre>"


def _fix_badge(report: Report, f: Finding) -> str:
    if f.fix == "safe":
        return ' <span class="badge" title="fixed by --fix">fix</span>'
    if f.fix == "unsafe":
        return ' <span class="badge" title="fixed by --fix --unsafe-fixes">unsafe fix</span>'
    return ""


def _finding(report: Report, f: Finding, index: int) -> str:
    rule = get_rule(f.code)
    name = rule.name if rule is not None else ""
    path = display_path(f.path)
    head = (
        f'<span class="loc mono">{_e(path)}:{f.row}:{f.col}</span> '
        f'<code>{_rule_link(f.code)}</code> <span class="muted">{_e(name)}</span>{_fix_badge(report, f)}'
    )
    parts = [
        f'<article class="finding" id="finding-{index}" data-code="{_e(f.code)}" '
        f'data-path="{_e(path)}" data-row="{f.row}" data-col="{f.col}">',
        f'<header>{head}<p class="message">{_prose(f.message)}</p></header>',
        _snippet(report, f),
    ]
    help_parts = []
    if rule is not None and f.fix and rule.fix_message:
        note = "" if report.applicable(f) else " (unsafe fix: use --unsafe-fixes)"
        help_parts.append(f"Fix: {_prose(rule.fix_message)}{_e(note)}. ")
    if rule is not None:
        help_parts.append(_rule_link(f.code, f"Read the {f.code} documentation"))
    if help_parts:
        parts.append(f'<p class="help">{"".join(help_parts)}</p>')
    parts.append("</article>")
    return "\n".join(parts)


def _count_cell(value: int, **data: str) -> str:
    attrs = "".join(f' data-{key}="{_e(val)}"' for key, val in data.items())
    return f'<td class="num"{attrs} data-count="{value}">{value}</td>'


def _summary(total: int, linted: int, with_findings: int, rules: int, fixable: int, unsafe: bool) -> str:
    cards = [
        ("total-findings", total, "findings", total > 0),
        ("files-linted", linted, "files linted", False),
        ("files-with-findings", with_findings, "files with findings", with_findings > 0),
        ("rules-triggered", rules, "rules triggered", False),
        ("fixable-findings", fixable, "fixable by --fix" + (" --unsafe-fixes" if unsafe else ""), False),
    ]
    out = ['<section id="summary"><h2>Summary</h2><div class="cards">']
    for ident, value, label, bad in cards:
        cls = "card bad" if bad else "card"
        out.append(
            f'<div class="{cls}"><span class="count" id="{ident}" data-count="{value}">{value}</span>'
            f"{_e(label)}</div>"
        )
    out.append("</div></section>")
    return "\n".join(out)


def _rules_table(rule_counts: Sequence[Tuple[str, int]]) -> str:
    out = ['<section id="rules"><h2>Findings per rule</h2>']
    if not rule_counts:
        out.append('<p class="muted">No rule reported anything.</p></section>')
        return "\n".join(out)
    out.append(
        '<table><thead><tr><th>Code</th><th>Name</th>'
        '<th class="num">Findings</th><th>Fix</th><th>Docs</th></tr></thead><tbody>'
    )
    for code, count in rule_counts:
        rule = get_rule(code)
        name = rule.name if rule is not None else ""
        summary = rule.summary() if rule is not None else ""
        fix = {"safe": "safe", "unsafe": "unsafe"}.get(rule.fix or "", "") if rule is not None else ""
        docs = _rule_link(code, "docs") if rule is not None else ""
        out.append(
            f'<tr data-rule="{_e(code)}"><td><code>{_rule_link(code)}</code></td>'
            f'<td title="{_e(summary)}">{_e(name)}</td>{_count_cell(count, rule=code)}'
            f"<td>{_e(fix)}</td><td>{docs}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return "\n".join(out)


def _directories_table(linted: Sequence[str], per_file: Dict[str, int]) -> str:
    files: Dict[str, int] = Counter(_directory(p) for p in linted)
    flagged: Dict[str, int] = Counter(_directory(p) for p in per_file)
    findings: Dict[str, int] = defaultdict(int)
    for path, count in per_file.items():
        findings[_directory(path)] += count
    rows = sorted(files, key=lambda d: (-findings.get(d, 0), d))
    out = ['<section id="directories"><h2>Findings per directory</h2>']
    if not rows:
        out.append('<p class="muted">No files were linted.</p></section>')
        return "\n".join(out)
    out.append(
        '<table><thead><tr><th>Directory</th><th class="num">Files linted</th>'
        '<th class="num">Files with findings</th><th class="num">Findings</th></tr></thead><tbody>'
    )
    for directory in rows:
        out.append(
            f'<tr data-dir="{_e(directory)}"><td class="mono">{_e(directory)}</td>'
            f'<td class="num">{files[directory]}</td><td class="num">{flagged.get(directory, 0)}</td>'
            f"{_count_cell(findings.get(directory, 0), dir=directory)}</tr>"
        )
    out.append("</tbody></table></section>")
    return "\n".join(out)


def _worst_table(per_file: Dict[str, int], codes: Dict[str, List[str]], anchors: Dict[str, str]) -> str:
    out = ['<section id="worst-files"><h2>Files with the most findings</h2>']
    worst = sorted(per_file.items(), key=lambda item: (-item[1], item[0]))[:WORST_FILES]
    if not worst:
        out.append('<p class="muted">No file has findings.</p></section>')
        return "\n".join(out)
    out.append(
        '<table><thead><tr><th>File</th><th class="num">Findings</th><th>Rules</th></tr></thead><tbody>'
    )
    for path, count in worst:
        rules = ", ".join(f"<code>{_rule_link(code)}</code>" for code in codes[path])
        out.append(
            f'<tr data-file="{_e(path)}"><td class="mono"><a href="#{anchors[path]}">{_e(path)}</a></td>'
            f"{_count_cell(count, file=path)}<td>{rules}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return "\n".join(out)


def html(report: Report) -> str:
    findings = list(report.findings)
    paths = [display_path(f.path) for f in findings]
    per_file: Dict[str, int] = Counter(paths)
    linted = sorted(set(display_path(p) for p in report.files) | set(per_file))
    codes: Dict[str, List[str]] = defaultdict(list)
    for f, path in zip(findings, paths):
        if f.code not in codes[path]:
            codes[path].append(f.code)
    for path in codes:
        codes[path].sort()
    rule_counts = sorted(Counter(f.code for f in findings).items(), key=lambda item: (-item[1], item[0]))
    fixable = sum(1 for f in findings if report.applicable(f))

    # Findings grouped by file, files in path order, findings in report order.
    by_file: Dict[str, List[Tuple[int, Finding]]] = defaultdict(list)
    for index, (f, path) in enumerate(zip(findings, paths), start=1):
        by_file[path].append((index, f))
    anchors = {path: f"file-{n}" for n, path in enumerate(sorted(by_file), start=1)}

    data = {
        "total": len(findings),
        "files_linted": len(linted),
        "files_with_findings": len(per_file),
        "rules": [
            {"code": code, "count": count, "name": (get_rule(code).name if get_rule(code) else "")}
            for code, count in rule_counts
        ],
    }

    body: List[str] = [
        "<header>",
        "<h1>asynclint report</h1>",
        f'<p class="muted">asynclint {_e(asynclint.__version__)}: '
        f"{_e(_plural(len(findings), 'finding'))} in "
        f"{_e(_plural(len(per_file), 'file'))} of {_e(_plural(len(linted), 'file'))} linted.</p>",
        "</header>",
        "<main>",
        _summary(len(findings), len(linted), len(per_file), len(rule_counts), fixable, report.unsafe_fixes),
        _rules_table(rule_counts),
        _directories_table(linted, per_file),
        _worst_table(per_file, codes, anchors),
        '<section id="findings"><h2>Findings</h2>',
    ]
    if findings:
        body.append(
            '<div class="filter js-only"><label for="rule-filter">Show rule </label>'
            '<select id="rule-filter"><option value="">all rules</option></select> '
            '<span class="muted">showing <span id="findings-shown"></span> of '
            '<span id="js-total"></span> findings</span></div>'
        )
    else:
        body.append(
            '<p class="muted">No findings.</p>'
            '<div class="js-only" hidden><select id="rule-filter"></select>'
            '<span id="findings-shown"></span><span id="js-total"></span></div>'
        )
    for path in sorted(by_file):
        items = by_file[path]
        body.append(
            f'<section class="file" id="{anchors[path]}" data-file="{_e(path)}">'
            f'<h3>{_e(path)} <span class="muted">({_e(_plural(len(items), "finding"))})</span></h3>'
        )
        body.extend(_finding(report, f, index) for index, f in items)
        body.append("</section>")
    body.append("</section>")
    body.append("</main>")

    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="asynclint">',
            '<link rel="icon" href="data:,">',
            f"<title>asynclint report: {_e(_plural(len(findings), 'finding'))}</title>",
            f"<style>{STYLE}</style>",
            f"<script>{ONERROR}</script>",
            "</head>",
            "<body>",
            *body,
            f'<script type="application/json" id="report-data">{_script_json(data)}</script>',
            f"<script>{SCRIPT}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )
