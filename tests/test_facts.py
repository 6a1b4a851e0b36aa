"""Facts the rules share: which definition a call runs, split-back masks, helpers followed, name caches."""
from __future__ import annotations

import ast

from flake8_dlpractice.analysis.dataflow import _part_mask
from flake8_dlpractice.analysis.facts import build_facts
from flake8_dlpractice.analysis.names import use_extra_tokens
from flake8_dlpractice.engine import check_source
from flake8_dlpractice.analysis.validation import _has_val_word


def test_a_top_level_call_runs_the_module_level_definition_not_a_nested_one():
    tree = ast.parse("import torch\n"
                     "def helper(x): return 1\n"
                     "def wrap():\n"
                     "    def helper(x): return 2\n"
                     "    return helper(0)\n"
                     "y = helper(0)\n"
                     "def helper(x): return 3\n"
                     "z = helper(0)\n")
    facts = build_facts(tree)
    runs = [facts.resolve_local(stmt.value.func, None).line for stmt in (tree.body[3], tree.body[5])]
    assert runs == [2, 7] and [info.line for info in facts.redefined["helper"]] == [2, 7]


def test_a_mask_splits_back_only_when_it_names_a_part():
    def mask(text: str) -> bool:
        return _part_mask(ast.parse(text, mode="eval").body)

    assert [mask(t) for t in ("full.is_test == 1", "df['src'] == 'train'", "both.intrain", "full.y.isnull()")] == \
        [True, True, True, True]
    assert [mask(t) for t in ("full.pclass == 3", "full.invalid == 0", "df['Invalid'] == False")] == \
        [False, False, False]


def test_a_long_chain_of_helpers_is_followed_without_crashing():
    # f0 hands the draw to f1 ... to the last, which only plots it: deeper than followed, it counts
    helpers = "".join(f"def f{i}(x):\n    return f{i + 1}(x)\n" for i in range(600))
    source = ("import numpy as np\nimport torch\nimport matplotlib.pyplot as plt\n" + helpers
              + "def f600(x):\n    return plt.plot(x)\n"
              + "f0(np.random.rand(10))\n"
              + "model = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
              + "for xb in torch.randn(8, 4, 2):\n    opt.zero_grad()\n    model(xb).sum().backward()\n"
              + "    opt.step()\n")
    assert [(f.line, f.code) for f in check_source(source, "chain.py")] == [(1, "DLP200")]


def test_a_project_role_token_reaches_the_validation_evidence():
    assert not _has_val_word("hold_scores")
    use_extra_tokens({"hold": "val"})
    try:
        assert _has_val_word("hold_scores")
    finally:
        use_extra_tokens({})


def test_a_bound_copy_keeps_every_field_but_those_binding_sets():
    from dataclasses import fields

    from flake8_dlpractice.analysis.values import Value

    names = [f.name for f in fields(Value)]
    source = Value(**{name: f"<{name}>" for name in names})
    copy = source.bound("test", "origin", frozenset({1}), frozenset({2}), "X_te", 9, frozenset({3}))
    set_by_binding = {"role": "test", "origin": "origin", "carried": True, "anc": frozenset({1}),
                      "idents": frozenset({2}), "name": "X_te", "line": 9, "copy_of": frozenset({3}), "applied": None}
    assert {name: getattr(copy, name) for name in names} == {
        name: set_by_binding.get(name, f"<{name}>") for name in names}


def test_new_value_builds_what_the_class_builds():
    from dataclasses import astuple, fields

    from flake8_dlpractice.analysis.values import Value, new_value

    assert astuple(new_value()) == astuple(Value())
    for field in fields(Value):
        given = {field.name: f"<{field.name}>"}
        assert astuple(new_value(**given)) == astuple(Value(**given)), field.name


def test_the_walkers_call_sites_have_every_field_the_class_gives():
    from dataclasses import fields

    from flake8_dlpractice.analysis.records import CallSite

    facts = build_facts(ast.parse("import torch\nmodel.fit(X, y=y)\n"))
    [site] = facts.calls
    expected = CallSite(site.node, None, "model.fit", "fit", site.recv, site.args, site.kwargs, None, (), False,
                        facts.tree.body[1])
    assert {f.name: getattr(site, f.name) for f in fields(CallSite)} == {
        f.name: getattr(expected, f.name) for f in fields(CallSite)}
