"""Facts about one module, computed once and read by every rule.

One walk over the statements of each scope (the module body, every function and method body), in
statement order, evaluates every expression once with an abstract interpreter that knows:

- the qualified name of what is called (through every import alias),
- the split role (train / val / test / full) of each value and where it came from,
- def-use: which earlier definitions a value derives from (``ancestors``), so that "fitted before
  it was split" can be answered,
- what kind of object a name holds (the qualified constructor it was built with),
- whether a transform randomly augments data,
- the loops, calls, attribute stores and ``no_grad`` regions of each scope.

Same-file function summaries (which functions train, which parameters are trained on or
evaluated) are derived from these records afterwards, without walking the tree again.

This module holds :class:`ModuleFacts`, :func:`build_facts` and the walk over statements; the records
are defined in :mod:`records`, the vocabulary of calls and keys in :mod:`vocabulary`, and the
evaluation of expressions and binding of names in :mod:`evaluation` (provenance in :mod:`dataflow`).

Nothing here recurses in proportion to the depth of the tree: statement nesting is bounded by the
Python tokenizer (100 indentation levels) and expression evaluation stops at a fixed depth.
"""
from __future__ import annotations

import ast
from itertools import count
from typing import Any, Callable, TypeVar

from ..settings import DEFAULT_SETTINGS, RuleSettings
from .evaluation import Evaluation, bound_ids
from .names import ImportMap, data_role, dotted
from .nodes import block_children, param_names
from .provenance import ColumnStore, ConcatInfo, FitEvent, ResampleEvent, SplitEvent, StatUse
from .records import CallSite, FunctionInfo, LoopInfo, Store, guard_of
from .values import EMPTY, Value, new_value
from .vocabulary import is_no_grad_context, root_name, unwrap_iter

T = TypeVar("T")


class ModuleFacts:
    """All facts of one module. Build with :func:`build_facts`."""

    def __init__(self, tree: ast.Module, settings: RuleSettings = DEFAULT_SETTINGS) -> None:
        self.tree = tree
        self.settings = settings
        self.imports = ImportMap()
        self.relevant = False
        self.functions: list[FunctionInfo] = []
        self.module_functions: dict[str, FunctionInfo] = {}  # the first definition of each name
        self.redefined: dict[str, list[FunctionInfo]] = {}  # names defined twice or more at module level
        self.methods: dict[tuple[str, str], FunctionInfo] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.calls: list[CallSite] = []
        self.loops: list[LoopInfo] = []
        self.stores: list[Store] = []
        # provenance of rows and statistics (see provenance.py)
        self.fit_events: list[FitEvent] = []
        self.stat_uses: list[StatUse] = []
        self.split_events: list[SplitEvent] = []
        self.resample_events: list[ResampleEvent] = []
        self.concats: dict[int, ConcatInfo] = {}  # by the id values derived from them carry
        self.predictions: dict[int, CallSite] = {}  # model outputs, by the id they carry
        self.class_attrs: dict[tuple[str, str], Value] = {}  # self.<attr> as the methods store it
        self.back_splits: dict[tuple[int, int], SplitEvent] = {}  # (concat id, scope id) -> slicing back
        self.back_pieces: dict[tuple[int, int], int] = {}  # (concat id, scope id) -> the id its parts carry
        self.fold_applications: set[tuple[int, frozenset[int]]] = set()
        self.tables: set[int] = set()  # ids of named aggregate tables (``counts = df.street.value_counts()``)
        self.row_picks: dict[int, int] = {}  # a parameter's id -> the id of rows picked by it (``data[i]``)
        # columns changed by statistics, and where an assignment reads one: (scope id, frame) -> (column, line)
        self.changed_columns: set[str] = set()
        self.column_reads: dict[tuple[int, str], list[tuple[str, int]]] = {}
        self.column_stores: list[ColumnStore] = []  # df["c"] = v, df.loc[:, "c"] = v (consumers.py)
        self.local_results: dict[int, CallSite] = {}  # calls of same-file functions, by call node
        self.sums: dict[int, tuple[Value, Value]] = {}  # a + b of two named values, by node
        self.ifs: list[ast.If] = []  # every if statement, in walk order
        self.aug_assignments: list[tuple[ast.AST, Value, Value, str]] = []  # (node, data, transform, how)
        self.module_env: dict[str, Value] = {}
        # names of the file's functions and classes, and every read of one: (name, reading scope, line)
        self.local_names: frozenset[str] = frozenset()
        self.references: list[tuple[str, FunctionInfo | None, int]] = []
        self._ids = count(1)
        self._derived: dict[Callable, object] = {}

    def release(self) -> None:
        """Break the reference cycles between the records (a function and its calls, loops and
        callers; a loop and its calls; derived results and the facts) once every rule has run, so
        reference counting frees the facts at once instead of the cyclic garbage collector, whose
        passes over every young object would cost about a fifth of the whole check."""
        for info in self.functions:
            info.calls, info.loops, info.callers, info.returns = [], [], [], []
            info.data = None  # its events name the function as their scope
        for loop in self.loops:
            loop.calls = []
        self._derived.clear()

    def derived(self, build: Callable[[ModuleFacts], T]) -> T:
        """A result derived from these facts by ``build(facts)``, built once and shared by every
        rule that asks: ``facts.derived(TrainingFacts)``, ``facts.derived(randomness_of)``."""
        if build not in self._derived:
            self._derived[build] = build(self)
        return self._derived[build]  # type: ignore[return-value]

    # -- queries shared by rules -----------------------------------------------------------------
    def calls_to(self, *qualnames: str) -> list[CallSite]:
        wanted = set(qualnames)
        return [c for c in self.calls if c.qn in wanted]

    def resolve_local(self, func: ast.expr, scope: FunctionInfo | None) -> FunctionInfo | None:
        """The same-file function or method a call expression names."""
        kind = type(func)
        if kind is ast.Name:
            if scope is None and func.id in self.redefined:  # the definition a top-level call runs
                before = [info for info in self.redefined[func.id] if info.node.lineno < func.lineno]
                return before[-1] if before else self.module_functions.get(func.id)
            return self.module_functions.get(func.id)
        if (kind is ast.Attribute and scope is not None and scope.class_name and type(func.value) is ast.Name
                and func.value.id in ("self", "cls")):
            return self.methods.get((scope.class_name, func.attr))
        return None

    def new_id(self) -> int:
        return next(self._ids)


# statements (and handlers, match cases) that hold blocks of statements: only these are descended
_COMPOUND = frozenset(getattr(ast, name) for name in (
    "For", "AsyncFor", "While", "If", "With", "AsyncWith", "Try", "TryStar", "Match", "ExceptHandler",
    "match_case", "FunctionDef", "AsyncFunctionDef", "ClassDef") if hasattr(ast, name))


def build_facts(tree: ast.Module, settings: RuleSettings = DEFAULT_SETTINGS) -> ModuleFacts:
    facts = ModuleFacts(tree, settings)
    defs: list[tuple[ast.AST, str | None, bool]] = []  # (def, its class, written at module level)
    stack: list[tuple[ast.AST, str | None, bool]] = [(tree, None, True)]
    # one cheap pass over statements only: imports, functions, classes
    while stack:
        node, cls, top = stack.pop()
        for child in block_children(node):
            kind = type(child)
            if kind is ast.Import or kind is ast.ImportFrom:
                facts.imports.add(child)
            elif kind not in _COMPOUND:  # a simple statement
                continue
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                defs.append((child, cls, top))
                stack.append((child, None, False))
            elif kind is ast.ClassDef:
                facts.classes.setdefault(child.name, child)
                stack.append((child, child.name, False))
            else:  # other blocks (if, try, with at module level stay top), except handlers, match cases
                stack.append((child, cls, top))
    if not facts.imports.uses_ml():
        return facts
    facts.relevant = True
    defs.sort(key=lambda d: (d[0].lineno, d[0].col_offset))
    top_level: dict[str, list[FunctionInfo]] = {}  # module-level definitions of each name
    for node, cls, top in defs:
        params = param_names(node)
        decorators = []
        no_grad = False
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            qn = facts.imports.qualname(target)
            decorators.append(qn or dotted(target) or "")
            no_grad = no_grad or is_no_grad_context(qn, dec)
        info = FunctionInfo(node, node.name, cls, params, decorators, no_grad)
        facts.functions.append(info)
        if cls is None:
            facts.module_functions.setdefault(node.name, info)
            if top:  # a function nested in another is no redefinition of a module-level one
                top_level.setdefault(node.name, []).append(info)
        else:
            facts.methods.setdefault((cls, node.name), info)
    facts.redefined = {name: infos for name, infos in top_level.items() if len(infos) > 1}
    facts.local_names = frozenset(facts.module_functions) | frozenset(facts.classes)
    module_walker = _ScopeWalker(facts, None, {})
    module_walker.run(tree.body)
    facts.module_env = module_walker.env
    for info in facts.functions:
        env = {p: facts_param_value(facts, p, info) for p in info.params}
        _ScopeWalker(facts, info, env).run(info.node.body)
    from .summaries import summarize  # summaries read the records built here

    summarize(facts)
    return facts


def facts_param_value(facts: ModuleFacts, param: str, info: FunctionInfo) -> Value:
    role = data_role(param) if param not in ("self", "cls") else None
    ident_id = facts.new_id()
    info.param_ids[param] = ident_id
    ident = frozenset({ident_id})
    return new_value(role=role, origin=f"parameter {param!r}" if role else "", carried=bool(role), name=param,
                     anc=ident, idents=ident, line=info.line)


class _ScopeWalker(Evaluation):
    """Walks the statements of one scope in order, evaluating every expression once."""

    def __init__(self, facts: ModuleFacts, scope: FunctionInfo | None, env: dict[str, Value]) -> None:
        self.facts = facts
        self.imports = facts.imports
        self.scope = scope
        self.env = env
        self.loops: tuple[LoopInfo, ...] = ()  # the loops around, outermost first (shared by the records)
        self.comprehension_ids: frozenset[int] = EMPTY  # variables of the comprehensions around
        self.no_grad = 1 if scope is not None and scope.no_grad else 0
        self.stmt: ast.stmt | None = None
        self.params = set(scope.params) if scope is not None else set()
        self.local_names = facts.local_names
        self.guard: tuple[str, str] | None = None  # the innermost ``if <parameter test>:`` around

    # -- statements ------------------------------------------------------------------------------
    def run(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.stmt = stmt
            walk = _STATEMENTS.get(type(stmt))
            if walk is not None:
                walk(self, stmt)

    def _definition(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        for dec in stmt.decorator_list:
            self.ev(dec)
        self.env[stmt.name] = Value(name=stmt.name, kind=f"<local>.{stmt.name}", line=stmt.lineno)

    def _assign(self, stmt: ast.Assign) -> None:
        value = self.ev(stmt.value)
        for target in stmt.targets:
            self.bind(target, value, stmt.value)

    def _ann_assign(self, stmt: ast.AnnAssign) -> None:
        if stmt.value is not None:
            self.bind(stmt.target, self.ev(stmt.value), stmt.value)

    def _aug_assign(self, stmt: ast.AugAssign) -> None:
        current = self.ev(stmt.target)
        value = self.ev(stmt.value)
        combined = self._combine([current, value], binop=True)  # X -= X.mean(0) normalises X
        self.bind(stmt.target, combined, stmt.value)

    def _while(self, stmt: ast.While) -> None:
        self.ev(stmt.test)
        self._loop(stmt, None, None, stmt.body)
        self.run(stmt.orelse)

    def _with(self, stmt: ast.With | ast.AsyncWith) -> None:
        entered = 0
        for item in stmt.items:
            ctx = item.context_expr
            value = self.ev(ctx)
            func = ctx.func if isinstance(ctx, ast.Call) else ctx
            if is_no_grad_context(self.imports.qualname(func), ctx):
                entered += 1
            if item.optional_vars is not None:
                self.bind(item.optional_vars, value, ctx)
        self.no_grad += entered
        self.run(stmt.body)
        self.no_grad -= entered

    def _try(self, stmt: ast.Try) -> None:
        self.run(stmt.body)
        for handler in stmt.handlers:
            self.run(handler.body)
        self.run(stmt.orelse)
        self.run(stmt.finalbody)

    def _return(self, stmt: ast.Return) -> None:
        if stmt.value is not None:
            value = self.ev(stmt.value)
            if self.scope is not None:
                self.scope.returns.append(value)
            if value.applied is not None:  # return frame.fillna(frame.median())
                self.note_use(value, value, value.name, None, value.idents)

    def _expression(self, stmt: ast.Expr) -> None:
        self.ev(stmt.value)

    def _match(self, stmt: ast.stmt) -> None:
        self.ev(stmt.subject)  # type: ignore[attr-defined]
        for case in stmt.cases:  # type: ignore[attr-defined]
            self.run(case.body)

    def _expressions(self, stmt: ast.Delete | ast.Assert | ast.Raise) -> None:
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self.ev(child)
        if isinstance(stmt, ast.Delete) and self.facts.stat_uses:  # del df["age_band"]
            for target in stmt.targets:
                self.deleted_column(target)

    def _if(self, stmt: ast.If) -> None:
        """An if statement and its elif chain, in a loop (a chain of thousands of elifs nests as deep)."""
        while True:
            self.facts.ifs.append(stmt)
            self.ev(stmt.test)
            outer = self.guard
            if self.scope is not None:  # if type_ == 0: ... data events under a guard on a parameter
                self.guard = guard_of(stmt.test, self.params, stmt.body) or outer
            self.run(stmt.body)
            self.guard = outer
            orelse = stmt.orelse
            if len(orelse) != 1 or type(orelse[0]) is not ast.If:
                self.run(orelse)
                return
            stmt = self.stmt = orelse[0]

    def _for(self, stmt: ast.For | ast.AsyncFor) -> None:
        it = self.ev(stmt.iter)
        inner = unwrap_iter(stmt.iter)
        if it.split is None and it.kind:  # for tr, te in kf: an old iterable KFold(n, n_folds=5)
            it = self.iterated_splitter(it, inner)
        elif it.split is None and inner is not stmt.iter and isinstance(inner, ast.Name):
            splitter = self.env.get(inner.id)  # for i, (tr, te) in enumerate(kf)
            if splitter is not None and splitter.kind:
                it = self.iterated_splitter(splitter, inner)
        self._bind_loop_target(stmt.target, stmt.iter, it)
        self._loop(stmt, it, root_name(inner), stmt.body, bound_ids(stmt.target, self.env))
        self.run(stmt.orelse)

    def _loop(self, stmt: ast.stmt, it: Value | None, iter_root: str | None, body: list[ast.stmt],
              target_ids: frozenset[int] = EMPTY) -> None:
        loop = LoopInfo(stmt, self.scope, self.loops[-1] if self.loops else None, it, iter_root,
                        self.no_grad > 0, target_ids=target_ids)
        self.facts.loops.append(loop)
        if self.scope is not None:
            self.scope.loops.append(loop)
        outer = self.loops
        self.loops = (*outer, loop)
        self.run(body)
        self.loops = outer


# how the walker walks each kind of statement (others bind and evaluate nothing: pass, import, global)
_STATEMENTS: dict[type, Callable[[_ScopeWalker, Any], None]] = {
    ast.Assign: _ScopeWalker._assign, ast.Expr: _ScopeWalker._expression, ast.If: _ScopeWalker._if,
    ast.Return: _ScopeWalker._return, ast.For: _ScopeWalker._for, ast.AsyncFor: _ScopeWalker._for,
    ast.FunctionDef: _ScopeWalker._definition, ast.AsyncFunctionDef: _ScopeWalker._definition,
    ast.ClassDef: _ScopeWalker._definition, ast.AnnAssign: _ScopeWalker._ann_assign,
    ast.AugAssign: _ScopeWalker._aug_assign, ast.While: _ScopeWalker._while, ast.With: _ScopeWalker._with,
    ast.AsyncWith: _ScopeWalker._with, ast.Try: _ScopeWalker._try, ast.Delete: _ScopeWalker._expressions,
    ast.Assert: _ScopeWalker._expressions, ast.Raise: _ScopeWalker._expressions,
}
if hasattr(ast, "TryStar"):  # Python 3.11+
    _STATEMENTS[ast.TryStar] = _ScopeWalker._try
if hasattr(ast, "Match"):  # Python 3.10+
    _STATEMENTS[ast.Match] = _ScopeWalker._match
