"""Which code of a module runs: its top-level statements and the functions they reach.

A seed call in a function nobody calls seeds nothing, and a loader built in such a function loads
nothing: the reproducibility rules count only code that runs. Code *runs* when it is

- at module level (including ``if __name__ == "__main__":`` blocks);
- in a function that code which runs references: calls it (``main()``, ``self.fit()``), passes it
  (``worker_init_fn=seed_worker``, ``app.run(main)``, ``partial(train, cfg)``), stores it
  (``handlers = {"train": train}``);
- in a function that something outside the file reaches by construction: one that is decorated
  by a decorator that registers it (``@click.command``, ``@hydra.main``, ``@app.route``; not
  ``@torch.no_grad()``, ``@functools.lru_cache``, ``@staticmethod``), listed in ``__all__``, or
  named ``main`` (console-script entry points);
- in a method of a class that runs (referenced by code that runs, decorated, listed in
  ``__all__``, or the base of a same-file class that runs) when something can call it: frameworks
  call every method of a class built on an imported base (``nn.Module``, ``Callback``,
  ``BaseEstimator``), so all of those run; a method of a plain class (no base, or built on
  ``object``/``dict``/another builtin) runs only if it is a dunder, overrides a method of the
  builtin base (``update`` of a ``dict``), is an estimator/module protocol method (``fit``,
  ``transform``, ``forward``, ``call``, ``on_...``), is decorated by a registering decorator, or
  its name is used as an attribute (``obj.sample_word()``, ``self.step``, ``getattr(o, "step")``)
  anywhere in the module. A helper class whose methods nothing calls runs only its constructor;

and it is not in a branch that never runs (``dead_code_of``): the body of ``if FLAG:`` (or
``if FLAG == True:``, ``if FLAG and x:``, ``if FOLDS > 1:``, ``if MODE in ("train", "tune"):`` —
``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``is``, ``in``/``not in`` a literal tuple, list or
set, chains such as ``0 < RATE <= 1``) where ``FLAG`` is a module constant bound once, at the top
level (or directly in the ``if __name__ == "__main__":`` block), to a literal (``SIMULATE = False``,
``RUN_FOLDS = 0``) and never bound again anywhere in the file, or the ``else`` of such a test that
always holds; ``if False:`` / ``if 0:`` too. Comparisons that would fail (``"a" < 1``) and
substring tests are not decided. The body of a ``for`` loop over an empty collection never runs
either: an empty literal (``for m in []:``, ``np.array([])``, ``list()``), or a name whose last
top-level binding before a top-level loop is one, when no statement between them and no function
of the file mentions the name (a sweep switched off by an empty grid). References and calls
written there reach nothing. Flags computed
at run time (``DEBUG = os.environ.get(...)``, ``args.folds``) are not constants; a notebook that
sets the flag again in another cell rebinds it.

Computed once from the facts (``facts.references``, the same-file calls, decorators), linear in
their size: ``facts.derived(reach_of).runs(scope)``.
"""
from __future__ import annotations

import ast
import bisect
import builtins
import operator
from dataclasses import dataclass, field
from typing import Iterator

from .called import called_names
from .facts import ModuleFacts
from .records import CallSite, FunctionInfo
from .names import dotted, last_part
from .nodes import child_nodes

ENTRY_NAMES = frozenset({"main"})


@dataclass(eq=False)
class DeadCode:
    """Line ranges of branches that never run (see the module docstring)."""

    spans: list[tuple[int, int]] = field(default_factory=list)  # disjoint (first, last) line ranges, sorted

    def covers(self, line: int) -> bool:
        """The statement that starts at ``line`` is in a branch that never runs."""
        index = bisect.bisect_right(self.spans, (line, float("inf"))) - 1
        return index >= 0 and self.spans[index][0] <= line <= self.spans[index][1]


@dataclass(eq=False)
class Reach:
    running: set[int] = field(default_factory=set)  # ids of the functions that run
    dead: DeadCode = field(default_factory=DeadCode)

    def runs(self, scope: FunctionInfo | None) -> bool:
        """Code directly in ``scope`` (None: the module level) runs, unless a branch is dead."""
        return scope is None or id(scope) in self.running

    def runs_at(self, scope: FunctionInfo | None, line: int) -> bool:
        """The statement at ``line``, directly in ``scope``, runs: its scope runs and no constant
        flag switches its branch off."""
        return self.runs(scope) and not self.dead.covers(line)


_CONSTANT_TYPES = (bool, int, float, str, type(None))
_UNKNOWN = object()


def _constant_flags(body: list[ast.stmt]) -> dict[str, tuple[object, int]]:
    """Names assigned a literal by one of the module's top-level statements ``body`` (those of its
    ``if __name__ == "__main__":`` blocks too, as :func:`_top_level` lists them), and by no other:
    ``{name: (value, line)}``."""
    candidates: dict[str, tuple[object, int]] = {}
    repeated: set[str] = set()
    _note_literals(body, candidates, repeated, True)
    for name in repeated:
        candidates.pop(name, None)
    return candidates


def _note_literals(body: list[ast.stmt], candidates: dict[str, tuple[object, int]], repeated: set[str],
                   top: bool) -> None:
    """``_constant_flags`` of ``body``, in statement order (a main guard's block where it stands)."""
    assign, if_, name_ = ast.Assign, ast.If, ast.Name  # looked up once: modules run to a thousand statements
    for stmt in body:
        kind = type(stmt)
        if kind is assign:
            targets = stmt.targets
            if len(targets) != 1 or type(targets[0]) is not name_:
                continue
            name = targets[0].id
            value = stmt.value
            if name in candidates:
                repeated.add(name)
            elif type(value) is ast.Constant and isinstance(value.value, _CONSTANT_TYPES):
                candidates[name] = (value.value, stmt.lineno)
        elif top and kind is if_ and _is_main_guard(stmt):
            _note_literals(stmt.body, candidates, repeated, False)


def _is_main_guard(stmt: ast.stmt) -> bool:
    test = stmt.test if isinstance(stmt, ast.If) else None
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    """The module's top-level statements, with those of its ``if __name__ == "__main__":`` blocks."""
    if not [stmt for stmt in tree.body if type(stmt) is ast.If and _is_main_guard(stmt)]:
        return tree.body
    out: list[ast.stmt] = []
    for stmt in tree.body:
        if type(stmt) is ast.If and _is_main_guard(stmt):
            out.extend(stmt.body)
        else:
            out.append(stmt)
    return out


def _rebound(facts: ModuleFacts, flags: dict[str, tuple[object, int]], tested_ifs: list[ast.If]) -> set[str]:
    """The flags bound anywhere else: again at module level (the module's last binding is on
    another line), or by a function (``global``, or a parameter or local of that name, which the
    function's tests would read instead). A function is walked in full only when it contains a
    test of a flag; the others are looked at for parameters and ``global`` statements."""
    out = {name for name, (_, line) in flags.items()
           if facts.module_env.get(name) is None or facts.module_env[name].line != line}
    names = set(flags)
    lines = sorted(stmt.lineno for stmt in tested_ifs)
    for info in facts.functions:
        node = info.node
        out |= names.intersection(info.params)
        for stmt in node.body:
            if isinstance(stmt, (ast.Global, ast.Nonlocal)):
                out |= names.intersection(stmt.names)
        first = bisect.bisect_left(lines, node.lineno)
        if first < len(lines) and lines[first] <= (node.end_lineno or node.lineno):
            _note_stores(node, names, out)
    return out


def _note_stores(node: ast.AST, names: set[str], out: set[str]) -> None:
    """Add to ``out`` the ``names`` that ``node`` binds anywhere inside (or declares ``global``)."""
    for sub in _name_nodes(node):
        if type(sub) is ast.Name:
            if type(sub.ctx) is not ast.Load and sub.id in names:
                out.add(sub.id)
        else:  # global, nonlocal
            out |= names.intersection(sub.names)


def _value(node: ast.expr, flags: dict[str, object]) -> object:
    """The value of a test built from constants and constant flags, or _UNKNOWN."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return flags.get(node.id, _UNKNOWN)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _value(node.operand, flags)
        return _UNKNOWN if inner is _UNKNOWN else not inner
    if isinstance(node, ast.BoolOp):
        values = [_value(v, flags) for v in node.values]
        decisive = isinstance(node.op, ast.Or)  # the truth that decides the whole: True for or
        if any(v is not _UNKNOWN and bool(v) is decisive for v in values):
            return decisive
        return _UNKNOWN if any(v is _UNKNOWN for v in values) else not decisive
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):  # the right side of ``in``
        items = tuple(_value(e, flags) for e in node.elts)
        return _UNKNOWN if any(v is _UNKNOWN for v in items) else items
    if isinstance(node, ast.Compare):
        left = _value(node.left, flags)
        for op, comparator in zip(node.ops, node.comparators):  # a < b < c: every link holds
            right = _value(comparator, flags)
            truth = _compare(type(op), left, right)
            if truth is not True:
                return truth
            left = right
        return True
    return _UNKNOWN


def _may_decide(node: ast.expr, bound: dict[str, object]) -> bool:
    """Whether ``_value`` may decide ``node`` for some constant flags: every flag is a name bound at
    module level (``bound``); a call, an attribute or a name bound only in a function decides nothing."""
    kind = type(node)
    if kind is ast.Name:
        return node.id in bound
    if kind is ast.Compare:  # the first link decides or stops the chain
        return _may_decide(node.left, bound) and _may_decide(node.comparators[0], bound)
    if kind is ast.Constant:
        return True
    if kind is ast.UnaryOp:
        return type(node.op) is ast.Not and _may_decide(node.operand, bound)
    if kind is ast.BoolOp:
        return any(_may_decide(value, bound) for value in node.values)
    if kind is ast.Tuple or kind is ast.List or kind is ast.Set:
        return all(_may_decide(element, bound) for element in node.elts)
    return False


def _compare(op: type, left: object, right: object) -> object:
    """``left <op> right`` for literal values; _UNKNOWN when a side is unknown or the comparison
    would fail (``"a" < 1``)."""
    if left is _UNKNOWN or right is _UNKNOWN:
        return _UNKNOWN
    same = left == right and type(left) is type(right)
    try:
        if op is ast.Is or op is ast.IsNot:
            return same if op is ast.Is else not same
        if op is ast.In or op is ast.NotIn:
            if not isinstance(right, tuple):
                return _UNKNOWN  # a string or a name bound to a collection: not judged
            return (left in right) is (op is ast.In)
        return bool(_ORDER[op](left, right)) if op in _ORDER else _UNKNOWN
    except TypeError:
        return _UNKNOWN


_ORDER = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
          ast.Gt: operator.gt, ast.GtE: operator.ge}


_EMPTY_BUILDERS = frozenset({"list", "tuple", "set", "dict", "numpy.array", "numpy.asarray"})


def _is_empty(facts: ModuleFacts, node: ast.expr) -> bool:
    """``[]``, ``()``, ``{}``, ``list()``, ``np.array([])``: a collection literal with nothing in it."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return not node.elts
    if isinstance(node, ast.Dict):
        return not node.keys
    if isinstance(node, ast.Call) and not node.keywords and len(node.args) <= 1 \
            and (not node.args or _is_empty(facts, node.args[0])):  # range(n), zip(a, b): decided here
        return (facts.imports.qualname(node.func) or dotted(node.func)) in _EMPTY_BUILDERS
    return False


def _empty_loops(facts: ModuleFacts) -> list[ast.For]:
    """Loops over a collection that is empty: written as an empty literal (``for m in []:``), or a
    name whose last top-level binding before a top-level loop is one, when nothing between them and
    no function of the file mentions the name (``n_list = np.array([])`` ... ``for n in n_list:``)."""
    out: list[ast.For] = []
    iterated: set[str] = set()  # names iterated by loops at module level, every top-level loop's among them
    for loop in facts.loops:
        node = loop.node
        if type(node) is not ast.For:
            continue
        kind = type(node.iter)
        if kind is ast.Name:
            if loop.scope is None and loop.parent is None:
                iterated.add(node.iter.id)
        elif kind is not ast.Attribute and kind is not ast.Subscript and _is_empty(facts, node.iter):
            out.append(node)
    if not iterated:
        return out
    statements = _top_level(facts.tree)
    assign, name_ = ast.Assign, ast.Name
    if not any(len(stmt.targets) == 1 and _is_empty(facts, stmt.value) for stmt in statements
               if type(stmt) is assign and type(stmt.targets[0]) is name_ and stmt.targets[0].id in iterated):
        return out  # no name a loop iterates is ever bound to an empty collection
    empty_since: dict[str, int] = {}  # name -> index of the statement binding it to an empty collection
    in_functions: set[str] | None = None
    for index, stmt in enumerate(statements):
        kind = type(stmt)
        if kind is not ast.For and kind is not ast.Assign:
            continue
        if kind is ast.For and isinstance(stmt.iter, ast.Name) and stmt.iter.id in empty_since:
            name = stmt.iter.id
            if in_functions is None:
                in_functions = set()
                for info in facts.functions:
                    in_functions |= _names_in(info.node)
            if name not in in_functions and not any(
                    name in _names_in(part) for part in statements[empty_since[name] + 1:index]):
                out.append(stmt)
        if kind is ast.Assign and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and stmt.targets[0].id in iterated:  # only names a top-level loop iterates matter
            if _is_empty(facts, stmt.value):
                empty_since[stmt.targets[0].id] = index
                continue
            empty_since.pop(stmt.targets[0].id, None)
    return out


def _names_in(node: ast.AST) -> set[str]:
    """The names read or bound anywhere in ``node`` (``walk``'s ``ast.Name`` nodes, faster)."""
    return {sub.id for sub in _name_nodes(node) if type(sub) is ast.Name}


def _name_nodes(node: ast.AST) -> Iterator[ast.Name | ast.Global | ast.Nonlocal]:
    """The ``Name``, ``Global`` and ``Nonlocal`` nodes anywhere in ``node``: ``walk`` without visiting
    what holds no name (constants, an attribute's name, a call's and a comparison's fields one by one)."""
    stack = [node]
    name, attribute, constant, call, compare = ast.Name, ast.Attribute, ast.Constant, ast.Call, ast.Compare
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is name or kind is ast.Global or kind is ast.Nonlocal:
            yield node
        elif kind is attribute:
            stack.append(node.value)
        elif kind is call:
            stack.append(node.func)
            stack.extend(node.args)
            stack.extend([keyword.value for keyword in node.keywords])
        elif kind is compare:
            stack.append(node.left)
            stack.extend(node.comparators)
        elif kind is not constant:
            stack.extend(child_nodes(node))


def _flag_tests(facts: ModuleFacts) -> tuple[dict[str, tuple[object, int]], list[ast.If], set[str]]:
    """The constant flags (before rebinding), the if statements that test a literal or mention a
    flag, and the names those mention; nothing when no test can be decided, whatever the flags."""
    env = facts.module_env
    if not any(_may_decide(stmt.test, env) for stmt in facts.ifs):
        return {}, [], set()
    found = _constant_flags(facts.tree.body)
    tested_ifs: list[ast.If] = []
    tested: set[str] = set()
    for stmt in facts.ifs:
        test = stmt.test
        kind = type(test)
        if kind is ast.Constant:
            tested_ifs.append(stmt)
        elif found:
            names = {test.id} if kind is ast.Name else _names_in(test)
            if not names.isdisjoint(found):
                tested_ifs.append(stmt)
                tested |= names
    return found, tested_ifs, tested


def dead_code_of(facts: ModuleFacts) -> DeadCode:
    """Use through ``facts.derived(dead_code_of)`` (or ``never_runs``)."""
    dead = DeadCode()
    spans: list[tuple[int, int]] = [(loop.body[0].lineno, loop.body[-1].end_lineno or loop.body[-1].lineno)
                                    for loop in _empty_loops(facts)]
    found, tested_ifs, tested = _flag_tests(facts)
    found = {name: found[name] for name in tested & set(found)}
    rebound = _rebound(facts, found, tested_ifs) if tested_ifs else set()
    flags = {name: value for name, (value, _) in found.items() if name not in rebound}
    for stmt in tested_ifs:
        truth = _value(stmt.test, flags)
        if truth is _UNKNOWN:
            continue
        branch = stmt.orelse if truth else stmt.body
        if branch:
            spans.append((branch[0].lineno, branch[-1].end_lineno or branch[-1].lineno))
    for first, last in sorted(spans):  # merge nested and overlapping branches
        if dead.spans and first <= dead.spans[-1][1]:
            dead.spans[-1] = (dead.spans[-1][0], max(last, dead.spans[-1][1]))
        else:
            dead.spans.append((first, last))
    return dead


def never_runs(facts: ModuleFacts, node: ast.AST) -> bool:
    """``node`` (a statement or expression) sits in a branch that never runs (a constant flag)."""
    return facts.derived(dead_code_of).covers(node.lineno)


def exported_names(tree: ast.Module) -> set[str]:
    """The strings of a top-level ``__all__ = [...]`` (or ``+=``) display."""
    out: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
            targets, value = [stmt.target], stmt.value
        else:
            continue
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            out.update(e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return out


def running_calls(facts: ModuleFacts) -> list[CallSite]:
    """The calls written in code that runs, in walk order. Use through ``facts.derived(running_calls)``."""
    reach = facts.derived(reach_of)
    running, dead = reach.running, reach.dead
    if not dead.spans:
        return [site for site in facts.calls if site.scope is None or id(site.scope) in running]
    return [site for site in facts.calls if (site.scope is None or id(site.scope) in running)
            and not dead.covers(site.stmt.lineno)]


# Decorators that wrap a function without registering it anywhere: the function runs only if called.
NON_REGISTERING = ("torch.", "functools.", "typing.", "abc.", "contextlib.", "numba.", "jax.", "staticmethod",
                   "classmethod", "property", "dataclass", "dataclasses.", "cache", "lru_cache", "wraps",
                   "overload", "abstractmethod", "tf.function", "tensorflow.function")


def registers(decorator: str) -> bool:
    return bool(decorator) and not decorator.startswith(NON_REGISTERING)


# Methods that libraries call on plain (duck-typed) classes handed to them.
PROTOCOL_METHODS = frozenset({"fit", "transform", "fit_transform", "inverse_transform", "predict", "predict_proba",
                              "predict_log_proba", "decision_function", "score", "partial_fit", "get_params",
                              "set_params", "forward", "call", "build", "get_config", "run", "setup", "step"})


def _attribute_names(tree: ast.Module) -> set[str] | None:
    """Every attribute name the module writes (``x.name``) and every string constant (``getattr``);
    None when it looks attributes up by a computed name (``getattr(self, kind + "_step")``): any
    method may be called then."""
    out: set[str] = set()
    stack: list[ast.AST] = [tree]
    name, constant, attribute, call, expr = ast.Name, ast.Constant, ast.Attribute, ast.Call, ast.Expr
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is name:
            continue  # the commonest node, and one without children
        if kind is constant:
            if isinstance(node.value, str) and node.value.isidentifier():
                out.add(node.value)
        elif kind is attribute:
            out.add(node.attr)
            stack.append(node.value)
        elif kind is call:
            func, args = node.func, node.args
            if type(func) is name and func.id == "getattr" and len(args) > 1 and type(args[1]) is not constant:
                return None
            stack.append(func)
            stack.extend(args)
            stack.extend([keyword.value for keyword in node.keywords])
        elif kind is expr:
            stack.append(node.value)
        else:
            stack.extend(child_nodes(node))
    return out


def _framework_classes(classes: dict[str, ast.ClassDef], bases: dict[str, list[str]]) -> set[str]:
    """The classes built (directly or through same-file classes) on a base imported from elsewhere:
    frameworks call their methods by name."""
    direct = {name for name, cdef in classes.items()
              if any((dotted(b) or "?") not in classes and not hasattr(builtins, dotted(b) or "?")
                     for b in cdef.bases)}
    out: set[str] = set()
    for name in classes:
        stack, seen = [name], set()
        while stack:
            cls = stack.pop()
            if cls in direct:
                out.add(name)
                break
            if cls not in seen:
                seen.add(cls)
                stack.extend(bases.get(cls, ()))
    return out


class _MethodGate:
    """Whether a method of a class that runs can be called (see the module docstring)."""

    def __init__(self, facts: ModuleFacts, bases: dict[str, list[str]]) -> None:
        self.facts = facts
        self.framework = _framework_classes(facts.classes, bases)
        self._attributes: set[str] | None | bool = False  # False: not computed yet
        self._called = facts.derived(called_names).methods

    def callable(self, info: FunctionInfo) -> bool:
        name, cls = info.name, info.class_name or ""
        if cls in self.framework or name.startswith("__") or name in PROTOCOL_METHODS or name.startswith("on_"):
            return True
        if any(registers(d) for d in info.decorators):
            return True
        if any(hasattr(getattr(builtins, dotted(b) or "?", None), name) for b in self.facts.classes[cls].bases):
            return True
        if name in self._called:
            return True  # obj.name(...): an attribute the module writes, known without walking it
        if self._attributes is False:
            self._attributes = _attribute_names(self.facts.tree)
        return self._attributes is None or name in self._attributes


def reach_of(facts: ModuleFacts) -> Reach:
    """Use through ``facts.derived(reach_of)``."""
    reach = Reach(dead=facts.derived(dead_code_of))
    if not facts.functions:
        return reach
    dead = reach.dead.covers if reach.dead.spans else (lambda line: False)
    functions: dict[str, list[FunctionInfo]] = {}
    methods: dict[str, list[FunctionInfo]] = {}
    for info in facts.functions:
        if info.class_name is None:
            functions.setdefault(info.name, []).append(info)
        else:
            methods.setdefault(info.class_name, []).append(info)
    classes = facts.classes
    bases: dict[str, list[str]] = {}  # class -> same-file base classes
    for name, cdef in classes.items():
        bases[name] = [last_part(dotted(b)) for b in cdef.bases if last_part(dotted(b)) in classes]
    # what each scope reaches: names it reads, same-file functions it calls
    reads: dict[int | None, list[str]] = {}
    references = facts.references
    if reach.dead.spans:  # most modules have no dead branch: no test per reference then
        references = [reference for reference in references if not dead(reference[2])]
    for name, scope, _ in references:
        reads.setdefault(id(scope) if scope is not None else None, []).append(name)
    calls: dict[int | None, list[FunctionInfo]] = {}
    for info in facts.functions:
        for caller in info.callers:
            if not dead(caller.stmt.lineno):
                calls.setdefault(id(caller.scope) if caller.scope is not None else None, []).append(info)
    if classes:
        for site in facts.calls:  # Net(): the walker reads no name for a called class
            if site.local is None and site.name in classes and not dead(site.stmt.lineno):
                reads.setdefault(id(site.scope) if site.scope is not None else None, []).append(site.name)

    classes_run: set[str] = set()
    work: list[FunctionInfo | None] = [None]
    gate = _MethodGate(facts, bases)

    def run_function(info: FunctionInfo) -> None:
        if id(info) not in reach.running and not dead(info.node.lineno):
            reach.running.add(id(info))
            work.append(info)

    def run_class(name: str) -> None:
        stack = [name]
        while stack:
            cls = stack.pop()
            if cls in classes_run:
                continue
            classes_run.add(cls)
            for info in methods.get(cls, ()):
                if gate.callable(info):
                    run_function(info)
            stack.extend(bases.get(cls, ()))

    def run_name(name: str) -> None:
        for info in functions.get(name, ()):
            run_function(info)
        if name in classes:
            run_class(name)

    roots = set(ENTRY_NAMES)
    if "__all__" in facts.module_env:
        roots |= exported_names(facts.tree)
    for name in roots:
        run_name(name)
    for info in facts.functions:
        if info.class_name is None and any(registers(d) for d in info.decorators):
            run_function(info)
    for name, cdef in classes.items():
        if cdef.decorator_list:
            run_class(name)
    while work:
        scope = work.pop()
        key = id(scope) if scope is not None else None
        for name in reads.get(key, ()):
            run_name(name)
        for callee in calls.get(key, ()):
            run_function(callee)
    return reach
