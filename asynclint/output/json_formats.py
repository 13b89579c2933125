"""JSON (ruff's schema), JSON lines and the GitLab Code Quality report."""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from typing import Dict, List

from asynclint.output import Report, display_path
from asynclint.registry import get_rule
from asynclint.rule import Finding


def finding_object(report: Report, f: Finding) -> dict:
    fix = report.fixes.get(id(f))
    if fix is None and f.fix:
        rule = get_rule(f.code)
        fix = {
            "applicability": f.fix,
            "message": rule.fix_message if rule is not None else "",
            "edits": [],
        }
    rule = get_rule(f.code)
    return {
        "cell": None,
        "code": f.code,
        "end_location": {"column": max(f.end_col, f.col), "row": max(f.end_row, f.row)},
        "filename": os.path.abspath(f.path) if f.path != "-" else f.path,
        "fix": fix,
        "location": {"column": f.col, "row": f.row},
        "message": f.message,
        "noqa_row": f.row,
        "url": rule.url() if rule is not None else None,
    }


def json_array(report: Report) -> str:
    return json.dumps([finding_object(report, f) for f in report.findings], indent=2) + "\n"


def json_lines(report: Report) -> str:
    return "".join(json.dumps(finding_object(report, f)) + "\n" for f in report.findings)


def fingerprints(report: Report) -> Dict[int, str]:
    """Stable ids: path, code, the offending line's text and its occurrence index.

    The row is left out, so adding lines above a finding keeps its id.
    """
    seen: Dict[str, int] = defaultdict(int)
    out: Dict[int, str] = {}
    for f in report.findings:
        lines = report.lines(f.path)
        text = lines[f.row - 1].strip() if 1 <= f.row <= len(lines) else ""
        base = f"{display_path(f.path)}\0{f.code}\0{text}"
        index = seen[base]
        seen[base] += 1
        out[id(f)] = hashlib.sha256(f"{base}\0{index}".encode("utf-8", "surrogateescape")).hexdigest()
    return out


def gitlab(report: Report) -> str:
    prints = fingerprints(report)
    items: List[dict] = []
    for f in report.findings:
        items.append(
            {
                "description": f"{f.code} {f.message}",
                "check_name": f.code,
                "fingerprint": prints[id(f)],
                "severity": "major",
                "location": {
                    "path": display_path(f.path),
                    "lines": {"begin": f.row, "end": max(f.end_row, f.row)},
                },
            }
        )
    return json.dumps(items, indent=2) + "\n"
