"""What the user reads of a leakage finding: exact messages pinned in the fixtures, and the limits.

A fixture line may pin the headline of its finding: ``# expect: DLP102 "'full' is imputed ..."``
(the headline rendered with file lines). Every DLP1xx finding of every fixture keeps the limits
of the finding model: the headline (what LSP, SARIF, JSON and GitHub show) at most
``MAX_HEADLINE`` characters, the flake8/pylint one-line text at most ``MAX_TEXT``.
"""
from __future__ import annotations

import re

import pytest

from conftest import FIXTURES, fixture_files, opt_in_of
from flake8_dlpractice.engine import check_source
from flake8_dlpractice.findings import MAX_HEADLINE, MAX_TEXT

PINNED = re.compile(r'#\s*expect:\s*(DLP\d{3})\s+"(.*)"\s*$')
LEAKAGE = [p for p in fixture_files() if p.parent.name.startswith("DLP10")]


def pinned(path) -> dict[tuple[int, str], str]:
    out = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = PINNED.search(line)
        if match:
            out[(number, match.group(1))] = match.group(2)
    return out


def findings(path):
    return check_source(path.read_text(encoding="utf-8"), str(path), opt_in=opt_in_of(path))


@pytest.mark.parametrize("path", LEAKAGE, ids=[str(p.relative_to(FIXTURES)) for p in LEAKAGE])
def test_leakage_messages_keep_the_limits(path):
    for finding in findings(path):
        assert len(finding.render_headline()) <= MAX_HEADLINE, finding.render_headline()
        assert len(finding.text) <= MAX_TEXT, finding.text


PINNED_FILES = [p for p in fixture_files() if pinned(p)]


@pytest.mark.parametrize("path", PINNED_FILES, ids=[str(p.relative_to(FIXTURES)) for p in PINNED_FILES])
def test_pinned_messages(path):
    got = {(f.line, f.code): f.render_headline() for f in findings(path)}
    for key, text in pinned(path).items():
        assert got.get(key) == text, key


def test_every_leakage_rule_pins_messages():
    codes = {code for path in PINNED_FILES for _, code in pinned(path)}
    assert {"DLP100", "DLP101", "DLP102", "DLP105"} <= codes
