"""The two front ends as users drive them, through the real ``flake8`` and ``pylint`` commands.

flake8: stdin mode as editors use it, ``# noqa`` with and without codes, opt-in selection
(``--select DLP`` runs only default rules; naming the full code turns an opt-in rule on, on the
command line or in a config file), 1-based columns. pylint: symbols are the catalog names, texts
start with the DLP code, ``# pylint: disable=`` works on the line, opt-in messages are off by
default and ``--enable=<symbol>`` turns them on.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_dlpractice.pylint_plugin import message_id
from flake8_dlpractice.rules import ALL_RULES, OPT_IN_CODES, RULES_BY_CODE

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*(DLP\d{3}(?:\s*,\s*DLP\d{3})*)")
FORMAT = "--format=%(path)s\t%(row)d\t%(col)d\t%(code)s\t%(text)s"
PLUGIN = "--load-plugins=flake8_dlpractice.pylint_plugin"

# One DLP100 finding per fitting line; everything else in the module is clean for default rules.
HEAD = """\
from sklearn.model_selection import train_test_split
from sklearn.ensemble import RandomForestClassifier

X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0)
clf = RandomForestClassifier(random_state=0)
"""
FIT = "clf.fit(X_te, y_te)"
FIRST = HEAD.count("\n") + 1  # line number of the first line after HEAD


def flake8(args, cwd, stdin=None, isolated=True):
    cmd = [sys.executable, "-m", "flake8", *(["--isolated"] if isolated else []), FORMAT, *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, input=stdin, timeout=300)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assert proc.stderr == "", proc.stderr
    return proc


def rows(proc) -> list[tuple[str, int, int, str, str]]:
    out = []
    for line in proc.stdout.splitlines():
        path, row, col, code, text = line.split("\t", 4)
        out.append((path, int(row), int(col), code, text))
    return out


def found(proc) -> set[tuple[int, str]]:
    return {(row, code) for _, row, _, code, _ in rows(proc)}


def pylint(args, cwd, disable_all=True):
    cmd = [sys.executable, "-m", "pylint", PLUGIN, *(["--disable=all"] if disable_all else []),
           "--output-format=json", "--score=n", "--persistent=n", *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=300)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout or "[]")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- flake8 -------------------------------------------------------------------------------------

def test_flake8_stdin_display_name(tmp_path):
    """``flake8 --select DLP --stdin-display-name train.py -`` as editors run it."""
    source = HEAD + FIT + "\n"
    proc = flake8(["--select=DLP", "--stdin-display-name=train.py", "-"], tmp_path, stdin=source)
    assert [(p, r, c) for p, r, c, code, _ in rows(proc) if code == "DLP100"] == [("train.py", FIRST, 1)]
    # same findings as for the file on disk
    write(tmp_path, "train.py", source)
    assert found(flake8(["--select=DLP", "train.py"], tmp_path)) == found(proc)


def test_flake8_noqa(tmp_path):
    source = HEAD + "\n".join([
        f"{FIT};x=1  # noqa: DLP100",  # DLP100 silenced, pycodestyle's E702 still reported
        f"{FIT};x=1  # noqa: E702",  # E702 silenced, DLP100 still reported
        f"{FIT};x=1  # noqa",  # everything silenced
        f"{FIT};x=1  # noqa: DLP101",  # another DLP code: DLP100 still reported
        f"{FIT};x=1  # noqa:DLP100,E231",  # list without space
    ]) + "\n"
    write(tmp_path, "train.py", source)
    got = found(flake8(["--select=DLP100,E7", "train.py"], tmp_path))
    line = FIRST
    assert got == {(line, "E702"),
                   (line + 1, "DLP100"),
                   (line + 3, "DLP100"), (line + 3, "E702"),
                   (line + 4, "E702")}


def _opt_in_fixtures() -> dict[str, list[Path]]:
    """Flagged fixtures of every opt-in rule, by code (files with at least one marker of it)."""
    out: dict[str, list[Path]] = {}
    for code in sorted(OPT_IN_CODES):
        for path in sorted((FIXTURES / code).glob("flagged_*.py")):
            text = path.read_text(encoding="utf-8")
            if any(code in m.group(1) for m in EXPECT.finditer(text)):
                out.setdefault(code, []).append(path)
    return out


@pytest.fixture(scope="module")
def opt_in_files(tmp_path_factory):
    """Copies of the opt-in rules' flagged fixtures (code -> files) in a scratch folder."""
    if not OPT_IN_CODES:
        pytest.skip("no opt-in rule exists yet (flake8_dlpractice.rules.OPT_IN_CODES is empty)")
    fixtures = _opt_in_fixtures()
    if not fixtures:
        pytest.skip(f"no flagged fixture with an expect marker for any opt-in code {sorted(OPT_IN_CODES)}")
    folder = tmp_path_factory.mktemp("optin")
    out: dict[str, list[str]] = {}
    for code, paths in fixtures.items():
        for path in paths:
            name = f"{code}_{path.name}"
            (folder / name).write_bytes(path.read_bytes())
            out.setdefault(code, []).append(name)
    return folder, out


def _by_code(proc) -> dict[str, set[tuple[str, int]]]:
    out: dict[str, set[tuple[str, int]]] = {}
    for path, row, _col, code, _ in rows(proc):
        out.setdefault(code, set()).add((Path(path).name, row))
    return out


def _firing(folder, files, codes) -> str:
    """The first opt-in code whose rule reports something on its own flagged fixtures."""
    proc = flake8(["--select=" + ",".join(["DLP", *codes]), *sum(files.values(), [])], folder)
    for code in codes:
        if _by_code(proc).get(code):
            return code
    pytest.skip(f"no opt-in rule of {codes} reports anything on its flagged fixtures yet")


def test_flake8_opt_in_selection(opt_in_files):
    """``--select DLP`` never runs an opt-in rule; ``--select DLP,<code>`` and ``--extend-select
    <code>`` run that one (and only that one); a prefix (``--select DLP4``) is not enough."""
    folder, files = opt_in_files
    codes = sorted(files)
    every = sum(files.values(), [])
    base = _by_code(flake8(["--select=DLP", *every], folder))
    assert not set(base) & OPT_IN_CODES, {c: base[c] for c in set(base) & OPT_IN_CODES}

    everything = _by_code(flake8(["--select=" + ",".join(["DLP", *codes]), *every], folder))
    code = next((c for c in codes if everything.get(c)), None)
    if code is None:
        pytest.skip(f"no opt-in rule of {codes} reports anything on its flagged fixtures yet")
    # naming opt-in codes adds their findings and changes nothing else
    assert {c: v for c, v in everything.items() if c not in OPT_IN_CODES} == base
    assert {c for c in everything if c in OPT_IN_CODES} <= set(codes)

    one = _by_code(flake8([f"--select=DLP,{code}", *every], folder))
    assert one == {**base, code: everything[code]}
    extend = _by_code(flake8(["--select=DLP", f"--extend-select={code}", *every], folder))
    assert extend == one
    prefix = code[:4]  # e.g. DLP4 for DLP402
    by_prefix = _by_code(flake8([f"--select={prefix}", *every], folder))
    assert code not in by_prefix
    assert by_prefix == {c: v for c, v in base.items() if c.startswith(prefix)}


def test_flake8_opt_in_from_config_file(opt_in_files):
    """A project's setup.cfg turns an opt-in rule on the same way the command line does."""
    folder, files = opt_in_files
    code = _firing(folder, files, sorted(files))
    every = sum(files.values(), [])
    cli = _by_code(flake8([f"--select=DLP,{code}", *every], folder))
    (folder / "setup.cfg").write_text(f"[flake8]\nselect = DLP\nextend-select = {code}\n", encoding="utf-8")
    try:
        from_config = _by_code(flake8(every, folder, isolated=False))
    finally:
        (folder / "setup.cfg").unlink()
    assert from_config == cli


def test_flake8_columns(tmp_path):
    """flake8 columns are 1-based: a call indented by 4 is reported at column 5; pylint reports
    the same place 0-based."""
    source = HEAD + "if True:\n    " + FIT + "\nclf.fit(X_te, y_te)\n"
    write(tmp_path, "train.py", source)
    got = {(r, c, code) for _, r, c, code, _ in rows(flake8(["--select=DLP100", "train.py"], tmp_path))}
    assert got == {(FIRST + 1, 5, "DLP100"), (FIRST + 2, 1, "DLP100")}
    messages = pylint(["--enable=test-data-in-fitting", "train.py"], tmp_path)
    assert {(m["line"], m["column"]) for m in messages} == {(FIRST + 1, 4), (FIRST + 2, 0)}


# -- pylint -------------------------------------------------------------------------------------

def test_pylint_symbols_are_catalog_names():
    """Every rule is registered under its catalog name with the id derived from its code."""
    proc = subprocess.run([sys.executable, "-m", "pylint", PLUGIN, "--list-msgs"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for rule in ALL_RULES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
        listed = re.escape(f":{rule.name} ({message_id(rule.code)}):") + r"\s+\*?" + rule.code + ": "
        assert re.search(listed, proc.stdout), rule.code
    ids = [message_id(r.code) for r in ALL_RULES]
    assert len(set(ids)) == len(ids)


def test_pylint_message_text_and_disable(tmp_path):
    source = HEAD + "\n".join([
        FIT,
        f"{FIT};x=1  # pylint: disable=test-data-in-fitting",  # ours silenced, C0321 still there
        f"{FIT}  # pylint: disable=W8700",  # by message id
        f"{FIT}  # pylint: disable=multiple-statements",  # another message: ours still there
    ]) + "\n"
    write(tmp_path, "train.py", source)
    messages = pylint(["--enable=test-data-in-fitting,multiple-statements", "train.py"], tmp_path)
    got = {(m["line"], m["symbol"]) for m in messages}
    assert got == {(FIRST, "test-data-in-fitting"), (FIRST + 1, "multiple-statements"),
                   (FIRST + 3, "test-data-in-fitting")}
    for m in messages:
        if m["symbol"] == "test-data-in-fitting":
            assert m["message"].startswith("DLP100 "), m["message"]
            assert m["message-id"] == message_id("DLP100")


def test_pylint_defaults_and_opt_in(opt_in_files, tmp_path):
    """With pylint's default configuration default rules report and opt-in ones stay silent;
    ``--enable=<symbol>`` turns an opt-in rule on."""
    folder, files = opt_in_files
    code = _firing(folder, files, sorted(files))
    symbol = RULES_BY_CODE[code].name
    paths = files[code]

    def ours(messages):
        out = {}
        for m in messages:
            if m["message"].startswith("DLP"):
                dlp = m["message"].split(" ", 1)[0]
                assert m["symbol"] == RULES_BY_CODE[dlp].name
                out.setdefault(dlp, set()).add((Path(m["path"]).name, m["line"]))
        return out

    default = ours(pylint(paths, folder, disable_all=False))
    assert not set(default) & OPT_IN_CODES, default
    enabled = ours(pylint([f"--enable={symbol}", *paths], folder, disable_all=False))
    flake8_view = _by_code(flake8([f"--select=DLP,{code}", *paths], folder))
    assert enabled.get(code) and enabled[code] == flake8_view[code]
    assert {c: v for c, v in enabled.items() if c != code} == default

    # a default rule reports under pylint's default configuration too
    write(tmp_path, "train.py", HEAD + FIT + "\n")
    reported = ours(pylint(["train.py"], tmp_path, disable_all=False))
    assert reported.get("DLP100") == {("train.py", FIRST)}
    assert not set(reported) & OPT_IN_CODES
