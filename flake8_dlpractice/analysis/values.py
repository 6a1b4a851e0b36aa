"""What the analysis knows about a value: its split role, identity and provenance.

A :class:`Value` is built by the walker in :mod:`facts` for every expression it evaluates. Values
are not changed once the walker has handed them on (``NOTHING`` is shared by every literal).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import TYPE_CHECKING

from .provenance import EMPTY, SLOTS

if TYPE_CHECKING:  # pragma: no cover
    from .provenance import SplitEvent, Statistic

__all__ = ["EMPTY", "NOTHING", "SplitInfo", "Value", "merge_roles", "merge_roles_strict"]


@dataclass(eq=False, **SLOTS)
class Value:
    """What the analysis knows about the value of an expression."""

    role: str | None = None
    origin: str = ""  # where the role comes from, for messages
    carried: bool = False  # the role belongs to data already named: kept whatever a new name says
    kind: str | None = None  # qualified name of the constructor that built the object
    call: ast.Call | None = None  # that constructor call
    aug: str | None = None  # evidence that this transform augments randomly
    anc: frozenset[int] = EMPTY  # ids of the definitions this value derives from
    idents: frozenset[int] = EMPTY  # ids of the named values read directly (a subset of anc)
    stat: Statistic | None = None  # a statistic (mean/std/...) or a fitted object, and its source
    applied: Statistic | None = None  # data imputed, normalised or binned with this statistic
    steps: str | None = None  # a Pipeline/ColumnTransformer's stateful step (``StandardScaler``)
    split: SplitInfo | None = None  # result of a split call, unpacked by position
    piece_of: SplitEvent | None = None  # a part of this split (its slot, before it is named)
    name: str | None = None  # the variable that holds it
    items: tuple[Value, ...] | None = None  # tuple/list displays, element by element
    is_index: bool = False  # row indices of a split (``for tr_idx, va_idx in kf.split(X)``)
    element: bool = False  # one element of iterated data (``for img in images``): a sample
    position: bool = False  # a counter over ``range(...)``: data indexed by it is one element
    pred: bool = False  # a model's predictions (or values computed from predictions only)
    line: int = 0
    copy_of: frozenset[int] = EMPTY  # ``b = a``: the idents of the first named value in a chain of plain copies

    def take_role(self, other: Value) -> None:
        """Give this value (still being built) the role of ``other``, with its origin and name."""
        self.role, self.origin, self.carried, self.name = other.role, other.origin, other.carried, other.name

    def copy_with(self, **changes) -> Value:
        """A new value like this one but for ``changes``: ``dataclasses.replace`` without its checks of
        every field, about four times faster (the walker copies values by the ten thousand)."""
        copy = new_value(*_every_field(self))
        for name, value in changes.items():
            setattr(copy, name, value)
        return copy

    def bound(self, role: str | None, origin: str, anc: frozenset[int], idents: frozenset[int], name: str,
              line: int, copy_of: frozenset[int]) -> Value:
        """This value as a name holds it once bound (``_named`` in evaluation.py): a copy with the given
        fields, ``carried`` when it has a role, and no ``applied`` statistic. The fields are passed
        by position: the class given twenty keywords costs three times as much, and the walker binds
        names by the hundred thousand."""
        return new_value(role, origin, bool(role), self.kind, self.call, self.aug, anc, idents, self.stat, None,
                         self.steps, self.split, self.piece_of, name, self.items, self.is_index, self.element,
                         self.position, self.pred, line, copy_of)


_new = object.__new__


def new_value(role: str | None = None, origin: str = "", carried: bool = False, kind: str | None = None,
              call: ast.Call | None = None, aug: str | None = None, anc: frozenset[int] = EMPTY,
              idents: frozenset[int] = EMPTY, stat: Statistic | None = None, applied: Statistic | None = None,
              steps: str | None = None, split: SplitInfo | None = None, piece_of: SplitEvent | None = None,
              name: str | None = None, items: tuple[Value, ...] | None = None, is_index: bool = False,
              element: bool = False, position: bool = False, pred: bool = False, line: int = 0,
              copy_of: frozenset[int] = EMPTY) -> Value:
    """``Value(...)`` for the walker's hottest paths: a plain function call, which costs about two
    thirds of a call of the class (the class's call goes through its ``__init__`` slot)."""
    value = _new(Value)
    value.role, value.origin, value.carried, value.kind, value.call = role, origin, carried, kind, call
    value.aug, value.anc, value.idents, value.stat, value.applied = aug, anc, idents, stat, applied
    value.steps, value.split, value.piece_of, value.name, value.items = steps, split, piece_of, name, items
    value.is_index, value.element, value.position, value.pred = is_index, element, position, pred
    value.line, value.copy_of = line, copy_of
    return value


_every_field = attrgetter(*(f.name for f in fields(Value)))  # in the order __init__ takes them

# What is known of a literal or an unanalysed expression: nothing. Shared, so never mutated: every
# value the walker changes after creating it is a fresh one.
NOTHING = Value()


@dataclass(eq=False, **SLOTS)
class SplitInfo:
    func: str  # train_test_split, random_split, KFold.split, load_data
    line: int
    n_inputs: int
    input_role: str | None
    anc: frozenset[int]
    event: SplitEvent | None = None  # None for ready-made splits (keras load_data)


def merge_roles(values: list[Value]) -> Value | None:
    """The one role several values agree on (None when they disagree or carry none)."""
    first = None
    for v in values:
        if v is not None and v.role:
            if first is None:
                first = v
            elif v.role != first.role:
                return None
    return first


def merge_roles_strict(values: list[Value]) -> Value | None:
    """Like :func:`merge_roles`, but a named value without a role makes the mix unknown (a statistic or
    an augmenting generator given beside the data is not data)."""
    for v in values:
        if v is not None and not v.role and v.idents and not v.stat and not v.aug:
            return None
    return merge_roles(values)
