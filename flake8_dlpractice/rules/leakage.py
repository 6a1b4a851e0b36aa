"""Data Preparation: splitting, preprocessing and leakage (DLP1xx)."""
from __future__ import annotations

import ast
from typing import Iterator

from ..analysis.called import called_names
from ..analysis.display import fitted_shown_only
from ..analysis.facts import ModuleFacts
from ..analysis.records import (FIT_METHODS, CallSite, bound_arguments, guard_may_hold, is_backward, is_model_call,
                                training_ancestor)
from ..analysis.values import Value
from ..analysis.vocabulary import dataset_role, root_name
from ..analysis.leaks import (Leaks, data_headline, data_path, describe, first_fitting, group_suffix, quoted,
                              split_ref)
from ..analysis.names import dotted, last_part, name_words, role_from_name
from ..analysis.randomness import is_hf_trainer_kind
from ..analysis.nodes import walk
from ..analysis.provenance import (CV_FUNCS, PHRASES, SEARCH_CLASSES, STATELESS_TRANSFORMERS, TARGET_ENCODERS,
                                   fixed_by_settings, is_target_name, row_wise_constructor)
from .base import Finding, Rule, Step, line_ref

SECTION_SPLIT = "Data Preparation: split the data, never use the test set for training or tuning"


def _receiver(site: CallSite) -> str:
    if isinstance(site.node.func, ast.Attribute):
        owner = site.node.func.value
        if isinstance(owner, ast.Call):  # StandardScaler().fit(X_test)
            return f"{dotted(owner.func) or 'the model'}()"
        return root_name(owner) or "the model"
    return "the model"


def _fitted_for_display(facts: ModuleFacts, site: CallSite) -> bool:
    """``cv = CountVectorizer(); counts = cv.fit_transform(test.tags)`` whose every output is only
    plotted or printed (a bar chart of the test set's tags): nothing learnt reaches a model."""
    built = site.recv.call if site.recv is not None else None
    return built is not None and fitted_shown_only(facts, built)


def is_lightning_trainer(kind: str | None, name: str | None) -> bool:
    if kind:
        return kind.startswith(("lightning.", "lightning.pytorch.")) and kind.endswith("Trainer") \
            or kind.startswith("lightning.fabric")
    return bool(name) and name.rsplit(".", 1)[-1] in ("trainer", "pl_trainer")


class TestDataInFitting(Rule):
    """
    ## What it does
    Flags test data reaching anything that learns from it: an estimator's `.fit(X_test, ...)`,
    `scaler.fit_transform(X_test)`, `partial_fit`/`train_on_batch`, a training loop (a loop that
    calls `backward()` or `optimizer.step()`) iterating a test loader, `trainer.fit(model,
    test_loader)`, Hugging Face `Trainer(train_dataset=test_ds)`, and calls to functions of the same
    file that train on one of their parameters (`train(model, test_loader)`). Also the test data
    normalised or imputed with its own statistics: `X_te.fillna(X_te.mean())`,
    `(X_te - X_te.mean(0)) / X_te.std(0)`, `test["age"].fillna(test["age"].median(), inplace=True)`,
    `scale(X_te)`, or a same-file helper that does it (`test = clean(test)`) — a run of such
    statements on one frame is one finding that counts the others — and an estimator fitted on
    predictions made on test data, with the test labels (stacking on the test set), and a loss
    computed from the model's output on test data and backpropagated in the training loop
    (`loss = model(X_test).mean(); loss.backward()`).

    Test data is recognised from where it comes from: the test slot of `train_test_split` /
    `random_split`, dataset constructors (`CIFAR10(train=False)`, `split="test"`,
    `load_dataset(...)["test"]`, an `ImageFolder` of a `test` folder), names (`X_test`,
    `test_loader`, `holdout`, and `te` as a whole word of a data name: `X_te`, `te_df`) and use:
    data of unknown role that is only ever passed to `predict`/`score` of a model trained in the
    file is test data. The role follows the data through `DataLoader`, `Subset`, `.to()`, slicing
    and transforms. A name refines a role that comes from a source (`val_ds = ds["test"]` is
    validation data) but never turns data built as validation data (`flow_from_directory(...,
    subset="validation")`, `x[:n_val]`) into test data, nor test data into training data (`train_dl =
    DataLoader(ds["test"])` stays test data); cross-validation folds are validation data whatever
    they are called; predictions carry no split role.

    ## Why is this bad?
    The guide's *Data Preparation* section asks for a train/validation/test split where the test
    set is never used for training; *Common Pitfalls* lists leakage from the test set as the
    first mistake. A model fitted on test data scores well on exactly that data and the reported
    number says nothing about new data.

    ## Example
    ```python
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2)
    clf = RandomForestClassifier()
    clf.fit(X_te, y_te)
    ```

    ## Use instead
    ```python
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2)
    clf = RandomForestClassifier()
    clf.fit(X_tr, y_tr)
    print(clf.score(X_te, y_te))
    ```

    ## Known limits
    Roles are followed within a file; data that crosses module boundaries, or whose role only a
    runtime argument decides (`get_loader(args.split)`), is not tracked. Values with no known role
    never trigger the rule, nor does a mix of test data and data of unknown role (`pd.concat([df,
    test])`: fitting encoders on train plus an unlabelled competition test set is a deliberate
    choice; DLP102 reports statistics of such a concatenation once it is split back). Stateless and
    row-wise transformers (`PolynomialFeatures`, `Normalizer`, `Imputer(axis=1)`, ...), inspection
    tools correctly fitted on held-out data (`PermutationImportance`, `TSNE`, UMAP), an estimator
    or vectorizer fitted on test data whose every output is only printed or plotted (a bar chart of
    the test set's word counts and its vocabulary, `get_feature_names_out()`, also through a new
    frame built to chart them; cluster sizes; an output stored into a frame that holds other data
    is not followed)
    and a
    featurewise-free `ImageDataGenerator().fit` learn nothing and are not flagged, nor is an encoder
    or counting vectorizer whose categories or words are given as a setting (`OneHotEncoder(categories=
    [sizes])`, `OrdinalEncoder(categories=...)`, the older `OneHotEncoder(n_values=4)`,
    `CountVectorizer(vocabulary=words)`, `MultiLabelBinarizer(classes=tags)`; a list or values computed
    elsewhere): refitted on the test rows it learns nothing from them (DLP102 treats such a fit on all
    rows the same way). `categories="auto"`, a frequency cut-off beside the list
    (`min_frequency=`) and `TfidfVectorizer(vocabulary=...)` (document frequencies) still learn from
    the rows and are flagged; so is a label
    encoder (`LabelEncoder`, `LabelBinarizer`) refitted on the test labels (`y_test`): it learns the
    list of classes, and label encoding of the target is not a leak; neither are
    statistics of one sample (a helper applied to each image: `frame["pixels"].apply(f)`,
    `series.map(f)` and `applymap(f)` call it once per element, while `frame.apply(f)` calls it per
    column and is a fit) nor rescaled, clipped or blended predictions. A Series held in a variable
    (`col = frame["pixels"]; col.apply(f)`) is not known to be one and is taken per column. A
    same-file helper that trains (or computes its statistics) only behind a flag (`if train:`, `if
    scaler is None:`, `if mean is None:`) is flagged only when the call passes a constant that
    turns that branch on (a flag passed on to a second helper is not followed). A method that
    computes a statistic only while an attribute is unset and stores it there (`if self.mean is
    None: self.mean = data.mean()`) fits on its first call in a scope only; later calls reuse it
    (the cache is not followed across methods or scopes). Names
    are evidence: a throwaway variable called `test` that holds something else (`test =
    df[cols].dropna()` inside an imputation helper) is taken for test data. A loop over `[train,
    test]` that imputes each frame with its own statistics is not followed (`map(clean, [train,
    test])` is). A loop counter over `range()` picks one sample (`[np.min(band[i]) for i in
    range(n)]` is a statistic of each row), also when it picks a column of a DataFrame with integer
    column names. The largest or smallest value moved by a constant (`test.loc[test.x == -1, "x"] =
    max(tr_max, te_max) + 1`, `test.fillna(test[c].max() + 1)`) is a missing-value code, not a
    statistic. A helper whose parameter is named as test data (`def encode(train_df, test_df)`) is
    reported in its body as well as where it is called, unless every call in the file passes an
    argument whose role is known and not test (argument roles refine parameter names); arguments
    that are themselves test data by name only (`fit_line(test2)` with `test2 = load_slice(...)`)
    keep it test data. A container whose role comes from its name
    alone and whose items are fit/score pairs (`rf.fit(test["x"][0], ...)` then
    `rf.score(test["x"][1], ...)`: time slices) is not test data where an item is fitted on. A
    helper that fits an object and transforms with it (`fe.fit(df); fe.transform(df)`) is judged
    by what the object learns: scikit-learn transformers that learn statistics are flagged, unknown
    ones (a calendar-part extractor) are not. Code in a branch switched off by a module constant
    (`DEBUG = False` bound once and never again, then `if DEBUG: model.fit(X_test, ...)`; `if
    False:`) never runs and is not flagged; a
    test split fitted on only in one mode of a flag computed at run time (`debug = args.debug`)
    still is: such branches are not told apart. Resampling of test data is DLP105 and a grid
    search fitted on test data is DLP101.
    """

    code, name = "DLP100", "test-data-in-fitting"
    summary = "test data is used to fit a model, a preprocessor or a training loop"
    section = SECTION_SPLIT

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        leaks = facts.derived(Leaks)
        reported: set[int] = set()  # one finding per statement: the first reason found
        for finding in self._findings(facts, leaks):
            if finding.line not in reported:
                reported.add(finding.line)
                yield finding

    def _findings(self, facts: ModuleFacts, leaks: Leaks) -> Iterator[Finding]:
        for site in _fitting_calls(facts):
            if leaks.runs(site.node):
                yield from self._call(leaks, site)
        for loop in facts.loops:
            if loop.trains and loop.iter is not None and loop.iter.role == "test" and leaks.runs(loop.node):
                yield self.finding(loop.node, data_headline(loop.iter, "is iterated by a training loop"),
                                   trace=data_path(loop.iter, loop.node, "training loop"))
        for site in facts.calls:  # loss = model(X_test).mean(); loss.backward()
            if not site.loops:
                continue
            data = next((a for a in site.args if a.role == "test"), None)
            backward = _backpropagated(site, data) if data is not None and is_model_call(site) else None
            if backward is not None and not any(loop.iter is not None and loop.iter.role == "test"
                                                for loop in site.loops):  # else the loop is the finding
                yield self.finding(site.node, data_headline(
                    data, f"is trained on: its loss is backpropagated at {line_ref(backward.line)}"),
                    trace=data_path(data, site.node, "trained on"))
        yield from self._own_statistics(leaks)

    def _own_statistics(self, leaks: Leaks) -> Iterator[Finding]:
        """The test split normalised or imputed with its own statistics (inline, through a helper,
        or with ``scale(X_te)``): one finding per run of statements on the same frame."""
        groups: dict[tuple, list] = {}
        for learning in leaks.learnings:
            fit, use = learning.fit, learning.use
            if fit is not None:
                if _is_fit_call(fit.node) or fit.mixed or not leaks.is_test(learning.source):
                    continue
                what = (f"passed to {fit.via.shown}(), which fits {learning.what} on it" if fit.via
                        else f"scaled with its own statistics by {learning.what}")
                yield self.finding(fit.node, first_fitting([f"test data {_test_text(leaks, learning.source)} is {what}",
                                                            f"test data {quoted(learning.source.name)} is {what}"]))
                continue
            if use is None or use.mixed or not (leaks.is_test(use.target) and leaks.is_test(use.stat.source)):
                continue
            name = use.frame or use.target.name
            key = (id(learning.scope), name, id(use.via)) if name else (id(use),)
            groups.setdefault(key, []).append(use)
        for uses in groups.values():
            uses.sort(key=lambda u: (u.line, u.node.col_offset))
            use = uses[0]
            others = sorted({u.line for u in uses[1:]} - {use.line})
            suffix = group_suffix(others, all(u.column for u in uses))
            data = _test_text(leaks, use.target, use.column, use.frame)
            if use.via is not None:
                verb = {"imputed": "imputes it with", "normalised": "normalises it with", "binned": "bins it with",
                        "derived": "derives a column from"}.get(use.how, f"{use.how} it with")
                rest = f"is passed to {use.via.shown}(), which {verb} its own {use.stat.what}"
                options = [f"test data {data} {rest}{suffix}", f"test data {quoted(use.target.name)} {rest}{suffix}",
                           f"test data {data} {rest}", f"test data {quoted(use.target.name)} {rest}"]
            else:
                column = f"[{quoted(use.column, limit=16)}]" if use.column and not others else ""
                phrase = PHRASES.get(use.how, f"is {use.how} with")
                frame = quoted(use.frame or use.target.name)
                options = [f"test data {data} {phrase} its own {use.stat.what}{suffix}",
                           f"test data {frame}{column} {phrase} its own {use.stat.what}{suffix}",
                           f"test data {frame} {phrase} its own {use.stat.what}"]
            trace = () if use.stat.line == use.line else (
                Step(use.stat.line, 0, "source", f"{use.stat.what} of test data"),
                Step(use.line, use.node.col_offset, "sink", use.how))
            yield self.finding(use.node, first_fitting(options), trace=trace)

    def _call(self, leaks: Leaks, site: CallSite) -> Iterator[Finding]:
        recv_kind = site.recv.kind if site.recv is not None else None
        if site.method in FIT_METHODS or site.method == "fit_transform":
            if site.method in ("fit", "fit_transform") and last_part(recv_kind) in SEARCH:
                return  # DLP101
            if site.method == "fit" and is_lightning_trainer(recv_kind, site.name):
                data = site.arg(1, "train_dataloaders") or site.kwargs.get("train_dataloader")
                if data is not None and data.role == "test":
                    yield self.finding(site.node, data_headline(
                        data, f"is passed to {site.name or 'trainer.fit'}() as training data"),
                        trace=data_path(data, site.node, "trainer.fit"))
                return
            if _learns_nothing(site):
                return
            data = site.arg(0, "x") or site.kwargs.get("X") or site.kwargs.get("train_data")
            if data is not None and _encodes_target(site, data):
                return  # LabelEncoder().fit_transform(y_test): a mapping of class names, not a statistic
            if data is not None and leaks.is_test(data) and not _chunk_pair(leaks.facts, site, data) \
                    and not _fitted_for_display(leaks.facts, site):
                yield self.finding(site.node, first_fitting([
                    f"test data {_test_text(leaks, data)} is used to fit {_receiver(site)!r}",
                    f"test data {quoted(data.name)} is used to fit {_receiver(site)!r}"]),
                    trace=data_path(data, site.node, site.method or "fit"))
            elif data is not None and data.role is None:
                labels = site.arg(1, "y")
                made_on = _test_predictions(leaks, data)
                if made_on is not None and labels is not None and labels.role == "test":
                    yield self.finding(site.node, first_fitting([
                        f"{_receiver(site)!r} is fitted on predictions on test data "
                        f"({line_ref(made_on.line, made_on.method or '')}) with test labels {quoted(labels.name)}",
                        f"{_receiver(site)!r} is fitted on predictions on test data with test labels"]))
            return
        if is_hf_trainer_kind(site.qn):
            data = site.kwargs.get("train_dataset")
            if data is not None and data.role == "test":
                yield self.finding(site.node, data_headline(
                    data, f"is passed to {last_part(site.qn)}(train_dataset=...)"),
                                   trace=data_path(data, site.node, "train_dataset"))
            return
        callee = site.local
        if callee is not None and callee.trained_params:
            if callee.guards and not any(guard_may_hold(callee, site, g) for g in callee.guards):
                return  # _run_epoch(loader, train=False): the training branch is off for this call
            for param, arg in bound_arguments(callee, site):
                if param in callee.trained_params:
                    value = _arg_value(site, arg)
                    if value is not None and value.role == "test":
                        where = line_ref(callee.trained_params[param])
                        yield self.finding(site.node, first_fitting([
                            f"test data {describe(value)} is passed to {callee.shown}(), which trains on it ({where})",
                            f"test data {quoted(value.name)} is passed to {callee.shown}(), which trains on it "
                            f"({where})",
                            f"test data {quoted(value.name)} is passed to {callee.shown}(), which trains on it"]),
                            trace=data_path(value, site.node, f"{callee.shown}()"))


# estimators whose "fit" on held-out data is the correct use: inspection and visualisation
_INSPECTION_PREFIXES = ("sklearn.inspection.", "sklearn.manifold.", "eli5.", "umap.", "openTSNE.", "shap.",
                        "yellowbrick.", "sklearn.calibration.CalibrationDisplay")
_FEATUREWISE = ("featurewise_center", "featurewise_std_normalization", "zca_whitening")


def _learns_nothing(site: CallSite) -> bool:
    """``PolynomialFeatures().fit_transform(X_test)``, ``PermutationImportance(m).fit(X_test, y_test)``,
    ``TSNE().fit_transform(test_emb)``, ``ImageDataGenerator(rescale=...).fit(X_test)``."""
    kind = site.recv.kind if site.recv is not None else None
    if not kind:
        return False
    cls = last_part(kind)
    if cls in STATELESS_TRANSFORMERS or kind.startswith(_INSPECTION_PREFIXES) or cls == "PermutationImportance":
        return True
    if row_wise_constructor(cls, site.recv.call) or fixed_by_settings(kind, site.recv.call):
        return True
    if cls == "ImageDataGenerator" and site.recv.call is not None:
        return not any(kw.arg in _FEATUREWISE for kw in site.recv.call.keywords)
    return False


SEARCH = SEARCH_CLASSES
_FITTING = FIT_METHODS | {"fit_transform"}


_TUNING = frozenset({"fit", "fit_transform", "fit_generator"})


def _fitting_calls(facts: ModuleFacts) -> list[CallSite]:
    """The calls :meth:`TestDataInFitting._call` looks into, in walk order: a fitting method, a
    Hugging Face trainer, a same-file function that trains on a parameter. Most of a module's
    calls are none of these: one comprehension with the cheapest tests first skips them."""
    if not _calls_hf_trainer(facts):  # most modules: the test per call is left out
        return [site for site in facts.calls if site.method in _FITTING
                or site.local is not None and site.local.trained_params]
    return [site for site in facts.calls if site.method in _FITTING
            or site.local is not None and site.local.trained_params
            or is_hf_trainer_kind(site.qn)]


def _tuning_calls(facts: ModuleFacts) -> list[CallSite]:
    """The calls :meth:`TestDataInTuning._call` looks into, in walk order: ``fit``, a Hugging Face
    trainer, a same-file function that evaluates or validates on a parameter."""
    hf = _calls_hf_trainer(facts)
    return [site for site in facts.calls if site.method in _TUNING
            or hf and is_hf_trainer_kind(site.qn)
            or site.local is not None and (site.local.validated_params or site.local.evaluated_params)]


def _calls_hf_trainer(facts: ModuleFacts) -> bool:
    """Some call of the module resolves to a Hugging Face trainer class (decided on the module's few
    distinct callees, not on every call)."""
    return any(is_hf_trainer_kind(qn) for qn in facts.derived(called_names).qualified)


def _item_of(node: ast.expr) -> tuple[str | None, frozenset]:
    """``chunks["x"][0].iloc[:, :10]`` -> ("chunks", {0}): the container an item is picked from, and
    the integer positions that pick it."""
    positions = set()
    for _ in range(12):
        if isinstance(node, ast.Subscript):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, int) and not isinstance(key.value, bool):
                positions.add(key.value)
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        elif isinstance(node, ast.Attribute) and not isinstance(node.value, ast.Name):
            node = node.value
        else:
            break
    return dotted(node), frozenset(positions)


def _chunk_pair(facts: ModuleFacts, site: CallSite, data: Value) -> bool:
    """``rf.fit(test["x"][0], ...)`` then ``rf.score(test["x"][1], ...)``: a container named as test data
    whose items are fit/score pairs (time slices): the item fitted on is not held out. Only for a role
    that comes from the name alone."""
    if not data.origin.startswith("name ") or not site.node.args or not site.name or "." not in site.name:
        return False
    root, fitted = _item_of(site.node.args[0])
    if root is None or not fitted:
        return False
    owner = site.name.rsplit(".", 1)[0]
    for other in facts.calls:
        if other.method in ("score", "predict", "predict_proba") and other.name == f"{owner}.{other.method}" \
                and other.node.args and other.line > site.line:
            scored_root, scored = _item_of(other.node.args[0])
            if scored_root == root and scored and scored != fitted:
                return True
    return False


def _encodes_target(site: CallSite, data: Value) -> bool:
    """``LabelEncoder().fit_transform(y_test)``: a target encoder fitted on the target learns the list
    of classes (the catalog: label encoding of the target is not a leak)."""
    kind = site.recv.kind if site.recv is not None else None
    return last_part(kind) in TARGET_ENCODERS and is_target_name(data.name)


def _is_fit_call(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
        node.func.attr in FIT_METHODS or node.func.attr == "fit_transform")


def _test_text(leaks: Leaks, value: Value, column: str | None = None, frame: str | None = None) -> str:
    """``'X_te' (test split of ...)``, or ``'df_sub' (only ever predicted on)`` for test data by use;
    with ``column``, ``'df'['age'] (...)``; ``frame`` names data the value does not name itself
    (``unseen = (unseen - unseen.mean(0)) / ...``)."""
    name = value.name or frame
    text = describe(value, name) if value.role == "test" else f"{quoted(name)} (only ever predicted on)"
    if column and name:
        name, _, origin = text.partition(" ")
        text = f"{name[1:-1]}[{quoted(column, limit=16)}] {origin}".rstrip()
    return text


def _test_predictions(leaks: Leaks, data: Value) -> CallSite | None:
    """The prediction on test data that ``data`` derives from (stacking on test predictions)."""
    for ident, site in leaks.facts.predictions.items():
        if ident in data.anc and site.args and leaks.is_test(site.args[0]):
            return site
    return None


def _arg_value(site: CallSite, arg: ast.expr) -> Value | None:
    for node, value in zip(site.node.args, site.args):
        if node is arg:
            return value
    for kw in site.node.keywords:
        if kw.value is arg and kw.arg in site.kwargs:
            return site.kwargs[kw.arg]
    return None


_EARLY_STOP_KW = ("early_stopping_rounds", "early_stopping", "n_iter_no_change")
_EARLY_STOP_WORDS = frozenset({"early", "earlystopping", "stopping"})


def _mentions_early_stopping(nodes: list[ast.AST]) -> bool:
    for node in nodes:
        for sub in walk(node):
            if isinstance(sub, ast.keyword) and sub.arg in _EARLY_STOP_KW:
                return not (isinstance(sub.value, ast.Constant) and sub.value.value in (None, False, 0))
            if isinstance(sub, (ast.Name, ast.Attribute)):
                word = sub.id if isinstance(sub, ast.Name) else sub.attr
                if set(name_words(word)) & _EARLY_STOP_WORDS or "early_stopping" in word.lower():
                    return True
    return False


class TestDataInTuning(Rule):
    """
    ## What it does
    Flags the test split driving model selection: Keras `fit(validation_data=(X_test, y_test))`,
    an `eval_set` containing test data with early stopping (XGBoost, LightGBM, CatBoost), a grid
    or random search fitted on test data, Lightning `trainer.fit(model, train_dl, test_dl)`, Hugging
    Face `Trainer(eval_dataset=test_ds)`, test data evaluated every epoch inside a training loop
    (directly or through a same-file `evaluate()` function), and keeping the "best" model or epoch
    by a test-set metric (`if test_acc > best_acc: torch.save(...)`), and a search (or
    `cross_val_score` in a loop over candidate settings) run on all the rows whose choice is then
    scored on a test split carved from those same rows.

    ## Why is this bad?
    *Data Preparation* in the guide: the test set is used neither for training nor for tuning.
    Every decision taken by looking at test scores (which epoch, which checkpoint, which
    hyper-parameters) fits the model to the test set a little, and the final test score becomes
    an optimistic estimate. That is what the validation split is for.

    ## Example
    ```python
    model.fit(X_train, y_train, epochs=50, validation_data=(X_test, y_test),
              callbacks=[EarlyStopping(patience=5)])
    ```

    ## Use instead
    ```python
    X_tr, X_val, y_tr, y_val = train_test_split(X_train, y_train, test_size=0.1)
    model.fit(X_tr, y_tr, epochs=50, validation_data=(X_val, y_val),
              callbacks=[EarlyStopping(patience=5)])
    model.evaluate(X_test, y_test)  # once, at the end
    ```

    ## Known limits
    A data set that only ships a "test" split and uses it as validation on purpose is still
    reported: name the split (`val_ds = ds["test"]`, `val_enc = encode(ds["test"])`) to record the
    decision. An `eval_set` without early stopping only reports metrics and is not flagged.
    Cross-validation folds are validation data whatever they are called (`for tr, te in
    kf.split(X)`). Test data recognised only by its use (predicted on) does not count here.
    A search or a `cross_val_score` sweep (a loop or comprehension that builds the estimator from
    its variable) on all the rows is reported only when what it chose reaches a model scored on the
    test split (`search.score(X_te, y_te)`, `KNN(best_k).fit(X_tr, y_tr).score(X_te, y_te)`, the
    best setting taken from the loop's list): curves that are only plotted or printed choose
    nothing the test split judges, and a setting copied by hand from a plot is not seen. A
    `ShuffleSplit(n_splits=1)` is a train/test holdout, not cross-validation. A role carried by
    a named value is kept whatever a new name says: a wrapper that unpacks its own `validation_data`
    parameter into `X_test, y_test` and passes them on as `validation_data` passes validation data;
    `None` is not data, whatever it is called (`te_gen = None` in the branch without validation
    data). Branches are not merged: a name bound in both branches of an `if` holds what the last
    branch bound; a branch switched off by a module constant (`debug = False` bound once, then `if
    debug: model.fit(..., validation_data=test_set)`) never runs and is not flagged. A Keras fit
    of a single epoch (`epochs=1` or `nb_epoch=1` written as a literal) that runs once is not
    flagged: with one epoch the test data chooses nothing (no epoch to stop at, no checkpoint to
    prefer); the same call inside a loop or a comprehension, in a function called in one or called
    more than once, or with `epochs` left to Keras's default, is. A demo that
    evaluates a test curve
    every epoch only to plot or print it is still reported (nothing tells a plot from a choice made
    by looking at it).
    """

    code, name = "DLP101", "test-data-in-tuning"
    summary = "the test split drives model selection, early stopping or hyperparameter search"
    section = SECTION_SPLIT

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        selections = list(self._best_by_test(facts))
        yield from selections
        yield from self._tuned_on_test_rows(facts)
        # per-epoch evaluation on the test set; when its result picks the best model, the `if`
        # that selects is the one finding
        chosen_lines = [f.line for f in selections]

        def selects(loop) -> bool:
            end = getattr(loop.node, "end_lineno", loop.line)
            return any(loop.line <= line <= end for line in chosen_lines)

        leaks = facts.derived(Leaks)
        for site in _tuning_calls(facts):
            if leaks.runs(site.node):
                yield from self._call(facts, site, selects)
        for loop in facts.loops:
            outer = training_ancestor(loop.parent)
            if (loop.evaluates and loop.iter is not None and loop.iter.role == "test" and leaks.runs(loop.node)
                    and outer is not None and not selects(outer)):
                yield self.finding(loop.node, data_headline(
                    loop.iter, f"is evaluated in the training loop at {line_ref(outer.line)}"),
                    trace=data_path(loop.iter, loop.node, "evaluated each epoch"))
        # the model run on test data right inside the training loop: `test_out = net(test_x)`;
        # one finding per training loop (the logits and the loss computed from them are the same defect)
        seen_loops: set[int] = set()
        for site in facts.calls:
            if not site.loops:
                continue
            outer = training_ancestor(site.loops[-1])
            if (outer is None or selects(outer) or not is_model_call(site) or site.local is not None
                    or any(loop.evaluates or (loop.iter is not None and loop.iter.role == "test")
                           for loop in site.loops)):
                continue  # eval loops are reported above; training on test data is DLP100
            data = next((a for a in site.args if a.role == "test"), None)
            if data is not None and _backpropagated(site, data) is not None:
                continue  # its loss is backpropagated: training on test data, DLP100
            if data is not None and id(outer) not in seen_loops:
                seen_loops.add(id(outer))
                yield self.finding(site.node, data_headline(
                    data, f"is evaluated in the training loop at {line_ref(outer.line)}"),
                    trace=data_path(data, site.node, "evaluated in training"))

    def _call(self, facts: ModuleFacts, site: CallSite, selects) -> Iterator[Finding]:
        recv_kind = site.recv.kind if site.recv is not None else None
        if site.method in ("fit", "fit_transform") and last_part(recv_kind) in SEARCH:
            data = site.arg(0, "X")
            if data is not None and data.role == "test":
                yield self.finding(site.node, first_fitting([
                    f"{last_part(recv_kind)} is fitted on test data {describe(data)}",
                    f"{last_part(recv_kind)} is fitted on test data {quoted(data.name)}"]),
                    trace=data_path(data, site.node, "search"))
            return
        if site.method == "fit" and is_lightning_trainer(recv_kind, site.name):
            data = site.arg(2, "val_dataloaders") or site.kwargs.get("val_dataloader")
            if data is not None and data.role == "test":
                yield self.finding(site.node, data_headline(
                    data, f"is passed to {site.name or 'trainer.fit'}() as validation data"),
                    trace=data_path(data, site.node, "validation"))
            return
        if site.method in ("fit", "fit_generator"):
            val = site.kwargs.get("validation_data")
            if val is not None and _has_role(val, "test") and not _single_epoch(site):
                test = _with_role(val, "test")
                yield self.finding(site.node, data_headline(test, "is passed as validation_data"),
                                   trace=data_path(test, site.node, "validation_data"))
                return
            eval_set = site.kwargs.get("eval_set")
            if eval_set is not None and _has_role(eval_set, "test"):
                ctor = site.recv.call if site.recv is not None else None
                evidence = [site.node] + ([ctor] if ctor is not None else [])
                if _mentions_early_stopping(evidence):
                    test = _with_role(eval_set, "test")
                    yield self.finding(site.node, data_headline(test, "is in eval_set with early stopping"),
                                       trace=data_path(test, site.node, "eval_set"))
            return
        if is_hf_trainer_kind(site.qn):
            data = site.kwargs.get("eval_dataset")
            if data is not None and _has_role(data, "test"):
                test = _with_role(data, "test")
                yield self.finding(site.node, data_headline(
                    test, f"is passed to {last_part(site.qn)}(eval_dataset=...)"),
                                   trace=data_path(test, site.node, "eval_dataset"))
            return
        callee = site.local
        if callee is not None and (callee.validated_params or callee.evaluated_params):
            training_loop = next((loop for loop in reversed(site.loops) if loop.trains), None)
            for param, arg in bound_arguments(callee, site):
                value = _arg_value(site, arg)
                if value is None or value.role != "test":
                    continue
                if param in callee.validated_params:
                    if role_from_name(param) == "test":
                        continue  # reported inside the callee, where its test parameter is evaluated
                    yield self.finding(site.node, data_headline(
                        value, f"is passed to {callee.shown}(), which evaluates it in its training loop"),
                        trace=data_path(value, site.node, f"{callee.shown}()"))
                elif (param in callee.evaluated_params and training_loop is not None
                      and not selects(training_loop)):
                    yield self.finding(site.node, data_headline(
                        value, f"is evaluated by {callee.shown}() in the training loop at "
                               f"{line_ref(training_loop.line)}"),
                        trace=data_path(value, site.node, f"{callee.shown}()"))

    def _tuned_on_test_rows(self, facts: ModuleFacts) -> Iterator[Finding]:
        """A search (or ``cross_val_score`` in a parameter loop) run on all the data, whose test split
        is then scored: the chosen parameters have seen the test rows."""
        leaks = facts.derived(Leaks)
        if not any(s.kind in ("search", "cv") for s in leaks.splits):
            return
        searched = {id(s.node) for s in leaks.splits if s.kind in ("search", "cv")}
        choices = {id(site.node): _choice(facts, site) for site in facts.calls if id(site.node) in searched}
        for search in leaks.splits:
            if search.kind not in ("search", "cv") or not search.inputs or search.via is not None:
                continue
            choice = choices.get(id(search.node))
            if not choice or not _choice_scored(leaks, choice):
                continue  # cross_val_score that only reports or plots a score picks nothing that is tested
            data = search.inputs[0]
            for holdout in leaks.splits:
                if holdout.kind != "holdout" or holdout.piece_id in data.anc or not data.idents & holdout.anc:
                    continue
                test = next((t for t in leaks.scored_tests if holdout.piece_id in t.anc), None)
                if test is None:
                    continue
                func = search.func.split(".", 1)[0]
                yield self.finding(search.node, first_fitting([
                    f"{func} tunes on all of {quoted(data.name)}, test rows included: {quoted(test.name)} "
                    f"(split by {split_ref(holdout)}) is scored",
                    f"{func} tunes on all of {quoted(data.name)}, including the test rows of {quoted(test.name)}"]),
                    trace=(Step(holdout.line, 0, "source", "test split"),
                           Step(search.line, getattr(search.node, "col_offset", 0), "sink", func)))
                break

    def _best_by_test(self, facts: ModuleFacts) -> Iterator[Finding]:
        """``if test_acc > best_acc: torch.save(...)``"""
        for node in facts.ifs:
            test = node.test
            if not isinstance(test, ast.Compare) or len(test.ops) != 1:
                continue
            if not isinstance(test.ops[0], (ast.Gt, ast.GtE, ast.Lt, ast.LtE)):
                continue
            sides = [test.left, test.comparators[0]]
            metric = next((s for s in sides if _is_test_metric(s)), None)
            if metric is None:
                continue
            other = sides[1] if metric is sides[0] else sides[0]
            other_name = (root_name(other) or "").lower()
            if "best" in other_name or _selects_model(node.body):
                label = root_name(metric) or "a test metric"
                yield self.finding(node, first_fitting([
                    f"the best model is selected by {quoted(label, limit=40)}, a test-set metric",
                    f"the best model is selected by {quoted(label)}, a test-set metric"]))


def _choice(facts: ModuleFacts, site: CallSite) -> frozenset[int]:
    """The ids that carry what a search or a sweep chooses: the search object (``search.fit(X, y)``
    then ``search.score``, ``search.best_params_``); for ``for k in ks: cross_val_score(KNN(k), X, y)``
    (or a comprehension over ``ks``), the loop's variable and what it iterates (``best_k = k``,
    ``ks[np.argmax(scores)]``), and the name a comprehension's scores are bound to."""
    if site.method in ("fit", "fit_transform") and site.recv is not None and last_part(site.recv.kind) in SEARCH:
        return site.recv.idents
    estimator = site.arg(0, "estimator")
    if estimator is None or not site.qn or last_part(site.qn) not in CV_FUNCS:
        return frozenset()
    for loop in site.loops:
        if estimator.anc & loop.target_ids:
            return loop.target_ids | (loop.iter.idents if loop.iter is not None else frozenset())
    if estimator.anc & site.comprehension_ids:  # by_k = {k: cross_val_score(KNN(k), X, y).mean() for k in ks}
        bound = site.stmt.targets if site.scope is None and isinstance(site.stmt, ast.Assign) else []
        named = [facts.module_env.get(t.id) for t in bound if isinstance(t, ast.Name)]
        return site.comprehension_ids.union(*(v.idents for v in named if v is not None))
    return frozenset()


def _choice_scored(leaks: Leaks, choice: frozenset[int]) -> bool:
    """Whether a model built from the choice is scored on test data (``final.score(X_te, y_te)``,
    ``accuracy_score(y_te, search.predict(X_te))``)."""
    for site in leaks.facts.calls:
        if not leaks.scores_test(site):
            continue
        values = [site.recv, *site.args] if site.recv is not None else site.args
        if any(value.anc & choice for value in values):
            return True
    return False


def _backpropagated(site: CallSite, data: Value) -> CallSite | None:
    """The ``backward()`` of a loss computed from the model's output on ``data`` in the same training
    loop (``loss = model(X_test).mean(); loss.backward()``): the model is trained on that data."""
    if not site.loops or not data.idents:
        return None
    for other in site.loops[-1].calls:
        if not is_backward(other) or other.recv is None or other.line < site.line:
            continue
        recv = other.recv
        carried = recv.anc | (recv.stat.source.anc if recv.stat is not None else frozenset())
        if data.idents <= carried:
            return other
    return None


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _single_epoch(site: CallSite) -> bool:
    """``fit(..., epochs=1)`` that runs once: one epoch gives the validation data nothing to choose
    (no epoch to stop at, no checkpoint to prefer). A loop or comprehension around it, or around
    the call of the function it is in (or a function called more than once), can choose between
    its runs."""
    if not isinstance(site.node, ast.Call) or not any(
            kw.arg in ("epochs", "nb_epoch") and isinstance(kw.value, ast.Constant)
            and type(kw.value.value) is int and kw.value.value == 1 for kw in site.node.keywords):
        return False
    call, seen = site, set()
    while True:
        if call.loops or call.stmt is not None and any(
                call.node in walk(comp) for comp in walk(call.stmt) if isinstance(comp, _COMPREHENSIONS)):
            return False
        scope = call.scope
        if scope is None:
            return True
        if id(scope) in seen or len(scope.callers) != 1:
            return False
        seen.add(id(scope))
        call = scope.callers[0]


def _has_role(value: Value, role: str) -> bool:
    if value.role == role:
        return True
    return any(_has_role(item, role) for item in value.items or ())


def _with_role(value: Value, role: str) -> Value:
    if value.role == role:
        return value
    for item in value.items or ():
        if _has_role(item, role):
            return _with_role(item, role)
    return value


def _is_test_metric(node: ast.expr) -> bool:
    name = root_name(node)
    if not name:
        return False
    last = name.rsplit(".", 1)[-1]
    words = set(name_words(last))
    return role_from_name(last) == "test" and bool(words & _METRIC_WORDS or "acc" in last.lower())


_METRIC_WORDS = frozenset({"acc", "accuracy", "loss", "score", "auc", "f1", "metric", "metrics",
                           "error", "err", "precision", "recall", "iou", "map", "bleu", "rmse",
                           "mae", "mse", "perplexity", "ppl"})


def _selects_model(body: list[ast.stmt]) -> bool:
    for stmt in body:
        for sub in walk(stmt):
            if isinstance(sub, ast.Call):
                func = sub.func
                fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if fname in ("save", "save_pretrained", "save_model", "save_checkpoint",
                             "state_dict", "deepcopy", "save_weights"):
                    return True
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store) and "best" in sub.id.lower():
                return True
    return False


# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------


class AugmentationOnEvalData(Rule):
    """
    ## What it does
    Flags random data augmentation reaching validation or test data: a transform containing
    torchvision `Random*`, `ColorJitter`, `RandAugment`/`AutoAugment`/`TrivialAugmentWide`/
    `AugMix` (also `transforms.v2`), albumentations transforms with `p > 0`, Keras `Random*`
    layers applied to a data set, or `ImageDataGenerator(rotation_range=..., ...)`, given to an eval
    data set: a dataset constructor (`CIFAR10(train=False, transform=train_tf)`),
    `flow_from_directory` on a validation folder, `val_ds.map(augment)`, `test_ds.transform =
    train_tf`, or a `random_split` that carves the validation set out of an augmented data set.

    ## Why is this bad?
    *Data Preparation* in the guide: augment the training data only. Evaluating on randomly
    distorted images measures a different, noisier task; validation scores fluctuate between runs
    and checkpoints are chosen on noise.

    ## Example
    ```python
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.ToTensor()])
    test_set = CIFAR10("data", train=False, transform=train_tf)
    ```

    ## Use instead
    ```python
    train_tf = T.Compose([T.RandomCrop(32, padding=4), T.ToTensor()])
    eval_tf = T.Compose([T.ToTensor()])
    test_set = CIFAR10("data", train=False, transform=eval_tf)
    ```

    ## Fix
    Unsafe: when the same scope defines a transform without random augmentation, `dlp-fix
    --unsafe-fixes` passes that one to the eval data set instead.

    ## Known limits
    Keras `Random*` layers inside a model are inactive at inference and are not flagged. A
    transform chosen at run time (`get_transform(train=args.train)`) is not followed, nor is
    augmentation built in another module.
    """

    code, name = "DLP103", "augmentation-on-eval-data"
    summary = "random data augmentation is applied to validation or test data"
    section = "Data Preparation: augment only the training data"
    fix = "unsafe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        for site in facts.calls:
            if site.method == "map" or site.qn in _RANDOM_SPLITS or site.kwargs and not site.kwargs.keys().isdisjoint(
                    _TRANSFORM_KWARGS):  # the calls _dataset looks into
                yield from self._dataset(facts, site)
        for node, data, transform, how in facts.aug_assignments:
            if data.role in ("val", "test"):
                yield self.finding(node, first_fitting([
                    f"{_role_word(data)} data {describe(data)} is {how} with random augmentation ({transform.aug})",
                    f"{_role_word(data)} data {quoted(data.name)} is {how} with random augmentation ({transform.aug})",
                    f"{_role_word(data)} data {quoted(data.name)} is {how} with random augmentation"]))

    def _dataset(self, facts: ModuleFacts, site: CallSite) -> Iterator[Finding]:
        node = site.node
        # a dataset built with an augmenting transform
        for kw in _TRANSFORM_KWARGS:
            tf = site.kwargs.get(kw)
            if tf is None or not tf.aug:
                continue
            role = _eval_role_of_dataset(site)
            if role is not None:
                yield self.finding(node, first_fitting([
                    f"{_role_word(role)} data {describe(role)} is built with random augmentation ({tf.aug})",
                    f"{_role_word(role)} data {quoted(role.name)} is built with random augmentation ({tf.aug})",
                    f"{_role_word(role)} data {quoted(role.name)} is built with random augmentation"]),
                    fix=_eval_transform_fix(facts, site, kw))
                return
        # random_split carving eval data out of an augmented data set
        if site.qn in _RANDOM_SPLITS and site.args:
            source = site.args[0]
            aug = _dataset_aug(facts, source)
            if aug and isinstance(site.stmt, ast.Assign):
                targets = site.stmt.targets[0]
                if isinstance(targets, (ast.Tuple, ast.List)):
                    names = [dotted(e) for e in targets.elts]
                    evals = [n for n in names[1:] if n and role_from_name(n) in ("val", "test")]
                    if len(names) >= 2 and (evals or all(role_from_name(n or "") is None for n in names)):
                        victim = evals[0] if evals else names[1]
                        yield self.finding(node, first_fitting([
                            f"{quoted(victim)} is carved out of {quoted(source.name, 'a data set')} by random_split "
                            f"and inherits its random augmentation ({aug})",
                            f"{quoted(victim)} is carved out of {quoted(source.name, 'a data set')} by random_split "
                            f"and inherits its random augmentation"]))
        # tf.data / HF datasets: eval_ds.map(augment)
        if site.method == "map" and site.recv is not None and site.recv.role in ("val", "test") and site.node.args:
            fn = site.node.args[0]
            aug = _augmenting_callable(facts, fn, site)
            if aug:
                yield self.finding(node, first_fitting([
                    f"{_role_word(site.recv)} data {describe(site.recv)} is mapped through random augmentation ({aug})",
                    f"{_role_word(site.recv)} data {quoted(site.recv.name)} is mapped through random augmentation "
                    f"({aug})",
                    f"{_role_word(site.recv)} data {quoted(site.recv.name)} is mapped through random augmentation"]))


_TRANSFORM_KWARGS = ("transform", "transforms", "preprocessing_function")
_RANDOM_SPLITS = frozenset({"torch.utils.data.random_split", "torch.utils.data.dataset.random_split"})


def _role_word(value: Value) -> str:
    return {"val": "validation", "test": "test"}.get(value.role or "", "evaluation")


def _eval_role_of_dataset(site: CallSite) -> Value | None:
    """The value a dataset constructor builds, when it is validation or test data."""
    stmt = site.stmt
    target_name = None
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and stmt.value is site.node:
        target_name = dotted(stmt.targets[0])
    # the role the constructor call itself gives (train=False, split="test", a "val" folder) wins
    # over the name it is stored under; a train=True dataset is not eval data whatever its name
    source = dataset_role(site.node)
    if source is not None:
        if source[0] in ("val", "test"):
            return Value(role=source[0], origin=f"{source[1]} at {line_ref(site.line)}",
                         name=target_name or source[1])
        return None
    if target_name:
        role = role_from_name(target_name.rsplit(".", 1)[-1])
        if role in ("val", "test"):
            return Value(role=role, origin=f"name {target_name!r}", name=target_name)
    return None


def _dataset_aug(facts: ModuleFacts, value: Value) -> str | None:
    if value.aug:
        return value.aug
    call = value.call
    if call is None:
        return None
    for kw in call.keywords:
        if kw.arg in ("transform", "transforms"):
            name = dotted(kw.value)
            if name and name in facts.module_env and facts.module_env[name].aug:
                return facts.module_env[name].aug
    return None


def _augmenting_callable(facts: ModuleFacts, fn: ast.expr, site: CallSite) -> str | None:
    """Augmentation evidence for the function given to ``.map``: a lambda calling an augmenting
    layer, a same-file function drawing random transforms, or an augmenting object."""
    nodes: list[ast.AST] = []
    if isinstance(fn, ast.Lambda):
        nodes = [fn.body]
    elif isinstance(fn, ast.Name):
        info = facts.module_functions.get(fn.id)
        if info is not None:
            nodes = list(info.node.body)
        else:
            value = facts.module_env.get(fn.id)
            if value is not None and value.aug:
                return value.aug
    for top in nodes:
        for sub in walk(top):
            if isinstance(sub, ast.Call):
                if isinstance(sub.func, ast.Name):
                    value = facts.module_env.get(sub.func.id)
                    if value is not None and value.aug and not _training_false(sub):
                        return value.aug
                qn = facts.imports.qualname(sub.func)
                if qn and (qn.startswith("tensorflow.image.random_")
                           or qn.startswith("tensorflow.image.stateless_random_")):
                    return last_part(qn)
    return None


def _training_false(call: ast.Call) -> bool:
    return any(kw.arg == "training" and isinstance(kw.value, ast.Constant) and kw.value.value is False
               for kw in call.keywords)


def _eval_transform_fix(facts: ModuleFacts, site: CallSite, keyword: str):
    """Unsafe fix: pass the scope's non-augmenting transform instead, when there is exactly one."""
    from .base import Fix, span_of

    env = facts.module_env if site.scope is None else None
    if env is None:
        return None
    candidates = [name for name, value in env.items()
                  if value.kind and last_part(value.kind) in ("Compose", "Sequential") and not value.aug
                  and "." not in name]
    if len(candidates) != 1:
        return None
    node = site.kwarg_node(keyword)
    if node is None:
        return None
    return Fix("unsafe", "replace-expression", span_of(node), (("replacement", candidates[0]),))
