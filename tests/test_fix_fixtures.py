"""Fix fixtures: tests/fix_fixtures/DLPnnn/<name>.py -> <name>.fixed.py (see the README there)."""
from __future__ import annotations

import ast
import shlex
import shutil
from collections import Counter
from pathlib import Path

import pytest

from flake8_dlpractice.cli import fix as cli
from flake8_dlpractice.fixes import allowed, findings_of, select_rules
from flake8_dlpractice.fixes.text import decode_source
from flake8_dlpractice.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent / "fix_fixtures"
INPUTS = sorted(p for p in ROOT.glob("DLP*/*.py") if not p.name.endswith(".fixed.py"))


def arguments(path: Path) -> list[str]:
    first = path.read_bytes().splitlines()[0].decode("utf-8") if path.read_bytes() else ""
    extra = shlex.split(first.split("dlp-fix:", 1)[1]) if first.startswith("# dlp-fix:") else []
    if "--select" not in extra:
        extra = ["--select", path.parent.name, *extra]
    return extra


def findings(data: bytes, args: list[str]):
    select = args[args.index("--select") + 1].split(",")
    rules = select_rules(select, [])
    text = decode_source(data).text
    return findings_of(ast.parse(text), text, "fixture.py", rules)


@pytest.mark.parametrize("path", INPUTS, ids=[f"{p.parent.name}/{p.name}" for p in INPUTS])
def test_fix_fixture(path: Path, tmp_path: Path, capsys):
    args = arguments(path)
    expected_path = path.with_name(path.stem + ".fixed.py")
    expected = expected_path.read_bytes() if expected_path.exists() else path.read_bytes()
    work = tmp_path / path.name
    shutil.copyfile(path, work)
    status = cli.main([*args, "-q", str(work)])
    out = capsys.readouterr()
    assert status in (0, 1), out.err
    assert work.read_bytes() == expected, out.err
    ast.parse(decode_source(expected).text)

    before = findings(path.read_bytes(), args)
    after = findings(expected, args)
    assert status == (1 if after else 0)
    unsafe = "--unsafe-fixes" in args
    assert not [f for f in after if allowed(f, unsafe)], "a fixable finding is left"
    grown = Counter(f.code for f in after) - Counter(f.code for f in before)
    assert not grown, f"new findings after the fix: {grown}"
    if expected != path.read_bytes():
        assert len(after) < len(before)

    # idempotent: a second run changes nothing
    status2 = cli.main([*args, "-q", str(work)])
    capsys.readouterr()
    assert work.read_bytes() == expected
    assert status2 == status


def test_every_fixable_rule_has_fix_fixtures():
    fixable = {rule.code for rule in ALL_RULES if rule.fix != "none"}
    covered = {p.parent.name for p in INPUTS if p.with_name(p.stem + ".fixed.py").exists()}
    assert fixable - covered == set(), f"fixable rules without fix fixtures: {sorted(fixable - covered)}"
