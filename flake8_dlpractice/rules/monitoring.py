"""Training Monitoring and experiment tracking (DLP4xx)."""
from __future__ import annotations

import ast
from typing import Iterator

from ..analysis.called import called_names
from ..analysis.facts import ModuleFacts
from ..analysis.records import CallSite
from ..analysis.names import dotted, last_part
from ..analysis.nodes import walk
from ..analysis.project import calls_logging_function
from ..analysis.tracking import RecordSearch, metric_evidence, outermost, training_evidence, words_of
from ..analysis.training_units import RANDOM_DATA, TrainingUnits, is_test_code
from ..analysis.validation import (Validation, const_int, epoch_end_predicts, keras_reconstructs, one_batch_loops,
                                   optimizes_inputs, reconstructs_inputs, single_iteration, single_pass)
from .base import Finding, Rule, fitting, line_ref

SECTION_MONITORING = "Training Monitoring"

LIGHTNING_VAL_KEYWORDS = frozenset({"val_dataloaders", "datamodule", "val_dataloader"})
RL_ROOTS = frozenset({"gym", "gymnasium", "stable_baselines3", "pettingzoo", "ale_py"})


# ---------------------------------------------------------------------------------------------
# DLP400 (explicit loops only; frameworks log by themselves)


class UntrackedTraining(Rule):
    """
    ## What it does
    Flags an explicit training loop (a loop that calls `backward()` or `optimizer.step()`,
    directly or through a same-file step function) whose loss is never recorded: no
    `SummaryWriter.add_scalar`, `wandb.log`, `mlflow.log_metric`, logger call, Lightning
    `self.log`, tqdm `set_postfix`/`set_description`, loss history (`losses.append(loss.item())`,
    `meter.update(loss.item())`), or `print` of the loss or a metric.

    The search covers the loop, the enclosing epoch loop and function (an average loss printed
    after the batch loop), same-file helpers called in the loop (`log_metrics(loss, step)`), and
    same-file callers when the function returns the loss or a metric (`train_loss =
    train_epoch(...)` followed by `print(train_loss)`). A `print`/log call that mentions neither
    the loss (a name derived from what `backward()` is called on, or a name/text with a loss
    word) nor a metric (`acc`, `f1`, `score`, ...) does not count: `print(f"epoch {epoch}")` is
    not tracking.

    The finding is reported on the header of the *innermost* training loop (the batch or step
    loop, where the loss is computed), because that is where the loss has to be recorded.

    Only modules that show they train on real data are checked: data they load themselves from
    a dataset library (`torchvision.datasets`, `load_dataset`, `keras.datasets`) or from files
    (`pd.read_csv`, `np.load`, `Image.open`, `open()`, a directory listing). Demos on generated
    data (`torch.rand` datasets, fake-data tutorials) and modules whose data comes from another
    file (`from datautils import MyTrainDataset`) are not the runs the guide's monitoring advice
    is about. The project's own logging helpers named in `logging-functions` count as recording
    metrics.

    ## Why is this bad?
    The guide's *Training Monitoring* section asks to track every run: the training loss should
    fall and the validation loss should fall and level off. *Common Pitfalls: not tracking
    experiments* — a run whose loss is never recorded cannot be compared, debugged (a diverging or
    NaN loss goes unnoticed) or reproduced.

    ## Example
    ```python
    train_loader = DataLoader(torchvision.datasets.MNIST("data", train=True), batch_size=64)
    for epoch in range(10):
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
    ```

    ## Use instead
    ```python
    train_loader = DataLoader(torchvision.datasets.MNIST("data", train=True), batch_size=64)
    writer = SummaryWriter()
    for epoch in range(10):
        for step, (x, y) in enumerate(train_loader):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            writer.add_scalar("train/loss", loss.item(), epoch * len(train_loader) + step)
    ```

    ## Known limits
    Framework loops (`model.fit`, `trainer.fit`, `Trainer.train()`) log by themselves and are
    not checked. Skipped as not being training runs: loops in unit tests and benchmarks
    (`test_*`/`bench*` functions, `Test*` classes), smoke and timing loops that stop after a few
    batches (an unconditional `break`, or `if i == 3: break` on a counter the loop binds, at most
    10 batches: `for i, batch in enumerate(loader)` that times three steps on each device), modules
    that load no real data (see above),
    and loops that draw their inputs from `torch.randn`/`torch.rand` and iterate no data, or a
    module built on `RandomDataset`/`FakeData`-style data. Data loaded by a helper from another
    module is not seen, so such a training script is not checked. When a function returns the loss and has no caller
    in the file, the caller elsewhere is assumed to record it; any experiment-tracker call
    (`wandb.log`, `add_scalar`, ...) in the region counts whatever it logs; a loss stored on
    `self`, handed to a `*.training_step()` of an imported module or to an `on_*_end` hook is
    assumed to be recorded there. Text printed without a loss or metric word (`print(out)`) does
    not count even when it happens to show the loss.
    """

    code, name = "DLP400", "untracked-training"
    summary = "a training loop never records its loss or any metric"
    section = "Training Monitoring; Common Pitfalls: not tracking experiments"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        units = facts.derived(TrainingUnits)
        if not units.step_loops or units.real_data is None:
            return  # no training, or data the module cannot show is real (a demo on generated data)
        search = RecordSearch(facts)
        for loop in units.step_loops:
            if search.recorded(loop):
                continue
            evidence = training_evidence(loop)
            yield self.finding(loop.node, f"this training loop never records its loss or a metric ({evidence})")


# ---------------------------------------------------------------------------------------------
# DLP401


def _is_keras_fit(site: CallSite, facts: ModuleFacts) -> bool:
    if site.method not in ("fit", "fit_generator") or site.qn is not None:
        return False
    kind = site.recv.kind if site.recv is not None else None
    if kind:
        return kind.startswith("keras.")
    roots = facts.imports.roots
    # epochs= is required by the caller: scikit-learn and boosting fit() take no epochs
    return bool(roots & {"keras", "tensorflow", "tf_keras"}) and "torch" not in roots


def _lightning_classes(facts: ModuleFacts) -> list[ast.ClassDef]:
    out = []
    for cls in facts.classes.values():
        for base in cls.bases:
            qn = facts.imports.qualname(base) or ""
            if qn.endswith("LightningModule"):
                out.append(cls)
    return out


class NoValidation(Rule):
    """
    ## What it does
    Flags training that is never checked against a validation split, in a module that never
    evaluates on one:

    - an explicit training loop (epoch- or step-based), reported on the header of its outermost
      training loop (the epoch loop; when the epoch loop lives in a caller, on the caller's loop);
    - a Keras `model.fit(...)` with several `epochs` and neither `validation_data` nor
      `validation_split`;
    - a Lightning `trainer.fit(model, train_loader)` without validation loaders (nor a
      `datamodule`) when the module's `LightningModule` defines no `validation_step`.

    Only modules that load real data themselves are checked (as for DLP400): a tutorial fitting
    made-up numbers, a demo on generated tensors or data from another file has no held-out data
    to speak of.

    One finding per module, on its first training: the trainings of a module share the missing
    validation split (the message lists the others' lines).

    Any of these counts as validation and keeps the module quiet: a loop over validation data,
    an evaluation loop over held-out data, a function or call named after validation
    (`validate(...)`, `validation_step`), validation keywords (`validation_data=`,
    `eval_dataset=`, `val_dataloaders=`), validation data passed anywhere, an evaluation function
    called between epochs, or validation names and labels (`val_loader`, `"val_loss"`,
    `dataloaders["val"]`).

    ## Why is this bad?
    *Training Monitoring* in the guide: overfitting shows only as a gap between the training and
    the validation curves (FAQ: "a widening gap between training and validation metrics"). A run
    that never validates cannot tell when to stop, which epoch is best, or whether the model
    generalises at all.

    ## Example
    ```python
    data = np.load("sensors.npz")
    for epoch in range(50):
        for x, y in train_loader:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    test_acc = evaluate(model, test_loader)  # once, at the end
    ```

    ## Use instead
    ```python
    data = np.load("sensors.npz")
    for epoch in range(50):
        for x, y in train_loader:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        val_loss = evaluate(model, val_loader)
        print(epoch, val_loss)
    ```

    ## Known limits
    A test set evaluated every epoch is reported by DLP101 (the test set is being used as a
    validation set) and not again here. Validation done in another module, or on data whose
    role is unknown (an evaluation loop over an unnamed loader), counts as validation, and so
    does any validation name or label in the module (`val_loader`, `"val_loss"`).
    Not flagged, because a validation split does not apply or is someone else's job: training
    functions with no caller in the file (library code; the caller may validate), GANs and other
    loops that step several optimizers, reinforcement learning (`gym`, `env.step`), optimisation
    of inputs rather than a model (`Adam([image])`: style transfer), overfit-one-batch loops over
    `next(iter(loader))`, reconstruction training — autoencoders, VAEs and denoisers, whose
    backpropagated loss compares the model's output with its own input (`decoded = model(x)`,
    `mse(decoded, x)`), with the data the input was made from (`model(noisy)` against `images`)
    or with the input extended in the loop (`torch.cat((x, condition))`), and Keras `fit(x, x)`, also
    through plain copies (`x_in = x` then `fit(x_in, x)`; a copy whose source name was bound again
    to other data, or inputs computed from the targets such as `fit(encoder.predict(x), x)` or lags
    of a series, are still reported):
    they are judged by their reconstructions (next-step forecasters, whose target is another slice
    of the data, are still reported) —, smoke and timing loops whose training loops all stop after at most 10
    batches (`if i == 3: break`), single-pass loops (`range(1)`, Keras `epochs=1`, one loop over the
    training data that no other loop encloses or calls: one epoch), Keras `fit` whose callbacks
    (a `Callback` class of the file) run the model in `on_epoch_end` (`self.model.predict(...)`:
    a generation demo that samples output every epoch checks the model between epochs), demos on generated
    data (`torch.randn` inputs, `RandomDataset`, `fit` on `np.random` arrays), unit tests and
    benchmarks. A `LightningModule` imported from another file is assumed to validate itself.
    """

    code, name = "DLP401", "no-validation"
    summary = "a model is trained in a module that never evaluates on a validation split"
    section = "Training Monitoring: watch the validation loss (FAQ: overfitting)"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        candidates: list[tuple[ast.AST, str]] = []
        units = facts.derived(TrainingUnits)
        if units.real_data is None:
            return  # a demo on generated data, or data from another module: nothing to validate here
        reinforcement = bool(units.top_loops) and (bool(facts.imports.roots & RL_ROOTS) or any(
            site.method == "step" and words_of(site.name or "") & {"env", "envs", "environment"}
            for site in facts.calls))  # only training loops are excused for it
        one_batch = one_batch_loops(facts) if units.top_loops else set()
        for loop in units.top_loops:
            if reinforcement or units.multi_model(loop) or optimizes_inputs(loop) or id(loop) in one_batch \
                    or reconstructs_inputs(loop):
                continue
            if loop.scope is not None and not loop.scope.callers:
                continue  # a library function: its caller, in another module, may validate
            if single_iteration(loop) or single_pass(loop):
                continue  # range(1) or one pass over the data: one epoch, like Keras fit(epochs=1)
            candidates.append((loop.node, fitting(
                f"this training loop is never checked against a validation split ({training_evidence(loop)})",
                "this training loop is never checked against a validation split")))
        lightning = _lightning_classes(facts) if not units.synthetic_module else []
        random_names: set[str] | None = None  # names bound to random arrays, once a Keras fit asks
        fits = not facts.derived(called_names).methods.isdisjoint(("fit", "fit_generator"))
        for site in facts.calls if fits else ():
            if site.method not in ("fit", "fit_generator") or is_test_code(site.scope):
                continue  # only fit() is looked at
            if _is_keras_fit(site, facts):
                epochs = site.kwarg_node("epochs")
                if epochs is None and len(site.node.args) > 3:
                    epochs = site.node.args[3]
                if epochs is None or const_int(epochs) in (0, 1) or len(site.node.args) > 6:
                    continue
                if any(kw.arg is None for kw in site.node.keywords):
                    continue
                if site.kwargs.keys() & {"validation_data", "validation_split"} or epoch_end_predicts(facts, site) \
                        or keras_reconstructs(site):
                    continue
                data = site.node.args[0] if site.node.args else site.kwarg_node("x")
                names = {n.id for n in walk(data) if isinstance(n, ast.Name)} if data else set()
                if random_names is None:
                    random_names = _random_array_names(facts)
                if names & random_names:
                    continue  # a demo on random arrays
                shown = ast.unparse(epochs) if len(ast.unparse(epochs)) < 30 else "..."
                candidates.append((site.node, fitting(
                    f"{site.name or 'fit'}(epochs={shown}) trains with no validation_data or validation_split",
                    f"fit(epochs={shown}) trains with no validation_data or validation_split")))
            elif site.method == "fit" and lightning and _is_trainer(site):
                if len(site.node.args) > 2 or site.kwargs.keys() & LIGHTNING_VAL_KEYWORDS:
                    continue
                if len(site.node.args) == 2 and not site.kwargs.get("train_dataloaders") \
                        and _looks_like_datamodule(site.node.args[1]):
                    continue
                if any(kw.arg is None for kw in site.node.keywords):
                    continue
                if any(isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and item.name in ("validation_step", "val_dataloader")
                       for cls in lightning for item in cls.body):
                    continue
                candidates.append((site.node, fitting(
                    f"{site.name}() gets no validation loaders and the LightningModule has no validation_step",
                    "trainer.fit() gets no validation loaders and the LightningModule has no validation_step")))
        if not candidates:
            return
        evidence = Validation(facts).evidence
        if evidence is not None:
            return
        # one root cause, one finding: the module holds out no validation data for any of its
        # trainings; the first training is reported and the message lists the others
        candidates.sort(key=lambda c: (c[0].lineno, c[0].col_offset))
        node, what = candidates[0]
        others = [other.lineno for other, _ in candidates[1:]]
        also = ""
        if others:
            shown = ", ".join(str(line) for line in others[:3]) + (", ..." if len(others) > 3 else "")
            also = f" (also line{'s' if len(others) > 1 else ''} {shown})"
        yield self.finding(node, fitting(what + also, what))


def _random_array_names(facts: ModuleFacts) -> set[str]:
    """Names bound to generated data (``X = np.random.rand(100, 3)``, ``torch.randn``)."""
    out: set[str] = set()
    for site in facts.calls:
        if site.qn is not None and (site.qn in RANDOM_DATA or site.qn.startswith("numpy.random.")) \
                and isinstance(site.stmt, ast.Assign):
            for target in site.stmt.targets:
                out.update(n.id for n in walk(target) if isinstance(n, ast.Name))
    return out


def _is_trainer(site: CallSite) -> bool:
    kind = site.recv.kind if site.recv is not None else None
    if kind:
        return kind.startswith("lightning.") and kind.endswith("Trainer")
    return (site.name or "").rsplit(".", 1)[0].split(".")[-1] in ("trainer", "pl_trainer")


def _looks_like_datamodule(node: ast.expr) -> bool:
    name = dotted(node) or (dotted(node.func) if isinstance(node, ast.Call) else None) or ""
    return bool(words_of(name) & {"dm", "datamodule", "module", "data"}) or "DataModule" in name


# ---------------------------------------------------------------------------------------------
# DLP402

CLIP_CALLS = frozenset({"clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "clip_gradients",
                        "clip_by_global_norm", "clip_by_norm", "clip_grad", "clip_gradient",
                        "clip_grads", "clip_grad_value", "clip_norm_", "clip_master_grads"})
CLIP_WORDS = ("grad_norm", "gradnorm", "clip_grad", "max_grad_norm", "gradient_clip", "clipnorm",
              "clipvalue", "total_norm", "grad_clip", "clip_norm", "gradient_norm", "clip_value",
              "grads_norm", "gnorm", "global_norm")


def _gradient_evidence(nodes: list[ast.AST]) -> str | None:
    for top in nodes:
        for sub in walk(top):
            text = None
            if isinstance(sub, ast.Call):
                fname = (dotted(sub.func) or "").rsplit(".", 1)[-1]
                if fname in CLIP_CALLS:
                    return f"{fname}() at {line_ref(sub.lineno)}"
                # p.grad.norm(), p.grad.data.norm(2)
                if fname == "norm" and ".grad" in (dotted(sub.func) or ""):
                    return f"{dotted(sub.func)}() at {line_ref(sub.lineno)}"
                if fname == "watch" and (dotted(sub.func) or "").startswith("wandb"):
                    return f"wandb.watch() at {line_ref(sub.lineno)}"
                if fname == "add_histogram" and any(".grad" in (dotted(a) or "") for a in sub.args):
                    return f"add_histogram() of gradients at {line_ref(sub.lineno)}"
                continue
            if isinstance(sub, ast.Name):
                text = sub.id
            elif isinstance(sub, ast.Attribute):
                text = sub.attr
            elif isinstance(sub, ast.keyword):
                text = sub.arg
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) < 200:
                text = sub.value
            if text and any(w in text.lower() for w in CLIP_WORDS):
                return f"{text!r} at {line_ref(getattr(sub, 'lineno', '?'))}"
    return None


class UnmonitoredGradients(Rule):
    """
    ## What it does
    Flags an explicit training loop (reported on its innermost training loop, where `backward()`
    runs) in which gradients are neither clipped nor their norm recorded: no
    `torch.nn.utils.clip_grad_norm_`/`clip_grad_value_`, `accelerator.clip_grad_norm_`,
    `fabric.clip_gradients`, `gradient_clip_val`/`max_grad_norm`/`clipnorm`/`clipvalue`
    settings, `p.grad.norm()` computations, `wandb.watch(model)` or gradient histograms in the
    loop, its function, or the same-file helpers it calls.

    ## Why is this bad?
    The guide's *Training Monitoring* section lists stable gradient norms among the curves to
    watch, and *Debugging Neural Networks* says to check gradients: exploding norms precede NaN
    losses, vanishing ones explain a loss that does not move. Logging the norm (the return value
    of `clip_grad_norm_`) costs nothing, and clipping bounds the damage of a bad batch.

    ## Example
    ```python
    loader = DataLoader(torchvision.datasets.MNIST("data", train=True), batch_size=64)
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    loader = DataLoader(torchvision.datasets.MNIST("data", train=True), batch_size=64)
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        writer.add_scalar("train/grad_norm", grad_norm, step)
        optimizer.step()
    ```

    ## Known limits
    Opt-in: many small models train fine without it. Framework loops (Keras, Lightning, HF
    `Trainer`) are not checked; they clip through their own settings. Gradient monitoring done
    by a hook registered in another module is not seen. With gradient accumulation the finding
    goes on the inner loop that calls `backward()`, though clipping belongs before the outer
    loop's `step()`. Loops that optimise inputs (style transfer) and the loops DLP400 skips
    (tests, benchmarks, generated data, modules that load no real data) are not checked.
    """

    code, name = "DLP402", "unmonitored-gradients"
    summary = "a training loop neither clips nor logs gradient norms"
    section = "Training Monitoring: gradient norms should stay stable"
    default = False

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        units = facts.derived(TrainingUnits)
        if not units.step_loops or units.real_data is None:
            return
        if any(qn.startswith("wandb.watch") for qn in facts.derived(called_names).qualified):
            return
        for loop in units.step_loops:
            if optimizes_inputs(loop):
                continue  # style transfer, adversarial examples: no model weights are trained
            nodes: list[ast.AST] = [loop.scope.node] if loop.scope is not None else [outermost(loop).node]
            for site in loop.calls:
                if site.local is not None:
                    nodes.append(site.local.node)
                    nodes.extend(c.local.node for c in site.local.calls if c.local is not None)
            if _gradient_evidence(nodes):
                continue
            evidence = training_evidence(loop)
            yield self.finding(loop.node, f"this training loop neither clips nor logs gradient norms ({evidence})")


# ---------------------------------------------------------------------------------------------
# DLP403

TRACKER_STARTS = {
    "torch.utils.tensorboard.SummaryWriter": "SummaryWriter",
    "torch.utils.tensorboard.writer.SummaryWriter": "SummaryWriter",
    "tensorboardX.SummaryWriter": "SummaryWriter",
    "wandb.init": "wandb.init",
    "mlflow.start_run": "mlflow.start_run",
}
HPARAM_CALLS = frozenset({"add_hparams", "log_params", "log_param", "log_hyperparams",
                          "log_hyperparameters", "save_hyperparameters", "log_config"})


def _hparams_in_run_name(site: CallSite) -> bool:
    """``SummaryWriter(comment=f"_lr={lr}_bs={bs}")``: the settings are written into the run name."""
    for kw in site.node.keywords:
        if kw.arg in ("comment", "log_dir", "logdir", "name", "run_name", "notes", "tags") \
                and _formats_values(kw.value):
            return True
    return any(_formats_values(arg) for arg in site.node.args[:1])


def _formats_values(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return bool(node.args or node.keywords)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant):
        return True
    return False


class UnloggedHyperparameters(Rule):
    """
    ## What it does
    Flags the start of a tracked run — `SummaryWriter(...)`, `wandb.init(...)`,
    `mlflow.start_run(...)` — in a module that never records the run's hyperparameters (once per
    module, on the first tracker: a training and a validation `SummaryWriter` are one run):
    no `writer.add_hparams(...)`, `wandb.init(config=...)`, `wandb.config.update(...)` or
    `wandb.config.x = ...`, `mlflow.log_params(...)`/`log_param(...)`, `mlflow.autolog()`, nor
    a logger's `log_hyperparams(...)`.

    ## Why is this bad?
    The guide's *Reproducibility* section asks to record hyperparameters with every run, and
    *Common Pitfalls: not tracking experiments* warns that curves without their settings cannot
    be compared: two loss curves in TensorBoard are useless when nobody knows which learning
    rate or batch size produced which.

    ## Example
    ```python
    run = wandb.init(project="mnist")
    for epoch in range(epochs):
        wandb.log({"loss": train_one_epoch()})
    ```

    ## Use instead
    ```python
    run = wandb.init(project="mnist", config={"lr": lr, "batch_size": batch_size, "epochs": epochs})
    ```

    ## Known limits
    Opt-in. A call to one of the project's own logging helpers (`logging-functions`) is taken to
    record the run's settings. Hyperparameters written by other means (a config file saved next
    to the TensorBoard logs) are not recognised; `add_text` mentioning `args`/`config`/`hparams` counts, and so do
    settings formatted into the run's name (`SummaryWriter(comment=f"_lr={lr}")`,
    `wandb.init(name=f"bs{bs}")`). A tracker started in another module is not seen. The module
    must import an ML framework to be checked at all.
    """

    code, name = "DLP403", "unlogged-hyperparameters"
    summary = "an experiment tracker is started but hyperparameters are never recorded"
    section = "Common Pitfalls: not tracking experiments; Reproducibility"
    default = False

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        starts = [(site, TRACKER_STARTS[site.qn]) for site in facts.calls if site.qn in TRACKER_STARTS]
        if not starts:
            return
        for site in facts.calls:
            qn = site.qn or ""
            if site.method in HPARAM_CALLS or qn.endswith(".autolog") or last_part(qn) in HPARAM_CALLS:
                return
            if qn in ("wandb.init",) and (site.kwarg_node("config") is not None
                                          or any(kw.arg is None for kw in site.node.keywords)):
                return
            if site.method in ("update", "setdefaults") and (site.name or "").endswith("config.update") \
                    and (site.name or "").split(".")[0] in ("wandb", "run", "self", "wandb_run"):
                return
            if site.method == "update" and "config" in (site.name or "") and "wandb" in qn:
                return
            if site.method == "add_text" and metric_evidence(list(site.node.args), set(), False) is None \
                    and any(w in (ast.unparse(a) if len(site.node.args) < 5 else "").lower()
                            for a in site.node.args for w in ("args", "config", "hparam", "param")):
                return
        for store in facts.stores:
            if store.target.startswith(("wandb.config", "run.config")):
                return
        if calls_logging_function(facts):
            return  # the project's own logging helper records the run
        unnamed = [(site, label) for site, label in starts if not _hparams_in_run_name(site)]
        if not unnamed:
            return
        # one defect, one finding: the module records no settings for any of its runs (a train and
        # a validation SummaryWriter are one run)
        site, label = unnamed[0]
        more = len(unnamed) - 1
        also = f" (and {more} more tracker{'s' if more > 1 else ''})" if more else ""
        yield self.finding(site.node, f"{label}() starts a run but this module records no "
                           f"hyperparameters{also}")
