"""The finding model: line references as data, rendering per front end, character columns."""
from __future__ import annotations

import ast

import pytest

from conftest import FIXTURES, fixture_files, opt_in_of
from flake8_dlpractice.engine import check_source, check_tree
from flake8_dlpractice.findings import Finding, LineMap, Ref, Step, line_ref


class CellLines(LineMap):
    """Lines 1-3 are cell 1, the rest cell 2 (as a notebook source would map them)."""

    def line(self, line: int) -> str:
        return f"cell 1, line {line}" if line <= 3 else f"cell 2, line {line - 3}"

    def lines(self, start: int, end: int) -> str:
        return f"{self.line(start)} to {self.line(end)}"

    def short(self, line: int) -> str:
        return f"C{1 if line <= 3 else 2}:L{line if line <= 3 else line - 3}"


def test_line_refs_render_per_front_end_and_are_data():
    finding = Finding(7, 0, "DLP102", f"'full' is split back at {line_ref(5, 'full')}, "
                                      f"imputed at {line_ref(2, 'fillna', end=3)}")
    assert finding.message == "'full' is split back at line 5, imputed at lines 2-3"
    assert finding.render(CellLines()) == ("'full' is split back at cell 2, line 2, "
                                           "imputed at cell 1, line 2 to cell 1, line 3")
    assert finding.refs == [Ref(5, "full"), Ref(2, "fillna", 3)]
    assert finding.text.startswith("DLP102 'full'")


def test_trace_is_a_compact_path_that_keeps_the_limit():
    trace = (Step(1, 0, "source", "concat"), Step(2, 0, "step", "fillna"), Step(5, 0, "sink", "full[:n]"))
    finding = Finding(2, 0, "DLP102", "'full' is imputed with its own mean", trace=trace)
    assert finding.message == "'full' is imputed with its own mean [concat L1 → fillna L2 → full[:n] L5]"
    assert finding.render(CellLines()) == ("'full' is imputed with its own mean "
                                           "[concat C1:L1 → fillna C1:L2 → full[:n] C2:L2]")
    long = Finding(2, 0, "DLP102", "x" * 120, trace=trace)
    assert len(long.text) <= 160 and long.message.endswith("[concat L1 → … → full[:n] L5]")
    assert Finding(2, 0, "DLP102", "x" * 150, trace=trace).message == "x" * 150


def test_columns_are_characters_when_lines_are_given():
    source = "import torch\nx = '日本'; y = torch.log(torch.softmax(x, 1))\n"
    tree = ast.parse(source)
    in_bytes = check_tree(tree)
    in_chars = check_tree(tree, lines=source.splitlines())
    assert [(f.line, f.code) for f in in_bytes] == [(f.line, f.code) for f in in_chars] == [(2, "DLP304")]
    assert in_bytes[0].col - in_chars[0].col == 4  # two CJK characters are 6 bytes, 2 characters
    assert source.splitlines()[1][in_chars[0].col:].startswith("torch.log(")
    assert in_chars[0].end_col == len(source.splitlines()[1])


def test_a_finding_about_the_whole_module_spans_its_import():
    source = ("import numpy as np\nfrom sklearn.linear_model import SGDClassifier\n\nX = np.random.rand(40, 2)\n"
              "clf = SGDClassifier(random_state=0).fit(X, X[:, 0] > 0.5)\nnp.save('coef.npy', clf.coef_)\n")
    (finding,) = check_source(source, "demo.py")
    assert (finding.code, finding.line, finding.col, finding.end_line, finding.end_col) == ("DLP200", 1, 0, 1, 18)


FILES = fixture_files()


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_cited_lines_hold_what_the_message_cites(path):
    """Every line a fixture finding cites exists, and holds the name or call it is cited for."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for finding in check_source(text, str(path), opt_in=opt_in_of(path)):
        assert "\ue000" not in finding.message and "\ue002" not in finding.message
        for ref in finding.refs:
            assert 1 <= ref.line <= len(lines), (finding.text, ref)
            if ref.what:
                cited = lines[ref.line - 1:(ref.end or ref.line)]
                assert any(ref.what in line for line in cited), (finding.text, ref, cited)
        for step in finding.trace:
            assert 1 <= step.line <= len(lines), (finding.text, step)


_TWO_AT_ONE_CALL = '''\
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


def prepare_price(frame):
    frame["price"] = frame["price"].fillna(frame["price"].median())
    frame["price"] = StandardScaler().fit_transform(frame[["price"]])
    return frame


shop = pd.read_csv("shop.csv")
shop = prepare_price(shop)
X_tr, X_te, y_tr, y_te = train_test_split(shop[["price"]], shop["bought"], random_state=0)
print(LogisticRegression().fit(X_tr, y_tr).score(X_te, y_te))
'''


def test_findings_at_one_position_are_ordered_by_message():
    # two DLP102 findings at one call: position, code, then message, so every run prints them alike
    assert [(f.line, f.code, f.message) for f in check_source(_TWO_AT_ONE_CALL, "shop.py")] == [
        (14, "DLP102", "prepare_price() fits StandardScaler on 'shop' before it is split by train_test_split at "
                       "line 15"),
        (14, "DLP102", "prepare_price() imputes 'shop' with its own median before it is split by train_test_split at "
                       "line 15 [prepare_price() L14 \u2192 train_test_split L15]")]
