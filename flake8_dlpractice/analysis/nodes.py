"""Walking stdlib ``ast`` trees faster than ``ast.iter_child_nodes`` for the passes that visit
every node of an expression or a module (its generic field loop dominates such passes)."""
from __future__ import annotations

import ast
from typing import Iterator

# fields that never hold a node (a name, an attribute's name, a flag) or only a load/store marker
_SCALAR_FIELDS = frozenset({"ctx", "id", "attr", "arg", "kind", "conversion", "is_async", "type_comment",
                            "name", "module", "level", "simple"})
# list fields that may hold something other than a node: ``None`` for the key of ``**d`` in a dict
# display and for a keyword-only parameter without a default; the names of ``global``, ``nonlocal``
# and of a class pattern's keywords (every other list field of the grammar holds nodes only)
_MIXED_LISTS = frozenset({(ast.Dict, "keys"), (ast.arguments, "kw_defaults"), (ast.Global, "names"),
                          (ast.Nonlocal, "names")}
                         | ({(ast.MatchClass, "kwd_attrs")} if hasattr(ast, "MatchClass") else set()))
# per node type: (field, whether it is one of the lists above), scalar fields left out
_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}
# the fields of a compound statement (and except handler, match case) that hold its blocks, in order
BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _fields_of(kind: type) -> tuple[tuple[str, bool], ...]:
    if kind is ast.Constant:
        return ()
    return tuple((name, (kind, name) in _MIXED_LISTS) for name in kind._fields if name not in _SCALAR_FIELDS)


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """The child nodes of ``node`` in ``ast.iter_child_nodes`` order, load/store markers left out."""
    kind = type(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = _fields_of(kind)
    out: list[ast.AST] = []
    for name, mixed in fields:
        value = getattr(node, name, None)
        if type(value) is list:
            if mixed:
                out.extend([v for v in value if isinstance(v, ast.AST)])
            else:  # a list of nodes (the grammar says so): no test per element
                out.extend(value)
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
