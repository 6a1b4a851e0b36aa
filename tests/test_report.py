"""Output formats (flake8_dlpractice/report): exact output of every format for handmade findings.

The findings cover a leakage data path, a safe and an unsafe fix, an astral character before a
finding (UTF-16 columns differ from character columns), a notebook whose lines map to cells, a
file that could not be analysed (DLP000) and a clean file.
"""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT
from flake8_dlpractice.engine import character_columns
from flake8_dlpractice.findings import Finding, Fix, LineMap, Step, line_ref
from flake8_dlpractice.report import FORMATS, FileReport, render
from flake8_dlpractice.report import rules as report_rules
from flake8_dlpractice.report.github import escape_data, escape_property
from flake8_dlpractice.report.junit import xml_text
from flake8_dlpractice.report.model import cited_lines
from flake8_dlpractice.rules import ALL_RULES


class Cells(LineMap):
    """A notebook's line map: code cells start at the given lines of the joined source."""

    def __init__(self, starts: list[int]) -> None:
        self.starts = starts

    def locate(self, line: int) -> tuple[int, int]:
        cell = max(number for number, start in enumerate(self.starts, 1) if start <= line)
        return cell, line - self.starts[cell - 1] + 1

    def line(self, line: int) -> str:
        return "cell {}, line {}".format(*self.locate(line))

    def short(self, line: int) -> str:
        return "C{}:{}".format(*self.locate(line))


TRAIN = ["import torch",
         "X_tr, X_te = train_test_split(X, test_size=0.2)",
         "label = '\U0001F600'; scaler.fit(X_te)",  # an astral character: 1 character, 2 UTF-16 units
         "for xb in loader:",
         "    model(xb)",
         "model = torch.compile(model)"]
AT = 13  # character column of "scaler" on line 3
LEAK = Finding(3, AT, "DLP100", f"test split X_te fitted by scaler.fit (split at {line_ref(2, 'train_test_split')})",
               None, 3, AT + 16, (Step(2, 13, "source", "test slot of train_test_split", 2, 47),
                                  Step(2, 6, "step", "X_te", 2, 10),
                                  Step(3, AT, "sink", "scaler.fit", 3, AT + 16)))
NO_GRAD = Finding(4, 0, "DLP302", "evaluation loop runs without torch.no_grad()",
                  Fix("safe", "wrap-with", (4, 0, 5, 13), (("context", "torch.no_grad()"), ("imports", "torch")),
                      "wrap the evaluation loop in torch.no_grad()"), 5, 13)
COMPILE = Finding(6, 8, "DLP500", "torch.compile before the model trains correctly",
                  Fix("unsafe", "remove-statement", (6, 0, 6, 28), (), "remove the torch.compile call"), 6, 28)
NOTEBOOK = ["X_tr, X_te = train_test_split(X)", "# %matplotlib inline", "scaler.fit(X_te)"]
NB_LEAK = Finding(3, 0, "DLP100", f"test split X_te fitted by scaler.fit (split at {line_ref(1, 'train_test_split')})",
                  None, 3, 16, (Step(1, 13, "source", "test slot of train_test_split", 1, 32),
                                Step(3, 0, "sink", "scaler.fit", 3, 16)))
BROKEN = Finding(2, 4, "DLP000", "cannot parse: invalid syntax", None, 2, 5)


def reports() -> list[FileReport]:
    return [FileReport("src/train.py", [COMPILE, LEAK, NO_GRAD], lines=TRAIN),
            FileReport("notebooks/explore,v2.ipynb", [NB_LEAK], Cells([1, 3]), NOTEBOOK),
            FileReport("broken.py", [BROKEN], lines=["x = 1", "def (:"]),
            FileReport("clean.py", [], lines=["x = 1"])]


def test_handmade_positions_hold_what_they_claim():
    assert TRAIN[2][AT:AT + 16] == "scaler.fit(X_te)"
    assert TRAIN[1][13:47] == "train_test_split(X, test_size=0.2)" and TRAIN[1][6:10] == "X_te"
    assert NOTEBOOK[0][13:32] == "train_test_split(X)"


# -- text ---------------------------------------------------------------------------------------

TEXT = """\
broken.py:2:5: DLP000 cannot parse: invalid syntax
notebooks/explore,v2.ipynb:cell 2:1:1: DLP100 test split X_te fitted by scaler.fit (split at cell 1, line 1) \
[test slot of train_test_split C1:1 → scaler.fit C2:1]
src/train.py:3:14: DLP100 test split X_te fitted by scaler.fit (split at line 2) \
[test slot of train_test_split L2 → X_te L2 → scaler.fit L3]
src/train.py:4:1: DLP302 [*] evaluation loop runs without torch.no_grad()
src/train.py:6:9: DLP500 torch.compile before the model trains correctly

Found 5 findings in 3 files.
[*] 1 fixable with `dlp fix` (1 more with `dlp fix --unsafe-fixes`).
"""


def test_text():
    assert render("text", reports()) == TEXT


def test_text_marks_unsafe_fixes_when_they_are_enabled():
    out = render("text", reports(), unsafe_fixes=True)
    assert "src/train.py:6:9: DLP500 [*] torch.compile" in out
    assert out.endswith("Found 5 findings in 3 files.\n[*] 2 fixable with `dlp fix`.\n")


def test_text_without_findings():
    assert render("text", reports()[3:]) == "All checks passed (1 file).\n"
    assert render("text", []) == "No files checked.\n"
    only_unsafe = [FileReport("a.py", [COMPILE], lines=TRAIN)]
    assert render("text", only_unsafe).endswith(
        "Found 1 finding in 1 file.\nNo safe fixes available (1 with `dlp fix --unsafe-fixes`).\n")


def test_statistics():
    assert render("text", reports(), statistics=True) == (
        "2  DLP100       test-data-in-fitting\n"
        "1  DLP000       unanalysable-file\n"
        "1  DLP302  [*]  eval-without-no-grad\n"
        "1  DLP500       premature-compile\n")
    assert json.loads(render("json", reports(), statistics=True)) == [
        {"code": "DLP100", "name": "test-data-in-fitting", "count": 2, "fixable": 0},
        {"code": "DLP000", "name": "unanalysable-file", "count": 1, "fixable": 0},
        {"code": "DLP302", "name": "eval-without-no-grad", "count": 1, "fixable": 1},
        {"code": "DLP500", "name": "premature-compile", "count": 1, "fixable": 0}]
    assert render("text", reports()[3:], statistics=True) == "All checks passed (1 file).\n"


# -- json ---------------------------------------------------------------------------------------

def point(line, column):
    return {"line": line, "column": column}


def test_json():
    records = json.loads(render("json", reports()))
    assert [(r["file"], r["code"]) for r in records] == [
        ("broken.py", "DLP000"), ("notebooks/explore,v2.ipynb", "DLP100"), ("src/train.py", "DLP100"),
        ("src/train.py", "DLP302"), ("src/train.py", "DLP500")]
    assert records[0] == {
        "code": "DLP000", "name": "unanalysable-file", "severity": "error",
        "message": "cannot parse: invalid syntax", "text": "cannot parse: invalid syntax",
        "file": "broken.py", "cell": None, "start": point(2, 5), "end": point(2, 6),
        "fix": None, "trace": [], "url": None}
    assert records[1] == {
        "code": "DLP100", "name": "test-data-in-fitting", "severity": "error",
        "message": "test split X_te fitted by scaler.fit (split at cell 1, line 1)",
        "text": "test split X_te fitted by scaler.fit (split at cell 1, line 1) "
                "[test slot of train_test_split C1:1 → scaler.fit C2:1]",
        "file": "notebooks/explore,v2.ipynb", "cell": 2, "start": point(1, 1), "end": point(1, 17),
        "fix": None,
        "trace": [{"kind": "source", "message": "test slot of train_test_split", "cell": 1,
                   "start": point(1, 14), "end": point(1, 33)},
                  {"kind": "sink", "message": "scaler.fit", "cell": 2, "start": point(1, 1), "end": point(1, 17)}],
        "url": None}
    assert records[2]["start"] == point(3, 14) and records[2]["end"] == point(3, 30)  # characters, not UTF-16
    assert records[2]["message"] == "test split X_te fitted by scaler.fit (split at line 2)"
    assert [(s["kind"], s["message"], s["start"], s["end"]) for s in records[2]["trace"]] == [
        ("source", "test slot of train_test_split", point(2, 14), point(2, 48)),
        ("step", "X_te", point(2, 7), point(2, 11)),
        ("sink", "scaler.fit", point(3, 14), point(3, 30))]
    assert records[3]["fix"] == {
        "safety": "safe", "applicable": True, "title": "wrap the evaluation loop in torch.no_grad()",
        "edits": [{"action": "wrap-with", "cell": None, "start": point(4, 1), "end": point(5, 14),
                   "arguments": {"context": "torch.no_grad()", "imports": "torch"}}]}
    assert records[4]["severity"] == "info"
    assert records[4]["fix"]["safety"] == "unsafe" and records[4]["fix"]["applicable"] is False
    assert json.loads(render("json", reports(), unsafe_fixes=True))[4]["fix"]["applicable"] is True


def test_json_fix_span_bytes_become_characters():
    line = "é = '\U0001F600'; scaler.fit(X_te)"
    byte_col = len(line[:line.index("scaler")].encode("utf-8"))
    fix = Fix("safe", "replace-expression", (1, byte_col, 1, byte_col + 10), (("replacement", "x"),), "t")
    finding = Finding(1, line.index("scaler"), "DLP302", "h", fix, 1, line.index("scaler") + 10)
    [record] = json.loads(render("json", [FileReport("a.py", [finding], lines=[line])]))
    assert record["fix"]["edits"][0]["start"] == record["start"] == point(1, line.index("scaler") + 1)
    assert record["fix"]["edits"][0]["end"] == record["end"]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_lines_a_run_keeps_give_the_same_report_as_every_line(fmt):
    """``dlp check`` keeps only the lines a file's findings cite (where they, their data path steps
    and their fixes start and end) until it prints: every format reads nothing else."""
    kept = [FileReport(r.path, r.findings, r.where, cited_lines(r.findings, r.lines) if r.findings else r.lines)
            for r in reports()]
    assert cited_lines([LEAK, NO_GRAD], TRAIN) == {2: TRAIN[1], 3: TRAIN[2], 4: TRAIN[3], 5: TRAIN[4]}
    assert render(fmt, kept, unsafe_fixes=True) == render(fmt, reports(), unsafe_fixes=True)


# -- sarif --------------------------------------------------------------------------------------

def shared_file(*parts: str) -> Path | None:
    """``<repo>/../shared/...``, also from a git worktree of the repository (next to its main checkout)."""
    roots = [ROOT]
    dot_git = ROOT / ".git"
    if dot_git.is_file():  # a worktree: .git says where the repository's git directory is
        gitdir = Path(dot_git.read_text(encoding="utf-8").split("gitdir:", 1)[1].strip())
        common = gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip() if (
            gitdir / "commondir").exists() else gitdir
        roots.append(common.resolve().parent)
    for root in roots:
        path = root.parent.joinpath("shared", *parts)
        if path.exists():
            return path
    return None


SCHEMA = shared_file("data", "sarif-schema-2.1.0.json")


def sarif(**kwargs) -> dict:
    return json.loads(render("sarif", reports(), root=os.getcwd(), tool_version="1.2.3", **kwargs))


@pytest.mark.skipif(SCHEMA is None, reason="the SARIF 2.1.0 schema (../shared/data/sarif-schema-2.1.0.json) "
                                           "is not next to this checkout")
@pytest.mark.parametrize("inputs", ["all", "none"])
def test_sarif_validates_against_the_official_schema(inputs):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    log = json.loads(render("sarif", reports() if inputs == "all" else [], tool_version="0.1.0.dev1"))
    validator = jsonschema.Draft4Validator(schema)
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(log)]
    assert errors == []


def test_sarif_rules():
    driver = sarif()["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == ("flake8-dlpractice", "1.2.3", "1.2.3")
    rules = driver["rules"]
    assert [rule["id"] for rule in rules] == ["DLP000", *(rule.code for rule in ALL_RULES)]
    by_id = {rule["id"]: rule for rule in rules}
    assert by_id["DLP000"]["name"] == "unanalysable-file"
    assert by_id["DLP000"]["defaultConfiguration"] == {"level": "error"}
    assert by_id["DLP000"]["help"]["markdown"].startswith("## DLP000 unanalysable-file\n")
    from flake8_dlpractice.docs import rule_page
    for rule in ALL_RULES:
        descriptor = by_id[rule.code]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"] == {"text": rule.summary}
        assert descriptor["help"] == {"text": rule_page(rule), "markdown": rule_page(rule)}
        assert descriptor["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning",
                                                               "info": "note"}[rule.severity]
    assert by_id["DLP100"]["fullDescription"]["text"].startswith("Flags test data reaching anything that learns")
    assert by_id["DLP100"]["properties"] == {"tags": ["deep-learning", "leakage"], "problem.severity": "error"}
    assert by_id["DLP200"]["properties"]["problem.severity"] == "warning"
    assert by_id["DLP500"]["properties"] == {"tags": ["deep-learning", "optimization"],
                                             "problem.severity": "recommendation"}
    assert "helpUri" not in by_id["DLP100"] and "informationUri" not in driver  # the metadata names no URL


def test_sarif_help_uri_comes_from_the_project_metadata(monkeypatch):
    urls = {"documentation": "https://example.org/dlp/rules.html", "homepage": "https://example.org/dlp"}
    monkeypatch.setattr(report_rules, "project_urls", lambda: urls)
    driver = sarif()["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://example.org/dlp"
    assert driver["rules"][1]["helpUri"] == "https://example.org/dlp/rules.html#dlp100-test-data-in-fitting"
    url = json.loads(render("json", reports()))[0]["url"]
    assert url == "https://example.org/dlp/rules.html#dlp000-unanalysable-file"


def test_project_urls_read_the_installed_metadata(monkeypatch):
    from importlib import metadata

    class Meta:
        @staticmethod
        def get_all(key):
            assert key == "Project-URL"
            return ["Documentation, https://example.org/docs", "Rules, https://example.org/rules.md", "Bad"]

    monkeypatch.setattr(metadata, "metadata", lambda name: Meta)
    report_rules.project_urls.cache_clear()
    try:
        assert report_rules.project_urls() == {"documentation": "https://example.org/docs",
                                               "rules": "https://example.org/rules.md"}
        assert report_rules.docs_url() == "https://example.org/rules.md"
    finally:
        report_rules.project_urls.cache_clear()


def region(start_line, start_col, end_line, end_col):
    return {"startLine": start_line, "startColumn": start_col, "endLine": end_line, "endColumn": end_col}


def location(uri, reg, **extra):
    out = {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}, "region": reg}}
    out.update(extra)
    return out


def test_sarif_results():
    run = sarif()["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}}
    assert run["columnKind"] == "utf16CodeUnits"
    results = run["results"]
    rules = run["tool"]["driver"]["rules"]
    assert [(r["ruleId"], rules[r["ruleIndex"]]["id"], r["level"]) for r in results] == [
        ("DLP000", "DLP000", "error"), ("DLP100", "DLP100", "error"), ("DLP100", "DLP100", "error"),
        ("DLP302", "DLP302", "error"), ("DLP500", "DLP500", "note")]
    leak = results[2]
    flow = [(loc["location"]["message"]["text"], loc["kinds"], loc["location"]["physicalLocation"]["region"])
            for loc in leak["codeFlows"][0]["threadFlows"][0]["locations"]]
    # UTF-16 columns: the emoji before scaler.fit counts twice (characters: 14..30, 1-based)
    assert leak["locations"] == [location("src/train.py", region(3, 15, 3, 31))]
    assert leak["message"] == {"text": "test split X_te fitted by scaler.fit (split at line 2)"}
    assert flow == [("test slot of train_test_split", ["source"], region(2, 14, 2, 48)),
                    ("X_te", ["step"], region(2, 7, 2, 11)),
                    ("scaler.fit", ["sink"], region(3, 15, 3, 31))]
    # a notebook's lines are not lines of its JSON: no region, the cell and line as properties and text
    notebook = results[1]
    assert notebook["locations"] == [{"physicalLocation": {"artifactLocation": {
        "uri": "notebooks/explore%2Cv2.ipynb", "uriBaseId": "%SRCROOT%"}}, "properties": {"cell": 2, "line": 1,
                                                                                          "column": 1}}]
    assert notebook["properties"] == {"cell": 2, "line": 1, "column": 1}
    assert notebook["message"]["text"].startswith("cell 2, line 1, column 1: ")
    steps = [loc["location"] for loc in notebook["codeFlows"][0]["threadFlows"][0]["locations"]]
    assert [(step["properties"], "region" in step["physicalLocation"]) for step in steps] == [
        ({"cell": 1, "line": 1, "column": 14}, False), ({"cell": 2, "line": 1, "column": 1}, False)]
    assert all(step["message"]["text"].endswith(")") and "cell " in step["message"]["text"] for step in steps)
    assert results[3]["locations"] == [location("src/train.py", region(4, 1, 5, 14))]
    assert "codeFlows" not in results[3]


def test_sarif_fingerprints_survive_edits_elsewhere_in_the_file():
    def fingerprints(lines, findings):
        log = json.loads(render("sarif", [FileReport("a.py", findings, lines=lines)]))
        return [r["partialFingerprints"]["primaryLocationLineHash"] for r in log["runs"][0]["results"]]

    first = fingerprints(TRAIN, [LEAK, NO_GRAD])
    assert all(re.fullmatch(r"[0-9a-f]{16}:1", value) for value in first)
    shifted = Finding(LEAK.line + 2, LEAK.col, LEAK.code, LEAK.headline, None, LEAK.end_line + 2, LEAK.end_col)
    moved_no_grad = Finding(6, 0, "DLP302", NO_GRAD.headline, None, 7, 13)
    assert fingerprints(["# new", "", *TRAIN], [shifted, moved_no_grad]) == first
    twice = fingerprints(["model(x)", "  model(x)"], [Finding(1, 0, "DLP307", "h"), Finding(2, 2, "DLP307", "h")])
    assert twice[0].split(":")[0] == twice[1].split(":")[0] and [v[-2:] for v in twice] == [":1", ":2"]
    no_lines = json.loads(render("sarif", [FileReport("a.py", [LEAK])]))["runs"][0]["results"][0]
    assert "partialFingerprints" not in no_lines  # left to the upload action, which reads the file


def test_sarif_paths(tmp_path, monkeypatch):
    def uri(path, root=None):
        log = json.loads(render("sarif", [FileReport(path, [BROKEN])], root=root))
        return log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]

    assert uri("src/my model.py") == {"uri": "src/my%20model.py", "uriBaseId": "%SRCROOT%"}
    assert uri("./a:b/c#d.py") == {"uri": "a%3Ab/c%23d.py", "uriBaseId": "%SRCROOT%"}
    assert uri("n\udcff.py") == {"uri": "n%FF.py", "uriBaseId": "%SRCROOT%"}  # an undecodable byte of the name
    assert uri("/abs/x.py") == {"uri": "file:///abs/x.py"}
    assert "originalUriBaseIds" not in json.loads(render("sarif", []))["runs"][0]
    # paths as shown (relative to where the command runs) become relative to the root
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert uri("x.py", root=str(tmp_path)) == {"uri": "sub/x.py", "uriBaseId": "%SRCROOT%"}
    assert uri(str(tmp_path / "sub" / "x.py"), root=str(tmp_path)) == {"uri": "sub/x.py", "uriBaseId": "%SRCROOT%"}
    assert uri("../y.py", root=str(tmp_path / "sub")) == {"uri": (tmp_path / "y.py").as_uri()}


def test_sarif_meets_what_github_code_scanning_requires():
    """The properties GitHub's SARIF upload requires or uses, with its limits."""
    log = sarif()
    assert log["$schema"] and log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for rule in rules:
        assert rule["id"] and len(rule.get("name", "")) <= 255
        for key in ("shortDescription", "fullDescription"):
            assert 0 < len(rule[key]["text"]) <= 1024, (rule["id"], key)
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        assert len(rule["properties"]["tags"]) <= 10
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        in_cell = result.get("properties", {})
        prefix = f"cell {in_cell['cell']}, line {in_cell['line']}, column {in_cell['column']}: " if in_cell else ""
        assert result["message"]["text"].startswith(prefix)
        assert result["message"]["text"] and len(result["message"]["text"]) - len(prefix) <= 100
        assert result["level"] in ("note", "warning", "error")
        assert 1 <= len(result["locations"]) <= 10
        if not in_cell:  # a notebook's findings are on the file (its JSON lines are not the cells' lines)
            reg = result["locations"][0]["physicalLocation"]["region"]
            assert {"startLine", "startColumn", "endLine", "endColumn"} <= set(reg)
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert result["partialFingerprints"]["primaryLocationLineHash"]
        for flow in result.get("codeFlows", []):
            assert len(flow["threadFlows"][0]["locations"]) <= 1000


# -- github -------------------------------------------------------------------------------------

GITHUB = """\
::error file=broken.py,line=2,endLine=2,col=5,endColumn=6,title=DLP000 unanalysable-file::cannot parse: invalid syntax
::error file=notebooks/explore%2Cv2.ipynb,title=DLP100 test-data-in-fitting::cell 2, line 1, column 1: \
test split X_te fitted by scaler.fit (split at cell 1, line 1)%0A  source: test slot of train_test_split \
(cell 1, line 1)%0A  sink: scaler.fit (cell 2, line 1)
::error file=src/train.py,line=3,endLine=3,col=14,endColumn=30,title=DLP100 test-data-in-fitting::\
test split X_te fitted by scaler.fit (split at line 2)%0A  source: test slot of train_test_split (line 2)\
%0A  step: X_te (line 2)%0A  sink: scaler.fit (line 3)
::error file=src/train.py,line=4,endLine=5,title=DLP302 eval-without-no-grad::\
evaluation loop runs without torch.no_grad()
::notice file=src/train.py,line=6,endLine=6,col=9,endColumn=29,title=DLP500 premature-compile::\
torch.compile before the model trains correctly
"""


def test_github():
    assert render("github", reports()) == GITHUB
    assert render("github", reports()[3:]) == ""


def test_github_warning_level_and_escaping():
    finding = Finding(1, 0, "DLP200", "100% of runs differ\r\nseed: none, ever", None, 1, 4)
    assert render("github", [FileReport("dir:a,b%/x.py", [finding])]) == (
        "::warning file=dir%3Aa%2Cb%25/x.py,line=1,endLine=1,col=1,endColumn=5,title=DLP200 missing-seed::"
        "100%25 of runs differ%0D%0Aseed: none, ever\n")
    assert escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"


# -- gitlab -------------------------------------------------------------------------------------

def test_gitlab():
    issues = json.loads(render("gitlab", reports()))
    assert [{k: v for k, v in issue.items() if k != "fingerprint"} for issue in issues] == [
        {"description": "DLP000 cannot parse: invalid syntax", "check_name": "unanalysable-file",
         "severity": "major", "location": {"path": "broken.py", "lines": {"begin": 2, "end": 2}}},
        {"description": "DLP100 cell 2, line 1: test split X_te fitted by scaler.fit (split at cell 1, line 1)",
         "check_name": "test-data-in-fitting", "severity": "major",
         "location": {"path": "notebooks/explore,v2.ipynb", "lines": {"begin": 1, "end": 1}}},
        {"description": "DLP100 test split X_te fitted by scaler.fit (split at line 2)",
         "check_name": "test-data-in-fitting", "severity": "major",
         "location": {"path": "src/train.py", "lines": {"begin": 3, "end": 3}}},
        {"description": "DLP302 evaluation loop runs without torch.no_grad()", "check_name": "eval-without-no-grad",
         "severity": "major", "location": {"path": "src/train.py", "lines": {"begin": 4, "end": 5}}},
        {"description": "DLP500 torch.compile before the model trains correctly", "check_name": "premature-compile",
         "severity": "info", "location": {"path": "src/train.py", "lines": {"begin": 6, "end": 6}}}]
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints) and all(re.fullmatch(r"[0-9a-f]{32}", f) for f in fingerprints)


# -- junit --------------------------------------------------------------------------------------

JUNIT = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="flake8-dlpractice" tests="6" failures="5" errors="0">
  <testsuite name="flake8-dlpractice" tests="6" failures="5" errors="0" skipped="0">
    <testcase classname="broken.py" name="DLP000 unanalysable-file (2:5)" file="broken.py" line="2">
      <failure type="DLP000" message="cannot parse: invalid syntax">broken.py:2:5: DLP000 cannot parse: \
invalid syntax</failure>
    </testcase>
    <testcase classname="clean.py" name="no findings" file="clean.py" />
    <testcase classname="notebooks/explore,v2.ipynb" name="DLP100 test-data-in-fitting (cell 2:1:1)" \
file="notebooks/explore,v2.ipynb">
      <failure type="DLP100" message="test split X_te fitted by scaler.fit (split at cell 1, line 1)">\
notebooks/explore,v2.ipynb:cell 2:1:1: DLP100 test split X_te fitted by scaler.fit (split at cell 1, line 1)
  source: test slot of train_test_split (cell 1, line 1)
  sink: scaler.fit (cell 2, line 1)</failure>
    </testcase>
    <testcase classname="src/train.py" name="DLP100 test-data-in-fitting (3:14)" file="src/train.py" line="3">
      <failure type="DLP100" message="test split X_te fitted by scaler.fit (split at line 2)">src/train.py:3:14: \
DLP100 test split X_te fitted by scaler.fit (split at line 2)
  source: test slot of train_test_split (line 2)
  step: X_te (line 2)
  sink: scaler.fit (line 3)</failure>
    </testcase>
    <testcase classname="src/train.py" name="DLP302 eval-without-no-grad (4:1)" file="src/train.py" line="4">
      <failure type="DLP302" message="evaluation loop runs without torch.no_grad()">src/train.py:4:1: DLP302 \
evaluation loop runs without torch.no_grad()</failure>
    </testcase>
    <testcase classname="src/train.py" name="DLP500 premature-compile (6:9)" file="src/train.py" line="6">
      <failure type="DLP500" message="torch.compile before the model trains correctly">src/train.py:6:9: DLP500 \
torch.compile before the model trains correctly</failure>
    </testcase>
  </testsuite>
</testsuites>
"""


def test_junit():
    out = render("junit", reports())
    assert out == JUNIT
    suite = ET.fromstring(out).find("testsuite")
    assert [case.get("name") for case in suite if case.find("failure") is not None] == [
        "DLP000 unanalysable-file (2:5)", "DLP100 test-data-in-fitting (cell 2:1:1)",
        "DLP100 test-data-in-fitting (3:14)", "DLP302 eval-without-no-grad (4:1)", "DLP500 premature-compile (6:9)"]


def test_junit_escapes_what_xml_cannot_carry():
    nasty = Finding(1, 0, "DLP100", 'a <b> & "c" \x00\x1b \U0001F600', None, 1, 1)
    out = render("junit", [FileReport("dir/<&>\udcff.py", [nasty], lines=["x"])])
    failure = ET.fromstring(out).find("testsuite/testcase/failure")
    assert failure.get("message") == 'a <b> & "c" \\x00\\x1b \U0001F600'
    assert ET.fromstring(out).find("testsuite/testcase").get("file") == "dir/<&>\\udcff.py"
    assert xml_text("ok\ttab\nline\ufffe") == "ok\ttab\nline\\xfffe"


# -- every format ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_survives_undecodable_names_and_empty_input(fmt):
    odd = [FileReport("caf\udce9.py", [BROKEN], lines=["x = 1", "def (:"]), FileReport("e.py", [])]
    render(fmt, odd).encode("utf-8")
    render(fmt, []).encode("utf-8")


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml", [])


def test_engine_gives_character_columns_for_trace_steps_too():
    line = "é = 1; scaler.fit(X_te)"
    byte_col = len(line[:line.index("scaler")].encode("utf-8"))
    found = Finding(1, byte_col, "DLP100", "h", None, 1, byte_col + 16,
                    (Step(1, byte_col, "sink", "scaler.fit", 1, byte_col + 16),))
    [converted] = character_columns([found], [line])
    assert (converted.col, converted.end_col) == (line.index("scaler"), line.index("scaler") + 16)
    assert (converted.trace[0].col, converted.trace[0].end_col) == (converted.col, converted.end_col)


def test_text_without_summary():
    assert render("text", reports(), summary=False) == TEXT.split("\n\n")[0] + "\n"
    assert render("text", reports()[3:], summary=False) == ""


def test_a_real_notebook_source_through_the_engine():
    """nbformat JSON -> sources (cells joined, magics masked) -> engine -> every format's cell positions."""
    nbformat = pytest.importorskip("nbformat")
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from flake8_dlpractice.engine import check_tree
    from flake8_dlpractice.sources import notebook_source

    notebook = new_notebook(cells=[
        new_markdown_cell("# Scaling"),
        new_code_cell("from sklearn.model_selection import train_test_split\n"
                      "X_fit, X_hold = train_test_split(X, test_size=0.25, random_state=3)"),
        new_code_cell("%matplotlib inline\nnorm = StandardScaler()\nnorm.fit(X_hold)")])
    raw = nbformat.writes(notebook)
    source = notebook_source(raw, "eda.ipynb", json.loads(raw))
    found = [f for f in check_tree(source.parse(), "eda.ipynb", lines=source.lines) if f.code == "DLP100"]
    assert [(source.where.locate(f.line), f.col) for f in found] == [((3, 3), 0)]
    report = FileReport("eda.ipynb", found, source.where, source.lines)
    assert render("text", [report], summary=False) == f"eda.ipynb:cell 3:3:1: DLP100 {found[0].render(source.where)}\n"
    [record] = json.loads(render("json", [report]))
    assert (record["cell"], record["start"], record["end"]) == (3, point(3, 1), point(3, 17))
    [result] = json.loads(render("sarif", [report]))["runs"][0]["results"]
    assert result["properties"] == {"cell": 3, "line": 3, "column": 1}
    assert "region" not in result["locations"][0]["physicalLocation"]
    assert render("github", [report]).startswith(
        "::error file=eda.ipynb,title=DLP100 test-data-in-fitting::cell 3, line 3, column 1: ")


def test_gitlab_paths_are_relative_to_the_root(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    issues = json.loads(render("gitlab", [FileReport("./x.py", [BROKEN]), FileReport("../../y.py", [BROKEN])],
                               root=str(tmp_path)))
    assert sorted(issue["location"]["path"] for issue in issues) == ["../../y.py", "sub/x.py"]
