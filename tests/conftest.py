"""Shared test helpers: fixtures with inline expectations, run through the real front ends.

Fixture convention: every ``tests/fixtures/DLPnnn/*.py`` file is ordinary Python; each line that
must be reported ends with ``# expect: DLPnnn`` (several: ``# expect: DLP100,DLP101``). A file
without markers must produce no finding. Fixtures of an opt-in rule's folder run with that rule
enabled; every other fixture runs with the default rules only.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from flake8_dlpractice.rules import OPT_IN_CODES, RULES_BY_CODE

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(DLP\d{3}(?:\s*,\s*DLP\d{3})*)")


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py") if not p.name.endswith(".fixed.py"))


def expected(path: Path) -> set[tuple[int, str]]:
    out = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = EXPECT.search(line)
        if match:
            for code in match.group(1).split(","):
                out.add((number, code.strip()))
    return out


def opt_in_of(path: Path) -> frozenset[str]:
    folder = path.relative_to(FIXTURES).parts[0]
    return frozenset({folder}) if folder in OPT_IN_CODES else frozenset()


def groups() -> dict[frozenset[str], list[Path]]:
    out: dict[frozenset[str], list[Path]] = defaultdict(list)
    for path in fixture_files():
        out[opt_in_of(path)].append(path)
    return out


def run_flake8(paths: list[Path], opt_in=()) -> dict[Path, set[tuple[int, str]]]:
    select = ",".join(["DLP", *sorted(opt_in)])
    cmd = [sys.executable, "-m", "flake8", "--isolated", f"--select={select}",
           "--format=%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s", *map(str, paths)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode in (0, 1), proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr
    found: dict[Path, set[tuple[int, str]]] = {p.resolve(): set() for p in paths}
    for line in proc.stdout.splitlines():
        path, row, _col, code, _text = line.split("\t", 4)
        found.setdefault((ROOT / path).resolve(), set()).add((int(row), code))
    return found


def pylint_symbols(opt_in=()) -> list[str]:
    return [rule.name for code, rule in sorted(RULES_BY_CODE.items())
            if rule.default or code in opt_in]


def run_pylint(paths: list[Path], opt_in=()) -> dict[Path, set[tuple[int, str]]]:
    cmd = [sys.executable, "-m", "pylint", "--load-plugins=flake8_dlpractice.pylint_plugin",
           "--disable=all", f"--enable={','.join(pylint_symbols(opt_in))}",
           "--output-format=json", "--score=n", "--persistent=n", *map(str, paths)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert "internal error" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    found: dict[Path, set[tuple[int, str]]] = {p.resolve(): set() for p in paths}
    for msg in json.loads(proc.stdout or "[]"):
        code = msg["message"].split(" ", 1)[0]
        found.setdefault((ROOT / msg["path"]).resolve(), set()).add((msg["line"], code))
    return found


@pytest.fixture(scope="session")
def flake8_results() -> dict[Path, set[tuple[int, str]]]:
    out: dict[Path, set[tuple[int, str]]] = {}
    for opt_in, paths in groups().items():
        out.update(run_flake8(paths, opt_in))
    return out


@pytest.fixture(scope="session")
def pylint_results() -> dict[Path, set[tuple[int, str]]]:
    out: dict[Path, set[tuple[int, str]]] = {}
    for opt_in, paths in groups().items():
        out.update(run_pylint(paths, opt_in))
    return out
