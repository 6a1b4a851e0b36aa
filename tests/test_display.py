"""The display index (analysis/name_reads.py) is built only as far as its queries need: what it
answers must not depend on how much of the module it has indexed."""
from __future__ import annotations

import ast
import gc
from pathlib import Path

import pytest

from flake8_dlpractice.analysis.display import fitted_shown_only, shown_only
from flake8_dlpractice.analysis.name_reads import display_reads
from flake8_dlpractice.analysis.facts import build_facts

FIXTURES = Path(__file__).parent / "fixtures"
FILES = sorted(p for code in ("DLP200", "DLP202", "DLP203", "DLP101") for p in (FIXTURES / code).glob("*.py"))


def _answers(source: str, whole: bool) -> list[tuple[int, int, bool, bool]]:
    facts = build_facts(ast.parse(source))
    if whole:  # every scope noted and scanned before the first query
        facts.derived(display_reads)._indexer.scan_all()
    return [(site.line, site.node.col_offset, shown_only(facts, site.node), fitted_shown_only(facts, site.node))
            for site in facts.calls]


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_answers_do_not_depend_on_how_much_is_indexed(path):
    source = path.read_text(encoding="utf-8")
    lazy = _answers(source, whole=False)
    assert lazy == _answers(source, whole=True)


def test_a_function_indexed_on_demand_sees_the_reads_of_a_module_level_draw():
    source = ("import numpy as np\nimport torch\nimport matplotlib.pyplot as plt\n"
              "def show(k):\n    plt.imshow(pictures[picks[k]])\n"
              "def learn(k):\n    return np.mean(picks) * k\n"
              "pictures = np.zeros((8, 4, 4))\n"
              "picks = np.random.randint(8, size=3)\n"
              "show(0)\n")
    facts = build_facts(ast.parse(source))
    draw = next(site.node for site in facts.calls if site.qn == "numpy.random.randint")
    assert shown_only(facts, draw)  # learn() reads it but is never called while it holds the draw
    source += "learn(1)\n"
    facts = build_facts(ast.parse(source))
    draw = next(site.node for site in facts.calls if site.qn == "numpy.random.randint")
    assert not shown_only(facts, draw)


def test_the_index_leaves_nothing_for_the_cycle_collector():
    """The facts' ``release`` after a check unlinks the index from the facts: reference counting
    frees both at once."""
    source = ("import numpy as np\nimport torch\nimport matplotlib.pyplot as plt\n"
              "def show(k):\n    plt.imshow(pictures[picks[k]])\n"
              "pictures = np.zeros((8, 4, 4))\npicks = np.random.randint(8, size=3)\nshow(0)\n")
    facts = build_facts(ast.parse(source))
    draw = next(site.node for site in facts.calls if site.qn == "numpy.random.randint")
    gc.collect()
    gc.disable()
    try:
        assert shown_only(facts, draw)
        facts.release()
        del facts, draw
        assert gc.collect() == 0
    finally:
        gc.enable()
