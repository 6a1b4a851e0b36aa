"""Every fixture gives exactly its expected (line, code) findings, through flake8 and pylint."""
from __future__ import annotations

import pytest

from conftest import FIXTURES, expected, fixture_files
from flake8_dlpractice.rules import ALL_RULES

FILES = fixture_files()
IDS = [str(p.relative_to(FIXTURES)) for p in FILES]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_flake8_findings(path, flake8_results):
    assert sorted(flake8_results[path.resolve()]) == sorted(expected(path))


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_pylint_findings(path, pylint_results):
    assert sorted(pylint_results[path.resolve()]) == sorted(expected(path))


def test_front_ends_agree(flake8_results, pylint_results):
    assert flake8_results == pylint_results


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_every_rule_has_flagged_and_clean_fixtures(rule):
    folder = FIXTURES / rule.code
    files = sorted(folder.glob("*.py"))
    flagged = [p for p in files if any(code == rule.code for _, code in expected(p))]
    clean = [p for p in files if not expected(p)]
    assert flagged, f"{rule.code} has no fixture with '# expect: {rule.code}'"
    assert clean, f"{rule.code} has no clean fixture (a file without expectations)"
