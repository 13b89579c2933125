"""The registry, the rule docs, the fixtures and the README agree; examples work."""

from __future__ import annotations

import re

import pytest

from asynclint import docs
from asynclint.config import Settings
from asynclint.engine import lint_text
from asynclint.registry import RegistryError, _collect, all_rules
from asynclint.rule import Rule
from fixture_expectations import ROOT, expected, fixture_files

RULES = all_rules()
HEADINGS = ["What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References"]
TOOL_CODES = {"HNG001", "HNG002"}


def test_duplicate_codes_are_rejected():
    class A(Rule):
        code = "HNG900"
        name = "a"

    class B(Rule):
        code = "HNG900"
        name = "b"

    with pytest.raises(RegistryError, match="duplicate rule code HNG900"):
        _collect([A, B])


def test_bad_code_is_rejected():
    class C(Rule):
        code = "ASYNC100"
        name = "c"

    with pytest.raises(RegistryError, match="bad rule code"):
        _collect([C])


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_metadata(code):
    cls = RULES[code]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cls.name), cls.name
    assert cls.message, "every rule has a message"
    assert cls.fix in (None, "safe", "unsafe")
    text = cls.doc()
    positions = [text.find(f"## {h}\n") for h in HEADINGS]
    assert all(p >= 0 for p in positions), f"{code}: missing headings"
    assert positions == sorted(positions), f"{code}: headings out of order"
    assert cls.summary().endswith("."), f"{code}: 'What it does' starts with one sentence"
    assert re.search(r"\]\(https?://", cls.doc_section("References")), f"{code}: links in References"
    if code not in TOOL_CODES:
        assert cls.nodes, f"{code}: dispatches on some node type"
        assert cls.needles, f"{code}: has prefilter needles"
        assert cls.fix_message or cls.fix is None


@pytest.mark.parametrize("code", sorted(set(RULES) - TOOL_CODES))
def test_rule_examples(code):
    """The docs' Example is reported and its Use instead is not."""
    cls = RULES[code]
    bad, good = cls.examples()
    assert bad.strip() and good.strip(), f"{code}: both examples present"
    settings = Settings(select=(code,))
    assert code in {f.code for f in lint_text(bad, "example.py", settings)}, f"{code}: Example not reported"
    assert not lint_text(good, "example.py", settings), f"{code}: Use instead is reported"


def test_docs_are_generated_and_fresh():
    pages = docs.pages()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "rules").glob("*.md")}
    stale = sorted(name for name in set(pages) | set(on_disk) if pages.get(name) != on_disk.get(name))
    assert not stale, f"run `python -m asynclint.docs`: stale or missing {stale}"
    config = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert config == docs.render_configuration(), "run `python -m asynclint.docs`: configuration.md is stale"


def test_registry_docs_fixtures_readme_agree():
    codes = set(RULES)
    doc_codes = {p.stem for p in (ROOT / "docs" / "rules").glob("HNG*.md")}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| (HNG\d{3}) \| ([a-z-]+) \|", readme, re.M))
    fixture_codes = set()
    for path in fixture_files():
        if "incident_app" not in path.parts:
            fixture_codes |= {code for _, code in expected(path)}
    assert doc_codes == codes
    assert set(table) == codes, "README's rule table lists exactly the registered rules"
    assert all(table[c] == RULES[c].name for c in codes), "README names match the rules"
    assert fixture_codes == codes - TOOL_CODES, "every rule has a fixture with findings"
