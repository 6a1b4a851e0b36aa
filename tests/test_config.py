"""One configuration: ``[tool.dlpractice]``, flake8's own options as a fallback, flake8's decisions."""
from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from flake8.style_guide import Decision, DecisionEngine

from flake8_dlpractice.config import (DEFAULT_CONFIG, OPTIONS, ConfigError, Resolver, Selection,
                                      parse_per_file_ignores, read_flake8, read_pyproject)
from flake8_dlpractice.rules import ALL_RULES, OPT_IN_CODES
from flake8_dlpractice.settings import RuleSettings

DEFAULT_CODES = {rule.code for rule in ALL_RULES if rule.default}
LEAKY = """\
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression

X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0)
clf = LogisticRegression()
clf.fit(X_te, y_te)
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- flake8's decisions ---------------------------------------------------------------------------

SELECTORS = [None, ["DLP"], ["DLP1"], ["DLP100"], ["E", "W"], ["D"]]
EXTENDS = [None, ["DLP"], ["DLP10"]]
IGNORES = [None, ["D"], ["DLP"], ["DLP1"], ["DLP100"], ["E501"]]


@pytest.mark.parametrize("select,extend,ignore", list(itertools.product(SELECTORS, EXTENDS, IGNORES)))
def test_selection_decides_like_flake8(select, extend, ignore):
    """Selection.decides gives flake8's own decision for every DLP code under every combination."""
    options = argparse.Namespace(select=select, extend_select=extend, ignore=ignore, extend_ignore=None,
                                 extended_default_select=["C90", "F", "E", "W", "DLP"],
                                 extended_default_ignore=[])
    engine = DecisionEngine(options)
    ours = Selection(None if select is None else tuple(select), tuple(extend or ()), tuple(ignore or ()))
    for code in ["DLP000", "DLP100", "DLP101", "DLP200", "DLP402"]:
        assert ours.decides(code) == (engine.decision_for(code) is Decision.Selected), code


def test_opt_in_rules_need_their_full_code():
    assert not Selection().enabled("DLP402", default=False)
    assert not Selection(("DLP4",)).enabled("DLP402", default=False)
    assert Selection(extend_select=("DLP402",)).enabled("DLP402", default=False)
    assert not Selection(extend_select=("DLP402",), ignore=("DLP402",)).enabled("DLP402", default=False)


# -- [tool.dlpractice] ----------------------------------------------------------------------------

FULL = """\
[project]
name = "demo"

[tool.dlpractice]
select = ["DLP1", "DLP3"]
extend-select = ["DLP402"]
ignore = ["DLP302"]
per-file-ignores = { "tests/*" = ["DLP1"], "conftest.py" = ["DLP3"] }
exclude = ["legacy", "notebooks/old/*"]
unsafe-fixes = true
test-names = ["holdout2"]
validation-names = ["tune"]
train-names = ["fitset"]
seed-functions = ["seed_all", "utils.set_seed"]
logging-functions = ["log_metrics"]
"""


def test_every_option_is_read(tmp_path):
    write(tmp_path, "pyproject.toml", FULL)
    config = read_pyproject(tmp_path)
    assert config.root == tmp_path
    assert config.selection == Selection(("DLP1", "DLP3"), ("DLP402",), ("DLP302",))
    assert config.unsafe_fixes is True
    assert config.settings == RuleSettings(("holdout2",), ("tune",), ("fitset",), ("seed_all", "utils.set_seed"),
                                           ("log_metrics",))
    assert {o.name for o in OPTIONS} == {line.split(" = ")[0] for line in FULL.split("[tool.dlpractice]\n")[1]
                                         .splitlines()}
    codes = lambda path: {rule.code for rule in config.rules_for(str(tmp_path / path))}  # noqa: E731
    assert codes("src/train.py") == {c for c in DEFAULT_CODES if c[:4] in ("DLP1", "DLP3")} - {"DLP302"} | {"DLP402"}
    assert codes("tests/test_a.py") == {c for c in DEFAULT_CODES if c.startswith("DLP3")} - {"DLP302"} | {"DLP402"}
    assert codes("src/conftest.py") == {c for c in DEFAULT_CODES if c.startswith("DLP1")} | {"DLP402"}
    assert config.rules_for(str(tmp_path / "a.py")).settings is config.settings
    assert config.excluded(str(tmp_path / "legacy"))
    assert config.excluded(str(tmp_path / "notebooks" / "old" / "a.py"))
    assert not config.excluded(str(tmp_path / "notebooks" / "new.py"))
    assert config.excludes_file(str(tmp_path / "legacy" / "deep" / "a.py"))
    assert not config.excludes_file(str(tmp_path / "src" / "a.py"))


@pytest.mark.parametrize("table,message", [
    ('selct = ["DLP1"]', "unknown option 'selct'"),
    ('select = ["DLP999"]', "'DLP999' is not a flake8-dlpractice rule code or prefix"),
    ('ignore = ["E501"]', "'E501' is not a flake8-dlpractice rule code or prefix"),
    ('select = "DLP1"', "select: expected a list of strings, got 'DLP1'"),
    ('unsafe-fixes = "yes"', "unsafe-fixes: expected true or false"),
    ('seed-functions = ["seed all"]', "'seed all' is not a function name"),
    ('per-file-ignores = ["tests/*"]', "per-file-ignores: expected a table"),
    ('per-file-ignores = { "t/*" = ["DLPX"] }', "'DLPX' is not a flake8-dlpractice rule code"),
])
def test_bad_configuration_is_a_clear_error(tmp_path, table, message):
    write(tmp_path, "pyproject.toml", f"[tool.dlpractice]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        read_pyproject(tmp_path)
    assert message in str(caught.value)
    assert str(tmp_path / "pyproject.toml") in str(caught.value)


def test_invalid_toml(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.dlpractice\nselect = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_pyproject(tmp_path)


def test_lenient_resolver_warns_once_and_uses_defaults(tmp_path, capsys):
    write(tmp_path, "pyproject.toml", '[tool.dlpractice]\nselct = ["DLP1"]\n')
    resolver = Resolver(strict=False)
    assert resolver.for_file(str(tmp_path / "a.py")) is DEFAULT_CONFIG
    assert resolver.for_file(str(tmp_path / "sub" / "b.py")) is DEFAULT_CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("flake8-dlpractice: warning: ") and "selct" in err


def test_nearest_pyproject_with_the_table_wins(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.dlpractice]\nignore = ["DLP2"]\n')
    write(tmp_path, "pkg/pyproject.toml", '[project]\nname = "pkg"\n')  # no table: keep walking up
    write(tmp_path, "other/pyproject.toml", '[tool.dlpractice]\nignore = ["DLP3"]\n')
    resolver = Resolver()
    assert resolver.for_file(str(tmp_path / "pkg" / "src" / "a.py")).selection.ignore == ("DLP2",)
    assert resolver.for_file(str(tmp_path / "other" / "a.py")).selection.ignore == ("DLP3",)


# -- flake8's configuration as the fallback -------------------------------------------------------

def test_flake8_config_fallback(tmp_path):
    write(tmp_path, "setup.cfg", "[flake8]\nmax-line-length = 100\nextend-ignore = E203, DLP302,DLP304\n"
                                 "per-file-ignores =\n    tests/*: E501, DLP1\n    setup.py:F401\n"
                                 "extend-exclude = legacy/\n")
    config = Resolver().for_file(str(tmp_path / "src" / "a.py"))
    assert config.source == f"{tmp_path / 'setup.cfg'} [flake8]"
    assert config.selection == Selection(None, (), ("DLP302", "DLP304"))
    codes = {rule.code for rule in config.rules_for(str(tmp_path / "tests" / "t.py"))}
    assert codes == DEFAULT_CODES - {"DLP302", "DLP304"} - {c for c in DEFAULT_CODES if c.startswith("DLP1")}
    assert config.excluded(str(tmp_path / "legacy"))


@pytest.mark.parametrize("section", [
    "extend-ignore = D", "ignore = DL,E203", "select = E,F,W", "per-file-ignores = a.py:D",
    "extend-ignore = D\nextend-select = DLP", "select = E,DLP\nignore = D",
])
def test_flake8_config_is_read_as_flake8_select_dlp_reads_it(tmp_path, section):
    """Shorter prefixes (pydocstyle's `D`) and a `select` of other tools' codes do not silence the DLP
    rules: `dlp check` reports what `flake8 --select DLP` reports with that configuration."""
    write(tmp_path, "tox.ini", f"[flake8]\n{section}\n")
    assert {r.code for r in read_flake8(tmp_path).rules_for(str(tmp_path / "a.py"))} == DEFAULT_CODES
    write(tmp_path, "a.py", LEAKY)
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--select", "DLP", "a.py"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    dlp = subprocess.run([sys.executable, "-m", "flake8_dlpractice", "check", "-q", "a.py"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert [line.split()[1] for line in flake8.stdout.splitlines()] == ["DLP100"]
    assert dlp.stdout.replace("a.py:6:1: DLP100 ", "") == flake8.stdout.replace("a.py:6:1: DLP100 ", "")


def test_flake8_config_dlp_selectors_still_apply(tmp_path):
    write(tmp_path, "tox.ini", "[flake8]\nselect = E,DLP1\nextend-ignore = D,DLP10\n")
    assert {r.code for r in read_flake8(tmp_path).rules_for("a.py")} == {
        c for c in DEFAULT_CODES if c.startswith("DLP1") and not c.startswith("DLP10")}


def test_pyproject_table_beats_flake8_config(tmp_path):
    write(tmp_path, "setup.cfg", "[flake8]\nextend-ignore = DLP302\n")
    write(tmp_path, "pyproject.toml", '[tool.dlpractice]\nignore = ["DLP2"]\n')
    assert Resolver().for_file(str(tmp_path / "a.py")).selection == Selection(None, (), ("DLP2",))
    assert Resolver(flake8_config=False).for_file(str(tmp_path / "b" / "a.py")).selection.ignore == ("DLP2",)


def test_per_file_ignores_syntax():
    assert parse_per_file_ignores("a.py:E1,DLP1 b/*.py, c.py: DLP2  W") == [
        (["a.py"], ["E1", "DLP1"]), (["b/*.py", "c.py"], ["DLP2", "W"])]


def test_opt_in_codes_exist():
    assert OPT_IN_CODES  # the opt-in tests above name DLP402
    assert "DLP402" in OPT_IN_CODES
