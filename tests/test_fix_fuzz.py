"""Fuzz test: generated programs with deep-learning code spliced in, through the engine and dlp-fix.

hypothesmith generates syntactically valid programs from Python's grammar; alone they import no ML
framework, so the engine's cheap gate would skip them. Each example therefore gets ML imports and a
few snippets of training code (``.fit(``, ``DataLoader(``, seeds, ``loss.backward()``,
``torch.no_grad``, softmax/log, optimizer steps, compile, cuDNN flags) spliced in between its
top-level statements, in a drawn order. What must hold for every example:

- the engine never raises, its findings are sorted and every position lies inside the file;
- dlp-fix (every rule, unsafe fixes too) never raises; its output parses; a second run changes
  nothing; no finding of a code it fixed nothing of appears.

Derandomized (a fixed seed) with a bounded number of examples: the same programs on every run.
"""
from __future__ import annotations

import ast
from collections import Counter

import pytest

hypothesmith = pytest.importorskip("hypothesmith")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from flake8_dlpractice.engine import check_source  # noqa: E402
from flake8_dlpractice.fixes import fix_text, select_rules  # noqa: E402
from flake8_dlpractice.fixes.text import lines_with_ends, split_lines  # noqa: E402
from flake8_dlpractice.rules import OPT_IN_CODES  # noqa: E402

IMPORTS = (
    "import numpy as np\nimport torch\nimport torch.nn.functional as F\n"
    "from torch.utils.data import DataLoader\nfrom sklearn.model_selection import train_test_split\n"
    "from sklearn.preprocessing import StandardScaler\n"
)

SNIPPETS = (
    "torch.manual_seed(0)\n",
    "np.random.seed(1)\n",
    "torch.backends.cudnn.benchmark = True\n",
    "model = torch.nn.Linear(4, 2).cuda()\n",
    "model = torch.compile(model)\n",
    "torch.autograd.set_detect_anomaly(True)\n",
    "features_tr, features_te, labels_tr, labels_te = train_test_split(features, labels)\n",
    "scaler = StandardScaler().fit(features)\n",
    "clf.fit(features_te, labels_te)\n",
    "loader = DataLoader(dataset, batch_size=16, shuffle=True)\n",
    "eval_loader = DataLoader(test_set, batch_size=16)\n",
    "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n",
    "for xb, yb in loader:\n    optimizer.zero_grad()\n    loss = F.cross_entropy(model(xb), yb)\n"
    "    loss.backward()\n    optimizer.step()\n    running += loss\n",
    "for xb, yb in loader:\n    loss = F.nll_loss(torch.log(torch.softmax(model(xb), dim=1)), yb)\n"
    "    loss.backward()\n",
    "with torch.no_grad():\n    scores = model(test_inputs)\n",
    "for xb, yb in eval_loader:\n    preds = model(xb)\n    total += F.mse_loss(preds, yb)\n",
    "model.eval()\nfor xb, yb in loader:\n    loss = model(xb).sum()\n    loss.backward()\n",
    "def train_epoch(net, batches, opt):\n    for xb, yb in batches:\n        opt.zero_grad()\n"
    "        out = net(xb)\n        loss = F.cross_entropy(out, yb)\n        loss.backward()\n        opt.step()\n",
    "probs = torch.sigmoid(logits)\nlog_probs = torch.log(probs)\n",
)

# built once: the strategy compiles Python's grammar (seconds); targeting slows generation 20x
GENERATED = hypothesmith.from_grammar(auto_target=False)
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # generated code such as 1()
ALL_RULES = select_rules(["DLP", *OPT_IN_CODES], [])


def _top_level_starts(tree: ast.Module) -> list[int]:
    """0-based indexes of the lines where a top-level statement (or its first decorator) starts
    at column 0: splice points between statements."""
    return sorted({min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", ())]) - 1
                   for stmt in tree.body if stmt.col_offset == 0})


@st.composite
def ml_programs(draw) -> str:
    generated = draw(GENERATED)
    try:
        tree = ast.parse(generated)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        assume(False)
    lines = lines_with_ends(generated)  # Python's line breaks only, as ast counts them
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    points = [0, *_top_level_starts(tree), len(lines)]
    snippets = draw(st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=5))
    cut = {draw(st.sampled_from(points)): None for _ in snippets}
    pieces, previous = [IMPORTS], 0
    for index, point in enumerate(sorted(cut)):
        pieces.append("".join(lines[previous:point]))
        pieces.append(snippets[index % len(snippets)])
        previous = point
    pieces.append("".join(lines[previous:]))
    pieces.extend(snippets[len(cut):])
    program = "".join(pieces)
    try:
        ast.parse(program)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        assume(False)  # a splice point inside a construct the line split did not see
    return program


FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def _inside(text: str, line: int, col: int) -> bool:
    lines = split_lines(text)
    return 1 <= line <= len(lines) and 0 <= col <= len(lines[line - 1])


def _engine_holds(program: str) -> None:
    findings = check_source(program, "fuzz.py", rules=ALL_RULES)
    assert findings == sorted(findings, key=lambda f: (f.line, f.col, f.code))
    for finding in findings:
        assert _inside(program, finding.line, finding.col), finding
        if finding.end_line is not None:
            assert _inside(program, finding.end_line, finding.end_col or 0), finding
            assert (finding.line, finding.col) <= (finding.end_line, finding.end_col or 0), finding


def _fixer_holds(program: str):
    outcome = fix_text(program, "fuzz.py", ALL_RULES, unsafe=True)
    ast.parse(outcome.text)  # every output parses
    again = fix_text(outcome.text, "fuzz.py", ALL_RULES, unsafe=True)
    assert not again.fixed and again.text == outcome.text  # a second run changes nothing
    before = Counter(f.code for f in outcome.original)
    after = Counter(f.code for f in outcome.remaining)
    fixed_codes = {f.code for f in outcome.fixed}
    appeared = {code for code, count in after.items() if count > before[code]}
    assert appeared <= fixed_codes, appeared  # no finding of a code it fixed nothing of appears
    for finding in outcome.fixed:  # told at positions of the input
        assert _inside(program, finding.line, finding.col), finding
    return outcome


def test_engine_and_fixer_on_generated_ml_programs():
    counts: Counter = Counter()

    @FUZZ
    @given(ml_programs())
    def holds(program):
        _engine_holds(program)
        outcome = _fixer_holds(program)
        counts["programs"] += 1
        counts["with findings"] += bool(outcome.original)
        counts["fixed"] += bool(outcome.fixed)
    holds()
    # the splice works: the programs reach the rules and the fixer (else the test is void)
    assert counts["with findings"] >= 15 and counts["fixed"] >= 5, counts
