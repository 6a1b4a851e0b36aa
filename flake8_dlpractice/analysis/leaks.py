"""Leakage queries over the provenance records: which statistics reach held-out rows.

Built once per module (``facts.derived(Leaks)``) and read by DLP100, DLP101, DLP102 and DLP105:

- a *learning* is a fitted transformer (:class:`~provenance.FitEvent`) or data normalised or
  imputed with an inline statistic (:class:`~provenance.StatUse`); its *source* is the data the
  statistics come from and its *products* the ids that carry them on;
- :meth:`Leaks.split_after` pairs a learning with a later split of data that carries its
  statistics (the classic "preprocessing before the split"), :meth:`Leaks.split_before` with an
  earlier split whose parts it reaches although its source is the whole (full-data statistics
  applied after the split);
- :meth:`Leaks.test_by_use` recognises test data by its use (passed to ``predict`` of a model trained
  here, never validated on), and :attr:`Leaks.scored_tests` the labelled test sets that are scored.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ..findings import MAX_HEADLINE, LineMap, Step, line_ref, refs_in, render_refs
from .consumers import Consumers
from .dataflow import stateful
from .facts import ModuleFacts
from .records import FIT_METHODS, CallSite, FunctionInfo
from .values import Value
from .vocabulary import root_name
from .reach import dead_code_of
from .summaries import bound_values
from .names import dotted, last_part, name_words
from .provenance import HOLDOUT_SPLITS, ConcatInfo, FitEvent, SplitEvent, StatUse, is_target_name

_SCORE_METHODS = frozenset({"score", "evaluate"})
# names of results (predictions, submissions, scores): rescaling or blending them with their own
# statistics is not fitting
RESULT_WORDS = frozenset({"pred", "preds", "prediction", "predictions", "oof", "proba", "probs", "sub",
                          "submission", "submit", "blend", "ensemble", "score", "scores", "loss", "losses",
                          "acc", "accuracy", "auc", "metric", "metrics", "error", "errors"})
_VALIDATION_KWARGS = ("validation_data", "eval_set", "eval_dataset", "valid_sets", "X_val")
_PREDICT_METHODS = frozenset({"predict", "predict_proba", "decision_function", "score", "evaluate"})


def _trains_booster(site: CallSite) -> bool:
    """``lgb.train(...)``, ``xgb.train(...)``: a call of a function named ``train``."""
    return site.qn is not None and site.qn.endswith("train") and last_part(site.qn) == "train"


@dataclass(eq=False)
class Learning:
    """Statistics learnt from ``source``: a fitted transformer, or an inline statistic applied."""

    node: ast.AST
    what: str
    source: Value
    products: frozenset[int]
    scope: object
    fit: FitEvent | None = None
    use: StatUse | None = None

    @property
    def line(self) -> int:
        return self.node.lineno

    @property
    def end_line(self) -> int:
        return getattr(self.node, "end_lineno", None) or self.node.lineno


class Leaks:
    """Derived once per module; see the module docstring."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.dead = facts.derived(dead_code_of)
        self.splits = sorted((s for s in facts.split_events if self.runs(s.node)),
                             key=lambda s: (s.node.lineno, s.node.col_offset))
        self.learnings = [Learning(f.node, f.what, f.source, f.products, f.scope, fit=f) for f in facts.fit_events
                          if not fits_target(f) and self.runs(f.node)]
        self.applications: dict[int, list[StatUse]] = {}
        for use in facts.stat_uses:
            if not self.runs(use.node):
                continue
            if use.stat.fit is not None:
                self.applications.setdefault(id(use.stat.fit), []).append(use)
            elif use.how != "transformed" and not self.rescales_predictions_or_targets(use):
                self.learnings.append(Learning(use.node, use.stat.what, use.stat.source, use.products,
                                               use.scope, use=use))
        self._used = False
        self._last_runs: dict[int, float] | None = None
        self._passed: set[str] = set()
        # the splits (their positions in ``splits``) by an id their data carries, and by the id their
        # parts carry: a learning is paired with the splits it reaches, not with every split
        self._by_anc: dict[int, list[int]] = {}
        self._by_piece: dict[int, list[int]] = {}
        for position, split in enumerate(self.splits):
            for ident in split.anc:
                self._by_anc.setdefault(ident, []).append(position)
            self._by_piece.setdefault(split.piece_id, []).append(position)

    def runs(self, node: ast.AST) -> bool:
        """``node`` is not in a branch switched off by a constant flag (``if RUN_FOLDS:`` with
        ``RUN_FOLDS = False``): what is fitted or split there never happens."""
        return not self.dead.spans or not self.dead.covers(node.lineno)

    def _splits_by(self, index: dict[int, list[int]], ids: frozenset[int]) -> list[SplitEvent]:
        """The splits, in order, that ``index`` files under one of ``ids``."""
        if len(ids) > len(index):
            positions = {p for ident, found in index.items() if ident in ids for p in found}
        else:
            positions = {p for ident in ids for p in index.get(ident, ())}
        return [self.splits[p] for p in sorted(positions)]

    # -- how data is used ------------------------------------------------------------------------
    @property
    def scored_tests(self) -> list[Value]:
        """Labelled test sets that are scored in the module (``model.score(X_te, y_te)``, metrics)."""
        self._uses(self.facts.calls)
        return self._scored_tests

    def _uses(self, calls: list[CallSite]) -> None:
        if self._used:
            return
        self._used = True
        trained: set[str] = set()
        fitters = [site for site in calls
                   if site.method in FIT_METHODS and site.recv is not None and not stateful(site.recv)]
        for site in fitters:
            if site.name and "()" not in site.name:
                trained.add(site.name.rsplit(".", 1)[0])
        boosters = [site for site in calls if _trains_booster(site)]  # most have none
        for site in fitters + boosters:
            if isinstance(site.stmt, ast.Assign) and site.stmt.value is site.node:
                trained.update(dotted(t) or "" for t in site.stmt.targets)  # clf = SVC().fit(X, y); lgb.train(...)
        predicted = training = validation = frozenset()
        self._scored_tests: list[Value] = []
        for site in fitters:
            fitted = site.arg(0, "x") or site.kwargs.get("X")
            if fitted is not None:  # a model (or a clustering) fitted on it: training data
                training |= fitted.anc
        for site in boosters:
            if site.qn.startswith(("lightgbm.", "xgboost.")):
                data = site.arg(1, "train_set") or site.kwargs.get("dtrain")  # lgb.train(params, lgb.Dataset(X, y))
                if data is not None:
                    training |= data.anc
        for site in calls:
            if site.method in _PREDICT_METHODS and site.args and site.name and "." in site.name \
                    and site.name.rsplit(".", 1)[0] in trained:
                predicted |= site.args[0].anc
            callee = site.local
            if callee is not None and callee.trained_params:  # run_model(X_tr, y_tr, X_te) trains on X_tr
                for param, value in bound_values(self.facts, site, callee):
                    if param in callee.trained_params:
                        training |= value.anc
            if site.kwargs and not site.kwargs.keys().isdisjoint(_VALIDATION_KWARGS):
                for key in _VALIDATION_KWARGS:
                    if key in site.kwargs:
                        validation |= site.kwargs[key].anc
            if site.args and self.scores_test(site):
                self._scored_tests.extend(a for a in site.args if a.role == "test")
        for loop in self.facts.loops:
            if loop.evaluates and loop.iter is not None and loop.iter.role == "test":
                self._scored_tests.append(loop.iter)
        split_inputs = frozenset()
        for split in self.splits:
            split_inputs |= split.anc
        self._predicted = predicted
        self._not_test = training | validation | split_inputs

    @staticmethod
    def scores_test(site: CallSite) -> bool:
        """``model.score(X_te, y_te)``, ``model.evaluate(X_te, y_te)``, ``accuracy_score(y_te, pred)``."""
        if "test" not in [a.role for a in site.args]:
            return False
        if site.method in _SCORE_METHODS and len(site.args) >= 2:
            return True
        return bool(site.qn and site.qn.startswith("sklearn.metrics.")) or (
            site.method == "test" and (site.name or "").endswith("trainer.test"))

    def test_by_use(self, value: Value) -> bool:
        """Data of unknown role that is passed to ``predict``/``score``/``evaluate`` of a model trained
        here, and is neither trained on, validated on nor split: test data by its use."""
        if value.role is not None or not value.idents:
            return False
        self._uses(self.facts.calls)
        return value.idents <= self._predicted and not value.idents & self._not_test

    def is_test(self, value: Value) -> bool:
        if value.role == "test":
            return not self.refined_by_arguments(value)
        return self.test_by_use(value)

    def refined_by_arguments(self, value: Value) -> bool:
        """Test data only by the name of a same-file function's parameter (``def fit_line(test2)``),
        when every call in the file passes an argument whose role is known and not test: argument
        roles refine parameter names."""
        if not value.origin.startswith("parameter "):
            return False
        for info in self.facts.functions:
            param = next((p for p, ident in info.param_ids.items() if ident in value.anc), None)
            if param is None or not info.callers:
                continue
            roles = [arg.role for site in info.callers for name, arg in bound_values(self.facts, site, info)
                     if name == param]
            return len(roles) == len(info.callers) and all(role and role != "test" for role in roles)
        return False

    def rescales_predictions_or_targets(self, use: StatUse) -> bool:
        """Rescaling, clipping or blending predictions, or the target, with statistics is not fitting."""
        if use.target.pred:
            return True
        names = [use.column, use.frame, use.target.name, use.stat.source.name]
        for name in names:
            words = set(name_words(name.rsplit(".", 1)[-1])) if name else set()
            if words & RESULT_WORDS or is_target_name(name):
                return True
        return False

    # -- pairing statistics with splits ----------------------------------------------------------
    def split_after(self, learning: Learning, nested: bool = True) -> SplitEvent | None:
        """The first split, after the statistics were learnt, of data that carries them (with
        ``nested``, a holdout of training data is exempt when a clean labelled test set exists)."""
        source = learning.source
        cleared: set[int] = set()  # the parts of splits whose features the statistics do not reach
        for split in self._splits_by(self._by_anc, learning.products):  # learning.products & split.anc
            if split.scope is learning.scope and split.node.lineno < learning.end_line:
                continue
            if learning.scope is None and split.scope is not None and self.last_run(split.scope) < learning.line:
                continue  # a helper reading the module's data, called only before the fit (rmse_cv())
            dropped = learning.use.dropped_at if learning.use is not None else 0
            if dropped and (split.scope is not learning.scope or split.node.lineno > dropped):
                continue  # the column binned or imputed was dropped before the split (df.drop(["band"], axis=1))
            if not self._contains(source, split.anc):
                continue
            if split.kind == "back" and not (split.concat is not None and split.concat.ident in source.anc
                                             and self.concat_has_test(split.concat)):
                continue
            if split.piece_id in source.anc:
                continue  # statistics of one part of this very split (a training fold) are fine
            if source.role == "test" and split.kind != "back" and split.input_role != "test":
                continue  # the test set's own statistics are DLP100's; this split is of other data
            if nested and self.nested_holdout(split, source):
                continue
            if self.learns_nothing_held_out(learning, split, cleared):
                continue
            return split
        return None

    def learns_nothing_held_out(self, learning: Learning, split: SplitEvent, cleared: set[int] | None = None,
                                after: bool = False) -> bool:
        """Statistics that reach ``split`` but nothing learnt from its held-out rows (consumers.py): a
        monotone rescale before tree models only, bins read only to stratify, the labels of an
        adversarial validation (which data set a row comes from), statistics that reach the labels (or
        columns the features leave out) only. ``after``: the statistics are applied after the split."""
        if learning.fit is None and learning.use is None:
            return False  # resampling (DLP105): duplicated rows are in both parts whatever the model
        if cleared and split.anc & cleared:
            return True  # a later split of those parts (X_tr given to a helper's search)
        consumers = self.facts.derived(Consumers)
        if not after and consumers.misses_features(learning, split):
            if cleared is not None:
                cleared.add(split.piece_id)
            return True
        return (consumers.stratifies_only(learning) or consumers.membership_split(split)
                or consumers.tree_invariant(learning, split))

    def last_run(self, info: FunctionInfo) -> float:
        """The last line of the module's top level from which ``info`` may run: its latest call there,
        or the latest top-level run of a function calling it; infinite when that is unknown (a
        method, a decorated function, ``main``, a function passed or stored rather than called), minus
        infinite when it is never called. A split inside a helper that reads the module's data
        (``def rmse_cv(model): cross_val_score(model, X_train, y)``) happens where the helper runs."""
        if self._last_runs is None:
            self._last_runs = {}
            self._passed = {name for name, _, _ in self.facts.references}
        found = self._last_runs.get(id(info))
        if found is not None:
            return found
        self._last_runs[id(info)] = float("inf")  # a cycle of calls: unknown
        if info.class_name is not None or info.decorators or info.name == "main" or info.name in self._passed:
            return float("inf")
        last = float("-inf")
        for site in info.callers:
            if not self.runs(site.node):
                continue
            if site.scope is None:
                last = max(last, getattr(site.stmt, "end_lineno", None) or site.line)
            else:
                last = max(last, self.last_run(site.scope))
        self._last_runs[id(info)] = last
        return last

    def _contains(self, source: Value, anc: frozenset[int]) -> bool:
        """Whether data with ancestry ``anc`` has rows of ``source``: it derives from it, or from a part
        of a concatenation the source was built from (``vec.fit(pd.concat([train.text, test.text]))``
        then ``vec.transform(train.text)``)."""
        if source.idents & anc:
            return True
        concats = self.facts.concats
        return bool(concats) and any(part.idents & anc for ident, concat in concats.items() if ident in source.anc
                                     for part in concat.parts)

    def split_before(self, learning: Learning) -> tuple[SplitEvent, StatUse] | None:
        """An application of statistics learnt from the whole of split data to one of its parts."""
        uses = self.applications.get(id(learning.fit), []) if learning.fit is not None else [learning.use]
        source = learning.source
        for use in uses:
            if use is None:
                continue
            target = use.target
            for split in self._splits_by(self._by_piece, target.anc):  # split.piece_id in target.anc
                if split.kind in ("cv", "search"):
                    continue
                if split.piece_id in source.anc or not source.idents & split.anc:
                    continue
                if split.kind == "back" and not self.concat_has_test(split.concat):
                    continue
                if self.nested_holdout(split, source) or self.learns_nothing_held_out(learning, split, after=True):
                    continue
                return split, use
        return None

    def concat_has_test(self, concat: ConcatInfo | None) -> bool:
        if concat is None:
            return False
        self._uses(self.facts.calls)
        folds = [s.piece_id for s in self.splits if s.kind == "folds"]
        for index, part in enumerate(concat.parts):
            if part.role == "val" and any(piece in part.anc for piece in folds):
                continue  # out-of-fold rows put back together: the same training data
            if part.role in ("test", "val"):
                return True
            if index and part.role is None and part.idents and part.idents <= self._predicted:
                return True
        return any(s.concat is concat and s.input_role in ("test", "val") for s in self.splits)

    def nested_holdout(self, split: SplitEvent, source: Value) -> bool:
        """A plain holdout of training data (``X_fit, X_val = train_test_split(X_train)``) keeps the
        test set clean — when there is one: a labelled test set, scored here, outside the statistics."""
        if split.kind not in ("holdout", "helper") or split.input_role not in ("train", "val"):
            return False
        if split.kind == "helper" and split.func.rstrip("()") not in self._holdout_helpers(split):
            return False
        return any(not (source.idents & test.anc) for test in self.scored_tests)

    @staticmethod
    def _holdout_helpers(split: SplitEvent) -> set[str]:
        via = split.via
        if via is None or via.data is None:
            return set()
        inner = next(iter(via.data.splits.values()), None)
        return {via.name} if inner is not None and inner.func in HOLDOUT_SPLITS else set()


def fits_target(fit: FitEvent) -> bool:
    """A transformer fitted on the target only (``imputer.fit_transform(y_log.values.reshape(-1, 1))``):
    it learns statistics of the labels, not of the features (like label encoding, not a leak)."""
    if is_target_name(fit.source.name):
        return True
    node = fit.node
    if fit.via is None and isinstance(node, ast.Call) and node.args and not fit.source.name:
        return is_target_name(root_name(node.args[0]))
    return False


# ---------------------------------------------------------------------------------------------
# How leakage messages name data and splits (shared by the DLP1xx rule modules)

UNNAMED = "(unnamed)"  # what messages say of data no name holds: never mistaken for a variable


def quoted(name: str | None, fallback: str = UNNAMED, limit: int = 24) -> str:
    """``'X_te'``; long names are shortened so every headline keeps its limit; without a name, the
    ``fallback`` phrase as it is (not quoted: no variable has that name)."""
    if not name:
        return fallback
    if len(name) > limit:
        name = name[: limit - 1] + "…"
    return repr(name)


def expression(value: Value, node: ast.AST | None, limit: int = 32) -> str:
    """The value's name quoted, or, when no name holds it, a short source rendering of the expression
    that computes it (``'T[cols].fillna(0)'``, long ones cut with …)."""
    if value.name or not isinstance(node, ast.expr):
        return quoted(value.name)
    text = " ".join(ast.unparse(node).split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def describe(value: Value, fallback: str | None = None) -> str:
    """``'X_te' (test split of train_test_split at line 12)``"""
    name = value.name or fallback
    origin = value.origin
    if not name:
        return f"({origin})" if origin else UNNAMED
    if origin == name:
        return quoted(name)
    if not origin or origin == f"name {name!r}":
        role = {"test": "test", "val": "validation", "train": "training"}.get(value.role or "", "")
        return f"{quoted(name)} (named as {role} data)" if role else quoted(name)
    return f"{quoted(name)} ({origin})"


def split_ref(split: SplitEvent, short: bool = False) -> str:
    """The text a message cites for a split: ``train_test_split at line 12`` (with ``short``,
    ``KFold at line 8`` for ``KFold.split``)."""
    func = split.func
    if split.kind == "back":
        return line_ref(split.line, _bound_name(split.node))
    cited = func.rsplit(".", 1)[-1] if split.kind != "helper" else func
    shown = func[:-len(".split")] if short and func.endswith(".split") else func
    return f"{shown} at {line_ref(split.line, cited.rstrip('()'))}"


def split_clause(split: SplitEvent, short: bool = False) -> str:
    """`` before it is split by train_test_split at line 12``, ``, then split back at line 20``; with
    ``short``, the compact forms (`` before train_test_split at line 12``, ``, split back at line 20``)."""
    if split.kind == "back":
        return f", {'then ' if not short else ''}split back at {split_ref(split)}"
    applied = getattr(split.node, "lineno", split.line)
    if split.kind == "folds" and applied != split.line and not short:
        return f" before the folds of {split_ref(split)} pick its rows"
    if short:
        return f" before {split_ref(split, short=True)}"
    if split.kind in ("folds", "cv"):
        return f" before {split_ref(split)} splits it into folds"
    if split.kind == "search":
        return f" before {split_ref(split)} cross-validates on it"
    return f" before it is split by {split_ref(split)}"


def concat_origin(concat: ConcatInfo) -> str:
    """``concat of train and test at line 12``"""
    names = [p.name for p in concat.parts if p.name][:2]
    what = " and ".join(quoted(n, limit=12)[1:-1] for n in names) if len(names) == 2 else "data sets"
    node = concat.node
    func = "" if not isinstance(node, ast.Call) else node.func.attr if isinstance(node.func, ast.Attribute) \
        else getattr(node.func, "id", "")
    return f"concat of {what} at {line_ref(concat.line, func)}"


def group_suffix(lines: list[int], columns: bool, where: bool = True) -> str:
    """`` (and 8 more columns, lines 14-22)`` for the other statements of a grouped finding
    (without ``where``, only the count: `` (and 8 more columns)``)."""
    if not lines:
        return ""
    more = f"{len(lines)} more column{'s' if len(lines) > 1 else ''}" if columns else f"{len(lines)} more"
    return f" (and {more}, {line_ref(lines[0], end=lines[-1])})" if where else f" (and {more})"


def first_fitting(options: list[str], limit: int = MAX_HEADLINE) -> str:
    """The first headline that keeps the limit once its line references are rendered; failing
    that, the last one with long names shortened and, if need be, cut at a word (never inside a
    line reference)."""
    for option in options:
        if len(render_refs(option)) <= limit:
            return option
    text = _LONG_NAME.sub(lambda m: f"'{m.group(1)[:11]}…'", options[-1])
    if len(render_refs(text)) <= limit:
        return text
    base = text
    while len(render_refs(base)) + 2 > limit:
        cut = base.rfind(" ")
        marker = base.rfind(_MARKER_OPEN, 0, cut)
        if marker > base.rfind(_MARKER_CLOSE, 0, cut):
            cut = base.rfind(" ", 0, marker)  # never inside a line reference
        if cut <= 0:
            break
        base = base[:cut].rstrip(",")
    return base + " …"


_LONG_NAME = re.compile(r"'([^'\s\ue000-\ue002]{13,})'")  # a quoted name (no spaces)
_MARKER_OPEN, _MARKER_CLOSE = "\ue000", "\ue002"  # line_ref's markers (findings.py)


def _bound_name(node: ast.AST) -> str:
    if isinstance(node, ast.Assign) and node.targets:
        target = node.targets[0]
        if isinstance(target, (ast.Tuple, ast.List)) and target.elts:
            target = target.elts[0]
        return dotted(target) or ""
    return ""


class _Unnumbered(LineMap):
    def line(self, line: int) -> str:
        return ""

    def lines(self, start: int, end: int) -> str:
        return ""


def plain_origin(value: Value) -> str:
    """Where the role comes from, in a few words without line numbers (data paths add their own):
    ``train_test_split``, ``CIFAR10(train=False)``, ``ds['test']``, ``X_test``."""
    text = render_refs(value.origin, _Unnumbered()).replace(" at )", ")").rstrip()
    text = text[:-3] if text.endswith(" at") else text
    if " split of " in text:
        text = text.split(" split of ", 1)[1]
    elif text.startswith(("name ", "parameter ")):
        text = text.split(" ", 1)[1].strip("'")
    return text or (value.name or "data")


def data_headline(value: Value, rest: str, role_word: str = "test") -> str:
    """``test data 'X_te' (test split of train_test_split at line 6) <rest>``, shortened to fit."""
    return first_fitting([f"{role_word} data {describe(value)} {rest}",
                          f"{role_word} data {quoted(value.name)} {rest}",
                          f"{role_word} data {quoted(value.name, limit=12)} {rest}"])


def data_path(value: Value, sink: ast.AST, action: str) -> tuple[Step, ...]:
    """Source (where the data got its role) and sink (where it leaks) of a finding's data path."""
    cited = refs_in(value.origin)
    line = cited[0].line if cited else value.line
    if not line or line == sink.lineno:
        return ()
    return (Step(line, 0, "source", plain_origin(value)),
            Step(sink.lineno, sink.col_offset, "sink", action))
