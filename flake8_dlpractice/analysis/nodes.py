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


# fields of an operator: an ``ast.Add``/``ast.Eq`` node holds no name, no value, nothing read
_OPERATOR_FIELDS = frozenset({"op", "ops"})
# by node type: the fields that may hold the nodes it reads (``operands`` reads ``.get(kind)`` first)
_OPERAND_FIELDS: dict[type, tuple[str, ...]] = {}


def _operand_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that may hold the nodes it reads: ``child_nodes``' fields without
    the operators (its lists may still hold ``None``)."""
    fields = _OPERAND_FIELDS.get(kind)
    if fields is None:
        every = _FIELDS.get(kind) or _fields_of(kind)
        fields = _OPERAND_FIELDS[kind] = tuple(name for name, _ in every if name not in _OPERATOR_FIELDS)
    return fields


def operands(node: ast.AST) -> list[ast.AST]:
    """The nodes ``node`` reads: its ``child_nodes`` without operators (an ``ast.Add`` or ``ast.Eq``
    holds nothing read) and without the ``None`` some lists hold, in the same order."""
    kind = type(node)
    fields = _OPERAND_FIELDS.get(kind)
    out: list[ast.AST] = []
    for name in _operand_fields(kind) if fields is None else fields:
        value = getattr(node, name, None)
        if type(value) is list:
            out.extend([item for item in value if isinstance(item, ast.AST)])
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


# by node type: the fields that hold blocks of statements (read ``BLOCKS_OF.get(kind)`` first in a
# loop over every statement, then ``block_fields(kind)``)
BLOCKS_OF: dict[type, tuple[str, ...]] = {}


def block_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that hold blocks of statements (a ``def`` and a ``class`` too), in
    order; () for a simple statement."""
    names = BLOCKS_OF.get(kind)
    if names is None:
        names = BLOCKS_OF[kind] = tuple(name for name in BLOCK_FIELDS if name in kind._fields)
    return names


def block_children(node: ast.AST) -> list[ast.AST]:
    """The statements (and except handlers / match cases) directly inside a block statement."""
    kind = type(node)
    names = BLOCKS_OF.get(kind)
    if names is None:
        names = block_fields(kind)
    if len(names) == 1:
        return getattr(node, names[0])
    children: list[ast.AST] = []
    for name in names:
        children.extend(getattr(node, name))
    return children


def param_names(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    """The names of a function's parameters that take one argument each (not ``*args``/``**kw``)."""
    args = function.args
    return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """``node`` and every node below it in ``ast.walk``'s order (breadth first), without its cost
    and without the load/store markers."""
    todo = [node]
    for node in todo:  # the list grows as it is read
        yield node
        todo.extend(child_nodes(node))
