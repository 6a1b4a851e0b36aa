"""Every output format through ``dlp check`` on a small project: a script with an astral character
before a finding, a notebook, a file that does not parse and a clean file.

Messages belong to the rules (tests/fixtures pin them); these tests pin what the formats add:
paths, cells, positions and their units, levels, fixability, the summary and the options
``--output-format``, ``--output-file``, ``--statistics``, ``--exit-zero`` and ``-q``.
"""
from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from flake8_dlpractice.cli import main
from test_report import SCHEMA

TRAIN = """\
import torch
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

X_fit, X_hold = train_test_split(X, test_size=0.25, random_state=3)
note = "\U0001F600"; norm = StandardScaler().fit(X_hold)


def evaluate(model, loader):
    model.eval()
    for xb, yb in loader:
        print(model(xb))
"""
NOTEBOOK_CELLS = [
    ("markdown", "# Scaling"),
    ("code", "from sklearn.model_selection import train_test_split\n"
             "X_a, X_b = train_test_split(X, test_size=0.25, random_state=3)"),
    ("code", "%matplotlib inline\nnorm = StandardScaler()\nnorm.fit(X_b)"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    nbformat = pytest.importorskip("nbformat")
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    (tmp_path / "pyproject.toml").write_text('[tool.dlpractice]\nselect = ["DLP"]\n', encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "src" / "broken.py").write_text("def (:\n", encoding="utf-8")
    (tmp_path / "src" / "clean.py").write_text("print('ok')\n", encoding="utf-8")
    cells = [new_markdown_cell(text) if kind == "markdown" else new_code_cell(text) for kind, text in NOTEBOOK_CELLS]
    kernel = {"name": "python3", "language": "python", "display_name": "Python 3"}
    notebook = new_notebook(cells=cells, metadata={"kernelspec": kernel})
    (tmp_path / "eda.ipynb").write_text(nbformat.writes(notebook), encoding="utf-8")
    return tmp_path


def dlp(capsys, cwd: Path, *args, paths=(".",)) -> tuple[int, str, str]:
    here = os.getcwd()
    os.chdir(cwd)
    try:
        status = main(["check", "-j", "1", *map(str, args), *paths])
    finally:
        os.chdir(here)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_text(project, capsys):
    status, out, err = dlp(capsys, project, "--output-format", "text")
    assert (status, err) == (1, "")
    heads = [(line.split(": ")[0], line.split(": ")[1][:6]) for line in out.splitlines()[:4]]
    assert heads == [("eda.ipynb:cell 3:3:1", "DLP100"), ("src/broken.py:1:5", "DLP000"),
                     ("src/train.py:6:20", "DLP100"), ("src/train.py:11:5", "DLP302")]
    assert out.splitlines()[3].startswith("src/train.py:11:5: DLP302 [*] ")
    assert out.splitlines()[4:] == ["", "Found 4 findings in 3 files.", "[*] 1 fixable with `dlp fix`."]
    assert out == dlp(capsys, project)[1]  # the default format
    status, out, _ = dlp(capsys, project, "-q", "--exit-zero")
    assert status == 0 and len(out.splitlines()) == 4


def test_json(project, capsys):
    status, out, _ = dlp(capsys, project, "--output-format", "json")
    assert status == 1
    assert [(r["file"], r["code"], r["severity"], r["cell"], r["start"], r["end"], r["fix"] and r["fix"]["safety"])
            for r in json.loads(out)] == [
        ("eda.ipynb", "DLP100", "error", 3, {"line": 3, "column": 1}, {"line": 3, "column": 14}, None),
        ("src/broken.py", "DLP000", "error", None, {"line": 1, "column": 5}, {"line": 1, "column": 5}, None),
        ("src/train.py", "DLP100", "error", None, {"line": 6, "column": 20}, {"line": 6, "column": 48}, None),
        ("src/train.py", "DLP302", "error", None, {"line": 11, "column": 5}, {"line": 12, "column": 25}, "safe")]


def test_sarif(project, capsys):
    status, out, _ = dlp(capsys, project / "src", "--output-format", "sarif", paths=("..",))
    assert status == 1
    log = json.loads(out)
    if SCHEMA is not None:
        jsonschema = pytest.importorskip("jsonschema")
        assert list(jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).iter_errors(log)) == []
    run = log["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": project.as_uri() + "/"}}
    located = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"].get("region"), r.get("properties")) for r in run["results"]]
    assert located == [  # paths relative to the project root although the command ran in src/
        ("DLP100", "error", "eda.ipynb", None, {"cell": 3, "line": 3, "column": 1}),  # cell lines: no file region
        ("DLP000", "error", "src/broken.py", {"startLine": 1, "startColumn": 5, "endLine": 1, "endColumn": 5}, None),
        # UTF-16 columns: the emoji before StandardScaler counts twice (characters: 20..48)
        ("DLP100", "error", "src/train.py", {"startLine": 6, "startColumn": 21, "endLine": 6, "endColumn": 49}, None),
        ("DLP302", "error", "src/train.py", {"startLine": 11, "startColumn": 5, "endLine": 12, "endColumn": 25},
         None)]
    assert all(r["partialFingerprints"]["primaryLocationLineHash"] for r in run["results"])


def test_github(project, capsys):
    status, out, _ = dlp(capsys, project, "--output-format", "github")
    assert status == 1
    assert [line.split("::")[1] for line in out.splitlines()] == [
        "error file=eda.ipynb,title=DLP100 test-data-in-fitting",
        "error file=src/broken.py,line=1,endLine=1,col=5,endColumn=5,title=DLP000 unanalysable-file",
        "error file=src/train.py,line=6,endLine=6,col=20,endColumn=48,title=DLP100 test-data-in-fitting",
        "error file=src/train.py,line=11,endLine=12,title=DLP302 eval-without-no-grad"]
    assert out.splitlines()[0].split("::")[2].startswith("cell 3, line 3, column 1: ")


def test_github_paths_are_relative_to_the_repository_root(project, capsys):
    """GitHub resolves annotation paths from the repository's root, whatever the step's working
    directory (`working-directory: src`), so the paths are the same from anywhere in the project."""
    (project / ".git").mkdir()
    from_root = dlp(capsys, project, "--output-format", "github")[1]
    from_src = dlp(capsys, project / "src", "--output-format", "github", paths=("..",))[1]
    absolute = dlp(capsys, project / "src", "--output-format", "github", paths=(str(project),))[1]
    assert from_src == from_root == absolute
    assert [line.split("::")[1].split(",")[0] for line in from_src.splitlines()] == [
        "error file=eda.ipynb", "error file=src/broken.py", "error file=src/train.py", "error file=src/train.py"]


def test_gitlab(project, capsys):
    status, out, _ = dlp(capsys, project / "src", "--output-format", "gitlab", paths=("..",))
    assert status == 1
    assert [(i["check_name"], i["severity"], i["location"]) for i in json.loads(out)] == [
        ("test-data-in-fitting", "major", {"path": "eda.ipynb", "lines": {"begin": 1, "end": 1}}),
        ("unanalysable-file", "major", {"path": "src/broken.py", "lines": {"begin": 1, "end": 1}}),
        ("test-data-in-fitting", "major", {"path": "src/train.py", "lines": {"begin": 6, "end": 6}}),
        ("eval-without-no-grad", "major", {"path": "src/train.py", "lines": {"begin": 11, "end": 12}})]
    assert json.loads(out)[0]["description"].startswith("DLP100 cell 3, line 3: ")


def test_junit(project, capsys):
    status, out, _ = dlp(capsys, project, "--output-format", "junit")
    assert status == 1
    suite = ET.fromstring(out).find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("5", "4")
    assert [(case.get("classname"), case.get("name"), case.find("failure") is not None) for case in suite] == [
        ("eda.ipynb", "DLP100 test-data-in-fitting (cell 3:3:1)", True),
        ("src/broken.py", "DLP000 unanalysable-file (1:5)", True),
        ("src/clean.py", "no findings", False),
        ("src/train.py", "DLP100 test-data-in-fitting (6:20)", True),
        ("src/train.py", "DLP302 eval-without-no-grad (11:5)", True)]


def test_statistics(project, capsys):
    status, out, _ = dlp(capsys, project, "--statistics")
    assert status == 1
    assert out == ("2  DLP100       test-data-in-fitting\n"
                   "1  DLP000       unanalysable-file\n"
                   "1  DLP302  [*]  eval-without-no-grad\n")
    status, out, _ = dlp(capsys, project, "--statistics", "--output-format", "json", "--exit-zero")
    assert status == 0
    assert [(row["code"], row["count"], row["fixable"]) for row in json.loads(out)] == [
        ("DLP100", 2, 0), ("DLP000", 1, 0), ("DLP302", 1, 1)]


def test_output_file_and_exit_zero(project, capsys):
    for fmt in ("text", "json", "sarif", "github", "gitlab", "junit"):
        printed = dlp(capsys, project, "--output-format", fmt)[1]
        target = project / f"report.{fmt}"
        status, out, err = dlp(capsys, project, "--output-format", fmt, "--output-file", target, "--exit-zero")
        assert (status, out, err) == (0, "", "")
        assert target.read_text(encoding="utf-8") == printed


def test_clean_project_and_unsafe_fixes(project, capsys):
    status, out, _ = dlp(capsys, project, paths=["src/clean.py"])
    assert (status, out) == (0, "All checks passed (1 file).\n")
    assert dlp(capsys, project, "--output-format", "github", paths=["src/clean.py"])[:2] == (0, "")
    assert json.loads(dlp(capsys, project, "--output-format", "json", paths=["src/clean.py"])[1]) == []
    (project / "seeded.py").write_text("from sklearn.model_selection import train_test_split\n"
                                       "a, b = train_test_split(X)\n", encoding="utf-8")
    status, out, _ = dlp(capsys, project, paths=["seeded.py"])
    assert "DLP203 [*]" not in out and "(1 with `dlp fix --unsafe-fixes`)" in out
    flagged = dlp(capsys, project, "--unsafe-fixes", paths=["seeded.py"])[1]
    assert "seeded.py:2:8: DLP203 [*] " in flagged
    assert flagged.endswith("[*] 1 fixable with `dlp fix --unsafe-fixes`.\n")
    (project / "pyproject.toml").write_text('[tool.dlpractice]\nunsafe-fixes = true\n', encoding="utf-8")
    status, out, _ = dlp(capsys, project, paths=["seeded.py"])
    assert "seeded.py:2:8: DLP203 [*] " in out and out.endswith("[*] 1 fixable with `dlp fix`.\n")


def test_sarif_and_gitlab_paths_are_relative_to_the_repository(project, capsys):
    """Code scanning and GitLab read paths from the repository's root, above a project in a subfolder."""
    repository = project.parent / "repo"
    (repository / ".git").mkdir(parents=True)
    project.rename(repository / "ml")
    out = dlp(capsys, repository / "ml" / "src", "--output-format", "sarif", paths=("..",))[1]
    run = json.loads(out)["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repository.as_uri() + "/"}}
    assert sorted({r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}) == [
        "ml/eda.ipynb", "ml/src/broken.py", "ml/src/train.py"]
    out = dlp(capsys, repository / "ml", "--output-format", "gitlab")[1]
    assert sorted({issue["location"]["path"] for issue in json.loads(out)}) == [
        "ml/eda.ipynb", "ml/src/broken.py", "ml/src/train.py"]


def test_no_format_imports_pylint(project):
    """Rule pages (SARIF help, the JSON rule table) name pylint's message ids without importing pylint:
    `dlp check` in any format does not pay for loading it."""
    import subprocess
    import sys

    script = ("import sys\nfrom flake8_dlpractice.cli import main\n"
              "for fmt in ('text', 'json', 'sarif', 'github', 'gitlab', 'junit'):\n"
              "    main(['check', '-j', '1', '--output-format', fmt, '-o', f'out.{fmt}', '--exit-zero', '.'])\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pylint', 'astroid')))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=project, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "[]\n", "")
    assert "W8702" in (project / "out.sarif").read_text(encoding="utf-8")  # DLP102's page names its pylint id
