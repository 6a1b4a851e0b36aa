"""docs/rules.md is generated from the rules and must match them; every page is complete."""
from __future__ import annotations

import inspect
import re

import pytest

from conftest import ROOT
from flake8_dlpractice.docs import render
from flake8_dlpractice.rules import ALL_RULES

REQUIRED = ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Known limits")


def test_rules_md_is_in_sync():
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == render(), "docs/rules.md is stale: run python -m flake8_dlpractice.docs > docs/rules.md"


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_rule_page_is_complete(rule):
    doc = inspect.cleandoc(type(rule).__doc__ or "")
    for heading in REQUIRED:
        assert heading in doc, f"{rule.code} docs lack {heading!r}"
    if rule.fix != "none":
        assert "## Fix" in doc, f"{rule.code} is fixable ({rule.fix}) but its docs have no '## Fix' section"
    assert re.fullmatch(r"DLP[1-5]\d\d", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.section and rule.summary
    assert rule.fix in ("none", "safe", "unsafe", "safe/unsafe")


CATALOG = ROOT.parent / "shared" / "spec" / "rule-catalog.md"
ROW = re.compile(r"^\| (DLP\d{3}) \| ([a-z0-9-]+) \|.*\| (on|opt-in) \|\s*$")


def test_rules_match_the_catalog():
    """Codes, names and defaults are the catalog's: users put them in configs and noqa comments."""
    if not CATALOG.exists():
        pytest.skip(f"the product catalog is not beside this checkout ({CATALOG})")
    rows = [ROW.match(line) for line in CATALOG.read_text(encoding="utf-8").splitlines()]
    catalog = {m.group(1): (m.group(2), m.group(3) == "on") for m in rows if m}
    assert len(catalog) == 30
    ours = {rule.code: (rule.name, rule.default) for rule in ALL_RULES}
    assert ours == catalog
