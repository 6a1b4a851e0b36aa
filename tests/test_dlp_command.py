"""The ``dlp`` command as users drive it: exit codes, DLP000, configuration, the four front ends.

Exit status: 0 no findings, 1 findings, 2 usage, configuration or I/O error.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, expected, fixture_files, opt_in_of
from flake8_dlpractice import __version__
from flake8_dlpractice.cli import main
from flake8_dlpractice.cli.files import Project
from flake8_dlpractice.cli.fix import Options, configured
from flake8_dlpractice.fixes import findings_of
from flake8_dlpractice.flake8_plugin import Flake8Plugin
from flake8_dlpractice.report import rule_info
from flake8_dlpractice.rules import ALL_RULES, OPT_IN_CODES

ROOT = Path(__file__).resolve().parent.parent
LEAKY = """\
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression

X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0)
clf = LogisticRegression()
clf.fit(X_te, y_te)
"""
CLEAN = "import os\n\nprint(os.getcwd())\n"


def dlp(*args, cwd=None, capsys=None) -> tuple[int, str, str]:
    """Run ``dlp`` in this process (optionally in ``cwd``): (status, stdout, stderr)."""
    here = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        status = main([str(a) for a in args])
    except SystemExit as exc:  # argparse usage errors
        status = exc.code
    finally:
        os.chdir(here)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def tool(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


# -- exit codes -----------------------------------------------------------------------------------

def test_exit_codes(tmp_path, capsys):
    write(tmp_path, "clean.py", CLEAN)
    write(tmp_path, "leaky.py", LEAKY)
    assert dlp("check", "clean.py", cwd=tmp_path, capsys=capsys) == (0, "All checks passed (1 file).\n", "")
    status, out, err = dlp("check", "leaky.py", cwd=tmp_path, capsys=capsys)
    assert status == 1 and err == ""
    assert out.splitlines()[0].startswith("leaky.py:6:1: DLP100 test data 'X_te'")
    assert out.splitlines()[-1] == "Found 1 finding in 1 file."
    assert dlp("check", "--exit-zero", "leaky.py", cwd=tmp_path, capsys=capsys)[0] == 0
    # usage errors
    status, _, err = dlp("check", "--no-such-flag", cwd=tmp_path, capsys=capsys)
    assert status == 2 and err.startswith("usage: dlp check ")  # the command's usage, not the top level's
    assert err.splitlines()[-1] == "dlp check: error: unrecognized arguments: --no-such-flag"
    status, _, err = dlp("check", "--select", "DLP999", "leaky.py", cwd=tmp_path, capsys=capsys)
    assert status == 2 and "'DLP999' is not a flake8-dlpractice rule code or prefix" in err
    assert dlp("frobnicate", cwd=tmp_path, capsys=capsys)[0] == 2
    assert dlp(cwd=tmp_path, capsys=capsys)[0] == 2
    # I/O errors
    status, _, err = dlp("check", "missing.py", cwd=tmp_path, capsys=capsys)
    assert status == 2 and err == "dlp: missing.py: no such file or directory\n"
    write(tmp_path, "a-file", "")
    status, _, err = dlp("check", "-o", tmp_path / "a-file" / "out.json", "leaky.py", cwd=tmp_path, capsys=capsys)
    assert status == 2
    assert err == f"dlp: {tmp_path / 'a-file' / 'out.json'}: cannot write: {tmp_path / 'a-file'} is not a folder\n"
    # configuration errors
    write(tmp_path, "pyproject.toml", '[tool.dlpractice]\nselect = ["DLP1"]\nignroe = ["DLP2"]\n')
    status, out, err = dlp("check", "leaky.py", cwd=tmp_path, capsys=capsys)
    assert status == 2 and out == ""
    assert err == (f"dlp: {tmp_path / 'pyproject.toml'} [tool.dlpractice]: unknown option 'ignroe' (options: "
                   "select, extend-select, ignore, per-file-ignores, exclude, unsafe-fixes, test-names, "
                   "validation-names, train-names, seed-functions, logging-functions)\n")
    assert dlp("fix", "leaky.py", cwd=tmp_path, capsys=capsys)[0] == 2


def test_output_file_folders_are_created(tmp_path, capsys):
    """As ruff does: `-o reports/dlp.sarif` in a fresh checkout creates `reports/`."""
    write(tmp_path, "leaky.py", LEAKY)
    status, out, err = dlp("check", "--output-format", "json", "-o", "reports/ci/dlp.json", "leaky.py", cwd=tmp_path,
                           capsys=capsys)
    assert (status, out, err) == (1, "", "")
    report = json.loads((tmp_path / "reports" / "ci" / "dlp.json").read_text(encoding="utf-8"))
    assert [(f["code"], f["start"]["line"]) for f in report] == [("DLP100", 6)]


def test_dlp_fix_speaks_as_dlp_fix(tmp_path, capsys):
    """Messages are prefixed with the command the user typed: `dlp fix:` under dlp, `dlp-fix:` alone."""
    write(tmp_path, "leaky.py", LEAKY)
    status, _, err = dlp("fix", "leaky.py", "missing.py", cwd=tmp_path, capsys=capsys)
    assert status == 2
    assert err.splitlines() == ["dlp fix: missing.py: no such file or directory",
                                "dlp fix: Fixed 0 findings in 0 files. 1 finding remains."]
    assert dlp("fix", "--no-such-flag", cwd=tmp_path, capsys=capsys)[2].splitlines()[-1] == \
        "dlp fix: error: unrecognized arguments: --no-such-flag"
    proc = subprocess.run([sys.executable, "-c", "from flake8_dlpractice.cli.fix import main; main()",
                           "missing.py"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.stderr.splitlines()[0] == "dlp-fix: missing.py: no such file or directory"


def test_version_rules_and_rule_pages(capsys):
    assert dlp("--version", capsys=capsys)[1] == f"dlp {__version__}\n"
    assert dlp("-V", capsys=capsys)[1] == f"dlp {__version__}\n"
    status, out, _ = dlp("rules", capsys=capsys)
    rows = out.splitlines()[2:]
    assert out.splitlines()[1].split()[:4] == ["DLP000", "unanalysable-file", "on", "none"]
    assert status == 0 and [row.split()[0] for row in rows] == [rule.code for rule in ALL_RULES]
    for row, rule in zip(rows, ALL_RULES):
        assert row.split()[1:4] == [rule.name, "on" if rule.default else "opt-in", rule.fix]
    docs = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for code in ("DLP000", "DLP100", "DLP302", "DLP402"):
        status, out, _ = dlp("rule", code, capsys=capsys)
        assert status == 0 and out.strip() in docs
        assert out == rule_info(code).page()
    assert dlp("rule", "eval-without-no-grad", capsys=capsys)[1] == dlp("rule", "dlp302", capsys=capsys)[1]
    assert dlp("rule", "DLP000", capsys=capsys)[1].startswith("## DLP000 unanalysable-file\n")
    assert dlp("rule", "DLP999", capsys=capsys)[0] == 2


def test_python_dash_m_is_dlp(tmp_path):
    write(tmp_path, "leaky.py", LEAKY)
    proc = tool("flake8_dlpractice", "check", "-q", "leaky.py", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout.startswith("leaky.py:6:1: DLP100 ")


# -- files that cannot be analysed -------------------------------------------------------------------

def test_unanalysable_files_are_dlp000_at_the_error(tmp_path, capsys):
    write(tmp_path, "a_syntax.py", "import torch\n\nmodel = torch.nn.Linear(2, (\n")
    write(tmp_path, "b_bytes.py", b"x = 1\ny = 'caf\xe9'\n")
    write(tmp_path, "c_null.py", b"x = 1\nyy = 2\x00\n")
    write(tmp_path, "d_indent.py", "def f():\nreturn 1\n")
    write(tmp_path, "e_leaky.py", LEAKY)
    status, out, _ = dlp("check", "-q", ".", cwd=tmp_path, capsys=capsys)
    assert status == 1
    expected = [
        "a_syntax.py:3:28: DLP000 syntax error: '(' was never closed",
        "b_bytes.py:2:9: DLP000 invalid UTF-8 (byte 0xe9 on line 2)",
        "c_null.py:2:7: DLP000 contains null bytes",
        "d_indent.py:2:1: DLP000 indentation error: expected an indented block after "
        "function definition on line 1",
    ]
    got = out.splitlines()[:4]
    if sys.version_info < (3, 10):  # older parsers word (and place) syntax errors otherwise
        expected = [line.split(":")[0] + ":" + line.split(":")[1] + line.split(":")[3] for line in expected]
        got = [line.split(":")[0] + ":" + line.split(":")[1] + line.split(":")[3] for line in got]
    assert got == expected
    assert out.splitlines()[4].startswith("e_leaky.py:6:1: DLP100 ")  # the run went on
    status, out, _ = dlp("check", "-q", "--ignore", "DLP000", ".", cwd=tmp_path, capsys=capsys)
    assert status == 1 and [line[:14] for line in out.splitlines()] == ["e_leaky.py:6:1"]
    status, out, _ = dlp("check", "-q", "--select", "DLP000", ".", cwd=tmp_path, capsys=capsys)
    assert status == 1 and len(out.splitlines()) == 4
    # the plugins never report DLP000: flake8 has E999 for it
    proc = tool("flake8", "--select=DLP,E999", "a_syntax.py", cwd=tmp_path)
    assert "DLP000" not in proc.stdout and "E999" in proc.stdout


# -- every fixture, every front end ---------------------------------------------------------------

@pytest.fixture(scope="module")
def fixture_copy(tmp_path_factory):
    """The fixtures outside this repository (whose setup.cfg keeps DLP out of tests/fixtures)."""
    folder = tmp_path_factory.mktemp("fixtures")
    shutil.copytree(FIXTURES, folder / "fixtures")
    return folder / "fixtures"


def _found(out: str) -> dict[str, set[tuple[int, str]]]:
    found: dict[str, set[tuple[int, str]]] = {}
    for item in json.loads(out):
        found.setdefault(item["file"], set()).add((item["start"]["line"], item["code"]))
    return found


def test_dlp_check_finds_every_fixture_expectation(fixture_copy, capsys):
    """`dlp check` reports exactly the `# expect:` markers of every fixture, in parallel or not."""
    opt_in = sorted(OPT_IN_CODES)
    args = ["check", "--output-format", "json", "--extend-select", ",".join(opt_in), "."]
    status, out, err = dlp(*args, "-j", "2", cwd=fixture_copy, capsys=capsys)
    assert status == 1 and err == ""
    found = _found(out)
    for path in fixture_files():
        relative = str(path.relative_to(FIXTURES))
        want = expected(path)
        got = found.get(relative, set())
        if not opt_in_of(path):  # other opt-in rules are on in this run: compare the rule's own codes
            got = {(line, code) for line, code in got if code not in OPT_IN_CODES}
        else:
            got = {(line, code) for line, code in got if code not in OPT_IN_CODES or code in opt_in_of(path)}
        assert got == want, relative
    assert dlp(*args, "-j", "1", cwd=fixture_copy, capsys=capsys)[1] == out


PROJECT_TOML = """\
[tool.dlpractice]
ignore = ["DLP203"]
extend-select = ["DLP402"]
per-file-ignores = {{ "{ignored}" = ["DLP3"] }}
exclude = ["{excluded}"]
test-names = ["holdout"]
"""


def test_four_front_ends_agree_on_a_configured_project(tmp_path, capsys):
    """dlp check, dlp fix, flake8 and pylint report the same findings for a project configured
    through [tool.dlpractice] (ignore, opt-in by extend-select, per-file-ignores, exclude)."""
    picks = ["DLP100", "DLP203", "DLP302", "DLP306", "DLP402"]
    names = []
    for code in picks:
        for path in sorted((FIXTURES / code).glob("flagged_*.py"))[:2]:
            names.append(f"{code}_{path.name}")
            shutil.copy(path, tmp_path / names[-1])
    write(tmp_path, "pyproject.toml", PROJECT_TOML.format(ignored=names[4], excluded=names[0]))

    checked = _found(dlp("check", "--output-format", "json", ".", cwd=tmp_path, capsys=capsys)[1])
    flake8 = {}
    for line in tool("flake8", "--select=DLP", "--format=%(path)s:%(row)d:%(code)s", ".", cwd=tmp_path).stdout.split():
        path, row, code = line.rsplit(":", 2)
        flake8.setdefault(os.path.normpath(path), set()).add((int(row), code))
    pylint = {}
    proc = tool("pylint", "--load-plugins=flake8_dlpractice.pylint_plugin", "--output-format=json", "--score=n",
                "--persistent=n", *names, cwd=tmp_path)
    for message in json.loads(proc.stdout):
        if message["message"].startswith("DLP"):
            pylint.setdefault(message["path"], set()).add((message["line"], message["message"].split()[0]))
    fixer = {}  # what `dlp fix` works on: each file's findings under its configuration
    project = Project()
    for path in project.files([str(tmp_path)])[0]:
        text = Path(path).read_text(encoding="utf-8")
        _options, rules = configured(path, Options(False, False, False, False), project)
        found = findings_of(ast.parse(text), text, path, rules)
        if found:
            fixer[os.path.relpath(path, tmp_path)] = {(f.line, f.code) for f in found}
    fixed = tool("flake8_dlpractice", "fix", "--check", "--show-fixes", ".", cwd=tmp_path).stdout
    listed = {(m.group(1), int(m.group(2)), m.group(3))
              for m in re.finditer(r"^(?:Would fix )?(\S+?):(\d+):\d+: (DLP\d+)", fixed, re.M)}
    assert listed and listed <= {(path, line, code) for path, found in checked.items() for line, code in found}

    codes = {code for found in checked.values() for _, code in found}
    assert "DLP402" in codes and "DLP203" not in codes  # opt-in named, ignored code gone
    assert names[0] not in checked  # excluded
    assert not {code for _, code in checked.get(names[4], ()) if code.startswith("DLP3")}
    assert checked == flake8 == pylint == fixer


# -- configuration through the command ------------------------------------------------------------

def test_no_path_checks_the_configured_project(tmp_path, capsys):
    write(tmp_path, "pyproject.toml", '[tool.dlpractice]\nexclude = ["scratch"]\n')
    write(tmp_path, "src/leaky.py", LEAKY)
    write(tmp_path, "scratch/leaky.py", LEAKY)
    write(tmp_path, "docs/sub/notes.txt", "")
    status, out, _ = dlp("check", "-q", cwd=tmp_path / "docs" / "sub", capsys=capsys)
    assert status == 1
    assert [line.split(":")[0] for line in out.splitlines()] == [str(tmp_path / "src" / "leaky.py")]
    # pre-commit names every file: --force-exclude applies the excludes to them too
    assert dlp("check", "scratch/leaky.py", cwd=tmp_path, capsys=capsys)[0] == 1
    status, out, _ = dlp("check", "--force-exclude", "scratch/leaky.py", cwd=tmp_path, capsys=capsys)
    assert (status, out) == (0, "No files checked.\n")


def test_checker_and_fixer_follow_the_flake8_configuration(tmp_path, capsys):
    """Without [tool.dlpractice], `extend-ignore = DLP301,DLP302,DLP306` in setup.cfg keeps flake8, dlp check
    and dlp fix in agreement: the fixer leaves those findings alone."""
    source = ("import torch\n\nfor x in val_loader:\n    out = model(x)\n    total += criterion(out, x)\n")
    write(tmp_path, "setup.cfg", "[flake8]\nextend-ignore = DLP301,DLP302,DLP306\n")
    write(tmp_path, "loop.py", source)
    assert tool("flake8", "--select=DLP", "loop.py", cwd=tmp_path).stdout == ""
    assert dlp("check", "loop.py", cwd=tmp_path, capsys=capsys)[0] == 0
    assert dlp("fix", "loop.py", cwd=tmp_path, capsys=capsys)[0] == 0
    assert (tmp_path / "loop.py").read_text(encoding="utf-8") == source
    (tmp_path / "setup.cfg").unlink()
    assert dlp("check", "-q", "loop.py", cwd=tmp_path, capsys=capsys)[1].count("DLP30") == 3


def test_rule_settings_reach_the_engine(tmp_path, capsys):
    source = LEAKY.replace("X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0)",
                           "X_fit, X_ood = X[:100], X[100:]").replace("clf.fit(X_te, y_te)", "clf.fit(X_ood, y)")
    write(tmp_path, "a.py", source)
    assert dlp("check", "a.py", cwd=tmp_path, capsys=capsys)[0] == 0
    write(tmp_path, "pyproject.toml", '[tool.dlpractice]\ntest-names = ["ood"]\n')
    status, out, _ = dlp("check", "-q", "a.py", cwd=tmp_path, capsys=capsys)
    assert status == 1 and out.startswith("a.py:6:1: DLP100 ")


def test_plugins_warn_on_a_bad_configuration_and_go_on(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.dlpractice]\nignroe = ["DLP100"]\n')
    write(tmp_path, "leaky.py", LEAKY)
    proc = tool("flake8", "--select=DLP", "leaky.py", cwd=tmp_path)
    assert proc.returncode == 1 and "DLP100" in proc.stdout
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("flake8-dlpractice: warning: ")
    assert "unknown option 'ignroe'" in proc.stderr
    proc = tool("pylint", "--load-plugins=flake8_dlpractice.pylint_plugin", "--disable=all",
                "--enable=dlpractice", "--score=n", "leaky.py", cwd=tmp_path)
    assert "DLP100" in proc.stdout and proc.stderr.count("flake8-dlpractice: warning: ") == 1


def test_flake8_isolated_ignores_the_dlpractice_table(tmp_path):
    """`flake8 --isolated` reads no configuration file: [tool.dlpractice] included."""
    write(tmp_path, "pyproject.toml", '[tool.dlpractice]\nignore = ["DLP100"]\n')
    write(tmp_path, "leaky.py", LEAKY)
    assert tool("flake8", "--select=DLP", "leaky.py", cwd=tmp_path).stdout == ""
    isolated = tool("flake8", "--isolated", "--select=DLP", "leaky.py", cwd=tmp_path)
    assert isolated.returncode == 1 and isolated.stdout.startswith("leaky.py:6:1: DLP100 ")


# -- the D prefix and the cost of an unselected plugin --------------------------------------------

def test_d_prefix_warning(tmp_path):
    write(tmp_path, "leaky.py", LEAKY)
    write(tmp_path, "setup.cfg", "[flake8]\nextend-ignore = D,E501\n")
    proc = tool("flake8", "leaky.py", cwd=tmp_path)
    assert "DLP" not in proc.stdout
    assert proc.stderr == ("flake8-dlpractice: warning: ignore 'D' also silences every DLP rule (flake8 matches "
                           "code prefixes); add 'extend-select = DLP' to the flake8 configuration to keep them\n")
    write(tmp_path, "setup.cfg", "[flake8]\nextend-ignore = D,E501\nextend-select = DLP\n")
    proc = tool("flake8", "leaky.py", cwd=tmp_path)
    assert "DLP100" in proc.stdout and proc.stderr == ""
    assert tool("flake8", "--select=E9", "leaky.py", cwd=tmp_path).stderr == ""  # not D's doing: no warning


class _Options:
    def __init__(self, **values):
        self.select = values.get("select")
        self.extend_select = values.get("extend_select")
        self.ignore = values.get("ignore")
        self.extend_ignore = values.get("extend_ignore")


@pytest.mark.parametrize("options,active", [
    (dict(), True), (dict(select=["E9"]), False), (dict(select=["E9", "F63"]), False),
    (dict(select=["E9"], extend_select=["DLP1"]), True), (dict(ignore=["DLP"]), False),
    (dict(select=["DLP402"]), True), (dict(extend_ignore=["DLP1", "DLP2", "DLP3", "DLP4", "DLP5"]), False),
])
def test_flake8_plugin_is_idle_when_no_dlp_code_can_be_reported(options, active):
    Flake8Plugin.parse_options(_Options(**options))
    try:
        assert Flake8Plugin.active is active
        if not active:
            assert list(Flake8Plugin(None, "x.py", []).run()) == []  # the tree is never looked at
    finally:
        Flake8Plugin.parse_options(_Options())


def test_pylint_enable_dlpractice_runs_no_opt_in_rule(tmp_path):
    code = "DLP402"
    path = sorted((FIXTURES / code).glob("flagged_*.py"))[0]
    shutil.copy(path, tmp_path / "loop.py")
    pylint = tool("pylint", "--load-plugins=flake8_dlpractice.pylint_plugin", "--disable=all",
                  "--enable=dlpractice", "--score=n", "loop.py", cwd=tmp_path).stdout
    flake8 = tool("flake8", "--select=DLP", "loop.py", cwd=tmp_path).stdout
    assert code not in pylint and code not in flake8
    pylint = tool("pylint", "--load-plugins=flake8_dlpractice.pylint_plugin", "--disable=all",
                  "--enable=dlpractice,unmonitored-gradients", "--score=n", "loop.py", cwd=tmp_path).stdout
    assert code in pylint


# -- suppression comments in every front end -------------------------------------------------------

def test_every_front_end_honours_every_suppression(tmp_path, capsys):
    lines = LEAKY.splitlines()
    fit = lines[-1]
    variants = {
        "noqa.py": f"{fit}  # noqa: DLP100",
        "pragma.py": f"{fit}  # pylint: disable=test-data-in-fitting",  # (a pylint.py would shadow pylint)
        "pragma_id.py": f"{fit}  # pylint: disable=W8700",
        "block.py": f"# pylint: disable=test-data-in-fitting\n{fit}",
        "file.py": f"# dlp: noqa\n{fit}",
        "other.py": f"{fit}  # noqa: E501",  # still reported
    }
    for name, last in variants.items():
        write(tmp_path, name, "\n".join(lines[:-1]) + "\n" + last + "\n")
    names = sorted(variants)
    status, out, _ = dlp("check", "-q", *names, cwd=tmp_path, capsys=capsys)
    assert [line.split(":")[0] for line in out.splitlines()] == ["other.py"]
    flake8 = tool("flake8", "--select=DLP", *names, cwd=tmp_path).stdout
    assert [line.split(":")[0] for line in flake8.splitlines()] == ["other.py"]
    pylint = tool("pylint", "--load-plugins=flake8_dlpractice.pylint_plugin", "--disable=all",
                  "--enable=dlpractice", "--score=n", "--output-format=parseable", *names, cwd=tmp_path).stdout
    assert sorted({line.split(":")[0] for line in pylint.splitlines() if "DLP100" in line}) == ["other.py"]


# -- adoption ---------------------------------------------------------------------------------------

ADOPT = '''\
import torch
from sklearn.model_selection import train_test_split
from sklearn.linear_model import LogisticRegression

X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, random_state=0)
clf = LogisticRegression()
clf.fit(X_te,  # noqa: E501
        y_te)
clf.fit(X_te, y_te); note = """# noqa
"""
clf.fit(
    X_te,
    y_te,
)
for x in val_loader:
    total += criterion(model(x), x)
'''


def test_add_noqa_silences_every_current_finding(tmp_path, capsys):
    path = write(tmp_path, "legacy.py", ADOPT.replace("\n", "\r\n"))
    status, before, _ = dlp("check", "-q", "legacy.py", cwd=tmp_path, capsys=capsys)
    assert status == 1 and before.count("\n") == 5
    status, out, err = dlp("check", "--add-noqa", "legacy.py", cwd=tmp_path, capsys=capsys)
    assert (status, err) == (0, "dlp: Added 4 noqa comments to 1 file.\n")
    text = path.read_bytes().decode("utf-8")
    assert text == ADOPT.replace("\n", "\r\n").replace(
        "# noqa: E501", "# noqa: E501,DLP100").replace(
        "clf.fit(\r\n", "clf.fit(  # noqa: DLP100\r\n").replace(
        "    total += criterion(model(x), x)", "    total += criterion(model(x), x)  # noqa: DLP306").replace(
        "for x in val_loader:", "for x in val_loader:  # noqa: DLP301,DLP302")
    assert tool("flake8", "--select=DLP", "legacy.py", cwd=tmp_path).stdout == ""
    assert dlp("check", "--add-noqa", "legacy.py", cwd=tmp_path, capsys=capsys)[:3:2] == (
        0, "dlp: Added 0 noqa comments to 0 files.\n")
