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


    handlers = {"go": called}
    loader = torch.utils.data.DataLoader(range(4), worker_init_fn=worker_seed)
    net = Net()
    child = Child()
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
    }
    assert reach.runs(None)


def test_a_module_without_functions_runs_everything():
    facts = build_facts(ast.parse("import torch\ntorch.manual_seed(0)\n"))
    assert reach_of(facts).runs(None)
