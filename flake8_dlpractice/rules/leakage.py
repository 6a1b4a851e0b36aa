"""Data Preparation: splitting, preprocessing and leakage (DLP1xx)."""
from __future__ import annotations

import ast
from typing import Iterator

from ..analysis.facts import (FIT_METHODS, STATELESS_TRANSFORMERS, CallSite, ModuleFacts, Value,
                              bound_arguments, dataset_role, guard_may_hold, is_model_call, last_part,
                              root_name, training_ancestor)
from ..analysis.names import dotted, name_words, role_from_name
from .base import Finding, Rule, line_ref

SECTION_SPLIT = "Data Preparation: split the data, never use the test set for training or tuning"


def describe(value: Value, fallback: str = "data") -> str:
    """``'X_te' (test split of train_test_split at line 12)``"""
    name = value.name or fallback
    origin = value.origin
    if not origin or origin == f"name {name!r}":
        return f"{name!r} (named as {'test' if value.role == 'test' else value.role} data)"
    return f"{name!r} ({origin})"


def _receiver(site: CallSite) -> str:
    if isinstance(site.node.func, ast.Attribute):
        owner = site.node.func.value
        if isinstance(owner, ast.Call):  # StandardScaler().fit(X_test)
            return f"{dotted(owner.func) or 'the model'}()"
        return root_name(owner) or "the model"
    return "the model"


def is_lightning_trainer(kind: str | None, name: str | None) -> bool:
    if kind:
        return kind.startswith(("lightning.", "lightning.pytorch.")) and kind.endswith("Trainer") \
            or kind.startswith("lightning.fabric")
    return bool(name) and name.rsplit(".", 1)[-1] in ("trainer", "pl_trainer")


def is_hf_trainer(qn: str | None) -> bool:
    return bool(qn) and qn.startswith(("transformers.", "trl.")) and last_part(qn).endswith("Trainer")


class TestDataInFitting(Rule):
    """
    ## What it does
    Flags test data reaching anything that learns from it: an estimator's `.fit(X_test, ...)`,
    `scaler.fit_transform(X_test)`, `partial_fit`/`train_on_batch`, a training loop (a loop that
    calls `backward()` or `optimizer.step()`) iterating a test loader, `trainer.fit(model,
    test_loader)`, Hugging Face `Trainer(train_dataset=test_ds)`, and calls to functions of the same
    file that train on one of their parameters (`train(model, test_loader)`).

    Test data is recognised from where it comes from: the test slot of `train_test_split` /
    `random_split` / a KFold split, dataset constructors (`CIFAR10(train=False)`, `split="test"`,
    `load_dataset(...)["test"]`, an `ImageFolder` of a `test` folder) and names (`X_test`,
    `test_loader`, `holdout`). The role follows the data through `DataLoader`, `Subset`, `.to()`,
    slicing and transforms.

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
    Roles are followed within a file; data that crosses module boundaries, or whose role only
    a runtime argument decides (`get_loader(args.split)`), is not tracked. Values with no known
    role never trigger the rule, nor does a mix of test data and data of unknown role
    (`pd.concat([df, test])`: fitting encoders on train plus an unlabelled competition test set is a
    deliberate choice). Stateless transformers (`PolynomialFeatures`, `Normalizer`, ...),
    inspection tools correctly fitted on held-out data (`PermutationImportance`, `TSNE`, UMAP) and
    a featurewise-free `ImageDataGenerator().fit` learn nothing and are not flagged. A same-file
    helper that trains only behind a flag (`if train:`, `if scaler is None:`) is flagged only when
    the call passes a constant that turns the training branch on (a flag passed on to a second
    helper is not followed). Names are evidence: a throwaway variable called `test` that holds
    something else (`test = df[cols].dropna()` inside an imputation helper) is taken for test
    data. Objects stored on `self` in one method and fitted in another are not followed.
    Resampling of test data is DLP105 and a grid search fitted on test data is DLP101.
    """

    code, name = "DLP100", "test-data-in-fitting"
    summary = "test data is used to fit a model, a preprocessor or a training loop"
    section = SECTION_SPLIT

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        for site in facts.calls:
            yield from self._call(site)
        for loop in facts.loops:
            if loop.trains and loop.iter is not None and loop.iter.role == "test":
                yield self.finding(loop.node, f"test data {describe(loop.iter)} is iterated by a "
                                   f"training loop")

    def _call(self, site: CallSite) -> Iterator[Finding]:
        recv_kind = site.recv.kind if site.recv is not None else None
        if site.method in FIT_METHODS or site.method == "fit_transform":
            if site.method in ("fit", "fit_transform") and last_part(recv_kind) in SEARCH:
                return  # DLP101
            if site.method == "fit" and is_lightning_trainer(recv_kind, site.name):
                data = site.arg(1, "train_dataloaders") or site.kwargs.get("train_dataloader")
                if data is not None and data.role == "test":
                    yield self.finding(site.node, f"test data {describe(data)} is passed to "
                                       f"{site.name or 'trainer.fit'}() as training data")
                return
            if _learns_nothing(site):
                return
            data = site.arg(0, "x") or site.kwargs.get("X") or site.kwargs.get("train_data")
            if data is not None and data.role == "test":
                yield self.finding(site.node, f"test data {describe(data)} is used to fit "
                                   f"{_receiver(site)!r}")
            return
        if is_hf_trainer(site.qn):
            data = site.kwargs.get("train_dataset")
            if data is not None and data.role == "test":
                yield self.finding(site.node, f"test data {describe(data)} is passed to "
                                   f"{last_part(site.qn)}(train_dataset=...)")
            return
        callee = site.local
        if callee is not None and callee.trained_params:
            if callee.guards and not any(guard_may_hold(callee, site, g) for g in callee.guards):
                return  # _run_epoch(loader, train=False): the training branch is off for this call
            for param, arg in bound_arguments(callee, site):
                if param in callee.trained_params:
                    value = _arg_value(site, arg)
                    if value is not None and value.role == "test":
                        yield self.finding(site.node, f"test data {describe(value)} is passed to "
                                           f"{callee.name}(), which trains on its parameter "
                                           f"{param!r} ({line_ref(callee.trained_params[param])})")


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
    if cls == "ImageDataGenerator" and site.recv.call is not None:
        return not any(kw.arg in _FEATUREWISE for kw in site.recv.call.keywords)
    return False


SEARCH = frozenset({"GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV",
                    "HalvingRandomSearchCV", "BayesSearchCV"})


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
        for sub in ast.walk(node):
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
    by a test-set metric (`if test_acc > best_acc: torch.save(...)`).

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
    reported: rename the split (`val_ds = ds["test"]`) to record the decision. An `eval_set`
    without early stopping only reports metrics and is not flagged.
    """

    code, name = "DLP101", "test-data-in-tuning"
    summary = "the test split drives model selection, early stopping or hyperparameter search"
    section = SECTION_SPLIT

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        selections = list(self._best_by_test(facts))
        yield from selections
        # per-epoch evaluation on the test set; when its result picks the best model, the `if`
        # that selects is the one finding
        chosen_lines = [f.line for f in selections]

        def selects(loop) -> bool:
            end = getattr(loop.node, "end_lineno", loop.line)
            return any(loop.line <= line <= end for line in chosen_lines)

        for site in facts.calls:
            yield from self._call(facts, site, selects)
        for loop in facts.loops:
            outer = training_ancestor(loop.parent)
            if (loop.evaluates and loop.iter is not None and loop.iter.role == "test"
                    and outer is not None and not selects(outer)):
                yield self.finding(loop.node, f"test data {describe(loop.iter)} is evaluated inside "
                                   f"the training loop at {line_ref(outer.line)}: the test set is being "
                                   f"used as a validation set")
        # the model run on test data right inside the training loop: `test_out = net(test_x)`;
        # one finding per training loop (the logits and the loss computed from them are the same defect)
        seen_loops: set[int] = set()
        for site in facts.calls:
            outer = training_ancestor(site.loops[-1] if site.loops else None)
            if (outer is None or selects(outer) or not is_model_call(site) or site.local is not None
                    or any(loop.evaluates or (loop.iter is not None and loop.iter.role == "test")
                           for loop in site.loops)):
                continue  # eval loops are reported above; training on test data is DLP100
            data = next((a for a in site.args if a.role == "test"), None)
            if data is not None and id(outer) not in seen_loops:
                seen_loops.add(id(outer))
                yield self.finding(site.node, f"test data {describe(data)} is evaluated inside the "
                                   f"training loop at {line_ref(outer.line)}: the test set is being used as "
                                   f"a validation set")

    def _call(self, facts: ModuleFacts, site: CallSite, selects) -> Iterator[Finding]:
        recv_kind = site.recv.kind if site.recv is not None else None
        if site.method in ("fit", "fit_transform") and last_part(recv_kind) in SEARCH:
            data = site.arg(0, "X")
            if data is not None and data.role == "test":
                yield self.finding(site.node, f"{last_part(recv_kind)} is fitted on test data "
                                   f"{describe(data)}: hyper-parameters are chosen on the test set")
            return
        if site.method == "fit" and is_lightning_trainer(recv_kind, site.name):
            data = site.arg(2, "val_dataloaders") or site.kwargs.get("val_dataloader")
            if data is not None and data.role == "test":
                yield self.finding(site.node, f"test data {describe(data)} is passed to "
                                   f"{site.name or 'trainer.fit'}() as validation data")
            return
        if site.method in ("fit", "fit_generator"):
            val = site.kwargs.get("validation_data")
            if val is not None and _has_role(val, "test"):
                yield self.finding(site.node, f"test data {describe(_with_role(val, 'test'))} is "
                                   f"passed as validation_data: per-epoch validation, early stopping "
                                   f"and checkpoint selection then tune on the test set")
                return
            eval_set = site.kwargs.get("eval_set")
            if eval_set is not None and _has_role(eval_set, "test"):
                ctor = site.recv.call if site.recv is not None else None
                evidence = [site.node] + ([ctor] if ctor is not None else [])
                if _mentions_early_stopping(evidence):
                    yield self.finding(site.node, f"test data {describe(_with_role(eval_set, 'test'))} "
                                       f"is in eval_set with early stopping: the number of trees "
                                       f"is chosen on the test set")
            return
        if is_hf_trainer(site.qn):
            data = site.kwargs.get("eval_dataset")
            if data is not None and _has_role(data, "test"):
                yield self.finding(site.node, f"test data {describe(_with_role(data, 'test'))} is "
                                   f"passed to {last_part(site.qn)}(eval_dataset=...): evaluation "
                                   f"during training and best-model selection use the test set")
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
                    yield self.finding(site.node, f"test data {describe(value)} is passed to "
                                       f"{callee.name}(), which evaluates it inside its training "
                                       f"loop: the test set is being used as a validation set")
                elif (param in callee.evaluated_params and training_loop is not None
                      and not selects(training_loop)):
                    yield self.finding(site.node, f"test data {describe(value)} is evaluated by "
                                       f"{callee.name}() inside the training loop at "
                                       f"{line_ref(training_loop.line)}: the test set is being used as a "
                                       f"validation set")

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
                yield self.finding(node, f"the best model is selected by {label!r}, a test-set "
                                   f"metric: choose checkpoints on a validation split")


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
        for sub in ast.walk(stmt):
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


class PreprocessingBeforeSplit(Rule):
    """
    ## What it does
    Flags statistics learnt from data that is split afterwards: `fit`/`fit_transform` of a scaler,
    imputer, feature encoder, PCA, feature selector or vectoriser on data that later goes into
    `train_test_split`, `random_split`, a KFold-style splitter, `cross_val_score` or a grid search;
    and normalising or imputing data with its own statistics (`(X - X.mean()) / X.std()`,
    `df.fillna(df.mean())`) before it is split.

    ## Why is this bad?
    The guide's *Data Preparation* section says to normalise with the statistics of the training
    data. Statistics computed on the whole data set contain the test rows: the mean, the variance,
    the vocabulary, the principal components or the selected features have seen the test set, and
    the test score is optimistic (*Common Pitfalls: data leakage*).

    ## Example
    ```python
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    ```

    ## Use instead
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    # or, for cross-validation: make_pipeline(StandardScaler(), model)
    ```

    ## Known limits
    Label encoding or rescaling of the target (`LabelEncoder`, `y = y / y.max()`) is not a leak and
    is not flagged, nor are stateless transformers (`PolynomialFeatures`, `Normalizer`, `Binarizer`,
    `FunctionTransformer`, hashing). Statistics per sample (`x.mean(axis=1)`) are not flagged. A fit
    whose result never reaches the split data (an exploratory PCA plotted and thrown away) is not
    flagged. A preprocessor fitted on the training split before a train/validation holdout of that
    training data is not flagged (the test set stays clean); before cross-validation or a grid
    search on it, it is — the folds' scores are optimistic; use a `Pipeline`. The data flow is
    followed within one function or the module body; a split in another function is not seen.
    """

    code, name = "DLP102", "preprocessing-before-split"
    summary = "statistics are fitted on data that is split into train and test afterwards"
    section = "Data Preparation: normalise with the training data's statistics"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        reported = set()
        for event in facts.fit_events:
            if id(event.node) in reported:
                continue
            for split in facts.split_events:
                if split.scope is not event.scope or split.node.lineno < _end_line(event.node):
                    continue
                if split.input_role in ("train", "val") and split.func in NESTED_HOLDOUTS:
                    continue  # a validation holdout carved from training data keeps the test set clean
                # the split data was computed from the fitted data, through the fitted statistics
                if event.def_ids & split.anc and (not event.products or event.products & split.anc):
                    reported.add(id(event.node))
                    if split.func in NESTED_HOLDOUTS:
                        advice = "the statistics include the test rows; compute them on the training split only"
                    else:
                        advice = ("every held-out fold is in the statistics; put the preprocessing in "
                                  "a Pipeline so each fold fits its own")
                    yield self.finding(event.node, f"{event.description} before it is split by "
                                       f"{split.func} at {line_ref(split.node.lineno)}: {advice}")
                    break


NESTED_HOLDOUTS = frozenset({"train_test_split", "random_split"})


def _end_line(node: ast.AST) -> int:
    return getattr(node, "end_lineno", None) or node.lineno


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
            yield from self._dataset(facts, site)
        for node, data, transform, how in facts.aug_assignments:
            if data.role in ("val", "test"):
                yield self.finding(node, f"{_role_word(data)} data {describe(data)} is "
                                   f"{how} with random augmentation ({transform.aug})")

    def _dataset(self, facts: ModuleFacts, site: CallSite) -> Iterator[Finding]:
        node = site.node
        # a dataset built with an augmenting transform
        for kw in ("transform", "transforms", "preprocessing_function"):
            tf = site.kwargs.get(kw)
            if tf is None or not tf.aug:
                continue
            role = _eval_role_of_dataset(site)
            if role is not None:
                yield self.finding(node, f"{_role_word(role)} data {describe(role)} is built with "
                                   f"random augmentation ({tf.aug}) as its {kw}",
                                   fix=_eval_transform_fix(facts, site, kw))
                return
        # random_split carving eval data out of an augmented data set
        if site.qn in ("torch.utils.data.random_split", "torch.utils.data.dataset.random_split") and site.args:
            source = site.args[0]
            aug = _dataset_aug(facts, source)
            if aug and isinstance(site.stmt, ast.Assign):
                targets = site.stmt.targets[0]
                if isinstance(targets, (ast.Tuple, ast.List)):
                    names = [dotted(e) for e in targets.elts]
                    evals = [n for n in names[1:] if n and role_from_name(n) in ("val", "test")]
                    if len(names) >= 2 and (evals or all(role_from_name(n or "") is None for n in names)):
                        victim = evals[0] if evals else names[1]
                        yield self.finding(node, f"{victim!r} is carved out of "
                                           f"{source.name or 'a data set'!r} by random_split and "
                                           f"inherits its random augmentation ({aug})")
        # tf.data / HF datasets: eval_ds.map(augment)
        if site.method == "map" and site.recv is not None and site.recv.role in ("val", "test") and site.node.args:
            fn = site.node.args[0]
            aug = _augmenting_callable(facts, fn, site)
            if aug:
                yield self.finding(node, f"{_role_word(site.recv)} data {describe(site.recv)} is "
                                   f"mapped through random augmentation ({aug})")


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
        for sub in ast.walk(top):
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
