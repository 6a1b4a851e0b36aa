"""Walking stdlib ``ast`` trees faster than ``ast.iter_child_nodes`` for the passes that visit
every node of an expression or a module (its generic field loop dominates such passes)."""
from __future__ import annotations

import ast
from typing import Iterator

# fields that never hold a node (a name, an attribute's name, a flag) or only a load/store marker
_SCALAR_FIELDS = frozenset({"ctx", "id", "attr", "arg", "kind", "conversion", "is_async", "type_comment",
                            "name", "module", "level", "simple"})
_FIELDS: dict[type, tuple[str, ...]] = {}
# the fields of a compound statement (and except handler, match case) that hold its blocks, in order
BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """The child nodes of ``node`` in ``ast.iter_child_nodes`` order, load/store markers left out."""
    kind = type(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = () if kind is ast.Constant else \
            tuple(f for f in kind._fields if f not in _SCALAR_FIELDS)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            out.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """``node`` and every node below it in ``ast.walk``'s order (breadth first), without its cost
    and without the load/store markers."""
    todo = [node]
    for node in todo:  # the list grows as it is read
        yield node
        todo.extend(child_nodes(node))
