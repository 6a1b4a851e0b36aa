"""Where rows and statistics come from: the records and the vocabulary of the leakage analysis.

The walker in :mod:`facts` evaluates every expression once; when it meets a statistic
(``X.mean()``, a fitted scaler, ``pd.qcut`` bins) it records *what data it was computed from*
(:class:`Statistic`), and when that statistic is applied to data (``X_te.fillna(m)``,
``(X - mu) / sd``, ``scaler.transform(X_tr)``, in place or not) it records a :class:`StatUse`.
Fitted transformers are :class:`FitEvent`; splits of every kind (``train_test_split``, a K-fold
``split`` and the fold indices applied to derived arrays, an old iterable ``KFold(n, n_folds=5)``,
a search or ``cross_val_score``, rows sliced back out of a concatenation of train and test, a
same-file helper that splits its argument) are :class:`SplitEvent`; over-sampling is a
:class:`ResampleEvent`. The rules judge the *source* of a statistic against the data it reaches.

Identity is the walker's: every named definition gets an id, a value knows the ids of the named
values it reads (``idents``) and of everything it derives from (``anc``).
"""
from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .names import last_part, name_words

if TYPE_CHECKING:  # pragma: no cover
    from .records import FunctionInfo
    from .values import Value

EMPTY: frozenset[int] = frozenset()
# the records the walker builds by the hundred thousand keep their fields in slots (Python 3.10+):
# smaller, faster to build, read and free
SLOTS = {"slots": True} if sys.version_info >= (3, 10) else {}

# ---------------------------------------------------------------------------------------------
# Vocabulary: splits

SPLIT_FUNCS = {
    "sklearn.model_selection.train_test_split": "train_test_split",
    "sklearn.cross_validation.train_test_split": "train_test_split",
    "torch.utils.data.random_split": "random_split",
    "torch.utils.data.dataset.random_split": "random_split",
}
# Calls that split their input for cross-validation (the data "is split afterwards").
CV_FUNCS = frozenset({
    "cross_val_score", "cross_val_predict", "cross_validate", "learning_curve", "validation_curve",
    "permutation_test_score",
})


def is_cv_func(qn: str | None) -> bool:
    """``sklearn.model_selection.cross_val_score`` and the other scikit-learn functions that
    cross-validate an estimator (``CV_FUNCS``)."""
    return bool(qn) and qn.startswith("sklearn.") and last_part(qn) in CV_FUNCS


SPLITTER_CLASSES = frozenset({
    "KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold", "ShuffleSplit",
    "StratifiedShuffleSplit", "GroupShuffleSplit", "RepeatedKFold", "RepeatedStratifiedKFold",
    "TimeSeriesSplit", "LeaveOneOut", "LeavePOut", "LeaveOneGroupOut", "PredefinedSplit",
    "LabelKFold", "MultilabelStratifiedKFold",
})
SEARCH_CLASSES = frozenset({
    "GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV",
    "BayesSearchCV",
})
# plain holdouts: the held-out part is a test (or, carved from training data, a validation) set
HOLDOUT_SPLITS = frozenset({"train_test_split", "random_split"})
SplitKind = Literal["holdout", "folds", "cv", "search", "back", "helper"]


def old_cv_iterable(qn: str | None, call: ast.Call | None) -> bool:
    """``KFold(n, n_folds=5)``, ``StratifiedKFold(y, n_folds=5)``, ``cross_validation.ShuffleSplit(n)``:
    the scikit-learn < 0.18 splitters that are iterated directly and yield fold indices."""
    if not qn or last_part(qn) not in SPLITTER_CLASSES or call is None:
        return False
    if qn.startswith("sklearn.cross_validation."):
        return True
    if any(kw.arg in ("n_folds", "n_iter", "n", "y", "labels") for kw in call.keywords):
        return True
    first = call.args[0] if call.args else None
    return first is not None and not isinstance(first, ast.Constant)


# ---------------------------------------------------------------------------------------------
# Vocabulary: statistics

STAT_METHODS = frozenset({"mean", "std", "var", "min", "max", "median", "quantile", "nanmean",
                          "nanstd", "nanmedian", "percentile", "amin", "amax", "nanmin", "nanmax",
                          "nanquantile", "nanpercentile", "mode"})
STAT_MODULES = ("numpy.", "torch.", "pandas.")
IMPUTE_METHODS = frozenset({"fillna", "replace", "clip", "where", "mask"})
# aggregations by group (``df.groupby(k)[c].transform("median")``) are statistics of the frame
GROUP_STAT_METHODS = frozenset({"transform", "agg", "aggregate", "apply"})

TRANSFORMER_MODULES = ("sklearn.preprocessing.", "sklearn.impute.", "sklearn.decomposition.",
                       "sklearn.feature_selection.", "sklearn.feature_extraction.",
                       "sklearn.kernel_approximation.", "sklearn.random_projection.",
                       "sklearn.compose.", "sklearn.cross_decomposition.", "category_encoders.",
                       "sklearn.discriminant_analysis.LinearDiscriminantAnalysis")
TARGET_ENCODERS = frozenset({"LabelEncoder", "LabelBinarizer", "MultiLabelBinarizer"})
# transformers that learn nothing from the data they are "fitted" on
STATELESS_TRANSFORMERS = frozenset({"PolynomialFeatures", "Binarizer", "Normalizer", "FunctionTransformer",
                                    "FeatureHasher", "HashingVectorizer", "MissingIndicator",
                                    "SplineTransformer", "GaussianRandomProjection",
                                    "SparseRandomProjection", "RBFSampler"})  # random projections: data-blind
# fit-and-apply in one call: sklearn.preprocessing.scale(X) standardises X with its own statistics
FUNCTIONAL_PREPROCESSORS = frozenset({"scale", "minmax_scale", "robust_scale", "maxabs_scale",
                                      "quantile_transform", "power_transform"})
COMPOSITES = frozenset({"Pipeline", "make_pipeline", "ColumnTransformer", "make_column_transformer",
                        "FeatureUnion", "make_union"})
TARGET_WORDS = frozenset({"y", "target", "targets", "label", "labels"})
_GLUED_TARGET = re.compile(r"y_?(?:train|test|val|valid|tr|te|trn|tst|cv|dev)", re.IGNORECASE)


# attributes that hand on the data they are read from (``y_log.values`` is still the target)
_DATA_ACCESSORS = frozenset({"values", "T", "array"})


def is_target_name(name: str | None) -> bool:
    """``y``, ``y_train``, ``Ytrain``, ``train.target``, ``labels``, ``y_log.values``: the target, whose
    rescaling, repetition, encoding or imputation says nothing about the features."""
    if not name:
        return False
    parts = name.split(".")
    while len(parts) > 1 and parts[-1] in _DATA_ACCESSORS:
        parts.pop()
    last = parts[-1]
    words = set(name_words(last))
    return bool(words & TARGET_WORDS) and len(words) <= 2 or bool(_GLUED_TARGET.fullmatch(last))


# what applying a statistic does to data, as a message says it: "'df' is imputed with its own median"
PHRASES = {"imputed": "is imputed with", "normalised": "is normalised with", "binned": "is binned with",
           "transformed": "is transformed with", "derived": "gets a column from"}


def whole_axis(node: ast.Call, axis_pos: int) -> bool:
    """A statistic over the whole data or the sample axis (axis 0), not per sample."""
    axis = None
    for kw in node.keywords:
        if kw.arg in ("axis", "dim"):
            axis = kw.value
    if axis is None and len(node.args) > axis_pos:  # x.mean(0) / np.mean(x, 0)
        axis = node.args[axis_pos]
    if axis is None:
        return True
    if isinstance(axis, ast.Constant):
        return axis.value in (0, None, "index", "rows")
    return False


def is_feature_transformer(kind: str | None) -> bool:
    """A transformer that learns statistics of the features it is fitted on."""
    if not kind:
        return False
    cls = last_part(kind)
    if cls in TARGET_ENCODERS or cls in STATELESS_TRANSFORMERS:
        return False
    return kind.startswith(TRANSFORMER_MODULES)


# encoders and vectorizers that learn only the list of categories or words they see, unless a
# frequency cut-off makes the list depend on counts
VOCABULARY_TRANSFORMERS = frozenset({"CountVectorizer", "OneHotEncoder", "OrdinalEncoder", "LabelEncoder",
                                     "LabelBinarizer", "MultiLabelBinarizer"})
_CUT_OFFS = {"max_features": None, "min_df": 1, "max_df": 1.0, "min_frequency": None, "max_categories": None}


def vocabulary_only(kind: str | None, call: ast.Call | None) -> bool:
    """``CountVectorizer()``, ``OneHotEncoder(handle_unknown="ignore")``: what they learn is the set of
    categories or words, not a statistic (``CountVectorizer(min_df=3)``, ``OneHotEncoder(min_frequency=5)``
    count, and ``TfidfVectorizer`` learns document frequencies)."""
    if call is None or last_part(kind) not in VOCABULARY_TRANSFORMERS or not (kind or "").startswith("sklearn."):
        return False
    for kw in call.keywords:
        if kw.arg is None:
            return False  # **options: unknown
        if kw.arg in _CUT_OFFS:
            value = kw.value
            if not (isinstance(value, ast.Constant) and value.value == _CUT_OFFS[kw.arg]):
                return False
    return True


# the settings that give such a transformer its list outright, and the value that leaves it to the data
_FIXING_SETTINGS = {"vocabulary": None, "categories": "auto", "n_values": "auto", "classes": None}


def fixed_by_settings(kind: str | None, call: ast.Call | None) -> bool:
    """``OneHotEncoder(categories=[sizes])``, ``OneHotEncoder(n_values=4)`` (older scikit-learn),
    ``CountVectorizer(vocabulary=words)``, ``MultiLabelBinarizer(classes=tags)``: the categories or words
    are given (a list, or values computed elsewhere), so fitting learns nothing from the rows it sees
    (``categories="auto"`` leaves them to the data; a frequency cut-off still counts)."""
    if not vocabulary_only(kind, call):
        return False
    for kw in call.keywords:
        if kw.arg in _FIXING_SETTINGS:
            default = _FIXING_SETTINGS[kw.arg]
            if not (isinstance(kw.value, ast.Constant) and kw.value.value == default):
                return True
    return False


def row_wise_constructor(cls: str, call: ast.Call | None) -> bool:
    """``Imputer(axis=1)`` imputes each sample from its own values: nothing is learnt across rows."""
    if call is None or cls not in ("Imputer", "SimpleImputer"):
        return False
    return any(kw.arg == "axis" and isinstance(kw.value, ast.Constant) and kw.value.value == 1
               for kw in call.keywords)


def functional_statistic(cls: str, call: ast.Call) -> bool:
    """``scale(X)``, ``minmax_scale(X)``... along the sample axis (``axis=1`` scales each row)."""
    if cls not in FUNCTIONAL_PREPROCESSORS or not call.args and not call.keywords:
        return False
    return whole_axis(call, 99)


def cut_statistic(cls: str, call: ast.Call) -> str | None:
    """``pd.qcut(x, 4)`` learns quantile bins; ``pd.cut(x, 5)`` learns equal-width bins from the
    range of x; ``pd.cut(x, [0, 18, 65, 120])`` uses fixed bins and learns nothing."""
    if cls == "qcut":
        return "quantile bins"
    if cls == "cut":
        bins = call.args[1] if len(call.args) > 1 else next(
            (kw.value for kw in call.keywords if kw.arg == "bins"), None)
        if isinstance(bins, ast.Constant) and isinstance(bins.value, int) and not isinstance(bins.value, bool):
            return "bins from its range"
    return None


def oversampling(qn: str | None, method: str | None, call: ast.Call) -> str | None:
    """Manual over-sampling: ``resample(x, replace=True)`` (scikit-learn's default), ``df.sample(n,
    replace=True)`` or ``df.sample(frac=2)``. Returns how, or None."""
    def keyword(name: str) -> ast.expr | None:
        return next((kw.value for kw in call.keywords if kw.arg == name), None)

    def false(node: ast.expr | None) -> bool:
        return isinstance(node, ast.Constant) and node.value in (False, 0)

    if qn in ("sklearn.utils.resample", "sklearn.utils._indexing.resample"):
        return None if false(keyword("replace")) else "resample(replace=True)"
    if method == "sample" and qn is None:
        replace = keyword("replace")
        frac = keyword("frac")
        if replace is not None and not false(replace) and isinstance(replace, ast.Constant):
            return "sample(replace=True)"
        if isinstance(frac, ast.Constant) and isinstance(frac.value, (int, float)) and frac.value > 1:
            return f"sample(frac={frac.value})"
    return None


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(eq=False, **SLOTS)
class Statistic:
    """A statistic or a fitted object, and the data it was learnt from (``source``)."""

    what: str  # "mean", "median", "quantile bins", "StandardScaler"
    source: Value
    line: int  # where it was computed (the stat call or the fit)
    fit: FitEvent | None = None  # the fit of a transformer; None for inline statistics
    how: str = "normalised"  # what applying it does: normalised, imputed, binned
    guard: tuple[str, str] | None = None  # computed only under ``if <parameter test>:`` (``if mean is None:``)
    code: bool = False  # moved past the data's range (``df.max() + 1``): filling with it marks, not imputes
    # one value per group (``orders.groupby("user")["days"].mean()``, ``.agg("mean")``): a table keyed by the
    # group, not broadcast back to the rows it was computed from (``.transform("mean")`` is)
    per_group: bool = False


@dataclass(eq=False, **SLOTS)
class FitEvent:
    """A transformer fitted on data (``scaler.fit(X)``, ``PCA().fit_transform(X)``, a Pipeline
    with a stateful step, ``scale(X)``), or fitted by a same-file helper on its argument."""

    node: ast.AST  # the fit call (or the helper's call site)
    what: str  # "StandardScaler", "scale()", "prepare()"
    source: Value  # the data it was fitted on
    scope: FunctionInfo | None
    products: frozenset[int] = EMPTY  # ids that carry the statistics on (fitted object, output)
    via: FunctionInfo | None = None  # the helper that fits its parameter
    via_line: int = 0  # where the helper fits it
    guard: tuple[str, str] | None = None  # inside a function: ``if <parameter test>:`` around it
    mixed: bool = False  # repeated from a helper that learns from several of its parameters at once
    vocabulary: bool = False  # learns only a category or word list (a plain CountVectorizer, OneHotEncoder)

    @property
    def line(self) -> int:
        return self.node.lineno


@dataclass(eq=False, **SLOTS)
class StatUse:
    """A statistic applied to data: imputed with it, normalised or binned by it, transformed by a
    fitted object; in place (``inplace=True``, ``df[c] = ...``, ``X -= mu``) or bound to a name."""

    node: ast.AST  # the statement (or the transform call, or a helper's call site)
    stat: Statistic
    target: Value  # the data as it was before
    how: str  # "imputed", "normalised", "binned", "transformed"
    scope: FunctionInfo | None
    products: frozenset[int] = EMPTY  # ids of the changed data
    frame: str | None = None  # the frame changed (``df`` in ``df["age"] = ...``)
    column: str | None = None  # the column changed, when one is
    via: FunctionInfo | None = None
    guard: tuple[str, str] | None = None
    mixed: bool = False
    dropped_at: int = 0  # the line where the changed column is dropped from its frame again

    @property
    def line(self) -> int:
        return self.node.lineno


@dataclass(eq=False)
class ConcatInfo:
    """A concatenation of several data sets (``pd.concat([train, test])``, ``np.vstack``)."""

    node: ast.AST
    ident: int  # the id every value derived from the concatenation carries in its ancestry
    parts: tuple[Value, ...]
    duplicated: str | None = None  # the same rows concatenated more than once (manual over-sampling)

    @property
    def line(self) -> int:
        return self.node.lineno


@dataclass(eq=False, **SLOTS)
class ColumnStore:
    """A column of a frame set from data (``df["segment"] = labels``, ``df.loc[:, "c"] = v``): the frame
    now carries ``value_anc``, but only in that column."""

    frame: str
    column: str
    value_anc: frozenset[int]
    before_anc: frozenset[int]  # what the frame carried before
    scope: FunctionInfo | None
    line: int


@dataclass(eq=False, **SLOTS)
class SplitEvent:
    """Data split into parts: ``anc`` is the ancestry of what is split; the parts carry
    ``piece_id`` in theirs (a part is recognised by it)."""

    node: ast.AST
    anc: frozenset[int]
    func: str  # train_test_split, random_split, KFold.split, GridSearchCV.fit, cross_val_score, ...
    scope: FunctionInfo | None
    input_role: str | None = None  # role of the data split (train: a nested split of training data)
    kind: SplitKind = "holdout"
    piece_id: int = 0
    line: int = 0  # the line to cite (the split call, also for fold indices applied later)
    inputs: tuple[Value, ...] = ()
    concat: ConcatInfo | None = None  # slicing back out of this concatenation
    via: FunctionInfo | None = None  # a same-file helper that splits its argument
    via_line: int = 0
    guard: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not self.line:
            self.line = self.node.lineno


@dataclass(eq=False)
class ResampleEvent:
    """Over- or under-sampling: ``fit_resample``, ``resample(replace=True)``, ``sample(replace=True)``,
    duplicated rows concatenated."""

    node: ast.AST
    data: Value
    how: str  # "SMOTE().fit_resample", "resample(replace=True)", ...
    scope: FunctionInfo | None
    products: frozenset[int] = EMPTY
    via: FunctionInfo | None = None
    guard: tuple[str, str] | None = None

    @property
    def line(self) -> int:
        return self.node.lineno


@dataclass(eq=False)
class DataSummary:
    """What a same-file function does to the data it is given, parameter by parameter: splits it
    (or cross-validates it), learns statistics from it, normalises it with its own statistics,
    resamples it. Each maps a parameter name to the event inside the function that does it."""

    splits: dict[str, SplitEvent] = field(default_factory=dict)
    fits: dict[str, FitEvent] = field(default_factory=dict)
    normalises: dict[str, StatUse] = field(default_factory=dict)
    resamples: dict[str, ResampleEvent] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.splits or self.fits or self.normalises or self.resamples)
