"""Who learns from data that carries a statistic, and which splits are not held-out evaluation.

Built once per module (``facts.derived(Consumers)``) and asked by :class:`~leaks.Leaks` before it
pairs a statistic with a split (DLP102). Three shapes learn nothing about the held-out rows although
a statistic of them reaches the split:

- *monotone rescaling for trees*: a per-feature rescale (``StandardScaler``, ``MinMaxScaler``,
  ``MaxAbsScaler``, ``RobustScaler``, ``scale()``, ``(x - x.mean()) / x.std()``, ``x / x.max()``)
  whose every model evaluated through the split is a tree model (or a scikit-learn ensemble of
  them, judged by its members): splits on a feature are invariant to a monotone rescale of it,
  so the held-out predictions are the same;
- *bins for stratifying*: a column binned with its own bins (``pd.cut(df.y, 10)``, ``pd.qcut``) and
  read only as the split's ``stratify=`` (or a splitter's ``y``), a groupby key or in a statement
  that only shows it: the bins choose rows, they are not a feature;
- *membership labels* (adversarial validation): the split's labels say which data set a row comes
  from (``np.hstack([np.ones(len(a)), np.zeros(len(b))])``, ``a["is_test"] = 0``;
  ``b["is_test"] = 1``): the second data set is a class of that task, not held-out evaluation data.
"""
from __future__ import annotations

import ast
import operator
from typing import TYPE_CHECKING, Iterator

from .names import dotted, last_part
from .provenance import SEARCH_CLASSES, STAT_METHODS, SplitEvent, is_cv_func, is_target_name
from .summaries import bound_values
from .training_facts import walk_stmts
from .vocabulary import ESTIMATOR_PACKAGES

if TYPE_CHECKING:  # pragma: no cover
    from .facts import ModuleFacts
    from .records import CallSite, FunctionInfo
    from .values import Value
    from .leaks import Learning

# models whose splits are invariant to a monotone rescale of each feature
TREE_MODELS = ("DecisionTree", "RandomForest", "ExtraTree", "GradientBoosting", "HistGradientBoosting", "XGB",
               "LGBM", "CatBoost")
_TREE_TRAIN = frozenset({"lightgbm.train", "lightgbm.cv", "xgboost.train", "xgboost.cv"})
# per-feature affine rescalers: fitted objects, and the functional forms (their statistic's name)
MONOTONE_SCALERS = frozenset({"StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler"})
MONOTONE_FUNCTIONS = frozenset({"scale() statistics", "minmax_scale() statistics", "maxabs_scale() statistics",
                                "robust_scale() statistics"})
_AFFINE_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_PASS_THROUGH = frozenset({"values", "to_numpy", "astype", "sqrt", "array", "asarray", "reshape", "copy"})
_FIT_METHODS = frozenset({"fit", "fit_transform", "fit_predict", "partial_fit", "train_on_batch", "fit_generator"})
_MEMBERSHIP_JOIN = frozenset({"hstack", "concatenate", "append", "r_", "concat", "vstack"})
_KEY_CALLS = frozenset({"groupby", "drop", "sort_values"})  # column names given to them pick no feature
_CONSTANT_FILL = frozenset({"ones", "zeros", "full", "ones_like", "zeros_like", "full_like", "repeat"})
# scikit-learn ensembles judged by the models they combine
_ENSEMBLES = frozenset({"VotingClassifier", "VotingRegressor", "StackingClassifier", "StackingRegressor",
                        "BaggingClassifier", "BaggingRegressor", "AdaBoostClassifier", "AdaBoostRegressor"})
_GROWS = frozenset({"append", "extend", "insert"})
_SHIFTS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}  # a run moved by a number


def is_tree_model(kind: str | None) -> bool:
    """``sklearn.ensemble.RandomForestClassifier``, ``xgboost.XGBRegressor``, ``lightgbm.LGBMClassifier``."""
    return bool(kind) and kind.startswith(ESTIMATOR_PACKAGES) and last_part(kind).startswith(TREE_MODELS)


class Consumers:
    """Derived once per module; see the module docstring."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self._sites = {id(site.node): site for site in facts.calls}
        self._reads: dict[str, list[str]] | None = None
        self._assigns: dict[int, list[ast.Assign]] = {}
        self._linear: bool | None = None
        self._by_piece: dict[int, list] = {}
        self._memberships: dict[int, bool] = {}
        self._grown_ids: frozenset[int] | None = None

    # -- monotone rescaling before tree models ---------------------------------------------------------
    def tree_invariant(self, learning: Learning, split: SplitEvent) -> bool:
        """A per-feature monotone rescale whose every model evaluated through ``split`` is a tree model."""
        if not self.monotone(learning):
            return False
        kinds = []
        for kind in self.models_through(learning.products, split):
            if not is_tree_model(kind):
                return False
            kinds.append(kind)
        if not kinds or self._relearnt(learning, split):
            return False
        return not any(kind.startswith(("xgboost.", "lightgbm.")) for kind in kinds) or not self._linear_boosters()

    def _linear_boosters(self) -> bool:
        """``booster="gblinear"`` or ``linear_tree=True`` somewhere in the module: a boosted model may be
        linear, and a linear model is not invariant to rescaling."""
        if self._linear is None:
            options = [kw for site in self.facts.calls for kw in site.node.keywords]  # XGBRegressor(booster=...)
            for scope in (None, *self.facts.functions):  # params = {"booster": "gblinear"}
                options.extend(stmt.value for stmt in self._assignments(scope) if isinstance(stmt.value, ast.Dict))
            self._linear = any(_linear_option(option) for option in options)
        return self._linear

    def _relearnt(self, learning: Learning, split: SplitEvent) -> bool:
        """Something learns from the rescaled data and hands what it learnt on to the split's features:
        a transformer (``PCA().fit_transform(scaled)``), a statistic of it, or a model's predictions
        (a clustering's labels as a feature). Labels built from it (customer segments as the target)
        are not features."""
        products = learning.products
        features = split.inputs[0].anc if split.inputs else split.anc
        for event in self.facts.fit_events:
            if event is not learning.fit and event.what not in MONOTONE_SCALERS and event.source.anc & products \
                    and event.products & features:
                return True
        for use in self.facts.stat_uses:
            if use is not learning.use and use.stat.source.anc & products and use.products & features:
                return True
        return any(ident in features and any(arg.anc & products for arg in site.args) and not self._tree_predicts(site)
                   for ident, site in self.facts.predictions.items())

    def _tree_predicts(self, site: CallSite) -> bool:
        """``forest.predict(X)``, or ``booster.predict(X)`` with ``booster = lgb.train(...)``: a tree model's
        predictions are as invariant as the model (out-of-fold predictions stacked as a feature)."""
        if site.recv is not None and site.recv.kind and all(is_tree_model(kind) for kind in self.kinds(site.recv)):
            return True
        owner = site.node.func.value if isinstance(site.node.func, ast.Attribute) else None
        bound = self._last_assignment(owner.id, site.scope, site.line) if isinstance(owner, ast.Name) else None
        return (bound is not None and isinstance(bound.value, ast.Call)
                and self.facts.imports.qualname(bound.value.func) in _TREE_TRAIN)

    def monotone(self, learning: Learning) -> bool:
        fit, use = learning.fit, learning.use
        if fit is not None:
            return fit.what in MONOTONE_SCALERS
        if use is None or use.via is not None or use.how != "normalised" or use.stat.per_group:
            return False
        if use.stat.what in MONOTONE_FUNCTIONS:
            return True
        return use.stat.what in STAT_METHODS and _affine(_assigned(use.node))

    def models_through(self, products: frozenset[int], split: SplitEvent) -> Iterator[str | None]:
        """The kinds of the models evaluated through ``split`` on data that carries ``products``
        (None for a model of unknown kind: a network, a same-file model function)."""
        site = self._split_site(split)
        if split.kind in ("cv", "search") and site is not None:
            yield from self._estimator(site)
        elif split.kind == "helper" and site is not None and site.local is not None:
            yield from self._inside(site, site.local)
        elif split.kind not in ("cv", "search", "helper"):
            yield from self._fitted_on(products, split.piece_id)
        else:
            yield None

    def _fitted_on(self, products: frozenset[int], piece: int, depth: int = 0) -> Iterator[str | None]:
        for site, data in self._learners_of(piece):
            if data is None:  # a same-file helper given data of the split's parts
                if self._passes(site, products, piece):
                    yield from self._inside(site, site.local)
            elif data.anc & products:
                rescale = self._rescale(site) if depth < 3 else None
                if rescale is not None:  # MinMaxScaler().fit_transform(standardised): still a monotone rescale
                    yield from self._fitted_on(rescale.products, piece, depth + 1)
                else:
                    yield from self._estimator(site)
        for loop in self.facts.loops:
            if loop.trains and loop.iter is not None and piece in loop.iter.anc and loop.iter.anc & products:
                yield None  # a training loop: a network

    def _learners_of(self, piece: int) -> list[tuple[CallSite, Value | None]]:
        """The calls that learn from data of a split's parts (with that data), and the calls of same-file
        helpers that train (data None); found once per split."""
        found = self._by_piece.get(piece)
        if found is None:
            found = []
            for site in self.facts.calls:
                data = _learnt_data(site)
                if data is not None and piece in data.anc:
                    found.append((site, data))
                elif data is None and site.local is not None and site.local.trained_params:
                    found.append((site, None))
            self._by_piece[piece] = found
        return found

    def _passes(self, site: CallSite, products: frozenset[int], piece: int) -> bool:
        """The call of a same-file helper passes it data of the split's parts that carries ``products``."""
        return any(piece in value.anc and value.anc & products for _, value in bound_values(self.facts, site,
                                                                                            site.local))

    def _rescale(self, site: CallSite):
        """The fit of a monotone rescaler at ``site``, if it is one."""
        if site.recv is None or last_part(site.recv.kind) not in MONOTONE_SCALERS:
            return None
        return next((event for event in self.facts.fit_events if event.node is site.node), None)

    def _inside(self, call: CallSite, callee: FunctionInfo) -> Iterator[str | None]:
        """The models a same-file helper fits or cross-validates; an estimator it is given as a
        parameter is the caller's argument."""
        arguments = {callee.param_ids.get(param): value for param, value in bound_values(self.facts, call, callee)}
        found = False
        for site in callee.calls:
            if _learnt_data(site) is None and not _cross_validates(site):
                continue
            found = True
            estimator = self._estimator_value(site)
            passed = next((value for ident, value in arguments.items() if estimator is not None and ident is not None
                           and ident in estimator.anc), None)
            yield from self.kinds(passed) if passed is not None else self._estimator(site)
        if not found:
            yield None

    def _estimator(self, site: CallSite) -> Iterator[str | None]:
        """The kinds of the models a fit, a search or a cross-validation call learns with."""
        if site.qn in _TREE_TRAIN:
            yield "lightgbm.LGBMModel" if site.qn.startswith("lightgbm.") else "xgboost.XGBModel"
        else:
            yield from self.kinds(self._estimator_value(site))

    def kinds(self, model: Value | None, depth: int = 0) -> Iterator[str | None]:
        """The kinds of the models ``model`` stands for: its own, or for a scikit-learn ensemble the
        models it combines (``VotingClassifier([("rf", forest), ("gb", boosted)])``; a bagging or
        AdaBoost ensemble's estimator, a decision tree by default; a stacking ensemble's final
        estimator too when ``passthrough`` hands it the features). None for what is not known."""
        kind = model.kind if model is not None else None
        if kind is None and model is not None and model.idents and depth <= 3:
            elements = self._elements(model)
            if elements is not None:  # for model in [RandomForestClassifier(), ExtraTreesClassifier()]
                for element in elements:
                    yield from self.kinds(element, depth + 1)
                return
        if depth > 3 or not kind or not kind.startswith("sklearn.ensemble.") or last_part(kind) not in _ENSEMBLES:
            yield kind
            return
        ctor = self._sites.get(id(model.call)) if model.call is not None else None
        if ctor is None:
            yield None
        elif last_part(kind).startswith(("Bagging", "AdaBoost")):
            base = ctor.kwargs.get("estimator") or ctor.kwargs.get("base_estimator") or ctor.arg(0)
            yield from self.kinds(base, depth + 1) if base is not None else ("sklearn.tree.DecisionTreeClassifier",)
        else:
            members = ctor.arg(0, "estimators")
            known = members is not None and members.items is not None and not members.idents & self._grown()
            pairs = members.items if known else (None,)
            for pair in pairs:
                named = pair.items if pair is not None and pair.items is not None and len(pair.items) == 2 else None
                yield from self.kinds(named[1], depth + 1) if named is not None else (None,)
            if last_part(kind).startswith("Stacking") and _passes_features(ctor):
                final = ctor.arg(1, "final_estimator")
                yield from self.kinds(final, depth + 1) if final is not None else (None,)

    def _elements(self, model: Value) -> list[Value | None] | None:
        """The values a loop variable takes when its loop runs over a list or tuple display (also one
        held in a name): ``for clf in [forest, boosted]``, ``for name, clf in [("rf", forest), ...]``,
        ``for name, clf in zip(names, [forest, boosted])``; None when ``model`` is no such loop
        variable, or the list is grown in place (``models.append``)."""
        for loop in self.facts.loops:
            if not model.idents & loop.target_ids or loop.iter is None \
                    or not isinstance(loop.node, (ast.For, ast.AsyncFor)):
                continue
            target = loop.node.target
            slot = next((i for i, elt in enumerate(target.elts) if isinstance(elt, ast.Name) and elt.id == model.name),
                        None) if isinstance(target, ast.Tuple) else None
            listed = loop.iter
            if listed.items is None:
                listed = self._zipped(loop.node.iter, slot, len(target.elts)) if slot is not None else None
                slot = None
            if listed is None or listed.items is None:
                continue
            if listed.idents and listed.idents & self._grown():
                return None
            if isinstance(target, ast.Name) or listed is not loop.iter:
                return list(listed.items)
            if slot is None:
                return None
            return [item.items[slot] if item.items is not None and len(item.items) == len(target.elts) else None
                    for item in listed.items]
        return None

    def _zipped(self, node: ast.expr, slot: int, width: int) -> Value | None:
        """The list a ``zip(...)`` loop gives the target's ``slot`` from (``zip(names, models)``)."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "zip"
                and node.func.id not in self.facts.imports.aliases and len(node.args) == width and not node.keywords):
            return None
        site = self._sites.get(id(node))
        return site.args[slot] if site is not None and len(site.args) == width else None

    def _grown(self) -> frozenset[int]:
        """The identities of lists grown in place (``models.append(m)``, ``.extend``, ``.insert``)."""
        if self._grown_ids is None:
            self._grown_ids = frozenset(ident for site in self.facts.calls if site.method in _GROWS
                                        and site.recv is not None for ident in site.recv.idents)
        return self._grown_ids

    def _estimator_value(self, site: CallSite) -> Value | None:
        """The model a fit, a search or a cross-validation call learns with."""
        if _cross_validates(site):
            return site.arg(0, "estimator")
        recv = site.recv
        if recv is None or last_part(recv.kind) not in SEARCH_CLASSES or recv.call is None:
            return recv
        ctor = self._sites.get(id(recv.call))  # GridSearchCV(RandomForestRegressor(), grid).fit(X, y)
        return ctor.arg(0, "estimator") if ctor is not None else None

    def _split_site(self, split: SplitEvent) -> CallSite | None:
        """The call that splits (for fold indices applied to other arrays, the splitter's ``split``)."""
        site = self._sites.get(id(split.node))
        if site is None and split.kind == "folds":
            origin = next((s for s in self.facts.split_events if s.piece_id == split.piece_id
                           and isinstance(s.node, ast.Call)), None)
            site = self._sites.get(id(origin.node)) if origin is not None else None
        return site

    # -- statistics that reach the labels only ----------------------------------------------------------
    def misses_features(self, learning: Learning, split: SplitEvent) -> bool:
        """The statistic reaches the split's labels, or columns of a frame its features leave out, but not
        its features: ``df.loc[:, "segment"] = KMeans().fit_predict(scaled)``, then
        ``train_test_split(df[["a", "b"]], df["segment"])``."""
        if len(split.inputs) != 2 or not is_target_name(split.inputs[1].name) or is_target_name(split.inputs[0].name):
            return False  # (features, labels), the labels named as the target
        products = learning.products
        if not split.inputs[0].anc & products:
            return True  # only the labels carry it
        stores = [store for store in self.facts.column_stores if store.value_anc & products]
        site = self._split_site(split) if stores else None
        features = _features_node(site, split) if site is not None else None
        picked = self._columns_picked(features, site) if features is not None else None
        if picked is None:
            return False
        frame, columns = picked
        stores = [store for store in stores if store.frame == frame and store.scope is site.scope]
        if not stores or stores[0].before_anc & products or any(store.column in columns for store in stores):
            return False
        first = min(store.line for store in stores)
        return not any(first < stmt.lineno < site.line for stmt in self._assignments(site.scope)
                       if any(isinstance(t, ast.Name) and t.id == frame for t in stmt.targets))

    def _columns_picked(self, node: ast.expr, site: CallSite) -> tuple[str, frozenset[str]] | None:
        """``df[["a", "b"]]``, ``df[cols]`` with ``cols = ["a", "b"]`` (also through a name bound to it):
        the frame and the columns the features are."""
        node = self._frame_pick(node, site.scope, site.line)
        if node is None:
            return None
        key = node.slice
        if isinstance(key, ast.Name):
            bound = self._last_assignment(key.id, site.scope, site.line)
            key = bound.value if bound is not None else key
        if not isinstance(key, (ast.List, ast.Tuple)) or not key.elts or not all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in key.elts):
            return None
        return node.value.id, frozenset(e.value for e in key.elts)

    def _frame_pick(self, node: ast.expr, scope: FunctionInfo | None, line: int) -> ast.Subscript | None:
        """``df[...]`` (through ``.values``, ``np.array``, ``.reshape`` and a name bound to it before
        ``line``): a selection from a named frame."""
        node = _unwrapped(node)
        if isinstance(node, ast.Name):
            bound = self._last_assignment(node.id, scope, line)
            node = _unwrapped(bound.value) if bound is not None else node
        return node if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) else None

    def column_fitted(self, learning: Learning) -> tuple[str, str] | None:
        """The frame and column a transformer is fitted on when it is one column of a named frame
        (``enc.fit_transform(df[["age"]])``, ``np.array(df["age"]).reshape(-1, 1)``, also through a
        name bound to one): per-column refits of one frame are one defect (DLP102 groups them)."""
        node = learning.node
        if learning.fit is None or learning.fit.via is not None or not isinstance(node, ast.Call) or not node.args:
            return None
        arg = self._frame_pick(node.args[0], learning.scope, node.lineno)
        if arg is None:
            return None
        key = arg.slice
        if isinstance(key, (ast.List, ast.Tuple)) and len(key.elts) == 1:
            key = key.elts[0]  # df[["age"]]
        column = _constant_key(key)
        return (arg.value.id, column) if column is not None else None

    # -- bins that only stratify --------------------------------------------------------------------
    def stratifies_only(self, learning: Learning) -> bool:
        """``df["band"] = pd.cut(df.y, 10)`` read only as ``stratify=df["band"]``, a groupby key or shown."""
        use = learning.use
        if use is None or use.how != "binned" or not use.column:
            return False
        reads = self._column_reads().get(use.column, [])
        return "stratify" in reads and all(read in ("stratify", "key", "shown") for read in reads)

    def _column_reads(self) -> dict[str, list[str]]:
        if self._reads is None:
            self._reads = {}
            for stmt, node, context in _loads(self.facts.tree):
                for column in _columns_read(node):
                    self._reads.setdefault(column, []).append(_read_kind(stmt, context))
        return self._reads

    # -- adversarial validation ------------------------------------------------------------------
    def membership_split(self, split: SplitEvent) -> bool:
        """The split's labels say which data set each row comes from (adversarial validation)."""
        found = self._memberships.get(id(split))
        if found is None:
            site = self._split_site(split)
            labels = _label_node(site, split) if site is not None else None
            found = self._memberships[id(split)] = labels is not None and self._membership(labels, site.scope,
                                                                                           site.line, 0)
        return found

    def _membership(self, node: ast.expr, scope: FunctionInfo | None, line: int, depth: int) -> bool:
        if depth > 6:
            return False
        node = _unwrapped(node)
        if isinstance(node, ast.Name):
            bound = self._last_assignment(node.id, scope, line)
            return bound is not None and self._membership(bound.value, scope, bound.lineno, depth + 1)
        if isinstance(node, ast.Subscript):
            column = _constant_key(node.slice)
            if column is not None:
                return self._membership_column(column)
            return self._membership(node.value, scope, line, depth + 1)  # target[idx]: rows reordered
        if isinstance(node, ast.Attribute) and not isinstance(node.value, ast.Call):
            return self._membership_column(node.attr)
        fills = [self._fill(part, scope, line, depth + 1) for part in _joined_parts(node)]
        return len(fills) >= 2 and None not in fills and len(set(fills)) >= 2

    def _fill(self, node: ast.expr, scope: FunctionInfo | None, line: int, depth: int) -> object | None:
        """The constant a run of labels repeats (see :func:`_run_fill`), also through the name that
        holds it (``is_train = np.zeros(n) + 1``, then ``np.vstack((is_train, is_test))``)."""
        node = _unwrapped(node)
        if isinstance(node, ast.Name) and depth <= 6:
            bound = self._last_assignment(node.id, scope, line)
            return self._fill(bound.value, scope, bound.lineno, depth + 1) if bound is not None else None
        return _run_fill(node)

    def _membership_column(self, column: str) -> bool:
        """``a["is_test"] = 0`` and ``b["is_test"] = 1``: a column set to a different constant on each
        data set before they are put together."""
        frames: dict[str, set] = {}
        for store in self.facts.stores:
            if store.target.endswith(f"[{column!r}]") and isinstance(store.value, ast.Constant):
                frames.setdefault(store.target, set()).add(store.value.value)
        constants = {value for values in frames.values() for value in values}
        return len(frames) >= 2 and len(constants) >= 2

    def _assignments(self, scope: FunctionInfo | None) -> list[ast.Assign]:
        """The assignments of a scope, in line order."""
        key = id(scope)
        if key not in self._assigns:
            body = scope.node.body if scope is not None else self.facts.tree.body
            self._assigns[key] = sorted((n for n in walk_stmts(body) if isinstance(n, ast.Assign)),
                                        key=lambda n: n.lineno)
        return self._assigns[key]

    def _last_assignment(self, name: str, scope: FunctionInfo | None, line: int) -> ast.Assign | None:
        found = None
        for stmt in self._assignments(scope):
            if stmt.lineno >= line:
                break
            if any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                found = stmt
        return found


# ---------------------------------------------------------------------------------------------


def _linear_option(node: ast.AST) -> bool:
    """``booster="gblinear"``, ``linear_tree=True``, or a dict literal that says either."""
    if isinstance(node, ast.keyword):
        pairs = [(node.arg, node.value)]
    else:
        pairs = [(key.value, value) for key, value in zip(node.keys, node.values) if isinstance(key, ast.Constant)]
    return any(key == "booster" and isinstance(value, ast.Constant) and value.value == "gblinear"
               or key == "linear_tree" and not (isinstance(value, ast.Constant) and not value.value)
               for key, value in pairs)


def _passes_features(ctor: CallSite) -> bool:
    """``StackingClassifier(..., passthrough=True)``: the final estimator learns from the features too,
    not only from the members' predictions (which are as invariant as the members)."""
    node = ctor.kwarg_node("passthrough") or (ctor.node.args[4] if len(ctor.node.args) > 4 else None)
    return node is not None and not (isinstance(node, ast.Constant) and not node.value)


def _learnt_data(site: CallSite) -> Value | None:
    """The data a model fit, a search, a cross-validation or ``lgb.train`` learns from."""
    if site.qn in _TREE_TRAIN:
        return site.arg(1, "train_set") or site.kwargs.get("dtrain")
    if _cross_validates(site):
        return site.arg(1, "X")
    if site.method in _FIT_METHODS and site.recv is not None:  # a transformer fitted on it counts too (not a tree)
        return site.arg(0, "x") or site.kwargs.get("X")
    return None


def _cross_validates(site: CallSite) -> bool:
    return is_cv_func(site.qn)


def _assigned(node: ast.AST) -> ast.expr | None:
    if isinstance(node, ast.Assign):
        return node.value
    if isinstance(node, ast.AugAssign):
        return node.value if isinstance(node.op, _AFFINE_OPS) else None
    return None


def _affine(node: ast.expr | None) -> bool:
    """``(x - x.mean()) / x.std()``, ``x / x.max()``: sums, differences, products and quotients of data
    and statistics (each feature moved and stretched), nothing that bends the order (``** 2``, ``abs``)."""
    if node is None:
        return False
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, _AFFINE_OPS) and _affine(node.left) and _affine(node.right)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, (ast.USub, ast.UAdd)) and _affine(node.operand)
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, (ast.Attribute, ast.Subscript)):
        return _affine(node.value)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in STAT_METHODS:
            return True  # the statistic itself
        if name in _PASS_THROUGH:
            inner = func.value if isinstance(func, ast.Attribute) and not node.args else (node.args or [None])[0]
            return isinstance(func, ast.Attribute) and not node.args and _affine(func.value) or _affine(inner)
    return False


def _shifted(node: ast.BinOp) -> object | None:
    """``np.zeros(n) + 1`` -> 1, ``1 - np.ones(n)`` -> 0: a run and a number combined."""
    left, right = _number(node.left), _number(node.right)
    left = _run_fill(node.left) if left is None and right is not None else left
    right = _run_fill(node.right) if right is None and left is not None else right
    if not isinstance(left, (int, float)) or not isinstance(right, (int, float)):
        return None
    try:
        return _SHIFTS[type(node.op)](left, right)
    except ZeroDivisionError:
        return None


def _number(node: ast.expr) -> int | float | None:
    value = node.value if isinstance(node, ast.Constant) else None
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _loads(tree: ast.Module) -> Iterator[tuple[ast.stmt, ast.expr, str]]:
    """(statement, column read, context) for every subscript or attribute load: context is
    ``stratify`` inside a ``stratify=`` argument or a splitter's ``y``, ``key`` inside ``groupby``,
    else empty."""
    def visit(node: ast.AST, stmt: ast.stmt | None, context: str) -> Iterator[tuple[ast.stmt, ast.expr, str]]:
        if isinstance(node, ast.stmt):
            stmt = node
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            for index, arg in enumerate(node.args):
                inner = "stratify" if name == "split" and index == 1 else "key" if name in _KEY_CALLS else context
                yield from visit(arg, stmt, inner)
            for kw in node.keywords:
                inner = "stratify" if kw.arg == "stratify" else "key" if kw.arg == "by" else context
                yield from visit(kw.value, stmt, inner)
            yield from visit(func, stmt, context)
            return
        if isinstance(node, (ast.Subscript, ast.Attribute, ast.List, ast.Tuple)) and isinstance(node.ctx, ast.Load) \
                and stmt is not None:  # a list of column names may be used to pick features later
            yield stmt, node, context
        for child in ast.iter_child_nodes(node):
            yield from visit(child, stmt, context)

    for stmt in tree.body:
        yield from visit(stmt, None, "")


def _columns_read(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Attribute):
        return [node.attr]
    key = node.slice if isinstance(node, ast.Subscript) else node
    elts = key.elts if isinstance(key, (ast.Tuple, ast.List)) else [key]
    columns = []
    for elt in elts:
        for item in elt.elts if isinstance(elt, (ast.List, ast.Tuple)) else [elt]:
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                columns.append(item.value)
    return columns


def _read_kind(stmt: ast.stmt, context: str) -> str:
    if context:
        return context
    return "shown" if isinstance(stmt, ast.Expr) else "read"


def _label_node(site: CallSite, split: SplitEvent) -> ast.expr | None:
    """The labels a split call stratifies or learns: ``y`` of ``train_test_split(X, y)``,
    ``kf.split(X, y)``, ``cross_val_score(model, X, y)``, ``search.fit(X, y)``."""
    return _split_argument(site, "y", 2 if split.kind == "cv" else 1)


def _features_node(site: CallSite, split: SplitEvent) -> ast.expr | None:
    """The features a split call splits: ``X`` of ``train_test_split(X, y)``, ``cross_val_score(model, X,
    y)``."""
    return _split_argument(site, "X", 1 if split.kind == "cv" else 0)


def _split_argument(site: CallSite, keyword: str, position: int) -> ast.expr | None:
    node = site.node
    for kw in node.keywords:
        if kw.arg == keyword:
            return kw.value
    return node.args[position] if len(node.args) > position else None


def _unwrapped(node: ast.expr) -> ast.expr:
    for _ in range(6):
        if isinstance(node, ast.Attribute) and node.attr in ("values", "T"):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "to_numpy", "astype", "ravel", "reshape", "copy"):
            node = node.func.value
        elif isinstance(node, ast.Call) and dotted(node.func) in ("np.array", "numpy.array", "np.asarray") \
                and node.args:
            node = node.args[0]
        else:
            break
    return node


def _constant_key(key: ast.expr) -> str | None:
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def _joined_parts(node: ast.expr) -> list[ast.expr]:
    """The parts labels are put together from: ``np.hstack([ones, zeros])``, ``[0] * len(a) + [1] *
    len(b)``, ``np.r_[a, b]``; none for anything else."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [node.left, node.right]
    if isinstance(node, ast.Call) and last_part(dotted(node.func) or "") in _MEMBERSHIP_JOIN and node.args:
        first = node.args[0]
        return list(first.elts) if isinstance(first, (ast.List, ast.Tuple)) else list(node.args)
    if isinstance(node, ast.Subscript) and dotted(node.value) in ("np.r_", "numpy.r_"):
        return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else []
    return []


def _run_fill(node: ast.expr) -> object | None:
    """The constant a run of labels repeats: ``np.ones(n)`` -> 1, ``np.zeros(n)`` -> 0, ``[1] * n`` -> 1,
    ``np.full(n, 2)`` -> 2, ``np.zeros(n) + 1`` -> 1 (a run shifted or scaled by a number); None for
    anything else."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for side in (node.left, node.right):
            if isinstance(side, ast.List) and len(side.elts) == 1 and isinstance(side.elts[0], ast.Constant):
                return side.elts[0].value
    if isinstance(node, ast.BinOp) and type(node.op) in _SHIFTS:
        return _shifted(node)
    if not isinstance(node, ast.Call):
        return None
    name = last_part(dotted(node.func) or "")
    if name not in _CONSTANT_FILL:
        return None
    if name.startswith("ones"):
        return 1
    if name.startswith("zeros"):
        return 0
    value = node.args[1] if len(node.args) > 1 else next((kw.value for kw in node.keywords
                                                          if kw.arg in ("fill_value", "a")), None)
    if name == "repeat":
        value = node.args[0] if node.args else None
    return value.value if isinstance(value, ast.Constant) else None
