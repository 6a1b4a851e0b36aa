"""The analysis stays linear in the size of a module: chains and rings of same-file helpers, and
helpers that each fit statistics on data a helper further down the chain splits, and helpers nobody
calls.

Each shape is timed at two sizes eight times apart; linear work grows about eight-fold, the
quadratic fixpoint this replaces grew sixty-four-fold. The bound leaves room for a busy machine.
"""
from __future__ import annotations

import ast
import gc
import time

import pytest

from flake8_dlpractice.analysis.facts import build_facts
from flake8_dlpractice.engine import check_tree
from flake8_dlpractice.rules import ALL_RULES

TRAINING_BODY = ["    for x, y in loader:", "        opt.zero_grad()", "        model(x).sum().backward()",
                 "        opt.step()"]


def helpers(n: int, shape: str) -> str:
    """``n`` helpers each passing its loader on to the next; the last one trains on it."""
    out = ["import torch", ""]
    for i in (range(n) if shape != "reversed" else range(n - 1, -1, -1)):
        out.append(f"def helper_{i}(model, loader, opt, data):")
        if i == n - 1:
            out.extend(TRAINING_BODY)
        following = i + 1 if i + 1 < n else (0 if shape == "ring" else None)
        if following is not None:
            out.append(f"    helper_{following}(model, loader, opt, data)")
        out.append("    return data")
    out.append("helper_0(torch.nn.Linear(2, 2), test_loader, opt, X)")
    return "\n".join(out) + "\n"


def preparing_helpers(n: int) -> str:
    """``n`` helpers each fitting a scaler on its argument and passing it on; the last one splits it
    (every helper is a DLP102 finding: one split paired with ``n`` learnings)."""
    out = ["import numpy as np", "from sklearn.model_selection import train_test_split",
           "from sklearn.preprocessing import StandardScaler", "",
           "def prepare_0(frame):", "    return train_test_split(frame)"]
    for i in range(1, n):
        out += [f"def prepare_{i}(frame):", "    frame = StandardScaler().fit_transform(frame)",
                f"    return prepare_{i - 1}(frame)"]
    out.append(f"parts = prepare_{n - 1}(np.load('features.npy'))")
    return "\n".join(out) + "\n"


def facts_time(tree: ast.Module, run=build_facts) -> float:
    best = float("inf")
    for _ in range(3):
        gc.disable()
        start = time.perf_counter()
        run(tree)
        best = min(best, time.perf_counter() - start)
        gc.enable()
    return best


@pytest.mark.parametrize("shape", ["chain", "reversed", "ring"])
def test_helper_summaries_are_linear(shape):
    small, large = ast.parse(helpers(400, shape)), ast.parse(helpers(3200, shape))
    facts = build_facts(large)
    assert set(facts.module_functions["helper_0"].trained_params) == {"loader"}
    ratio = facts_time(large) / max(facts_time(small), 1e-3)
    assert ratio < 24, f"{shape}: 8x the helpers took {ratio:.1f}x the time"


def test_statistics_meet_splits_in_linear_time():
    small, large = ast.parse(preparing_helpers(500)), ast.parse(preparing_helpers(4000))
    found = check_tree(large, "helpers.py", rules=ALL_RULES)
    assert sum(f.code == "DLP102" for f in found) == 3999
    ratio = facts_time(large, check_tree) / max(facts_time(small, check_tree), 1e-3)
    assert ratio < 24, f"8x the helpers took {ratio:.1f}x the time"


def evaluating_helpers(n: int) -> str:
    """``n`` helpers nobody calls, each evaluating and training a model (the mode rules look for
    their callers)."""
    out = ["import torch", ""]
    for i in range(n):
        out += [f"def evaluate_{i}(model, loader):", "    for xb, yb in loader:", "        out = model(xb)",
                "        print(out.mean())", "        loss = torch.nn.functional.cross_entropy(out, yb)",
                "        loss.backward()"]
    return "\n".join(out) + "\n"


def test_uncalled_helpers_in_linear_time():
    small, large = ast.parse(evaluating_helpers(150)), ast.parse(evaluating_helpers(1200))
    ratio = facts_time(large, check_tree) / max(facts_time(small, check_tree), 1e-3)
    assert ratio < 24, f"8x the helpers took {ratio:.1f}x the time"
