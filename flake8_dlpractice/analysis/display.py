"""Random draws that only choose what to show (DLP200, DLP202, DLP203).

``idx = np.random.randint(len(images), size=5)`` followed by ``plt.imshow(images[i])`` for each of
them picks which examples a notebook displays: no result of the program depends on it, and
seeding it is noise. A draw is *for display only* when every read of its value is display code
(matplotlib/seaborn/plotly calls, ``imshow``, ``print``, ``display``, a notebook cell's bare
expression, a same-file ``show_*``/``plot_*`` helper that trains nothing) — directly, through the
names bound from it (``sample = df.loc[idx]``, ``colours.append(c)``), indexing with it, or as
the iterable of a loop whose body reads the loop variables only in display code.

The facts record values and calls, not every read of a name (an index ``images[i]`` or an
f-string keeps no trace of ``i``), so this module indexes the reads of names itself, when a draw
would decide a finding (``facts.derived(display_reads)``) and only as far as the queries need: a
scope's statements (the module's, or one function's body) are noted with what they bind when a
query first asks about the scope; which names and calls a statement reads, only for the statements
that may read a name after the binding a query follows; what consumes each read (display code,
another call, a name), only for the statements holding those reads or the calls a query asks
about. Then a linear propagation over the bindings it reaches.
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
    "numpy.argwhere", "numpy.bincount", "numpy.argmin", "numpy.argmax",
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


# estimator methods whose value is the estimator's output; the evaluating ones judge a model
ESTIMATOR_METHODS = frozenset({"fit", "partial_fit", "fit_transform", "fit_predict", "transform", "inverse_transform",
                               "predict",
                               "predict_proba", "predict_log_proba", "score", "decision_function", "apply",
                               "get_params", "set_params"})
EVALUATING = frozenset({"predict", "predict_proba", "predict_log_proba", "score", "decision_function"})
# methods of a fitted estimator that map data to a representation of it (``pca.transform(x)``)
REPRESENTING = frozenset({"transform", "inverse_transform"})


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
    same-file function that trains, fits and predicts nothing (``df.images.map(equalise)``)."""
    func = node.func
    if type(func) is not ast.Attribute or func.attr != "map" or not node.args or node.keywords:
        return False
    return all(isinstance(arg, (ast.Lambda, ast.Dict)) or isinstance(arg, ast.Name)
               and _local_result(facts, arg.id) is False for arg in node.args)


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


def _reads_of(found: NameReads, facts: ModuleFacts, binding: Binding) -> list[tuple[object, tuple | None]]:
    """What consumes the value ``binding`` holds, read by read, each with the lines between which
    the value is live when the read is in a function reading a module-level name (the function's
    callers in that range are the ones that see it). A ("returned", function) in place of a
    binding (a return an ``if`` test decides) is consumed as it stands."""
    if not isinstance(binding, Binding):
        return [(binding, None)]
    key = id(binding.scope) if binding.scope is not None else None
    lines = found.bindings(key, binding.name)
    later = [ln for ln in lines if ln > binding.line]
    stop = binding.end if binding.end is not None else (min(later) if later else None)
    out: list[tuple[object, tuple | None]] = []
    for line, ctx in found.reads(key, binding.name, binding.line):
        if line > binding.line and (stop is None or line <= stop):
            out.append((ctx, None))
    if binding.scope is None:  # functions that read the module-level name while it holds the value
        live = (binding.line, stop)
        out += [(ctx, live) for _, ctx in found.function_reads(binding.name, lambda scope_key: (
            _called_in(facts, found, scope_key, live) and binding.name not in found.locals_of(scope_key)))]
    return out


def _in_range(line: int, live: tuple | None) -> bool:
    return live is None or (line > live[0] and (live[1] is None or line <= live[1]))


def _called_in(facts: ModuleFacts, found: NameReads, scope_key: int, live: tuple) -> bool:
    node = found.functions.get(scope_key)
    info = facts.module_functions.get(node.name) if node is not None else None
    if info is None or info.node is not node:
        return True  # a method or nested function: assume it runs while the value is live
    return any(_in_range(c.line, live) for c in info.callers)


def replaced_unread(facts: ModuleFacts, call: ast.AST, body: list[ast.stmt]) -> bool:
    """The value ``call`` returns is bound to names (``model = RandomForestClassifier()``) that a later
    statement of ``body`` (the statements the binding stands among, not a branch) binds again
    (``model = SVC()``) before anything reads them."""
    found = facts.derived(display_reads)
    first = found.consumer(call)
    if not isinstance(first, list) or not first or not all(isinstance(b, Binding) for b in first):
        return False
    for binding in first:
        key = id(binding.scope) if binding.scope is not None else None
        later = [line for line in found.bindings(key, binding.name) if line > binding.line]
        if not later or not any(stmt.lineno == min(later) and isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == binding.name for t in stmt.targets) for stmt in body):
            return False
    return not any(_reads_of(found, facts, binding) for binding in first)


def shown_only(facts: ModuleFacts, call: ast.AST) -> bool:
    """The value ``call`` returns is read, and only by display code or by names that are then
    displayed or never read again (see the module docstring)."""
    found = facts.derived(display_reads)
    first = found.consumer(call)
    if isinstance(first, list) and not any(_reads_of(found, facts, binding) for binding in first):
        return False  # never read: a fragment (an example), not a choice of what to show
    work: list[tuple[object, tuple | None]] = [(first, None)]
    seen: set[tuple] = set()
    while work:
        ctx, live = work.pop()
        if ctx is DISPLAY:
            continue
        if _represented(ctx):  # pca.transform(x[i]): x[i] represented, judged by what reads the call
            work.append((found.consumer(ctx.call), live))
            continue
        onward = _onward(found, facts, ctx, live, seen)
        if onward is not None:
            work.extend(onward)
            continue
        if ctx is OTHER or not isinstance(ctx, list):
            return False
        if not _follow(found, facts, ctx, live, seen, work):
            return False
    return True


def _represented(ctx: object) -> bool:
    """``ctx`` is the data argument of a fitted estimator's ``transform``/``inverse_transform``."""
    return isinstance(ctx, Via) and not ctx.receiver and ctx.call.func.attr in REPRESENTING


def _onward(found: NameReads, facts: ModuleFacts, ctx: object, live: tuple | None,
            seen: set[tuple]) -> list[tuple[object, tuple | None]] | None:
    """What a value consumed by a same-file function is consumed by next: a value it returns, by
    what its callers do with the call; one given to its parameter, by what the function does with
    the parameter (``hands_on``) and, when it returns it, by the call's consumer; one written into
    the object a parameter names, by the callers' arguments. None for any other ``ctx`` or when the
    function is used beyond that (a method's callers are not known: None)."""
    if isinstance(ctx, Passed):
        handed = hands_on(found, facts, ctx.callee, ctx.param)
        if handed is None:
            return [(OTHER, live)]
        return [(found.consumer(ctx.call), live)] if handed else []
    if isinstance(ctx, tuple):  # returned by a same-file function: what its callers do with it
        info = _module_function(facts, ctx[1])
        if info is None or not info.callers:
            return [(OTHER, live)]
        mark = (id(info.node), live)
        if mark in seen:
            return []
        seen.add(mark)
        return [(found.consumer(c.node), None) for c in info.callers if _in_range(c.line, live)]
    if isinstance(ctx, Into):
        info = _module_function(facts, ctx.callee)
        if info is None or not info.callers:
            return [(OTHER, live)]
        out: list[tuple[object, tuple | None]] = []
        for call in info.callers:
            arg = next((a for p, a in bound_arguments(info, call) if p == ctx.param), None)
            if not isinstance(arg, ast.Name):
                return [(OTHER, live)]
            out.append(([Binding(call.scope.node if call.scope else None, arg.id, call.line)], None))
        return out
    return None


def _read_in_nested(found: NameReads, node: ast.AST, name: str) -> bool:
    """A function defined inside ``node`` reads ``name`` without binding it (a closure over a
    parameter): what it does with the value is not followed."""
    end = node.end_lineno or node.lineno

    def nested(key: int) -> bool:
        inner = found.functions.get(key)
        return inner is not None and inner is not node and node.lineno < inner.lineno <= end \
            and name not in found.locals_of(key)
    return bool(found.function_reads(name, nested))


def _module_function(facts: ModuleFacts, node: ast.AST) -> FunctionInfo | None:
    info = facts.module_functions.get(getattr(node, "name", ""))
    return info if info is not None and info.node is node else None


def hands_on(found: NameReads, facts: ModuleFacts, callee: FunctionInfo, param: str) -> bool | None:
    """What the function ``callee`` does with its parameter ``param``: None when it uses it beyond
    showing it and handing it on to its return value (through names, pure calls, a fitted model's
    ``transform``), else whether the return value holds it. Cached per parameter."""
    key = (id(callee.node), param)
    if key in found.handed:
        return found.handed[key]
    found.handed[key] = None  # recursion: used
    if found.handing >= _MAX_HANDING or _read_in_nested(found, callee.node, param):
        return None  # a chain of helpers deeper than that (generated code) counts as a use
    found.handing += 1
    try:
        return _hands_on(found, facts, callee, param, key)
    finally:
        found.handing -= 1


_MAX_HANDING = 8  # helpers handing a value on to helpers followed at most (each costs Python frames)


def _hands_on(found: NameReads, facts: ModuleFacts, callee: FunctionInfo, param: str,
              key: tuple[int, str]) -> bool | None:
    returned = False
    work: list[tuple[object, tuple | None]] = [([Binding(callee.node, param, callee.node.lineno)], None)]
    seen: set[tuple] = set()
    while work:
        ctx, live = work.pop()
        if ctx is DISPLAY:
            continue
        if isinstance(ctx, tuple) and ctx[1] is callee.node:
            returned = True
            continue
        if _represented(ctx):  # pca.transform(x[i]): x[i] represented, judged by what reads the call
            work.append((found.consumer(ctx.call), live))
            continue
        if isinstance(ctx, Passed):
            work.extend(_onward(found, facts, ctx, live, seen) or ())
            continue
        if not isinstance(ctx, list) or not all(isinstance(b, Binding) for b in ctx) \
                or not _follow(found, facts, ctx, live, seen, work):
            return None
    found.handed[key] = returned
    return returned


def _follow(found: NameReads, facts: ModuleFacts, bindings: list[Binding], live: tuple | None, seen: set[tuple],
            work: list[tuple[object, tuple | None]]) -> bool:
    """Queue what reads each binding's value (once per binding and live range); False once the
    search has grown too large to decide."""
    for binding in bindings:
        mark = (id(binding.scope) if binding.scope is not None else None, binding.name, binding.line, live) \
            if isinstance(binding, Binding) else (binding, live)
        if mark in seen:
            continue
        seen.add(mark)
        if len(seen) > 500:
            return False
        for read, scope_live in _reads_of(found, facts, binding):
            in_function = isinstance(binding, Binding) and binding.scope is not None
            work.append((read, scope_live or (live if in_function else None)))
    return True


# estimators that describe data without labels: their predict/transform give cluster labels or
# coordinates, not a judged prediction
DESCRIBING = frozenset({"KMeans", "MiniBatchKMeans", "BisectingKMeans", "TSNE", "GaussianMixture",
                        "BayesianGaussianMixture", "RandomTreesEmbedding", "BernoulliRBM"})


def fitted_shown_only(facts: ModuleFacts, call: ast.AST, describing: bool = False) -> bool:
    """The estimator ``call`` builds is fitted only to describe data for display: everything it
    produces — fitted attributes (``km.labels_``, ``forest.feature_importances_``, ``km.inertia_``),
    ``fit_transform``/``fit_predict`` output, transforms — is read only by display code (as in
    ``shown_only``), and it is never evaluated (``predict``, ``score``) or handed to any other call
    (a search, a pipeline, ``joblib.dump``). A clustering coloured into a scatter plot, a t-SNE
    map, an elbow curve of inertias, printed feature importances. ``describing``: an estimator
    without labels (``DESCRIBING``), whose ``predict`` assigns clusters rather than judging a model."""
    if not describing and id(call) in facts.derived(evaluated_estimators):
        return False  # decided from the facts, without indexing the module's reads
    found = facts.derived(display_reads)
    work: list[tuple[object, tuple | None]] = [(found.consumer(call), None)]
    seen: set[tuple] = set()
    shown = False
    while work:
        ctx, live = work.pop()
        if ctx is DISPLAY:
            shown = True
            continue
        if isinstance(ctx, Via):
            method = ctx.call.func.attr
            if not ctx.receiver and method in ("fit", "partial_fit", "set_params", "predict", "score"):
                return False  # the data fits or is judged by another model
            if method in EVALUATING and not (describing and method == "predict"):
                return False
            after = found.consumer(ctx.call)
            if after is DROPPED and ctx.receiver:
                continue  # km.fit(X) on its own line: fits the estimator, which is read on
            work.append((after, live))
            continue
        onward = _onward(found, facts, ctx, live, seen) if describing else None
        if onward is not None:  # cluster labels a helper returns or writes into the frame it is given
            work.extend(onward)
            continue
        if not isinstance(ctx, list):
            return False  # another call, a return value: used beyond display
        if not _follow(found, facts, ctx, live, seen, work):
            return False
    return shown


def evaluated_estimators(facts: ModuleFacts) -> frozenset[int]:
    """Constructor calls whose estimator is scored or asked to predict (``rf.predict(X)``,
    ``rf.score(...)``): fitted for more than display. Use through ``facts.derived``."""
    return frozenset(id(site.recv.call) for site in facts.calls
                     if site.method in EVALUATING and site.recv is not None and site.recv.call is not None)
