"""SARIF 2.1.0 for code-scanning systems, with full rule metadata."""

from __future__ import annotations

import json
from typing import List

from asynclint import __version__
from asynclint.output import Report, display_path
from asynclint.registry import all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rule_descriptor(cls) -> dict:
    return {
        "id": cls.code,
        "name": cls.name,
        "shortDescription": {"text": cls.summary() or cls.name},
        "fullDescription": {"text": cls.doc_section("What it does") + "\n\n" + cls.doc_section("Why is this bad?")},
        "help": {"text": cls.doc(), "markdown": cls.doc()},
        "helpUri": cls.url(),
        "defaultConfiguration": {"level": "error"},
        "properties": {"fix": cls.fix or "none"},
    }


def sarif(report: Report) -> str:
    rules = list(all_rules().values())
    index = {cls.code: i for i, cls in enumerate(rules)}
    results: List[dict] = []
    for f in report.findings:
        region = {
            "startLine": f.row,
            "startColumn": f.col,
            "endLine": max(f.end_row, f.row),
            "endColumn": max(f.end_col, f.col),
        }
        result = {
            "ruleId": f.code,
            "ruleIndex": index.get(f.code, 0),
            "level": "error",
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": display_path(f.path).replace("\\", "/")},
                        "region": region,
                    }
                }
            ],
        }
        fix = report.fixes.get(id(f))
        if fix and fix.get("edits"):
            result["fixes"] = [
                {
                    "description": {"text": fix.get("message") or ""},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": display_path(f.path).replace("\\", "/")},
                            "replacements": [
                                {
                                    "deletedRegion": {
                                        "startLine": e["location"]["row"],
                                        "startColumn": e["location"]["column"],
                                        "endLine": e["end_location"]["row"],
                                        "endColumn": e["end_location"]["column"],
                                    },
                                    "insertedContent": {"text": e["content"]},
                                }
                                for e in fix["edits"]
                            ],
                        }
                    ],
                }
            ]
        results.append(result)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "asynclint",
                        "version": __version__,
                        "informationUri": "https://github.com/asynclint/asynclint",
                        "rules": [_rule_descriptor(cls) for cls in rules],
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
