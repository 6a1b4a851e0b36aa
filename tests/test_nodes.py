"""analysis.nodes: the fast child walk gives what ``ast.iter_child_nodes`` gives (load/store markers aside)."""
import ast
import sys

import pytest

from flake8_dlpractice.analysis.nodes import child_nodes, operands, walk

SOURCE = '''
import numpy as np, torch.nn as nn
from os import path as p
counter = 0


def step(batch, *, scale, shift=1.0, **options):
    global counter
    counter += 1
    merged = {**options, "scale": scale}
    return [x * scale + shift for x in batch if x], merged


def outer():
    total = 0

    def inner():
        nonlocal total
        total += 1
    return inner
'''

MATCH = '''
match shape:
    case Point(x=0, y=height) if height > 0:
        pass
    case {"kind": kind, **rest}:
        pass
    case [first, *others] | (first, *others):
        pass
    case None:
        pass
'''


def _expected(node):
    return [child for child in ast.iter_child_nodes(node) if not isinstance(child, ast.expr_context)]


@pytest.mark.parametrize("source, mixed", [
    (SOURCE, {"Global", "Nonlocal", "Dict", "arguments"}),
    pytest.param(MATCH, {"MatchClass", "MatchMapping"}, marks=pytest.mark.skipif(
        sys.version_info < (3, 10), reason="match statements need Python 3.10")),
])
def test_child_nodes_are_iter_child_nodes_without_markers(source, mixed):
    tree = ast.parse(source)
    kinds = set()
    for node in ast.walk(tree):
        assert child_nodes(node) == _expected(node), ast.dump(node)
        kinds.add(type(node).__name__)
    assert mixed <= kinds  # the nodes whose lists mix names or None in with nodes are all there


def test_operands_are_the_child_nodes_without_operators():
    tree = ast.parse(SOURCE + "y = -a < b <= c and not d or e ** 2\n")
    operators = (ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
    kinds = set()
    for node in ast.walk(tree):
        assert operands(node) == [child for child in _expected(node) if not isinstance(child, operators)]
        kinds.update(type(child).__name__ for child in child_nodes(node) if isinstance(child, operators))
    assert {"USub", "Lt", "LtE", "And", "Not", "Or", "Pow", "Mult", "Add"} <= kinds


def test_walk_visits_every_node_but_markers_breadth_first():
    tree = ast.parse(SOURCE)
    assert list(walk(tree)) == [node for node in ast.walk(tree) if not isinstance(node, ast.expr_context)]
