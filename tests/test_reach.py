"""Which functions run (analysis/reach.py): what the reproducibility rules count."""
from __future__ import annotations

import ast
import textwrap

from flake8_dlpractice.analysis.facts import build_facts
from flake8_dlpractice.analysis.reach import reach_of

SOURCE = """\
    import click
    import torch

    __all__ = ["exported"]


    def called():
        helper_of_called()


    def helper_of_called():
        pass


    def never_called():
        only_from_never_called()


    def only_from_never_called():
        pass


    def worker_seed(worker_id):
        pass


    def exported():
        pass


    def main():
        pass


    @click.command()
    def cli():
        pass


    @torch.no_grad()
    def decorated_but_unused():
        pass


    def recursive_but_unused():
        recursive_but_unused()


    class Net(torch.nn.Module):
        def forward(self, x):
            return self.block(x)

        def block(self, x):
            return x


    class Base:
        def shared(self):
            pass


    class Child(Base):
        pass


    class Unused:
        def method(self):
            pass


    class Tally(dict):
        def __init__(self):
            super().__init__()

        def update(self, other):
            pass

        def bump(self):
            pass

        def never_asked(self):
            pass


    handlers = {"go": called}
    loader = torch.utils.data.DataLoader(range(4), worker_init_fn=worker_seed)
    net = Net()
    child = Child()
    child.shared()
    tally = Tally()
    tally.bump()
    """


def test_what_runs():
    facts = build_facts(ast.parse(textwrap.dedent(SOURCE)))
    reach = reach_of(facts)
    runs = {f"{info.class_name + '.' if info.class_name else ''}{info.name}": reach.runs(info)
            for info in facts.functions}
    assert runs == {
        "called": True, "helper_of_called": True,  # stored in a dict at module level, then its callee
        "never_called": False, "only_from_never_called": False,  # reached only from code that never runs
        "worker_seed": True,  # passed as worker_init_fn=
        "exported": True, "main": True, "cli": True,  # __all__, entry point by name, a registering decorator
        "decorated_but_unused": False, "recursive_but_unused": False,
        "Net.forward": True, "Net.block": True, "Base.shared": True,  # classes in use (and their bases)
        "Unused.method": False,
        # a plain class that runs: its dunders, overrides of its builtin base, and methods named
        # somewhere as attributes; not a method nothing names
        "Tally.__init__": True, "Tally.update": True, "Tally.bump": True, "Tally.never_asked": False,
    }
    assert reach.runs(None)


def test_a_module_without_functions_runs_everything():
    facts = build_facts(ast.parse("import torch\ntorch.manual_seed(0)\n"))
    assert reach_of(facts).runs(None)


DEAD = """\
    import random, torch  # one line: the line numbers below count

    DEBUG = False
    LIMIT = 0
    MODE = "fast"
    CHANGED = False
    CHANGED = True
    PARAM = None


    def noisy():
        return random.random()


    def rebinds(PARAM=1):
        return PARAM


    if DEBUG:
        noisy()                  # 20: dead
    if DEBUG == True and LIMIT:
        noisy()                  # 22: dead
    elif not DEBUG:
        print("on")              # 24: runs
    else:
        noisy()                  # 26: dead (not DEBUG always holds)
    if MODE == "slow":
        noisy()                  # 28: dead
    if MODE != "slow" or DEBUG:
        print("fast")            # 30: runs
    if CHANGED:
        noisy()                  # 32: runs (bound twice)
    if PARAM is None:
        print("x")               # 34: runs (PARAM is also a parameter)
    if False:
        noisy()                  # 36: dead
    """


def test_branches_under_constant_flags_never_run():
    from flake8_dlpractice.analysis.reach import dead_code_of, never_runs

    facts = build_facts(ast.parse(textwrap.dedent(DEAD)))
    dead = facts.derived(dead_code_of)
    assert [line for line in range(1, 40) if dead.covers(line)] == [20, 22, 26, 28, 36]
    calls = {site.line: site for site in facts.calls}
    assert never_runs(facts, calls[20].node) and not never_runs(facts, calls[32].node)


def test_a_function_called_only_from_a_dead_branch_does_not_run():
    source = textwrap.dedent("""\
        import torch
        SIMULATE = False


        def shuffle_rows(rows):
            return rows


        def report(rows):
            return rows


        if SIMULATE:
            shuffle_rows([1, 2])
            mapped = list(map(report, [3]))
        """)
    facts = build_facts(ast.parse(source))
    reach = facts.derived(reach_of)
    assert [f.name for f in facts.functions if reach.runs(f)] == []
    assert not reach.runs_at(None, 14) and reach.runs_at(None, 2)


def test_a_computed_getattr_may_call_any_method():
    source = textwrap.dedent("""\
        import torch


        class Recipes:
            def by_name(self, kind):
                return getattr(self, kind + "_mix")()

            def quick_mix(self):
                return 1


        Recipes().by_name("quick")
        """)
    facts = build_facts(ast.parse(source))
    reach = facts.derived(reach_of)
    assert [f.name for f in facts.functions if reach.runs(f)] == ["by_name", "quick_mix"]


def test_comparisons_of_constant_flags_with_literals():
    from flake8_dlpractice.analysis.reach import dead_code_of

    source = textwrap.dedent("""\
        import random, torch
        FOLDS = 1
        MODE = "fast"
        RATE = 0.5
        if FOLDS > 1:
            random.random()      # 6: dead
        if FOLDS >= 1:
            print(FOLDS)         # 8: runs
        else:
            random.random()      # 10: dead
        if MODE in ("slow", "exact"):
            random.random()      # 12: dead
        if MODE not in ["fast"]:
            random.random()      # 14: dead
        if 0 < RATE <= 0.25:
            random.random()      # 16: dead
        if MODE < 3:
            random.random()      # 18: runs (the comparison would fail: not judged)
        if MODE in "fast-exact":
            random.random()      # 20: runs (substring tests are not judged)
        if FOLDS != 1 or RATE < 1:
            print(RATE)          # 22: runs
        if __name__ == "__main__":
            REPEATS = 1
            if REPEATS > 1:
                random.random()  # 26: dead (bound once in the main block)
        """)
    facts = build_facts(ast.parse(source))
    dead = facts.derived(dead_code_of)
    assert [line for line in range(1, 28) if dead.covers(line)] == [6, 10, 12, 14, 16, 26]


def test_loops_over_empty_collections_never_run():
    from flake8_dlpractice.analysis.reach import dead_code_of

    source = textwrap.dedent("""\
        import numpy as np, torch
        import random
        sizes = []
        for size in sizes:
            random.random()      # 5: dead
        for pair in ():
            random.random()      # 7: dead
        grid = np.array([])
        grid = np.append(grid, 3)
        for step in grid:
            random.random()      # 11: runs (filled before the loop)
        picks = []
        picks.append(2)
        for pick in picks:
            random.random()      # 15: runs
        names = list()
        for name in names:
            random.random()      # 18: runs (a function of the file mentions names)
        else:
            print("none")        # 20: runs


        def add(item):
            names.append(item)
        """)
    facts = build_facts(ast.parse(source))
    dead = facts.derived(dead_code_of)
    assert [line for line in range(1, 25) if dead.covers(line)] == [5, 7]
