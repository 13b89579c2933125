"""JUnit XML: one testcase per file, one failure per finding."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Dict, List

from asynclint.output import Report, display_path
from asynclint.rule import Finding


# characters XML 1.0 cannot hold (control characters, lone surrogates from
# file names that are not UTF-8): written as \x.. escapes
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda m: "\\x%02x" % (ord(m.group()) & 0xFF if 0xDC80 <= ord(m.group()) <= 0xDCFF else ord(m.group())), text)


def junit(report: Report) -> str:
    by_file: Dict[str, List[Finding]] = defaultdict(list)
    for f in report.findings:
        by_file[_xml(display_path(f.path))].append(f)
    files = sorted(set(by_file) | {_xml(display_path(p)) for p in report.files})
    suites = ET.Element("testsuites", name="asynclint", tests=str(len(files)), failures=str(len(report.findings)))
    suite = ET.SubElement(
        suites, "testsuite", name="asynclint", tests=str(len(files)), failures=str(len(report.findings)), errors="0"
    )
    for path in files:
        case = ET.SubElement(suite, "testcase", name=path, classname="asynclint", file=path)
        for f in by_file.get(path, []):
            failure = ET.SubElement(
                case, "failure", message=_xml(f"{f.code} {f.message}"), type=f.code
            )
            failure.text = _xml(f"{path}:{f.row}:{f.col}: {f.code} {f.message}")
    ET.indent(suites) if hasattr(ET, "indent") else None
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
