"""The reads of a module's names and what consumes each, indexed lazily for :mod:`display`.

The facts record values and calls, not every read of a name (an index ``images[i]`` or an
f-string keeps no trace of ``i``), so this module indexes the reads of names itself, when a draw
would decide a finding (``facts.derived(display_reads)``) and only as far as the queries need: a
scope's statements (the module's, or one function's body) are noted with what they bind when a
query first asks about the scope; which names and calls a statement reads, only for the statements
that may read a name after the binding a query follows; what consumes each read (display code,
another call, a name), only for the statements holding those reads or the calls a query asks
about.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

from .facts import ModuleFacts
from .records import CallSite, FunctionInfo, bound_arguments
from .names import name_words
from .nodes import BLOCKS_OF, block_fields, operands, param_names

DISPLAY_ROOTS = ("matplotlib.", "seaborn.", "plotly.", "IPython.display.", "bokeh.", "altair.", "folium.",
                 "wordcloud.", "missingno.", "cv2.imshow", "cv2.rectangle", "cv2.putText", "cv2.circle")
DISPLAY_FUNCS = frozenset({"print", "display", "pprint", "imshow", "show", "plot"})
DISPLAY_METHODS = frozenset({
    "imshow", "show", "plot", "scatter", "hist", "hist2d", "bar", "barh", "pie", "boxplot", "violinplot",
    "set_title", "suptitle", "title", "text", "annotate", "legend", "xlabel", "ylabel", "set_xlabel",
    "set_ylabel", "add_patch", "axis", "set_xticks", "set_yticks", "xticks", "yticks", "subplot",
    "subplots", "figure", "heatmap", "pairplot", "countplot", "distplot", "displot", "histplot",
    "barplot", "lineplot", "scatterplot", "kdeplot", "boxenplot", "stripplot", "swarmplot", "savefig",
    "imsave", "fill_between", "errorbar", "contour", "contourf", "pcolormesh", "matshow", "add_subplot",
    "set_axis_off", "grid", "tight_layout", "iplot", "add_trace", "update_layout", "set_facecolor",
    "set_color", "set_xlim", "set_ylim", "xlim", "ylim", "colorbar", "stem", "quiver", "set", "addpoint",
    "addpath", "addradpoint",
})
# methods that only look at the data (a notebook cell's output) or change the receiver in place
INSPECT_METHODS = frozenset({"head", "tail", "describe", "info", "value_counts", "reset_index", "sort_values",
                             "sort_index", "sort", "round", "astype", "to_frame", "sample"})
MUTATORS = frozenset({"append", "extend", "insert", "add", "update", "appendleft", "setdefault"})
DISPLAY_HELPER_WORDS = frozenset({"show", "plot", "display", "visualize", "visualise", "visualization",
                                  "visualisation", "draw", "imshow", "render", "view"})

# calls that hand their input on without doing anything else with it
PURE_FUNCS = frozenset({"str", "int", "float", "bool", "len", "list", "tuple", "set", "sorted", "reversed",
                        "enumerate", "zip", "range", "round", "abs", "min", "max", "sum", "format", "repr", "iter"})
PURE_METHODS = frozenset({
    "reshape", "flatten", "ravel", "astype", "copy", "tolist", "item", "numpy", "cpu", "detach", "squeeze",
    "unsqueeze", "permute", "transpose", "format", "join", "strip", "lower", "upper", "replace",
    "keys", "items", "values", "get", "mean", "sum", "min", "max", "argmax", "argmin", "to", "view", "clip",
    "unique", "nonzero", "round", "head", "tail", "reset_index", "sort_values", "drop", "dropna", "to_numpy",
    "argsort", "groupby", "agg", "aggregate", "count", "std", "median", "describe", "nunique", "cumsum",
    "value_counts", "sort_index", "toarray", "todense", "sample", "iterrows", "itertuples",
    "get_feature_names", "get_feature_names_out",  # a fitted vectorizer's vocabulary, like an attribute
})
# functions that select, reshape or load (not compute a result): numpy's shape functions, reading images
PURE_QUALIFIED = frozenset({
    "numpy.array", "numpy.asarray", "numpy.reshape", "numpy.squeeze", "numpy.transpose", "numpy.fliplr",
    "numpy.flipud", "numpy.rot90", "numpy.stack", "numpy.concatenate", "numpy.hstack", "numpy.vstack",
    "numpy.expand_dims", "numpy.take", "numpy.floor", "numpy.round", "numpy.clip", "numpy.uint8",
    "os.path.join", "cv2.imread", "cv2.cvtColor", "cv2.resize", "PIL.Image.open", "math.floor", "math.ceil",
    "skimage.io.imread", "imageio.imread", "pandas.DataFrame", "pandas.Series", "pandas.crosstab", "numpy.where",
    "numpy.argwhere", "numpy.bincount", "numpy.argmin", "numpy.argmax", "numpy.unique", "numpy.sort",
    # the function spellings of the pure methods (``np.argsort(x)`` like ``x.argsort()``)
    "numpy.argsort", "numpy.mean", "numpy.std", "numpy.median", "numpy.cumsum", "numpy.sum", "numpy.min",
    "numpy.max",
    # how well clusters separate: a number of the data and labels, like an inertia (a silhouette curve)
    "sklearn.metrics.silhouette_score", "sklearn.metrics.silhouette_samples", "sklearn.metrics.calinski_harabasz_score",
    "sklearn.metrics.davies_bouldin_score",
})

DISPLAY, OTHER = "display", "other"
NO_BLOCKS: tuple = ()  # a statement without blocks inside
DROPPED = "dropped"  # an estimator method called as a statement (``km.fit_transform(X)``): its value is dropped


@dataclass(eq=False)
class Via:
    """The read is the receiver of ``call``, an estimator method (``km.fit_transform(X)``): what
    the call's value feeds is what the estimator feeds (``fitted_shown_only``); any other question
    counts it as used."""

    call: ast.Call
    receiver: bool = True  # False: an argument of the call (``tsne.fit_transform(distances)``)


# estimator methods whose value is the estimator's output
ESTIMATOR_METHODS = frozenset({"fit", "partial_fit", "fit_transform", "fit_predict", "transform", "inverse_transform",
                               "predict",
                               "predict_proba", "predict_log_proba", "score", "decision_function", "apply",
                               "get_params", "set_params"})


@dataclass(eq=False)
class Passed:
    """The read is an argument of ``call``, a call of the same-file function or method ``callee``,
    given to its parameter ``param``: what the function does with the parameter decides
    (``hands_on``)."""

    call: ast.Call
    callee: FunctionInfo
    param: str


@dataclass(eq=False)
class Into:
    """A value written into the object the parameter ``param`` of the function ``callee`` names
    (``frame["cluster"] = labels``): the caller's argument holds it too."""

    callee: ast.AST
    param: str


IN_PLACE_SHUFFLES = frozenset({"random.shuffle", "numpy.random.shuffle"})


@dataclass(eq=False)
class Binding:
    """``name`` bound in ``scope`` (a function node, None for the module) at ``line``; reads up to
    ``end`` (the end of a loop body for loop variables) or the next binding of the name."""

    scope: ast.AST | None
    name: str
    line: int
    end: int | None = None


class NameReads:
    """The reads of the module's names, indexed lazily (see ``_Indexer``): a scope's bindings are
    noted when a query first asks about the scope, which statements read which names when a query
    asks for the reads of a name, what consumes each read when a query reaches its statement."""

    def __init__(self, facts: ModuleFacts) -> None:
        self._indexer = _Indexer(facts)  # holds no reference back: the facts' ``release`` frees both
        self.functions = self._indexer.functions  # function key -> its node
        # (function key, parameter) -> what the function does with it (``hands_on``)
        self.handed: dict[tuple[int, str], bool | None] = {}
        self.handing = 0  # hands_on calls under way (helpers handing a value on to helpers)

    def bindings(self, key: int | None, name: str) -> list[int]:
        """The lines binding ``name`` in the scope ``key`` (a function's id, None for the module), in order."""
        self._indexer.note_scope(key)
        return [line for line, _, _ in self._indexer.fresh.get((key, name), ())]

    def locals_of(self, key: int) -> set[str] | tuple:
        """The names the function ``key`` binds."""
        self._indexer.note_scope(key)
        return self._indexer.local_names.get(key, ())

    def reads(self, key: int | None, name: str, after: int) -> list[tuple[int, object]]:
        """The reads of ``name`` in the scope ``key`` in source order, every one after line ``after``
        and maybe some before: [(line, context)]; context: DISPLAY, OTHER or the Bindings it taints."""
        indexer = self._indexer
        indexer.scan_scope(key, after)
        return [(line, ctx) for at in sorted(indexer.readers.get((key, name), ()))
                for read, line, ctx in indexer.read(at) if read == name]

    def function_reads(self, name: str, keep: Callable[[int], bool]) -> list[tuple[int, object]]:
        """The reads of ``name`` in the functions (by key) ``keep`` accepts: [(function key, context)]
        in source order."""
        indexer = self._indexer
        found: list[int] = []
        for key in list(indexer.functions):
            if keep(key):
                indexer.scan_scope(key, 0)
                found += indexer.readers.get((key, name), ())
        found.sort(key=indexer.position)
        return [(id(indexer.statements[at][1]), ctx) for at in found
                for read, _, ctx in indexer.read(at) if read == name]

    def consumer(self, call: ast.AST) -> object:
        """What consumes the value the call ``call`` returns."""
        indexer = self._indexer
        found = indexer.at.get(id(call))  # its statement classified already (a call reached from a read)
        if found is None:
            at = indexer.statement_of(call)
            if at is not None:
                indexer.read(at)
            found = indexer.at.get(id(call), OTHER)
        return found


def _callee(facts: ModuleFacts, node: ast.Call) -> str:
    """The qualified name of the function ``node`` calls, "" when it is not imported: computed once
    per call by the indexer and handed to the tests below."""
    return facts.imports.qualname(node.func) or ""


def _is_display_call(facts: ModuleFacts, node: ast.Call, qn: str) -> bool:
    func = node.func
    if qn.startswith(DISPLAY_ROOTS):
        return True
    if qn and _named_for_display(qn[qn.rfind(".") + 1:]):
        return True  # an imported helper named for display: pred_and_plot_image, plot_decision_regions
    if isinstance(func, ast.Name):
        return func.id in DISPLAY_FUNCS or _display_helper(facts, func.id)
    return isinstance(func, ast.Attribute) and func.attr in DISPLAY_METHODS


def _display_helper(facts: ModuleFacts, name: str) -> bool:
    """A same-file function named like a display helper (``show_gmaps``, ``plot_samples``) that
    trains and fits nothing."""
    info = facts.module_functions.get(name)
    return info is not None and bool(set(name_words(name)) & DISPLAY_HELPER_WORDS) \
        and _local_result(facts, name) is False


# words that say a helper does more than show (``train_and_plot``, ``fit_and_show``)
WORK_WORDS = frozenset({"train", "fit", "learn", "optimize", "optimise", "update", "step", "augment", "shuffle",
                        "split", "resample"})


@lru_cache(maxsize=4096)
def _named_for_display(name: str) -> bool:
    """An imported function whose name says it shows something and says nothing else it does."""
    words = set(name_words(name))
    return bool(words & DISPLAY_HELPER_WORDS) and not words & WORK_WORDS


# calls whose result is a result of the program (a fitted model, a score, a prediction): printing or
# plotting one computed from random data shows something that depends on the draw
RESULT_METHODS = frozenset({"fit", "fit_transform", "fit_predict", "fit_generator", "predict", "predict_proba",
                            "predict_classes", "score", "evaluate", "transform", "train", "train_on_batch",
                            "partial_fit", "decision_function", "cross_val_score", "cross_validate"})


def _local_result(facts: ModuleFacts, name: str) -> bool | None:
    """A same-file function that trains, fits or predicts (True), one that does none of it (False);
    None when ``name`` is no function of the file."""
    info = facts.module_functions.get(name)
    if info is None:
        return None
    return info.trains or any(c.method in RESULT_METHODS for c in info.calls)


def _makes_result(facts: ModuleFacts, node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return bool(_local_result(facts, func.id)) or func.id in RESULT_METHODS
    return isinstance(func, ast.Attribute) and func.attr in RESULT_METHODS


def _is_pure_call(node: ast.Call, qn: str) -> bool:
    func = node.func
    if qn:
        return qn in PURE_QUALIFIED
    if isinstance(func, ast.Name):
        return func.id in PURE_FUNCS
    return isinstance(func, ast.Attribute) and func.attr in PURE_METHODS


def _maps_only(facts: ModuleFacts, node: ast.Call) -> bool:
    """``s.map(f)`` that maps each value and does nothing else: ``f`` a lambda, a dict, or a
    same-file function that trains, fits and predicts nothing (``df.images.map(equalise)``); the
    builtin ``map(f, xs)`` with such an ``f`` or a pure builtin (``map(float, rgb)``)."""
    func = node.func
    if not node.args or node.keywords:
        return False
    if type(func) is ast.Name and func.id == "map" and "map" not in facts.imports.aliases \
            and "map" not in facts.module_functions:
        mapper = node.args[0]
        return len(node.args) > 1 and (isinstance(mapper, ast.Name) and mapper.id in PURE_FUNCS
                                       and mapper.id not in facts.module_functions or _mapper_only(facts, mapper))
    if type(func) is not ast.Attribute or func.attr != "map":
        return False
    return all(_mapper_only(facts, arg) for arg in node.args)


def _mapper_only(facts: ModuleFacts, mapper: ast.expr) -> bool:
    """A lambda, a dict, or a same-file function that trains, fits and predicts nothing."""
    return isinstance(mapper, (ast.Lambda, ast.Dict)) or isinstance(mapper, ast.Name) \
        and _local_result(facts, mapper.id) is False


SIZE_OF = frozenset({"numpy.shape", "numpy.size", "numpy.ndim"})


def _is_size_of(facts: ModuleFacts, node: ast.Call, qn: str) -> bool:
    """``len(x)``, ``np.shape(x)``: reads only the size of its argument."""
    func = node.func
    if isinstance(func, ast.Name) and func.id == "len" and func.id not in facts.imports.aliases:
        return len(node.args) == 1 and not node.keywords
    return qn in SIZE_OF


def _row_copy(node: ast.expr) -> bool:
    """``df.loc[rows]`` / ``df.iloc[rows]`` with a list of rows, ``df[["lat", "lon"]]`` (a list of
    columns): pandas returns a new frame."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.List):
        return True
    return isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
        and node.value.attr in ("loc", "iloc") and not isinstance(node.slice, (ast.Slice, ast.Tuple))


def _ends(scope: ast.FunctionDef | ast.AsyncFunctionDef | None, stmt: ast.stmt) -> bool:
    """``stmt`` ends the body of the function ``scope``, or only a ``return`` follows it."""
    if scope is None:
        return False
    body = scope.body
    return body[-1] is stmt or len(body) > 1 and body[-2] is stmt and type(body[-1]) is ast.Return


def _assign_targets(stmt: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, ast.Subscript):  # colours[k] = c: the container holds the value
        root = _root_name(target.value)
        return [root] if root else []
    return []


class _Indexer:
    """The module's statements, scope by scope (the module's, each function's: its body without the
    functions defined in it), each noted with the names it binds when a query first asks about its
    scope; which names and calls a statement reads is noted (``scan``) only for the statements that
    may hold reads a query asks for, and what consumes each read is worked out (``read``) only for
    the statements a query reaches. The module's functions are those the facts list."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.functions: dict[int, ast.AST] = {}  # function key -> its node
        self.local_names: dict[int, set[str]] = {}  # names each function binds
        # (scope key, name) -> its bindings in order: [(line, the binding made a new object, statement)]
        # (only new objects may be filled in)
        self.fresh: dict[tuple[int | None, str], list[tuple[int, bool, int]]] = {}
        self.statements: list[tuple[ast.stmt, ast.AST | None]] = []  # (statement, its scope), noted scope by scope
        self.scopes: dict[int | None, range] = {}  # scope key -> its statements (noted together), in source order
        self.index_of: dict[int, int] = {}  # statement node id -> its index
        self.scanned_after: dict[int | None, int] = {}  # scope key -> the line after which it is scanned
        self.scanned: set[int] = set()
        self.readers: dict[tuple[int | None, str], list[int]] = {}  # (scope key, name) -> statements reading it
        self.call_statement: dict[int, int] = {}  # call node id -> the statement reading it (scanned ones)
        self.classified: dict[int, list[tuple[str, int, object]]] = {}  # statement -> [(name, line, context)]
        self.at: dict[int, object] = {}  # call node id -> what consumes its value (statements classified)
        self.current = 0  # the statement noted or classified: what later statements bind is not seen
        self.reading: list[tuple[str, int, object]] = []
        self._sites: dict[int, CallSite] | None = None
        if facts.relevant:  # the facts list every function (else the module's walk finds them)
            self.functions.update((id(info.node), info.node) for info in facts.functions)
        else:
            self.scan_all()

    def sites(self) -> dict[int, CallSite]:
        """The facts' record of each call, by call node (made on first use)."""
        if self._sites is None:
            self._sites = {id(site.node): site for site in self.facts.calls}
        return self._sites

    def callee(self, node: ast.Call) -> str:
        """The qualified callee the facts recorded for the call ("" when not imported): looked up
        instead of resolved again; calls the walker does not record (in a lambda) are resolved."""
        site = self.sites().get(id(node))
        return site.qn or "" if site is not None else _callee(self.facts, node)

    def position(self, at: int) -> tuple[int, int]:
        stmt = self.statements[at][0]
        return stmt.lineno, stmt.col_offset

    def note_scope(self, key: int | None) -> None:
        """Note the statements of the scope ``key`` (None: the module) and what they bind, once."""
        if key in self.scopes:
            return
        self.scopes[key] = range(0)  # being noted
        start = len(self.statements)
        if key is None:
            body, scope = self.facts.tree.body, None
        else:
            scope = self.functions[key]
            body = scope.body
            self._bind(scope, param_names(scope), scope.lineno, -1)  # before any statement of the body
        stack: list[ast.stmt] = body[::-1]  # without recursing: an ``elif`` chain nests thousands deep
        note = self.note
        while stack:
            blocks = note(stack.pop(), scope)
            if blocks:
                for inner in reversed(blocks):
                    stack.extend(reversed(inner))
        self.scopes[key] = range(start, len(self.statements))

    def _bind(self, scope: ast.AST | None, names: list[str], line: int, fresh: bool = False,
              noted: int | None = None) -> None:
        key = id(scope) if scope is not None else None
        noted = self.current if noted is None else noted
        for name in names:
            self.fresh.setdefault((key, name), []).append((line, fresh, noted))
            if scope is not None:
                self.local_names.setdefault(key, set()).add(name)

    def note(self, stmt: ast.stmt, scope: ast.AST | None) -> Sequence[list]:
        """Note what ``stmt`` itself binds; return the blocks of its scope inside it, to note next."""
        self.current = len(self.statements)
        self.statements.append((stmt, scope))
        line = stmt.lineno
        kind = type(stmt)
        if kind is ast.Assign or kind is ast.AnnAssign:
            value = stmt.value
            fresh = not isinstance(value, (ast.Name, ast.Attribute, ast.Subscript)) or _row_copy(value)
            targets = stmt.targets if kind is ast.Assign else [stmt.target]
            self._bind(scope, [t.id for t in targets if type(t) is ast.Name] or  # b = a: b names a's object
                       [n for t in targets if isinstance(t, (ast.Tuple, ast.List)) for n in _target_names(t)],
                       line, fresh)
            return NO_BLOCKS
        if kind is ast.Expr:
            value = stmt.value
            name = self._shuffled(value) if type(value) is ast.Call and len(value.args) == 1 else None
            if name:  # random.shuffle(posts): posts holds the draw from here on
                self._bind(scope, [name], line, self._filled(scope, name, line))
            return NO_BLOCKS
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            self._bind(scope, [stmt.name], line)
            self.functions.setdefault(id(stmt), stmt)
            return NO_BLOCKS  # its body is a scope of its own
        if kind is ast.AugAssign:
            if type(stmt.target) is ast.Name:
                self._bind(scope, [stmt.target.id], line)
            return NO_BLOCKS
        if kind is ast.ClassDef:
            self._bind(scope, [stmt.name], line)
            return [stmt.body]
        if kind is ast.For or kind is ast.AsyncFor:
            self._bind(scope, _target_names(stmt.target), line)
            return [stmt.body, stmt.orelse]
        if kind is ast.If:
            return [stmt.body, stmt.orelse]
        if not (BLOCKS_OF.get(kind) or block_fields(kind)):
            return NO_BLOCKS
        if kind is ast.With or kind is ast.AsyncWith:
            for item in stmt.items:
                if item.optional_vars is not None:
                    self._bind(scope, _target_names(item.optional_vars), line)
        return [getattr(stmt, name, None) or [] for name in ("body",)] \
            + [handler.body for handler in getattr(stmt, "handlers", None) or []] \
            + [case.body for case in getattr(stmt, "cases", None) or []] \
            + [getattr(stmt, name, None) or [] for name in ("orelse", "finalbody")]

    def scan_scope(self, key: int | None, after: int) -> None:
        """Scan the statements of the scope ``key`` that may read something after line ``after``."""
        self.note_scope(key)
        if self.scanned_after.get(key, after + 1) <= after:
            return
        self.scanned_after[key] = after
        scanned, statements = self.scanned, self.statements
        for at in self.scopes[key]:
            if at not in scanned:
                stmt, scope = statements[at]
                if (stmt.end_lineno or stmt.lineno) > after:
                    scanned.add(at)
                    self.scan(at, stmt, scope)

    def scan_all(self) -> None:
        """Note and scan every scope (the facts do not say where a call is)."""
        self.scan_scope(None, 0)
        done = 0
        while done < len(self.functions):  # scopes noted find the functions defined in them
            for key in list(self.functions)[done:]:
                self.scan_scope(key, 0)
                done += 1

    def statement_of(self, call: ast.AST) -> int | None:
        """The statement whose expressions hold ``call``, found through the facts' record of the call
        (or by scanning every scope)."""
        at = self.call_statement.get(id(call))
        if at is not None:
            return at
        site = self.sites().get(id(call))
        if site is not None:
            key = id(site.scope.node) if site.scope is not None else None
            if key is None or key in self.functions:
                self.note_scope(key)
                index_of = self.index_of
                for at in range(len(index_of), len(self.statements)):  # the statements noted since
                    index_of[id(self.statements[at][0])] = at
                at = index_of.get(id(site.stmt))
                if at is not None:
                    self.read(at)
                    if id(call) in self.at:  # classifying the statement found the call
                        return at
        self.scan_all()
        return self.call_statement.get(id(call))

    def scan(self, at: int, stmt: ast.stmt, scope: ast.AST | None) -> None:
        """Note the names read and the calls made in the expressions of the statement ``at`` that
        ``classify`` reads (a superset of the reads it records)."""
        kind = type(stmt)
        names = set()
        if kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign:
            targets = stmt.targets if kind is ast.Assign else [stmt.target]
            stack = [stmt.value, *(t for t in targets if type(t) is not ast.Name)]
            if kind is ast.AugAssign and type(stmt.target) is ast.Name:
                names.add(stmt.target.id)  # x += d reads x
        elif kind is ast.Expr or kind is ast.Return:
            stack = [stmt.value]
        elif kind is ast.For or kind is ast.AsyncFor:
            stack = [stmt.iter]
        elif kind is ast.If:
            stack = [stmt.test]
        elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            stack = list(stmt.decorator_list)
        elif kind is ast.ClassDef:
            return
        elif kind is ast.Assert:
            stack = [stmt.test, stmt.msg]
        else:
            stack = [child for child in ast.iter_child_nodes(stmt) if isinstance(child, ast.expr)]
        calls = self.call_statement
        push, pop = stack.append, stack.pop
        while stack:
            cur = pop()
            kind = type(cur)
            while kind is ast.Attribute:
                cur = cur.value
                kind = type(cur)
            if kind is ast.Name:
                if type(cur.ctx) is ast.Load:
                    names.add(cur.id)
                continue
            if kind is ast.Constant or cur is None:
                continue
            if kind is ast.Call:
                calls[id(cur)] = at
                push(cur.func)
                stack.extend(cur.args)
                for kw in cur.keywords:
                    push(kw.value)
                continue
            if kind is ast.Subscript:
                push(cur.value)
                push(cur.slice)
                continue
            if kind is ast.Tuple or kind is ast.List:
                stack.extend(cur.elts)
                continue
            stack.extend(operands(cur))
        key = id(scope) if scope is not None else None
        readers = self.readers
        for name in names:
            readers.setdefault((key, name), []).append(at)

    def read(self, at: int) -> list[tuple[str, int, object]]:
        """The reads in the statement ``at`` with what consumes each: [(name, line, context)] in the
        order they were found; classified the first time it is asked."""
        found = self.classified.get(at)
        if found is None:
            stmt, scope = self.statements[at]
            self.current, self.reading = at, []
            self.classify(stmt, scope)
            found = self.classified[at] = self.reading
        return found

    def classify(self, stmt: ast.stmt, scope: ast.AST | None) -> None:
        """Record the reads in ``stmt`` itself (not in the blocks inside it) with what consumes them."""
        line = stmt.lineno
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in stmt.decorator_list:
                self.expr(dec, scope, OTHER)
        elif isinstance(stmt, ast.ClassDef):
            return
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = stmt.value
            names = [n for t in targets for n in _target_names(t)]
            plain = all(isinstance(t, (ast.Name, ast.Tuple, ast.List, ast.Starred)) or
                        isinstance(t, ast.Subscript) and self._filled(scope, _root_name(t), line) for t in targets)
            if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                plain = self._filled(scope, stmt.target.id, line)  # x += d changes the object x names
                reread = ast.Name(id=stmt.target.id, ctx=ast.Load(), lineno=line)  # and reads it
            consumer = [Binding(scope, n, line) for n in names] if plain and names else OTHER
            if consumer is OTHER and names and scope is not None:
                consumer = self._into_parameter(scope, targets, line)
            if isinstance(value, ast.Call) and _is_display_call(self.facts, value, self.callee(value)):
                consumer = DISPLAY  # fig, ax = plt.subplots(); im = ax.imshow(x[i])
            if value is not None:
                self.expr(value, scope, consumer)
            if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                self.expr(reread, scope, consumer)
            for target in targets:
                if not isinstance(target, ast.Name):
                    self.expr(target, scope, consumer)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            names = _target_names(stmt.target)
            end = stmt.end_lineno or line
            self.expr(stmt.iter, scope, [Binding(scope, n, line, end) for n in names] if names else OTHER)
        elif isinstance(stmt, ast.Return) and stmt.value is not None:
            self.expr(stmt.value, scope, ("returned", scope) if scope is not None else OTHER)
        elif isinstance(stmt, ast.If):
            # if np.random.rand() < 0.5: ax.imshow(a) else: ax.imshow(b) (display); if random.random() < p: x = flip(x)
            decided = self._decided_by_test(stmt, scope)
            self.expr(stmt.test, scope, OTHER if decided is None else decided or DISPLAY)
        elif isinstance(stmt, ast.Assert):  # stops the program when it fails; nothing computed flows on
            for child in (stmt.test, stmt.msg):
                if child is not None:
                    self.expr(child, scope, DISPLAY)
        elif isinstance(stmt, ast.Expr) and self._shuffled(stmt.value):
            name = self._shuffled(stmt.value)  # random.shuffle(posts): posts holds the draw from here on
            self.expr(stmt.value, scope, OTHER)
            self.at[id(stmt.value)] = [Binding(scope, name, line)]
        elif isinstance(stmt, ast.Expr):
            self.expr(stmt.value, scope, self._expression_statement(stmt.value, scope), decided=True)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self.expr(child, scope, OTHER)

    def _into_parameter(self, scope: ast.AST, targets: list[ast.expr], line: int) -> object:
        """``frame["cluster"] = labels`` with ``frame`` a parameter of the function ``scope``: the
        parameter's object holds the value, here and in the caller; OTHER for any other target."""
        params = set(param_names(scope))
        out: list = []
        for target in targets:
            root = _root_name(target.value) if isinstance(target, ast.Subscript) else None
            if root not in params:
                return OTHER
            out += [Binding(scope, root, line), Into(scope, root)]
        return out

    def _decided_by_test(self, stmt: ast.If, scope: ast.AST | None) -> list | None:
        """What an ``if`` test decides when its branches only bind names (the test decides what they
        hold), fill containers, show something, or return from a function whose body ends with the
        ``if`` or one ``return`` after it (the test decides what the function returns); None when a
        branch does anything else (calls, loops, nested branches, ``break``: the test decides that)."""
        out: list = []
        for inner in stmt.body + stmt.orelse:
            kind = type(inner)
            if kind is ast.Expr:
                value = inner.value
                if type(value) is not ast.Call:
                    return None  # a bare expression: a notebook shows it only when it ends the cell
                if _is_display_call(self.facts, value, self.callee(value)):
                    continue
                func = value.func
                root = _root_name(func.value) if type(func) is ast.Attribute and func.attr in MUTATORS else None
                if root is None or not self._filled(scope, root, value.lineno):
                    return None
                out.append(Binding(scope, root, value.lineno))  # desc.insert(0, word)
            elif kind is ast.Assign or kind is ast.AnnAssign:
                targets = _assign_targets(inner)
                if not all(isinstance(t, (ast.Name, ast.Tuple, ast.List)) for t in targets):
                    return None
                out.extend(Binding(scope, name, inner.lineno) for target in targets for name in _target_names(target))
            elif kind is ast.Return and _ends(scope, stmt):
                out.append(("returned", scope))
            elif kind is not ast.Pass:
                return None
        return out

    def _shuffled(self, value: ast.expr) -> str | None:
        """The name ``random.shuffle(name)`` / ``np.random.shuffle(name)`` shuffles in place."""
        if not isinstance(value, ast.Call) or len(value.args) != 1 or not isinstance(value.args[0], ast.Name):
            return None
        if self.callee(value) not in IN_PLACE_SHUFFLES:
            return None
        return value.args[0].id

    def _filled(self, scope: ast.AST | None, root: str | None, line: int) -> bool:
        """Writing into the object ``root`` names at ``line`` changes only that object: the name's
        last binding in the scope made a new one (``colours = []``, ``canvas = img.mean(2)``), not
        an alias of other data (a loop variable over frames, a parameter, ``b = a``)."""
        if root is None:
            return False
        current = self.current  # bindings noted before the statement under way
        key = id(scope) if scope is not None else None
        earlier = [fresh for at, fresh, noted in self.fresh.get((key, root), ()) if at <= line and noted < current]
        return bool(earlier) and earlier[-1]

    def _expression_statement(self, value: ast.expr, scope: ast.AST | None) -> object:
        if isinstance(value, (ast.Yield, ast.YieldFrom, ast.Await)):
            return OTHER  # handed to whoever iterates the generator
        if not isinstance(value, ast.Call):
            return DISPLAY  # a notebook cell's bare expression: its output
        if _is_display_call(self.facts, value, self.callee(value)):
            return DISPLAY
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr in ESTIMATOR_METHODS:
            return DROPPED
        if isinstance(func, ast.Attribute):
            root = _root_name(func.value)
            inplace = any(kw.arg == "inplace" and isinstance(kw.value, ast.Constant) and kw.value.value is True
                          for kw in value.keywords)
            if func.attr in MUTATORS or inplace:  # colours.append(c): the container holds the value
                return [Binding(scope, root, value.lineno)] if self._filled(scope, root, value.lineno) else OTHER
            if func.attr in INSPECT_METHODS:
                return DISPLAY
        return OTHER

    def expr(self, node: ast.expr, scope: ast.AST | None, consumer: object, decided: bool = False) -> None:
        """Record the reads in ``node`` with what consumes them: ``consumer`` (the statement's), turned
        into DISPLAY inside a display call and into OTHER inside any call that may do more than hand
        its input on (``model.fit(x)``, ``train(loader)``). ``decided``: the statement already judged
        the top call (``colours.append(c)``)."""
        stack: list[tuple[ast.AST, object]] = [(node, consumer)]
        push, pop = stack.append, stack.pop
        reading, at, facts = self.reading, self.at, self.facts
        while stack:
            cur, ctx = pop()
            kind = type(cur)
            if kind is ast.Attribute:
                push((cur.value, ctx))
                continue
            if kind is ast.Constant:
                continue
            if kind is ast.Name:
                if type(cur.ctx) is ast.Load:
                    reading.append((cur.id, cur.lineno, ctx))
                continue
            if kind is ast.Call:
                at[id(cur)] = ctx
                func = cur.func
                qn = self.callee(cur)
                if _is_size_of(facts, cur, qn):  # len(x): a size does not depend on what was drawn into x
                    stack.extend((child, DISPLAY) for child in cur.args)
                    continue
                if isinstance(func, ast.Attribute) and func.attr in ESTIMATOR_METHODS:
                    push((func.value, Via(cur)))  # km.fit_transform(X): km feeds what the call feeds
                    fed = Via(cur, receiver=False)
                    stack.extend((arg, fed) for arg in (*cur.args, *(kw.value for kw in cur.keywords)))
                    continue
                site = self.facts.local_results.get(id(cur)) if ctx is not DISPLAY else None
                if site is not None and site.local is not None and not _is_display_call(facts, cur, qn):
                    given = {id(arg): Passed(cur, site.local, param)
                             for param, arg in bound_arguments(site.local, site)}
                    push((func, OTHER))
                    stack.extend((arg, given.get(id(arg), OTHER))
                                 for arg in (*cur.args, *(kw.value for kw in cur.keywords)))
                    continue  # helper(x): what the helper does with its parameter decides
                if ctx is DISPLAY:
                    if _makes_result(facts, cur):
                        ctx = OTHER  # print(model.fit(X[i]).score(...)): a result, not a choice of what to show
                elif _is_display_call(facts, cur, qn):
                    ctx = DISPLAY
                elif not (decided and cur is node) and not _is_pure_call(cur, qn) and not _maps_only(facts, cur):
                    ctx = OTHER
                push((func, ctx))
                for arg in cur.args:
                    push((arg, ctx))
                for kw in cur.keywords:
                    push((kw.value, ctx))
                continue
            if kind is ast.Subscript:
                push((cur.value, ctx))
                push((cur.slice, ctx))
                continue
            stack.extend([(child, ctx) for child in operands(cur)])


def display_reads(facts: ModuleFacts) -> NameReads:
    """Use through ``facts.derived(display_reads)``: the index is built as queries need it."""
    return NameReads(facts)
