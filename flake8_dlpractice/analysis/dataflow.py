"""Where rows and statistics come from, as the facts walker evaluates expressions.

:class:`DataFlow` is the part of the walker (``facts._ScopeWalker``) that records provenance: the
statistics (and the data they are computed from), their application to data (in place or not),
fitted transformers, resampling, concatenations, and every kind of split — including rows sliced
back out of a concatenation and fold indices applied to data derived after the split call. The
records are defined in :mod:`provenance`; the walker calls these methods from its one pass, so
nothing here walks the tree again.
"""
from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING

from ..findings import line_ref
from .names import data_role, dotted, last_part, name_words
from .provenance import (COMPOSITES, CV_FUNCS, FUNCTIONAL_PREPROCESSORS, GROUP_STAT_METHODS, IMPUTE_METHODS,
                         SEARCH_CLASSES, SPLIT_FUNCS, SPLITTER_CLASSES, STAT_METHODS, STAT_MODULES, ConcatInfo,
                         FitEvent, ResampleEvent, SplitEvent, SplitKind, Statistic, StatUse, cut_statistic, is_cv_func,
                         functional_statistic, is_feature_transformer, is_target_name, old_cv_iterable,
                         oversampling, row_wise_constructor, vocabulary_only, whole_axis)
from .values import EMPTY, SplitInfo, Value, merge_roles

if TYPE_CHECKING:  # pragma: no cover
    from .facts import ModuleFacts
    from .records import CallSite, FunctionInfo

PREDICT_METHODS = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function",
                             "predict_classes", "predict_on_batch", "predict_generator"})
# calls that run a fitted object on data (its statistics are applied to that data)
APPLY_METHODS = frozenset({"transform", "predict", "predict_proba", "decision_function", "score"})
ROW_CONCATS = frozenset({"concat", "concatenate", "vstack", "row_stack", "cat"})
# calls that may split, compute or apply statistics, or resample: only these reach the handlers below
DATAFLOW_METHODS = (STAT_METHODS | IMPUTE_METHODS | GROUP_STAT_METHODS | APPLY_METHODS
                    | {"fit", "fit_transform", "split", "fit_resample", "fit_sample", "sample"})
DATAFLOW_FUNCS = (frozenset(name.rsplit(".", 1)[-1] for name in SPLIT_FUNCS) | CV_FUNCS | STAT_METHODS
                  | FUNCTIONAL_PREPROCESSORS | {"cut", "qcut", "resample", "load_data"})
# methods that keep the rows they are called on: ``full[:n].drop(columns="y").values``
_ROW_KEEPING = frozenset({"drop", "copy", "reset_index", "to_numpy", "astype", "fillna", "dropna",
                          "select_dtypes", "sort_index", "set_index", "rename", "reindex", "filter"})
_MASK_CALLS = frozenset({"isin", "notnull", "isnull", "notna", "isna", "between", "eq", "ne", "gt", "lt",
                         "ge", "le", "duplicated"})
_CALLBACK_METHODS = frozenset({"apply", "transform", "map", "applymap", "pipe", "agg", "aggregate"})
_ROW_INDEXERS = frozenset({"iloc", "loc", "ix"})
_DEVICE_STRINGS = frozenset({"cuda", "cpu", "mps", "tpu", "xla"})
# calls that read data from a file: what they return is new data, not derived from the path
_FILE_READERS = frozenset({"numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile", "torch.load",
                           "joblib.load", "pickle.load", "scipy.io.loadmat", "h5py.File", "PIL.Image.open",
                           "cv2.imread", "imageio.imread", "skimage.io.imread", "json.load"})


def reads_file(qn: str | None, node: ast.Call) -> bool:
    """``pd.read_csv(folder + "train.csv")``, ``np.load(path)``, ``open(path)``: data read from a path."""
    if qn is None:
        return isinstance(node.func, ast.Name) and node.func.id == "open"
    return qn.startswith("pandas.read_") or qn in _FILE_READERS


def row_selection(node: ast.expr) -> ast.expr | None:
    """The data expression whose rows ``node`` selects (``full`` in ``full[:n].drop(columns="y")``,
    ``full.iloc[n:]``, ``full[full.is_test == 1]``, ``full.loc[train.index]``, ``full.head(n)``), or
    None when ``node`` does not select rows."""
    for _ in range(12):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _ROW_KEEPING:
                node = node.func.value
                continue
            if node.func.attr in ("head", "tail") and (node.args or node.keywords):
                return node.func.value
            return None
        if isinstance(node, ast.Attribute) and node.attr in ("values", "T"):
            node = node.value
            continue
        if not isinstance(node, ast.Subscript):
            return None
        base, key = node.value, node.slice
        indexer = isinstance(base, ast.Attribute) and base.attr in _ROW_INDEXERS
        first = key.elts[0] if isinstance(key, ast.Tuple) and key.elts else key
        if _row_key(first, indexer):
            rows = base.value if indexer else base
            if isinstance(rows, ast.Attribute) and rows.attr in _NOT_ROWS or _own_values(first, rows):
                return None  # train.columns[1:-1]; skew[abs(skew) > 0.5] filters values, not rows of data
            return rows
        if not indexer and _column_key(key) and isinstance(base, (ast.Subscript, ast.Call, ast.Attribute)):
            node = base  # full[:n][features]: columns of selected rows
            continue
        return None
    return None


_NOT_ROWS = frozenset({"columns", "index", "dtypes", "shape", "keys"})


def _own_values(key: ast.expr, rows: ast.expr) -> bool:
    """``s[abs(s) > 0.5]``, ``na[na > 0]``: a selection by the values themselves (a filter of
    per-column statistics or an element-wise mask), not rows picked by a length, index or marker."""
    if not isinstance(key, ast.Compare) or not isinstance(rows, (ast.Name, ast.Attribute)):
        return False
    left = key.left
    if isinstance(left, ast.Call) and len(left.args) == 1:  # abs(s), np.abs(s)
        left = left.args[0]
    return dotted(left) is not None and dotted(left) == dotted(rows)


def _row_key(key: ast.expr, indexer: bool) -> bool:
    if isinstance(key, ast.Slice):
        return key.lower is not None or key.upper is not None
    if isinstance(key, (ast.Compare, ast.BoolOp)) or \
            isinstance(key, ast.UnaryOp) and isinstance(key.op, (ast.Invert, ast.Not)):
        return _part_mask(key)
    if isinstance(key, ast.Call) and isinstance(key.func, ast.Attribute):
        return key.func.attr in _MASK_CALLS
    if isinstance(key, ast.Attribute):
        return key.attr == "index" or (not indexer and key.attr not in ("columns", "values"))
    return indexer and isinstance(key, ast.Name)


# words that name which data set a row comes from: ``full.is_test == 1``, ``df["source"] == "train"``
_PART_WORDS = frozenset({"train", "test", "training", "testing", "trn", "tst", "eval", "val", "valid", "holdout"})


def _part_mask(key: ast.expr) -> bool:
    """A comparison that tells the parts of a concatenation apart: a marker column, name or value
    saying train or test (``full.is_test == 1``, ``df["src"] == "train"``, ``both.intrain``), or a
    null test (``full.Survived.isnull() == False``: the labels the test rows lack); not a filter
    by a feature's value (``full[full.pclass == 3]``, ``df[df.income < 1e6]``)."""
    for node in ast.walk(key):
        kind = type(node)
        if kind is ast.Constant:
            word = node.value if isinstance(node.value, str) else None
        elif kind is ast.Name:
            word = node.id
        elif kind is ast.Attribute:
            word = node.attr
            if word in _MASK_CALLS and word.endswith(("null", "na")):
                return True
        else:
            continue
        if word and len(word) <= 40 and any(w in _PART_WORDS or w[2:] in _PART_WORDS and w[:2] in ("is", "in")
                                            and w != "invalid"  # a feature (bad rows), not "in valid"
                                            for w in name_words(word)):
            return True
    return False


def _column_key(key: ast.expr) -> bool:
    if isinstance(key, ast.Constant):
        return isinstance(key.value, str)
    if isinstance(key, (ast.List, ast.Name)):
        return True
    return False


def _receiver_calls(node: ast.expr, limit: int) -> list[ast.Call]:
    """The method calls along a receiver chain, outermost first (``df.groupby(k)["x"].mean()``:
    ``mean``, then ``groupby``), through subscripts and attributes, at most ``limit`` steps. A list,
    not a generator: asked of every value bound to a name, most chains are a name or one call."""
    calls = []
    for _ in range(limit):
        kind = type(node)
        if kind is ast.Call and type(node.func) is ast.Attribute:
            calls.append(node)
            node = node.func.value
        elif kind is ast.Subscript or kind is ast.Attribute:
            node = node.value
        else:
            break
    return calls


def _grouped(node: ast.expr) -> bool:
    """Whether the receiver chain passes through ``.groupby(...)``."""
    for call in _receiver_calls(node, 8):
        if call.func.attr == "groupby":
            return True
    return False


# methods that aggregate what they are called on into one row per column, value or group
_REDUCING = STAT_METHODS | frozenset({"value_counts", "describe", "nunique", "unique", "count", "size", "sum",
                                      "prod", "any", "all", "corr", "cov", "agg", "aggregate", "pivot_table",
                                      "crosstab", "idxmax", "idxmin"})
_ALONG_AXIS = STAT_METHODS | frozenset({"count", "sum", "prod", "any", "all", "idxmax", "idxmin"})
# what a groupby gives back row by row (everything else it gives one row per group)
_GROUP_ROWS = frozenset({"transform", "apply", "fillna", "cumcount", "cumsum", "cumprod", "cummax", "cummin",
                         "shift", "diff", "rank", "pct_change", "ffill", "bfill", "head", "tail", "nth",
                         "filter", "rolling", "expanding", "ewm", "get_group", "pipe", "groupby"})


def reduces(node: ast.expr) -> bool:
    """The expression aggregates the data it reads (``full.groupby(k).agg(["count"]).iloc[:, 1]``,
    ``full.street.value_counts()``, ``full.isnull().sum()``): its rows are groups, values or columns,
    not rows of the data."""
    for call in _receiver_calls(node, 16):
        attr = call.func.attr
        if _grouped(call.func.value):
            if attr not in _GROUP_ROWS:
                return True
        elif attr in _REDUCING and (attr not in _ALONG_AXIS or whole_axis(call, 0)):
            return True
    return False


def group_statistic(call: ast.Call) -> str | None:
    """``.transform("median")``, ``.agg(np.mean)``, ``.transform(lambda x: x.fillna(x.mean()))``."""
    if not call.args:
        return None
    fn = call.args[0]
    if isinstance(fn, ast.Constant) and isinstance(fn.value, str) and fn.value in STAT_METHODS:
        return fn.value
    if isinstance(fn, ast.Attribute) and fn.attr in STAT_METHODS:
        return fn.attr
    if isinstance(fn, ast.Lambda):
        for sub in ast.walk(fn.body):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in STAT_METHODS:
                return sub.func.attr
    return None


def stateful_step(values, depth: int = 0) -> str | None:
    """The first step of a Pipeline/ColumnTransformer/FeatureUnion that learns statistics."""
    for value in values:
        if value is None:
            continue
        if value.steps:
            return value.steps
        cls = last_part(value.kind)
        if (value.kind and cls not in COMPOSITES and is_feature_transformer(value.kind)
                and not row_wise_constructor(cls, value.call)):
            return cls
        if value.items and depth < 4:
            found = stateful_step(value.items, depth + 1)
            if found:
                return found
    return None


def duplicated_part(node: ast.Call) -> str | None:
    """A named part concatenated more than once along the rows: ``pd.concat([df, minority, minority])``,
    ``pd.concat([df] + [minority] * 4)``. Labels repeated to match augmented copies are not counted."""
    if not node.args:
        return None
    found = _repeated_name(node.args[0])
    if found and not is_target_name(found):
        return found
    return None


def _repeated_name(first: ast.expr) -> str | None:
    seen: set[str] = set()
    stack = [first]
    while stack:
        part = stack.pop()
        if isinstance(part, ast.BinOp):
            if isinstance(part.op, ast.Mult):
                for side in (part.left, part.right):
                    if isinstance(side, (ast.List, ast.Tuple)) and side.elts \
                            and isinstance(side.elts[0], (ast.Name, ast.Attribute)):
                        return dotted(side.elts[0])
            stack.extend((part.left, part.right))
        elif isinstance(part, (ast.List, ast.Tuple)):
            for elt in part.elts:
                name = dotted(elt) if isinstance(elt, (ast.Name, ast.Attribute)) else None
                if name and name in seen:
                    return name
                if name:
                    seen.add(name)
    return None


_WINDOWS = frozenset({"rolling", "expanding", "ewm"})


def _windowed(node: ast.Call) -> bool:
    """``s.rolling(5).mean()``, ``s.ewm(span=3).std()``: a statistic of each row's window, not of the data."""
    inner = node.func.value if isinstance(node.func, ast.Attribute) else None
    return isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr in _WINDOWS


def _single_shuffle(splitter: Value) -> bool:
    """``ShuffleSplit(n_splits=1, ...)``: a single random train/test holdout."""
    call = splitter.call
    if call is None or "Shuffle" not in last_part(splitter.kind):
        return False
    count = next((kw.value for kw in call.keywords if kw.arg in ("n_splits", "n_iter")), None)
    if count is None and call.args:
        count = call.args[0]
    return isinstance(count, ast.Constant) and count.value == 1


def _axis_is_columns(node: ast.Call) -> bool:
    """Not a concatenation of rows: ``axis=1`` (or any axis but the first)."""
    axis = next((kw.value for kw in node.keywords if kw.arg in ("axis", "dim")), None)
    if axis is None and len(node.args) > 1:
        axis = node.args[1]
    if axis is None:
        return False
    return not (isinstance(axis, ast.Constant) and axis.value in (0, None, "index", "rows"))


def _dropped_columns(node: ast.Call) -> set[str]:
    """The column names a ``drop``/``pop`` call removes (``drop(["a", "b"], axis=1)``,
    ``drop(columns="a")``, ``pop("a")``); none for rows (``drop(index)``, ``axis=0``)."""
    keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
    if node.func.attr == "pop":
        names = node.args[:1]
    elif "columns" in keywords:
        names = [keywords["columns"]]
    else:
        axis = keywords.get("axis", node.args[1] if len(node.args) > 1 else None)
        if not (isinstance(axis, ast.Constant) and axis.value in (1, "columns")):
            return set()
        names = node.args[:1] or ([keywords["labels"]] if "labels" in keywords else [])
    found: set[str] = set()
    for name in names:
        for elt in name.elts if isinstance(name, (ast.List, ast.Tuple)) else [name]:
            if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                found.add(elt.value)
    return found


def split_roles(split: SplitInfo, n: int) -> list[str | None]:
    """Roles by position of the outputs of a split call."""
    holdout = "val" if split.input_role in ("train", "val") else "test"
    if split.func == "train_test_split" or split.event is not None and split.event.kind == "holdout" \
            and split.func.endswith(".split"):
        return ["train" if i % 2 == 0 else holdout for i in range(n)]
    if split.func == "random_split":
        if n == 2:
            return ["train", holdout]
        if n == 3:
            return ["train", "val", "test"]
        return ["train"] + [None] * (n - 1)
    if split.func == "load_data":
        return ["train", "test"][:n] + [None] * max(0, n - 2)
    # splitter.split(X), an old iterable KFold: (train_idx, held_out_idx); a cross-validation
    # fold is a validation fold
    return ["train", "val"][:n] + [None] * max(0, n - 2)


class DataFlow:
    """Provenance handlers of the facts walker (a mixin: ``facts._ScopeWalker`` provides the state)."""

    facts: ModuleFacts
    env: dict[str, Value]
    scope: FunctionInfo | None
    stmt: ast.stmt | None
    guard: tuple[str, str] | None

    # -- splits ----------------------------------------------------------------------------------
    def split_event(self, node: ast.AST, func: str, data: list[Value], kind: SplitKind, **extra) -> SplitEvent:
        anc = EMPTY
        for value in data:
            anc |= value.anc
        role = merge_roles(data)
        event = SplitEvent(node, anc, func, self.scope, role.role if role else None, kind,
                           self.facts.new_id(), inputs=tuple(data), guard=self.guard, **extra)
        self.facts.split_events.append(event)
        return event

    def split_call(self, node: ast.Call, qn: str | None, method: str | None, recv: Value | None,
                   args: list[Value], kwargs: dict[str, Value], all_anc: frozenset[int]) -> Value | None:
        """The value of a call that splits data, or None (cross-validation and searches are split
        events too, but their value is something else)."""
        line = node.lineno
        split_func = SPLIT_FUNCS.get(qn or "")
        if split_func or (qn and qn.endswith(".load_data") and qn.startswith("keras.datasets.")):
            data_args = [a for a in args if not (split_func == "random_split" and a is args[-1] and len(args) > 1)]
            inputs = [a for a in data_args if a.anc] if split_func else []
            role = merge_roles(inputs)
            event = self.split_event(node, split_func, inputs, "holdout") if split_func else None
            info = SplitInfo(split_func or "load_data", line, max(1, len(data_args)), role.role if role else None,
                             all_anc, event)
            return Value(split=info, anc=all_anc, line=line)
        if recv is not None and method == "split" and last_part(recv.kind) in SPLITTER_CLASSES:
            func = f"{last_part(recv.kind)}.split"
            # StratifiedShuffleSplit(n_splits=1, test_size=0.2): one holdout, not cross-validation folds
            kind: SplitKind = "holdout" if _single_shuffle(recv) else "folds"
            event = self.split_event(node, func, args, kind)
            return Value(split=SplitInfo(func, line, 1, event.input_role, all_anc, event), anc=all_anc, line=line)
        cls = last_part(qn)
        if is_cv_func(qn):
            self.split_event(node, cls, args[1:] + [kwargs[k] for k in ("X", "y") if k in kwargs], "cv")
        elif (recv is not None and method in ("fit", "fit_transform")
              and last_part(recv.kind) in SEARCH_CLASSES):
            data = args[:2] + [kwargs[k] for k in ("X", "y") if k in kwargs]
            self.split_event(node, f"{last_part(recv.kind)}.fit", data, "search")
        return None

    def iterated_splitter(self, it: Value, inner: ast.expr) -> Value:
        """``for tr, te in kf`` over an old iterable ``KFold(n, n_folds=5)``: a split into folds."""
        if inner is not None and it.split is None and it.kind and old_cv_iterable(it.kind, it.call):
            func = f"{last_part(it.kind)}"
            event = self.split_event(it.call, func, [it], "folds", line=it.call.lineno)
            return Value(split=SplitInfo(func, it.call.lineno, 1, None, it.anc, event), anc=it.anc, line=it.line)
        return it

    def fold_rows(self, node: ast.Subscript, base: Value, index: Value) -> frozenset[int]:
        """Rows picked from ``base`` by split indices (``X[tr_idx]``, ``df.iloc[va_idx]``): a split
        of ``base`` too, when it is not the data the indices were computed on. Returns the ids the
        rows carry."""
        event = index.piece_of
        if event is None or not base.anc:
            return EMPTY
        key = (id(event), base.idents)
        if key not in self.facts.fold_applications and not base.idents <= event.anc:
            self.facts.fold_applications.add(key)
            self.facts.split_events.append(SplitEvent(node, base.anc, event.func, self.scope, base.role,
                                                      event.kind, event.piece_id, line=event.line))
        return frozenset({event.piece_id})

    def slice_back(self, value_node: ast.expr, value: Value, register: bool = True) -> Value:
        """Rows taken back out of a concatenation of train and test (``train = full[:n]``): a split;
        not the top rows of an aggregate of it (``full.street.value_counts()[:100]``). Without
        ``register`` (rows passed straight to a helper) the rows are a part, but the split is cited
        where rows are bound to a name."""
        concats = self.facts.concats
        if not concats or not value.anc:
            return value
        rows = row_selection(value_node)
        if rows is None or self.aggregate(rows, value):
            return value
        concat_id = next((c for c in concats if c in value.anc), None)
        if concat_id is None:
            return value
        key = (concat_id, id(self.scope))
        piece = self.facts.back_pieces.setdefault(key, self.facts.new_id())  # what every part carries
        if register and key not in self.facts.back_splits:
            event = SplitEvent(self.stmt, value.anc, "slicing back", self.scope, None, "back", piece,
                               concat=concats[concat_id])
            self.facts.split_events.append(event)
            self.facts.back_splits[key] = event
        return value.copy_with(anc=value.anc | {piece})

    def leading_train_rows(self, node: ast.expr, value: Value) -> Value:
        """``full[:len(train)].mean()``: the leading rows of a concatenation that starts with training
        data are its training part, so a statistic of them is one of the training rows."""
        if not (self.facts.concats and isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)
                and node.slice.lower is None and node.slice.upper is not None and node.slice.step is None):
            return value
        concat = next((c for i, c in self.facts.concats.items() if i in value.anc), None)
        if concat is None or not concat.parts or concat.parts[0].role != "train":
            return value
        return self.slice_back(node, value, register=False)

    def drop_columns(self, node: ast.Call, inplace: bool) -> None:
        """``df = df.drop(["band"], axis=1)``, ``df.drop(columns="band", inplace=True)``,
        ``df.pop("band")``: the frame no longer holds the column."""
        func = node.func
        frame = dotted(func.value) if isinstance(func, ast.Attribute) else None
        stmt = self.stmt
        rebound = isinstance(stmt, ast.Assign) and stmt.value is node and any(
            dotted(t) == frame for t in stmt.targets)
        if frame is None or not (rebound or inplace or func.attr == "pop"):
            return
        self._dropped(frame, _dropped_columns(node), node.lineno)

    def deleted_column(self, target: ast.expr) -> None:
        """``del df["band"]``"""
        if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
                and isinstance(target.slice.value, str):
            frame = dotted(target.value)
            if frame is not None:
                self._dropped(frame, {target.slice.value}, target.lineno)

    def read_columns(self, frame_node: ast.expr, key: ast.expr) -> None:
        """An assignment reads changed columns of a frame (``dummies = pd.get_dummies(df[["band"]])``):
        what a statistic put there may leave the frame before the column is dropped."""
        if isinstance(frame_node, ast.Attribute) and frame_node.attr in ("loc", "iloc", "at"):
            frame_node = frame_node.value
            key = key.elts[-1] if isinstance(key, ast.Tuple) and key.elts else key
        frame = dotted(frame_node)
        if frame is None:
            return
        for elt in key.elts if isinstance(key, (ast.List, ast.Tuple)) else [key]:
            if isinstance(elt, ast.Constant) and elt.value in self.facts.changed_columns:
                self.facts.column_reads.setdefault((id(self.scope), frame), []).append(
                    (elt.value, getattr(self.stmt, "lineno", 0)))

    def _dropped(self, frame: str, columns: set[str], line: int) -> None:
        """The statistics this scope applied to ``columns`` of ``frame`` no longer reach its data, unless
        an assignment read the column in between (a copy, dummies, another column made from it)."""
        if not columns:
            return
        reads = self.facts.column_reads.get((id(self.scope), frame), ())
        for use in self.facts.stat_uses:
            if use.frame == frame and use.column in columns and use.scope is self.scope and not use.dropped_at \
                    and not any(column == use.column and use.line < at < line for column, at in reads):
                use.dropped_at = line

    def aggregate(self, node: ast.expr, value: Value) -> bool:
        """``node`` (evaluated to ``value``) is a table of aggregates, not rows of the data it reads:
        it aggregates (``df.groupby(k).size()``, ``df.col.value_counts()``) or reads only such tables."""
        return reduces(node) or bool(value.idents) and value.idents <= self.facts.tables

    # -- statistics ------------------------------------------------------------------------------
    def statistic_call(self, node: ast.Call, qn: str | None, method: str | None, recv: Value | None,
                       args: list[Value], kwargs: dict[str, Value], anc: frozenset[int],
                       idents: frozenset[int]) -> Value | None:
        """The value of a call that computes, fits or applies statistics; None for other calls."""
        line = node.lineno
        if qn is None and method is not None and recv is not None:
            if method in STAT_METHODS and recv.anc and not recv.element and whole_axis(node, 0) \
                    and not _windowed(node):
                if recv.stat is not None:
                    return Value(stat=recv.stat, line=line)
                return Value(stat=Statistic(method, self.leading_train_rows(node.func.value, recv), line,
                                            guard=self.guard, per_group=_grouped(node.func.value)), line=line)
            if method in IMPUTE_METHODS and recv.anc and recv.stat is None:
                stat = next((a.stat for a in (*args, *kwargs.values()) if a.stat is not None), None)
                if stat is not None and stat.code:
                    return _data_like(recv, anc, idents, line)  # fillna(df.max() + 1): a missing-value code
                if stat is not None:
                    return _data_like(recv, anc, idents, line, applied=replace(stat, how="imputed"))
            if method in GROUP_STAT_METHODS and recv.anc and isinstance(node.func, ast.Attribute) \
                    and _grouped(node.func.value):
                how = group_statistic(node)
                if how:
                    return Value(stat=Statistic(f"group {how}", recv, line, per_group=method in ("agg", "aggregate")),
                                 line=line)
            if method in ("fit", "fit_transform") and stateful(recv):
                return self._fit(node, method, recv, args, kwargs, anc, idents)
            if method in APPLY_METHODS and recv.stat is not None and recv.stat.fit is not None and args:
                product = self.facts.new_id()
                self.facts.stat_uses.append(StatUse(node, recv.stat, args[0], "transformed", self.scope,
                                                    frozenset({product})))
                if method == "transform":
                    return _data_like(args[0], anc | {product}, idents, line)
            return None
        if qn is None or not args:
            return None
        cls = last_part(qn)
        if cls in STAT_METHODS and qn.startswith(STAT_MODULES) and whole_axis(node, 1) and args[0].anc \
                and not args[0].element:  # np.mean(row): one sample's own statistic
            return Value(stat=args[0].stat or Statistic(cls, args[0], line, guard=self.guard), line=line)
        if qn.startswith("sklearn.preprocessing.") and functional_statistic(cls, node) and args[0].anc:
            # scale(X): X normalised with its own statistics, like (X - X.mean(0)) / X.std(0)
            return _data_like(args[0], anc, idents, line, applied=Statistic(f"{cls}() statistics", args[0], line))
        if qn.startswith("pandas."):
            bins = cut_statistic(cls, node)
            if bins and args[0].anc:
                return _data_like(args[0], anc, idents, line, applied=Statistic(bins, args[0], line, how="binned"))
        return None

    def _fit(self, node: ast.Call, method: str, recv: Value, args: list[Value], kwargs: dict[str, Value],
             anc: frozenset[int], idents: frozenset[int]) -> Value | None:
        """``scaler.fit(X)``, ``PCA().fit_transform(X)``, a Pipeline with a stateful step fitted on X:
        the fitted object now carries statistics of X (and the receiver's name holds it)."""
        data = args[0] if args else kwargs.get("X") or kwargs.get("raw_documents")
        if data is None or not data.anc:
            return None
        line = node.lineno
        pair = self.facts.sums.get(id(node.args[0])) if node.args else None
        if pair is not None:  # vectorizer.fit(train_text + test_text): fitted on both put together
            ident = self.facts.new_id()
            self.facts.concats[ident] = ConcatInfo(node.args[0], ident, pair)
            data = data.copy_with(anc=data.anc | {ident})
            anc = anc | {ident}
        product = self.facts.new_id()
        what = last_part(recv.kind) if not recv.steps else f"{last_part(recv.kind)}({recv.steps})"
        event = FitEvent(node, what, data, self.scope, frozenset({product}), guard=self.guard,
                         vocabulary=not recv.steps and vocabulary_only(recv.kind, recv.call))
        self.facts.fit_events.append(event)
        earlier = recv.stat.fit.products if recv.stat is not None and recv.stat.fit is not None else EMPTY
        # fitting again replaces what an earlier fit learnt (vec.fit(titles) then vec.fit(summaries))
        fitted = Value(kind=recv.kind, call=recv.call, steps=recv.steps, anc=(recv.anc - earlier) | {product},
                       idents=recv.idents, stat=Statistic(what, data, line, fit=event), name=recv.name, line=line)
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        if isinstance(owner, (ast.Name, ast.Attribute)):
            self.rebind(owner, fitted)
        if method == "fit":
            return fitted
        return _data_like(data, (anc - earlier) | data.anc | {product}, idents, line)

    def note_use(self, value: Value, target: Value, frame: str | None, column: str | None,
                 products: frozenset[int]) -> None:
        """A statement that binds data changed by a statistic (``X = (X - mu) / sd``,
        ``df["age"] = df["age"].fillna(m)``, ``df.fillna(df.mean(), inplace=True)``)."""
        stat = value.applied
        if stat is None or target.element:
            return  # an element of a loop or comprehension: one sample scaled by its own values
        self.facts.stat_uses.append(StatUse(self.stmt, stat, target, stat.how, self.scope, products, frame, column,
                                            guard=self.guard or stat.guard))
        if column:
            self.facts.changed_columns.add(column)

    # -- resampling and concatenation -----------------------------------------------------------
    def resample_call(self, site: CallSite, node: ast.Call, qn: str | None, method: str | None,
                      recv: Value | None, args: list[Value], anc: frozenset[int],
                      idents: frozenset[int]) -> Value | None:
        if method in ("fit_resample", "fit_sample"):
            data = site.arg(0, "X")
            how = method
        else:
            how = oversampling(qn, method, node)
            data = (args[0] if args else None) if qn else recv
        if how is None or data is None or not data.anc:
            return None
        product = self.facts.new_id()
        self.facts.resample_events.append(ResampleEvent(node, data, how, self.scope, frozenset({product}),
                                                        guard=self.guard))
        return _data_like(data, anc | {product}, idents, node.lineno)

    def concatenation(self, node: ast.Call, fname: str, method: str | None, parts: list[Value]) -> int | None:
        """A concatenation of rows (``pd.concat([train, test])``, ``np.vstack``, ``df.append(other)``
        bound to a name): registered, and the id the result carries is returned."""
        if method == "append":
            stmt = self.stmt
            if not (isinstance(stmt, ast.Assign) and stmt.value is node):
                return None  # list.append(x) returns nothing
        elif fname not in ROW_CONCATS:
            return None
        data = [p for p in parts if p.anc]
        duplicated = duplicated_part(node) if fname in ("concat", "concatenate") else None
        if len(data) < (1 if duplicated else 2) or _axis_is_columns(node):
            return None
        ident = self.facts.new_id()
        concat = ConcatInfo(node, ident, tuple(data), duplicated)
        self.facts.concats[ident] = concat
        if duplicated:
            self.facts.resample_events.append(ResampleEvent(
                node, next((p for p in data if p.name == duplicated), data[-1]),
                f"concatenating {duplicated!r} more than once", self.scope, frozenset({ident})))
        return ident

    def prediction(self, site: CallSite, anc: frozenset[int], idents: frozenset[int]) -> Value:
        """A model's predictions: no split role of their own (the id they carry says whose data)."""
        ident = self.facts.new_id()
        self.facts.predictions[ident] = site
        return Value(anc=anc | {ident}, idents=idents, pred=True, line=site.line)

    # -- names and identities --------------------------------------------------------------------
    def rebind(self, node: ast.expr, value: Value) -> None:
        """The name (or ``self.<attr>``) ``node`` now holds ``value``: a fitted object after
        ``scaler.fit(X)``."""
        spelled = dotted(node)
        if spelled is None or "()" in spelled:
            return
        named = self._named(spelled.rsplit(".", 1)[-1], value, node.lineno, spelled if "." in spelled else None)
        self.env[spelled] = named
        self.store_class_attr(node, named)

    def class_attr(self, node: ast.Attribute) -> Value | None:
        """``self.<attr>`` in a method: what the class's methods stored there (walked so far)."""
        scope = self.scope
        if scope is None or scope.class_name is None or not isinstance(node.value, ast.Name) \
                or node.value.id != "self":
            return None
        key = (scope.class_name, node.attr)
        found = self.facts.class_attrs.get(key)
        if found is None:
            ident = frozenset({self.facts.new_id()})
            role = self.name_role(node.attr, None, None)
            found = Value(role=role, origin=f"name 'self.{node.attr}'" if role else "", carried=bool(role),
                          anc=ident, idents=ident, name=f"self.{node.attr}", line=node.lineno)
            self.facts.class_attrs[key] = found
        return found

    def store_class_attr(self, node: ast.expr, value: Value) -> None:
        scope = self.scope
        if (scope is not None and scope.class_name is not None and isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name) and node.value.id == "self"):
            self.facts.class_attrs[(scope.class_name, node.attr)] = value

    def name_role(self, name: str, value: Value | None, node: ast.expr | None) -> str | None:
        """The role a data value's name gives it; none for module aliases, devices and ``None`` (``te_gen =
        None`` in the branch without validation data holds no data)."""
        role = data_role(name)
        if role is None:  # most names: no role to take back
            return None
        if name in self.facts.imports.aliases:
            return None
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        if value is not None and value.kind and value.kind.endswith(".device"):
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value.split(":", 1)[0].lower() in _DEVICE_STRINGS:
            return None
        return role

    def callback(self, node: ast.Call, method: str | None) -> tuple[FunctionInfo | None, int]:
        """A same-file function passed to ``df.apply(f)``, ``df.transform(f)``, ``df.pipe(f)``,
        ``map(f, data)``: (the function, the index of the data argument; -1 for the receiver)."""
        if method in _CALLBACK_METHODS and node.args:
            if any(kw.arg == "axis" and isinstance(kw.value, ast.Constant) and kw.value.value in (1, "columns")
                   for kw in node.keywords) or _element_wise(node, method):
                return None, 0  # row by row or element by element: nothing is learnt across rows
            return self.facts.resolve_local(node.args[0], self.scope), -1
        if isinstance(node.func, ast.Name) and node.func.id == "map" and len(node.args) == 2:
            return self.facts.resolve_local(node.args[0], self.scope), 1
        return None, 0

    # provided by the walker
    def _named(self, name: str, value: Value, line: int, spelled: str | None = None,
               node: ast.expr | None = None) -> Value:  # pragma: no cover - interface
        raise NotImplementedError


def _element_wise(node: ast.Call, method: str) -> bool:
    """``frame.map(f)``/``applymap(f)`` and ``frame["pixels"].apply(f)`` (a single-key subscript is a
    Series) call ``f`` once per element: each call sees one sample, never a column of them."""
    if method in ("map", "applymap"):
        return True
    recv = node.func.value if isinstance(node.func, ast.Attribute) else None
    return (method == "apply" and isinstance(recv, ast.Subscript) and isinstance(recv.slice, ast.Constant)
            and isinstance(recv.slice.value, str))


def _data_like(base: Value, anc: frozenset[int], idents: frozenset[int], line: int,
               applied: Statistic | None = None) -> Value:
    """Data with ``base``'s role and name (the same rows, changed)."""
    return Value(role=base.role, origin=base.origin, carried=base.carried, kind=base.kind, anc=anc, idents=idents,
                 applied=applied, name=base.name, pred=base.pred, line=line)


def stateful(recv: Value) -> bool:
    """A transformer that learns statistics when fitted (a Pipeline: one of its steps does)."""
    if recv.steps:
        return True
    cls = last_part(recv.kind)
    return cls not in COMPOSITES and is_feature_transformer(recv.kind) and not row_wise_constructor(cls, recv.call)


def describe_split(event: SplitEvent) -> str:
    """``train_test_split at line 12``"""
    where = line_ref(event.line, event.func.rsplit(".", 1)[0] if event.kind == "search" else
                     event.func.rsplit(".", 1)[-1].split("(")[0] if event.kind != "back" else "")
    return f"{event.func} at {where}"
