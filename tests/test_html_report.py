"""The ``--output-format html`` report: its HTML, and the page in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from asynclint.output import Report
from asynclint.output.html import _script_json, html
from asynclint.registry import get_rule
from asynclint.rule import Finding
from fixture_expectations import ROOT

INCIDENT = "fixtures/incident_app"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: Dict[str, Optional[str]], parent: Optional["Node"]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: List[object] = []  # Node or str

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: Optional[str] = None, **attrs: str) -> List["Node"]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def by_id(self, ident: str) -> Optional["Node"]:
        found = [n for n in self.iter() if n.attrs.get("id") == ident]
        assert len(found) <= 1, f"duplicate id {ident}"
        return found[0] if found else None

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()


class TreeBuilder(HTMLParser):
    """A small, strict tree builder: every non-void element must be closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        assert self.current.tag == tag, f"</{tag}> closes <{self.current.tag}>"
        self.current = self.current.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.current is builder.root, f"<{builder.current.tag}> never closed"
    return builder.root


def count_of(doc: Node, ident: str) -> int:
    node = doc.by_id(ident)
    assert node is not None, f"no #{ident}"
    assert node.attrs.get("data-count") == node.text().strip()
    return int(node.text())


def row_counts(doc: Node, attr: str) -> Dict[str, int]:
    out = {}
    for row in doc.find_all("tr"):
        if attr in row.attrs:
            cells = [c for c in row.find_all("td") if "data-count" in c.attrs]
            assert len(cells) == 1
            assert cells[0].text() == cells[0].attrs["data-count"]
            out[row.attrs[attr]] = int(cells[0].text())
    return out


A = """import aiohttp


async def fetch(url):
    # Récupère la page (é before the finding)
    async with aiohttp.ClientSession() as session:
        return await session.get(url)
"""

B = """import asyncio


def start():
    label = "<b>&\\"bold\\"</b>"
    asyncio.create_task(work(label))
    return label


async def work(label):
    await asyncio.sleep(1)
"""


@pytest.fixture
def report() -> Report:
    findings = [
        Finding("svc/api/a.py", 6, 16, "HNG100", "Session has no `timeout=`.", 6, 39, fix="safe"),
        Finding(
            "svc/b.py", 6, 5, "HNG202", "<script>alert('x')</script> & \"quotes\"", 6, 37, fix="unsafe"
        ),
        Finding("svc/b.py", 6, 5, "HNG999", "A code no rule owns", 6, 37),
    ]
    rep = Report(findings=sorted(findings), files=["svc/api/a.py", "svc/b.py", "svc/api/clean.py"])
    rep.set_source("svc/api/a.py", A)
    rep.set_source("svc/b.py", B)
    rep.set_source("svc/api/clean.py", "x = 1\n")
    return rep


def test_summary_counts(report):
    doc = parse(html(report))
    assert count_of(doc, "total-findings") == 3
    assert count_of(doc, "files-linted") == 3
    assert count_of(doc, "files-with-findings") == 2
    assert count_of(doc, "rules-triggered") == 3
    assert count_of(doc, "fixable-findings") == 1  # the unsafe fix needs --unsafe-fixes
    report.unsafe_fixes = True
    assert count_of(parse(html(report)), "fixable-findings") == 2


def test_rule_table_counts_and_doc_links(report):
    doc = parse(html(report))
    assert row_counts(doc, "data-rule") == {"HNG100": 1, "HNG202": 1, "HNG999": 1}
    for code in ("HNG100", "HNG202"):
        (row,) = doc.find_all("tr", data_rule=code)
        hrefs = {a.attrs["href"] for a in row.find_all("a")}
        assert hrefs == {get_rule(code).url()}
        assert get_rule(code).name in row.text()
    (unknown,) = doc.find_all("tr", data_rule="HNG999")
    assert unknown.find_all("a") == []


def test_directory_and_worst_file_tables(report):
    doc = parse(html(report))
    assert row_counts(doc, "data-dir") == {"svc": 2, "svc/api": 1}
    worst = [row.attrs["data-file"] for row in doc.by_id("worst-files").find_all("tr") if "data-file" in row.attrs]
    assert worst == ["svc/b.py", "svc/api/a.py"]
    assert row_counts(doc, "data-file") == {"svc/b.py": 2, "svc/api/a.py": 1}
    # each worst-file row links to that file's section of findings
    for row in doc.by_id("worst-files").find_all("tr"):
        if "data-file" in row.attrs:
            (link,) = [a for a in row.find_all("a") if a.attrs["href"].startswith("#")]
            section = doc.by_id(link.attrs["href"][1:])
            assert section.attrs["data-file"] == row.attrs["data-file"]


def test_findings_show_snippet_message_and_doc_link(report):
    doc = parse(html(report))
    articles = [n for n in doc.iter() if n.tag == "article" and n.has_class("finding")]
    assert [(a.attrs["data-path"], a.attrs["data-row"], a.attrs["data-code"]) for a in articles] == [
        ("svc/api/a.py", "6", "HNG100"),
        ("svc/b.py", "6", "HNG202"),
        ("svc/b.py", "6", "HNG999"),
    ]
    first = articles[0]
    (message,) = [n for n in first.find_all("p") if n.has_class("message")]
    assert message.text() == "Session has no timeout=."
    assert [c.text() for c in message.find_all("code")] == ["timeout="]  # backticks render as <code>
    (pre,) = first.find_all("pre")
    lines = [n for n in pre.find_all("span") if n.has_class("line")]
    numbers = [[c for c in n.children if isinstance(c, Node) and c.has_class("no")][0] for n in lines]
    assert [int(no.text()) for no in numbers] == [4, 5, 6, 7]
    (hit,) = [n for n in lines if n.attrs.get("data-hit") == "1"]
    assert hit.has_class("hit")
    assert hit.text() == "6" + A.splitlines()[5]
    assert [m.text() for m in hit.find_all("mark")] == ["aiohttp.ClientSession()"]
    assert "Récupère" in pre.text()
    assert get_rule("HNG100").url() in {a.attrs["href"] for a in first.find_all("a")}
    assert "Source not available." not in first.text()
    helps = {a.attrs["id"]: [p.text() for p in a.find_all("p") if p.has_class("help")] for a in articles}
    assert helps["finding-1"] == [f"Fix: {get_rule('HNG100').fix_message.replace('`', '')}. Read the HNG100 documentation"]
    assert "(unsafe fix: use --unsafe-fixes)" in helps["finding-2"][0]
    assert helps["finding-3"] == []  # no rule owns HNG999: no fix, no link


def test_everything_is_escaped(report):
    page = html(report)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;" in page
    assert '&quot;&lt;b&gt;&amp;\\&quot;bold\\&quot;&lt;/b&gt;&quot;' in page  # the source line
    doc = parse(page)
    second = doc.by_id("finding-2")
    assert "<script>alert('x')</script> & \"quotes\"" in second.text()
    (hit,) = [n for n in second.find_all("span") if n.attrs.get("data-hit") == "1"]
    assert hit.text() == "6" + B.splitlines()[5]
    # only the report's own three scripts exist
    assert len(doc.find_all("script")) == 3
    assert len(re.findall(r"<script\b", page)) == 3
    # JSON placed in a <script> can never close it
    assert "</" not in _script_json({"x": "</script><script>alert(1)</script>"})
    assert json.loads(_script_json({"x": "</script>&"})) == {"x": "</script>&"}


def test_self_contained_and_deterministic(report):
    page = html(report)
    assert page == html(report)
    doc = parse(page)
    assert page.startswith("<!DOCTYPE html>")
    csp = [m for m in doc.find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1 and "default-src 'none'" in csp[0].attrs["content"]
    for node in doc.iter():
        assert "src" not in node.attrs, node.tag
        href = node.attrs.get("href")
        if href is None:
            continue
        if node.tag == "a":
            assert href.startswith("#") or href.startswith("https://asynclint.readthedocs.io/"), href
        else:
            assert (node.tag, node.attrs.get("rel"), href) == ("link", "icon", "data:,")
    (style,) = doc.find_all("style")
    assert "url(" not in style.text() and "@import" not in style.text()


def test_unknown_source_and_empty_report():
    missing = Report(findings=[Finding("gone/nowhere.py", 3, 1, "HNG100", "m", 3, 5)], files=["gone/nowhere.py"])
    doc = parse(html(missing))
    assert "Source not available." in doc.by_id("finding-1").text()
    empty = parse(html(Report(findings=[], files=["a.py", "b/c.py"])))
    assert count_of(empty, "total-findings") == 0
    assert count_of(empty, "files-linted") == 2
    assert count_of(empty, "files-with-findings") == 0
    assert row_counts(empty, "data-dir") == {".": 0, "b": 0}
    assert "No findings." in empty.by_id("findings").text()


# -- the real command on the incident app ------------------------------------


def expected_counts() -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--output-format", "json", INCIDENT],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    items = json.loads(proc.stdout)
    assert items, "the incident app has findings"
    return {
        "total": len(items),
        "files": len({i["filename"] for i in items}),
        "linted": len(list((ROOT / INCIDENT).rglob("*.py"))),
        "rules": dict(Counter(i["code"] for i in items)),
    }


@pytest.fixture(scope="module")
def incident_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--output-format", "html", "-o", str(out), INCIDENT],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    return out


def test_cli_writes_the_incident_report(incident_report):
    expected = expected_counts()
    page = incident_report.read_text(encoding="utf-8")
    doc = parse(page)
    assert count_of(doc, "total-findings") == expected["total"]
    assert count_of(doc, "files-with-findings") == expected["files"]
    assert count_of(doc, "files-linted") == expected["linted"]
    assert row_counts(doc, "data-rule") == expected["rules"]
    assert sum(row_counts(doc, "data-dir").values()) == expected["total"]
    assert len([n for n in doc.iter() if n.tag == "article"]) == expected["total"]


def chromium_binary() -> Optional[str]:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def dump_dom(page: Path, profile: Path):
    binary = chromium_binary()
    if binary is None:
        pytest.skip("no chromium binary on PATH (Debian: apt-get install chromium)")
    proc = subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # Chromium logs every console message (errors, CSP violations, logs) as
    # "...:INFO:CONSOLE:<line>] "<message>", source: <url> (<line>)".
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def test_page_loads_in_chromium_without_errors(incident_report, tmp_path):
    expected = expected_counts()
    dom, console = dump_dom(incident_report, tmp_path / "profile")
    assert console == []
    doc = parse(dom)
    assert doc.by_id("js-error") is None
    (body,) = doc.find_all("body")
    assert body.attrs.get("data-js") == "ok", "the report script did not run to its end"
    assert doc.by_id("js-total").text() == str(expected["total"])  # filled by the script from its data
    assert doc.by_id("findings-shown").text() == str(expected["total"])
    options = [o.attrs["value"] for o in doc.by_id("rule-filter").find_all("option")]
    assert options == [""] + sorted(expected["rules"], key=lambda c: (-expected["rules"][c], c))
    assert count_of(doc, "total-findings") == expected["total"]
    assert count_of(doc, "files-with-findings") == expected["files"]
    assert count_of(doc, "files-linted") == expected["linted"]


def test_chromium_check_catches_a_script_error(incident_report, tmp_path):
    """The checks above are not vacuous: a broken script is seen both ways."""
    page = incident_report.read_text(encoding="utf-8")
    broken = re.sub(r'(<script type="application/json" id="report-data">)\{', r"\1{oops", page, count=1)
    assert broken != page
    path = tmp_path / "broken.html"
    path.write_text(broken, encoding="utf-8")
    dom, console = dump_dom(path, tmp_path / "profile")
    assert any("Uncaught SyntaxError" in line for line in console), console
    doc = parse(dom)
    assert doc.by_id("js-error") is not None
    assert doc.find_all("body")[0].attrs.get("data-js") is None
