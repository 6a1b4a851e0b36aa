"""Premature optimisation and model choice (DLP5xx)."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from ..analysis.called import called_names
from ..analysis.facts import ModuleFacts
from ..analysis.records import CallSite, LoopInfo, is_data_loop, trains_directly
from ..analysis.names import dotted, last_part, name_words
from ..analysis.nodes import walk
from ..analysis.training_facts import loop_ref
from ..analysis.training_units import TrainingUnits, is_test_code, loop_trainers
from ..analysis.validation import single_batch_names
from .base import Finding, Fix, Rule, fitting, line_ref, span_of

COMPILE = "torch.compile"
PER_BATCH_FUNCTIONS = frozenset({"forward", "training_step", "validation_step", "test_step",
                                 "predict_step", "train_step", "eval_step", "__getitem__",
                                 "training_step_end", "validation_step_end"})
FRAMEWORK_FIT = frozenset({"fit", "fit_generator", "train_on_batch"})
EVAL_METHODS = frozenset({"eval", "evaluate", "validate", "predict", "test", "validation_step",
                          "test_step", "evaluation_loop"})
EVAL_KEYWORDS = frozenset({"validation_data", "validation_split", "val_dataloaders", "eval_dataset",
                           "eval_set", "validation_steps", "val_check_interval"})
EVAL_FUNCTION_WORDS = ("eval", "valid", "test")


@dataclass(frozen=True)
class DebuggingAid:
    line: int
    description: str  # ``set_detect_anomaly(True)``, ``an overfit-one-batch loop``
    what: str  # the text on its line, for the line reference


_AID_CALLS = frozenset({"torch.autograd.set_detect_anomaly", "torch.autograd.detect_anomaly",
                        "torch.autograd.anomaly_mode.detect_anomaly", "os.environ.setdefault", "os.putenv"})


def debugging_aids(facts: ModuleFacts) -> list[DebuggingAid]:
    """Debugging aids active in the module, in line order."""
    found: list[DebuggingAid] = []
    for site in facts.calls if not facts.derived(called_names).qualified.isdisjoint(_AID_CALLS) else ():
        if site.qn == "torch.autograd.set_detect_anomaly" and site.node.args \
                and isinstance(site.node.args[0], ast.Constant) and site.node.args[0].value is True:
            found.append(DebuggingAid(site.line, "set_detect_anomaly(True)", "set_detect_anomaly"))
        elif site.qn in ("torch.autograd.detect_anomaly", "torch.autograd.anomaly_mode.detect_anomaly"):
            found.append(DebuggingAid(site.line, "detect_anomaly()", "detect_anomaly"))
        elif site.qn in ("os.environ.setdefault", "os.putenv") and site.node.args \
                and isinstance(site.node.args[0], ast.Constant) and site.node.args[0].value == "CUDA_LAUNCH_BLOCKING":
            found.append(DebuggingAid(site.line, "CUDA_LAUNCH_BLOCKING", "CUDA_LAUNCH_BLOCKING"))
    for store in facts.stores:
        if store.target == "os.environ['CUDA_LAUNCH_BLOCKING']":
            found.append(DebuggingAid(store.stmt.lineno, "CUDA_LAUNCH_BLOCKING", "CUDA_LAUNCH_BLOCKING"))
    one_batch = _overfit_one_batch(facts)
    if one_batch:
        found.append(DebuggingAid(one_batch, "an overfit-one-batch loop", "for"))
    return sorted(found, key=lambda aid: aid.line)


def _overfit_one_batch(facts: ModuleFacts) -> int | None:
    """``batch = next(iter(loader))`` then a training loop over ``range`` using that batch."""
    single = facts.derived(single_batch_names)
    for loop in facts.loops:
        if not loop.trains or is_data_loop(loop) or id(loop.scope) not in single:
            continue
        names = single[id(loop.scope)]
        for sub in walk(loop.node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id in names:
                return loop.line
    return None


def trains(facts: ModuleFacts) -> bool:
    if any(loop.trains for loop in facts.loops):
        return True
    for site in facts.calls:
        if site.method in FRAMEWORK_FIT and site.qn is None and site.args:
            return True
        if site.method == "fit" and site.qn is None and site.kwargs.keys() & {"train_dataloaders", "datamodule"}:
            return True
        if site.method == "train" and site.recv is not None and (site.recv.kind or "").startswith("transformers."):
            return True
    return False


def evaluates(facts: ModuleFacts) -> bool:
    if any(loop.evaluates for loop in facts.loops):
        return True
    for site in facts.calls:
        if site.method in EVAL_METHODS and not (site.method == "eval" and site.node.args):
            return True
        if site.kwargs.keys() & EVAL_KEYWORDS:
            return True
        if site.in_no_grad:
            return True
    for info in facts.functions:
        if info.no_grad or any(w in info.name.lower() for w in EVAL_FUNCTION_WORDS):
            return True
    return False


class PrematureCompile(Rule):
    """
    ## What it does
    Flags `torch.compile(...)` in code that is still being debugged or has never been shown to
    work: a module with active debugging aids (`torch.autograd.set_detect_anomaly(True)`,
    `detect_anomaly()`, `CUDA_LAUNCH_BLOCKING`, a loop that overfits one batch from
    `next(iter(loader))`), or a training module that loads real data (as DLP400 defines it) and
    has no evaluation or validation step at all. Showcases of compilation on generated or demo
    data (`torch.randn` batches, `lightning.pytorch.demos`) are not flagged: compiling is their
    point.

    ## Why is this bad?
    *Common Pitfalls* in the guide: optimising for speed before the model is known to work.
    Compilation adds minutes of start-up, graph breaks and recompilations, and turns Python
    tracebacks into compiler stack traces; while debugging it hides the very errors one is
    looking for, and a script that never evaluates cannot show that the compiled model works.

    ## Example
    ```python
    torch.autograd.set_detect_anomaly(True)
    model = torch.compile(model)
    ```

    ## Use instead
    ```python
    model = Net()  # compile once the model trains and validates correctly
    ```

    ## Fix
    Unsafe: `dlp-fix --unsafe-fixes` replaces `torch.compile(model, ...)` by `model`.

    ## Known limits
    Evaluation that happens in another module (a separate `evaluate.py`) is not seen; add
    `# noqa: DLP500` on the compile line when the model is known to work. A training script whose
    data is loaded by another module is taken for a showcase and not flagged for missing
    evaluation.
    """

    code, name = "DLP500", "premature-compile"
    summary = "torch.compile is applied to code still being debugged or never evaluated"
    section = "Common Pitfalls: premature optimization"
    fix = "unsafe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        compiles = [c for c in facts.calls if c.qn == COMPILE]
        if not compiles:
            return
        aids = debugging_aids(facts)
        if aids:
            aid = aids[0]
            reason = f"while debugging ({aid.description} at {line_ref(aid.line, aid.what)})"
        elif trains(facts) and not evaluates(facts) and facts.derived(TrainingUnits).real_data is not None:
            reason = "in a training script that never evaluates the model"
        else:
            return
        for site in compiles:
            yield self.finding(site.node, fitting(f"torch.compile applied {reason}: make the model work first",
                                                  f"torch.compile applied {reason}"), fix=_unwrap_fix(site))


def _unwrap_fix(site: CallSite) -> Fix | None:
    node = site.node
    if not node.args or isinstance(node.args[0], ast.Starred):
        return None
    stmt = site.stmt
    if (isinstance(stmt, ast.Assign) and stmt.value is node and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and isinstance(node.args[0], ast.Name)
            and stmt.targets[0].id == node.args[0].id):
        return Fix("unsafe", "remove-statement", span_of(stmt), title="remove torch.compile")  # m = compile(m)
    return Fix("unsafe", "replace-with-argument", span_of(node), (("argument", "0"),), title="remove torch.compile")


class CompileInLoop(Rule):
    """
    ## What it does
    Flags `torch.compile(...)` called inside a loop (a training, evaluation or epoch loop) or
    inside a function that runs once per batch (`forward`, `training_step`, `__getitem__`, or a
    same-file function called from inside a data loop).

    ## Why is this bad?
    *Common Pitfalls: premature optimization* gone wrong: every call wraps the model again and
    can trigger a fresh compilation, so the "optimisation" makes each step slower and fills the
    compile cache. Compile once, before the loop.

    ## Example
    ```python
    for x, y in loader:
        out = torch.compile(model)(x)
    ```

    ## Use instead
    ```python
    compiled = torch.compile(model)
    for x, y in loader:
        out = compiled(x)
    ```

    ## Known limits
    A loop that builds a new model each iteration and compiles it (benchmarking several
    architectures) is not flagged: the object compiled is assigned earlier in the same
    iteration.
    """

    code, name = "DLP501", "compile-in-loop"
    summary = "torch.compile is called inside a loop or a per-batch function"
    section = "Common Pitfalls: premature optimization"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        if COMPILE not in facts.derived(called_names).qualified:
            return
        per_batch = _per_batch_functions(facts)
        for site in facts.calls:
            if site.qn != COMPILE:
                continue
            if site.loops:
                loop = site.loops[-1]
                if not _fresh_each_iteration(site, loop):
                    yield self.finding(site.node, f"torch.compile inside the loop at {loop_ref(loop)} re-wraps "
                                       f"the model every iteration: compile once before it")
            elif site.scope is not None and id(site.scope) in per_batch:
                yield self.finding(site.node, f"torch.compile in {site.scope.name}(), which runs "
                                   f"{per_batch[id(site.scope)]}: compile once, outside")


def _per_batch_functions(facts: ModuleFacts) -> dict[int, str]:
    out: dict[int, str] = {}
    for info in facts.functions:
        if info.name in PER_BATCH_FUNCTIONS:
            out[id(info)] = "once per batch"
    for info in facts.functions:
        for caller in info.callers:
            if any(loop.trains or is_data_loop(loop) for loop in caller.loops):
                loop = caller.loops[-1]
                out.setdefault(id(info), f"inside the loop at {loop_ref(loop)}")
    return out


def _fresh_each_iteration(site: CallSite, loop: LoopInfo) -> bool:
    """The compiled object is the loop variable or is built earlier in the same iteration."""
    if not site.node.args:
        return False
    arg = site.node.args[0]
    if not isinstance(arg, ast.Name):
        return isinstance(arg, ast.Call)  # torch.compile(build(name)) builds a new model
    if isinstance(loop.node, (ast.For, ast.AsyncFor)):
        for sub in walk(loop.node.target):
            if isinstance(sub, ast.Name) and sub.id == arg.id:
                return True
    for stmt in loop.node.body:
        for sub in walk(stmt):
            if (isinstance(sub, ast.Name) and sub.id == arg.id and isinstance(sub.ctx, ast.Store)
                    and sub.lineno < site.line and stmt is not site.stmt):
                return True
    return False


# ---------------------------------------------------------------------------------------------
# DLP502-DLP504 (debugging aids left on, model choice)

ANOMALY_SET = frozenset({"torch.autograd.set_detect_anomaly",
                         "torch.autograd.anomaly_mode.set_detect_anomaly"})
ANOMALY_CONTEXT = frozenset({"torch.autograd.detect_anomaly",
                             "torch.autograd.anomaly_mode.detect_anomaly"})


def _training_call(site: CallSite, facts: ModuleFacts, step_ok: bool = False) -> bool:
    """A call that runs training: a same-file function with a training loop (or, with
    ``step_ok``, any same-file function that trains) or a framework fit."""
    if site.local is not None and site.local.trains and (step_ok or id(site.local) in facts.derived(loop_trainers)):
        return True
    if site.qn is None and site.method in FRAMEWORK_FIT and site.args:
        return True
    if site.qn is None and site.method == "fit" and site.kwargs.keys() & {"train_dataloaders", "datamodule"}:
        return True
    return (site.method == "train" and site.recv is not None
            and (site.recv.kind or "").startswith("transformers."))


def _span_contains(outer: ast.AST, inner: ast.AST) -> bool:
    end = getattr(outer, "end_lineno", None) or outer.lineno
    return outer.lineno <= inner.lineno <= end and inner is not outer


class AnomalyDetectionLeftOn(Rule):
    """
    ## What it does
    Flags autograd anomaly detection left switched on around real training:
    `torch.autograd.set_detect_anomaly(True)` at module level (or in `main()`) of a module that
    trains, or before a training loop / training call in the same function, and
    `with torch.autograd.detect_anomaly():` around a training loop, a training call, or the
    backward pass of every iteration.

    ## Why is this bad?
    Anomaly detection is a *Debugging Neural Networks* tool: it records a traceback for every
    autograd node and checks every backward result for NaN, which makes training several times
    slower. *Common Pitfalls* in the guide: debugging switches forgotten in a training script
    cost hours of GPU time. Turn it on to find the NaN, then off again.

    ## Example
    ```python
    torch.autograd.set_detect_anomaly(True)
    for epoch in range(100):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
    ```

    ## Use instead
    ```python
    torch.autograd.set_detect_anomaly(args.debug)  # or remove the line
    for epoch in range(100):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
    ```

    ## Fix
    Unsafe: `dlp-fix --unsafe-fixes` removes the `set_detect_anomaly(True)` statement (it changes
    which errors training raises). The `with detect_anomaly():` form is report-only.

    ## Known limits
    A mode chosen at run time (`set_detect_anomaly(args.debug)`) is not flagged. Unit tests
    (`test_*` functions, `Test*` classes) are skipped. Training that happens in another module
    after a module-level switch is not seen.
    """

    code, name = "DLP502", "anomaly-detection-left-on"
    summary = "autograd anomaly detection is left on around a full training loop"
    section = "Debugging Neural Networks; Common Pitfalls: premature optimization"
    fix = "unsafe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        called = facts.derived(called_names).qualified
        if called.isdisjoint(ANOMALY_SET) and called.isdisjoint(ANOMALY_CONTEXT):
            return  # decided without testing every call
        anomaly = [s for s in facts.calls if s.qn in ANOMALY_SET or s.qn in ANOMALY_CONTEXT]
        if not anomaly:
            return
        training_loops = [lp for lp in facts.loops if lp.trains and not is_test_code(lp.scope)]
        for site in anomaly:
            if is_test_code(site.scope):
                continue
            if site.qn in ANOMALY_SET:
                where = self._set_reason(facts, site, training_loops)
                if where:
                    fix = None
                    if isinstance(site.stmt, ast.Expr) and site.stmt.value is site.node:
                        fix = Fix("unsafe", "remove-statement", span_of(site.stmt),
                                  title="remove set_detect_anomaly(True)")
                    yield self.finding(site.node, fitting(f"set_detect_anomaly(True) stays on {where}: it slows "
                                                          f"every backward pass",
                                                          f"set_detect_anomaly(True) stays on {where}"), fix=fix)
            else:
                where = self._context_reason(facts, site, training_loops)
                if where:
                    yield self.finding(site.node, fitting(f"detect_anomaly() is active {where}: it slows every "
                                                          f"backward pass", f"detect_anomaly() is active {where}"))

    def _set_reason(self, facts: ModuleFacts, site: CallSite, loops: list[LoopInfo]) -> str | None:
        node = site.node
        mode = node.args[0] if node.args else site.kwarg_node("mode")
        if not (isinstance(mode, ast.Constant) and mode.value is True):
            return None
        scope = site.scope
        later_off = [s for s in facts.calls if s.qn in ANOMALY_SET and s.scope is scope and s.line > site.line
                     and s.node.args and isinstance(s.node.args[0], ast.Constant)
                     and s.node.args[0].value is False]
        limit = min((s.line for s in later_off), default=None)
        if scope is None and limit is None:
            if loops:
                return f"for the whole module (training loop at {loop_ref(loops[0])})"
            if trains(facts):
                return "for the whole module, which trains a model"
            return None
        in_scope = [lp for lp in loops if lp.scope is scope and lp.line > site.line
                    and (limit is None or lp.line < limit)]
        if in_scope:
            return f"for the training loop at {loop_ref(in_scope[0])}"
        for call in facts.calls:
            if call.scope is scope and call.line > site.line and (limit is None or call.line < limit) \
                    and _training_call(call, facts):
                return f"for the training started at {line_ref(call.line, call.name or '')}"
        return None

    def _context_reason(self, facts: ModuleFacts, site: CallSite, loops: list[LoopInfo]) -> str | None:
        stmt = site.stmt
        if not isinstance(stmt, (ast.With, ast.AsyncWith)) or not any(
                item.context_expr is site.node for item in stmt.items):
            return None
        inside = [lp for lp in loops if lp.scope is site.scope and _span_contains(stmt, lp.node)]
        if inside:
            return f"around the training loop at {loop_ref(inside[0])}"
        enclosing = next((lp for lp in reversed(site.loops) if lp.trains), None)
        for call in (enclosing.calls if enclosing is not None else []):
            if _span_contains(stmt, call.node) and (trains_directly(call)
                                                    or _training_call(call, facts, step_ok=True)):
                return f"in every iteration of the training loop at {loop_ref(enclosing)}"
        if enclosing is None and site.scope is not None:
            for call in site.scope.calls:
                if _span_contains(stmt, call.node) and _training_call(call, facts):
                    return f"around the training started at {line_ref(call.line, call.name or '')}"
        return None


# ---------------------------------------------------------------------------------------------

TV_NOT_MODELS = frozenset({"get_model_weights", "get_weight", "list_models", "get_model_builder",
                           "create_feature_extractor", "get_graph_node_names", "load_state_dict_from_url",
                           "register_model", "vgg", "resnet", "mobilenet", "densenet"})
TV_BACKBONE_FAMILIES = ("torchvision.models.detection.", "torchvision.models.segmentation.")
ZOO_PREFIXES = ("torchvision.models.", "timm.", "transformers.", "trl.")  # where _scratch_reason looks
LOAD_METHODS = frozenset({"load_state_dict", "load_weights", "load_checkpoint", "load_pretrained",
                          "from_pretrained"})


def _const(node: ast.expr | None):
    return node.value if isinstance(node, ast.Constant) else ...


def _scratch_reason(site: CallSite) -> tuple[str, str] | None:
    """(model label, how its weights are random) for a zoo constructor building random weights."""
    qn = site.qn or ""
    node = site.node
    if not qn.startswith(ZOO_PREFIXES) or any(kw.arg is None for kw in node.keywords):
        return None  # not a model zoo; or **kwargs decide
    if qn.startswith("torchvision.models."):
        short = last_part(qn)
        if not short[:1].islower() or short.startswith("_") or short in TV_NOT_MODELS:
            return None
        if ".feature_extraction." in qn or ".utils" in qn or "._api" in qn:
            return None
        args = list(node.args)
        label = short
        if short == "get_model":
            if not args or not isinstance(args[0], ast.Constant):
                return None
            label = f"get_model({args[0].value!r})"
            args = args[1:]
        weights = site.kwarg_node("weights")
        pretrained = site.kwarg_node("pretrained")
        if args:
            pretrained = args[0] if pretrained is None else pretrained
        for key in ("weights_backbone", "pretrained_backbone"):
            backbone = site.kwarg_node(key)
            if backbone is not None and _const(backbone) not in (None, False):
                return None
        if weights is not None:
            if _const(weights) is not None:
                return None
            how = "weights=None"
        elif pretrained is not None:
            if _const(pretrained) is not False:
                return None
            how = "pretrained=False"
        else:
            how = "no weights= argument"
        if qn.startswith(TV_BACKBONE_FAMILIES):
            backbone = site.kwarg_node("weights_backbone")
            if backbone is None:
                backbone = site.kwarg_node("pretrained_backbone")
            if backbone is None:
                return None  # the backbone defaults to ImageNet weights
            how += " and no pretrained backbone"
        return label, how
    if qn in ("timm.create_model", "timm.models.create_model", "timm.models.factory.create_model"):
        if site.kwarg_node("checkpoint_path") is not None:
            return None
        pretrained = site.kwarg_node("pretrained")
        if pretrained is None and len(node.args) > 1:
            pretrained = node.args[1]
        name = node.args[0] if node.args else site.kwarg_node("model_name")
        shown = repr(name.value) if isinstance(name, ast.Constant) else "..."
        label = f"timm.create_model({shown})"
        if pretrained is None:
            return label, "pretrained omitted"
        if _const(pretrained) is False:
            return label, "pretrained=False"
        return None
    if qn.startswith(("transformers.", "trl.")) and site.method == "from_config":
        cls = qn.rsplit(".", 2)[-2] if qn.count(".") >= 2 else ""
        if "AutoModel" in cls:
            return f"{cls}.from_config", "a config only"
    return None


def _only_synthetic_training(facts: ModuleFacts) -> bool:
    """Every training loop runs on random tensors (a benchmark or distributed demo)."""
    loops = [lp for lp in facts.loops if lp.trains]
    if not loops or any(_training_call(site, facts) and site.local is None for site in facts.calls):
        return False
    units = facts.derived(TrainingUnits)
    return all(units.synthetic(lp) for lp in loops)


def _target_name(site: CallSite) -> str | None:
    stmt = site.stmt
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
        return dotted(target)
    return None


class TrainingFromScratch(Rule):
    """
    ## What it does
    Flags a model-zoo architecture built with random weights in a module that trains:
    `torchvision.models.resnet50(weights=None)`, `pretrained=False`, a torchvision builder called
    without `weights=` (which means random initialisation), `torchvision.models.get_model("vit_b_16")`
    without weights, `timm.create_model("convnext_tiny")` with `pretrained` omitted or `False`, and
    Hugging Face `AutoModel...from_config(config)`.

    Not flagged: the choice is a runtime argument (`weights=args.weights`,
    `pretrained=args.pretrained`, `weights=None if args.scratch else "DEFAULT"`), detection and
    segmentation builders whose backbone keeps its ImageNet default, `timm` models given a
    `checkpoint_path`, a `from_config` next to a `from_pretrained` model in the same scope (the
    usual "from scratch or not" switch), a model whose state dict is loaded in the module, and
    modules that never train.

    ## Why is this bad?
    *Common Pitfalls: training from scratch when transfer learning is available* and the FAQ:
    transfer learning works with 100-1,000 labelled examples, training from scratch needs far
    more data and compute. *Model Architecture Selection* recommends starting from pre-trained
    weights of a standard architecture.

    ## Example
    ```python
    model = torchvision.models.resnet18(num_classes=10)
    for images, labels in train_loader:
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
    ```

    ## Use instead
    ```python
    model = torchvision.models.resnet18(weights="DEFAULT")
    model.fc = torch.nn.Linear(model.fc.in_features, 10)
    for images, labels in train_loader:
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
    ```

    ## Known limits
    Opt-in: training from scratch is right for very large data sets, new modalities and
    research on architectures. The model is not followed to the training loop: any training in
    the module counts. Direct HF constructors (`BertForMaskedLM(config)`) are not flagged.
    """

    code, name = "DLP503", "training-from-scratch"
    summary = "a model-zoo architecture is trained from random weights"
    section = "Common Pitfalls: not using pre-trained models; Model Architecture Selection"
    default = False

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        found = []
        for site in facts.calls:
            reason = _scratch_reason(site)
            if reason is not None and not is_test_code(site.scope):
                found.append((site, reason))
        if not found or not trains(facts) or _only_synthetic_training(facts):
            return
        loaded = {(s.name or "").rsplit(".", 1)[0] for s in facts.calls if s.method in LOAD_METHODS}
        pretrained_models = {id(s.scope) for s in facts.calls if s.method == "from_pretrained"
                             and ("Model" in (s.name or "") or "For" in (s.name or ""))
                             and "Config" not in (s.name or "")}
        for site, (label, how) in found:
            target = _target_name(site)
            if target and (target in loaded or any(lp.startswith(target + ".") for lp in loaded)
                           or (target.startswith("self.") and loaded)):
                continue
            if site.method == "from_config" and id(site.scope) in pretrained_models:
                continue
            yield self.finding(site.node, fitting(f"{label} starts from random weights ({how})",
                                                  "a zoo model starts from random weights"))


# ---------------------------------------------------------------------------------------------

TABULAR_READS = frozenset({"pandas.read_csv", "pandas.read_table", "pandas.read_parquet",
                           "pandas.read_excel", "pandas.read_feather", "pandas.read_sql",
                           "pandas.read_hdf", "pandas.read_pickle"})
GBM_ROOTS = frozenset({"xgboost", "lightgbm", "catboost"})
NOT_TABULAR_PREFIXES = (
    "torch.nn.Conv", "torch.nn.LSTM", "torch.nn.GRU", "torch.nn.RNN", "torch.nn.Transformer",
    "torch.nn.functional.conv", "torch.nn.MultiheadAttention", "keras.layers.Conv",
    "keras.layers.LSTM", "keras.layers.GRU", "keras.layers.SimpleRNN", "keras.layers.Bidirectional",
    "keras.layers.TextVectorization", "keras.layers.MultiHeadAttention", "keras.preprocessing.text",
    "keras.preprocessing.image", "keras.utils.load_img", "keras.preprocessing.sequence",
    "sklearn.feature_extraction.text", "PIL.Image.open", "cv2.imread", "skimage.io.imread",
    "imageio.imread", "torchvision.io.read_image", "matplotlib.pyplot.imread", "nltk.",
)
NOT_TABULAR_LAYERS = frozenset({
    "Conv1d", "Conv2d", "Conv3d", "Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "LSTM", "GRU", "RNN",
    "SimpleRNN", "CuDNNLSTM", "CuDNNGRU", "Bidirectional", "ConvLSTM2D", "MultiheadAttention",
    "MultiHeadAttention", "TransformerEncoder", "TransformerEncoderLayer", "Transformer", "LSTMCell",
    "GRUCell", "TextVectorization", "Tokenizer",
})
NOT_TABULAR_ROOTS = frozenset({"transformers", "torchtext", "torchvision", "torchaudio", "librosa",
                               "statsmodels", "prophet", "fbprophet", "pmdarima", "sktime",
                               "spacy", "gensim", "tokenizers", "cv2", "albumentations", "timm",
                               "nltk", "sentencepiece"})
TO_TENSOR_CALLS = frozenset({"torch.tensor", "torch.from_numpy", "torch.Tensor", "torch.FloatTensor",
                             "torch.LongTensor", "torch.DoubleTensor", "torch.as_tensor",
                             "numpy.array", "numpy.asarray", "tensorflow.convert_to_tensor",
                             "tensorflow.constant", "numpy.float32"})
IMAGE_WORDS = frozenset({"pixel", "pixels", "image", "images", "img", "imgs", "filename", "filepath",
                         "path", "paths", "file", "text", "sentence", "review", "tweet", "comment"})


def _assign_targets(stmt: ast.AST) -> list[ast.expr]:
    if isinstance(stmt, ast.Assign):
        return list(stmt.targets)
    if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        return [stmt.target]
    return []


def _target_names(targets: list[ast.expr]) -> set[str]:
    out = set()
    for target in targets:
        base = target
        while isinstance(base, (ast.Subscript, ast.Starred)):
            base = base.value
        for sub in walk(base):
            if isinstance(sub, ast.Name):
                out.add(sub.id)
    return out


def _loads(node: ast.AST) -> set[str]:
    return {sub.id for sub in walk(node) if isinstance(sub, ast.Name)}


class DeepLearningOnTabular(Rule):
    """
    ## What it does
    Flags the first `backward()` (or Keras `fit`) that trains a neural network on tabular data,
    in a module that never fits a gradient-boosting baseline. Tabular data means numeric
    columns of a DataFrame read with `pd.read_csv`/`read_parquet`/`read_excel`/... turned into
    arrays or tensors (`df.values`, `df.to_numpy()`, `torch.tensor(df[cols])`,
    `torch.from_numpy(...)`) that reach the training loop or `fit`. A module that imports
    XGBoost, LightGBM or CatBoost, or builds scikit-learn `HistGradientBoosting*`/
    `GradientBoosting*`, has its baseline and is not flagged.

    ## Why is this bad?
    *Model Architecture Selection* and the FAQ of the guide: for tabular data gradient boosting
    usually beats deep learning, trains in seconds and needs no normalisation or architecture
    search. A network without a boosting baseline next to it cannot show that it is worth its
    cost (*Common Pitfalls: needlessly complex models*).

    ## Example
    ```python
    df = pd.read_csv("house_prices.csv")
    X = torch.tensor(df.drop(columns="price").values, dtype=torch.float32)
    for batch in X.split(64):
        loss = net(batch).pow(2).mean()
        loss.backward()
    ```

    ## Use instead
    ```python
    from sklearn.ensemble import HistGradientBoostingRegressor
    baseline = HistGradientBoostingRegressor().fit(X_train, y_train)
    print("GBM baseline", baseline.score(X_val, y_val))
    # then train the network and compare
    ```

    ## Known limits
    Opt-in. Not flagged: a CSV of file paths or texts (image loading, tokenizers, torchvision,
    transformers in the module), pixel columns (names or strings mentioning pixels, images,
    paths, text), and sequence models (convolutional, recurrent or attention layers, which point
    at images, time series or text). Data followed through same-scope assignments only; a
    baseline in another module is not seen. The message cites the conversion of feature columns
    that reaches the training (an index, column names, ids or the label column are never
    evidence); when the features reach the training through a helper the analysis does not
    follow, it cites the read. Networks used on purpose (entity embeddings, stacking over
    boosting models from another file) are reported too: the rule is opt-in.
    """

    code, name = "DLP504", "deep-learning-on-tabular"
    summary = "a neural network is trained on tabular data without a gradient-boosting baseline"
    section = "Model Architecture Selection; FAQ: classical ML for tabular data"
    default = False

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        roots = facts.imports.roots
        if roots & GBM_ROOTS or roots & NOT_TABULAR_ROOTS:
            return
        reads = [s for s in facts.calls if s.qn in TABULAR_READS]
        if not reads:
            return
        for qualified in facts.imports.aliases.values():
            if qualified.startswith("sklearn.ensemble.") and "GradientBoosting" in qualified:
                return  # a boosting baseline is at hand
        for site in facts.calls:
            qn = site.qn or ""
            if qn.startswith(NOT_TABULAR_PREFIXES) or last_part(qn or site.name) in NOT_TABULAR_LAYERS or (
                    qn.startswith("sklearn.ensemble.") and "GradientBoosting" in qn):
                return
        sinks = self._sinks(facts)
        if not sinks:
            return
        evidence = self._tabular_flow(facts, reads, sinks)
        if evidence is None:
            return
        node, what = sinks[0]
        yield self.finding(node, fitting(
            f"trains a network on tabular features ({evidence[1]}) with no gradient-boosting baseline",
            f"trains a network on tabular data ({evidence[0]}) with no gradient-boosting baseline"))

    def _sinks(self, facts: ModuleFacts) -> list[tuple[ast.AST, str]]:
        out: list[tuple[ast.AST, str]] = []
        for loop in facts.loops:
            if not loop.trains or is_test_code(loop.scope):
                continue
            for site in loop.calls:
                if site.method in ("backward", "manual_backward"):
                    out.append((site.node, "backward"))
        keras = bool(facts.imports.roots & {"keras", "tensorflow", "tf_keras"})
        fits = not facts.derived(called_names).methods.isdisjoint(("fit", "fit_generator"))
        for site in facts.calls if fits else ():
            if site.method in ("fit", "fit_generator") and site.qn is None and site.args:
                kind = site.recv.kind if site.recv is not None else None
                if (kind or "").startswith("keras.") or (keras and kind is None
                                                         and site.kwarg_node("epochs") is not None):
                    out.append((site.node, "fit"))
        out.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
        return out

    def _tabular_flow(self, facts: ModuleFacts, reads: list[CallSite],
                      sinks: list[tuple[ast.AST, str]]) -> tuple[str, str] | None:
        """(the read, the conversion of features that reaches training) as evidence, or None."""
        module = _Assignments(facts.tree)
        if module.not_tabular:
            return None
        # (1) names holding DataFrames read from files, and what derives from them
        frames: set[str] = set()
        for read in reads:
            if isinstance(read.stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                frames |= _target_names(_assign_targets(read.stmt))
        if not frames:
            return None
        if any(set(name_words(name)) & IMAGE_WORDS for name in frames | module.all_targets):
            return None
        derived = module.closure(frames)
        # (2) conversions of feature columns to arrays/tensors (not an index, ids or the labels)
        first_read = min(r.line for r in reads)
        conversions = [conv for stmt, _loaded, _targets in module.rows if stmt.lineno >= first_read
                       for conv in [_conversion(facts, stmt, derived)] if conv is not None]
        if not conversions:
            return None
        # (3) the first conversion whose data reaches the training is the evidence
        first = min(reads, key=lambda r: r.line)
        reader = f"{last_part(first.qn)} at {line_ref(first.line, last_part(first.qn))}"
        for how, targets in conversions:
            if _reaches_training(facts, module, targets, sinks):
                return reader, how
        if _reaches_training(facts, module, derived | {t for _, ts in conversions for t in ts}, sinks):
            return reader, reader
        return None


class _Assignments:
    """The module's assignments with the names each reads and binds, in line order (one walk),
    and whether the module handles images or text (pixel columns reshaped, path/text strings)."""

    def __init__(self, tree: ast.Module) -> None:
        kinds = (ast.Assign, ast.AnnAssign, ast.AugAssign)
        found = []
        self.not_tabular = False
        for sub in walk(tree):
            if isinstance(sub, kinds):
                if sub.value is not None:
                    found.append(sub)
            elif isinstance(sub, ast.Constant):
                if isinstance(sub.value, str) and len(sub.value) < 100 and \
                        set(name_words(sub.value)) & _NOT_TABULAR_WORDS:
                    self.not_tabular = True
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                    and sub.func.attr in ("reshape", "view") and len(sub.args) >= 3:
                self.not_tabular = True  # pixel columns reshaped into images
        found.sort(key=lambda n: (n.lineno, n.col_offset))
        self.rows = [(stmt, _loads(stmt.value), _target_names(_assign_targets(stmt))) for stmt in found]
        self.all_targets = {name for _, _, targets in self.rows for name in targets}

    def closure(self, names: set[str], rounds: int = 3) -> set[str]:
        """``names`` and what is assigned from them (a few rounds)."""
        out = set(names)
        for _ in range(rounds):
            for _stmt, loaded, targets in self.rows:
                if loaded & out:
                    out |= targets
        return out


_NOT_TABULAR_WORDS = frozenset({"pixel", "pixels", "image", "img", "filename", "path", "text", "sentence",
                                "review", "tweet"})
_INDEX_ATTRS = frozenset({"index", "columns", "id", "ID", "Id", "dtypes"})
_LABEL_WORDS = frozenset({"y", "target", "targets", "label", "labels", "id", "ids", "idx", "index"})


def _conversion(facts: ModuleFacts, stmt: ast.AST, derived: set[str]) -> tuple[str, set[str]] | None:
    """(evidence, target names) when the statement turns feature columns of the read data into an
    array or tensor; None for an index, column names, ids or the labels."""
    targets = _target_names(_assign_targets(stmt))
    if targets and all(set(name_words(t)) & _LABEL_WORDS for t in targets):
        return None  # y_train = df["label"].values: the target, not the features
    for sub in walk(stmt.value):
        if isinstance(sub, ast.Attribute) and sub.attr in ("values", "to_numpy", "as_matrix") \
                and _loads(sub.value) & derived:
            base = sub.value
            if isinstance(base, ast.Attribute) and base.attr in _INDEX_ATTRS:
                continue  # df.index.values, df.columns.values, test.id.values
            if isinstance(base, ast.Subscript) and isinstance(base.slice, ast.Constant) and \
                    set(name_words(str(base.slice.value))) & _LABEL_WORDS:
                continue  # df["label"].values
            name = sorted(_loads(sub.value) & derived)[0]
            return f"{name}.{sub.attr} at {line_ref(sub.lineno, sub.attr)}", targets
        if isinstance(sub, ast.Call) and facts.imports.qualname(sub.func) in TO_TENSOR_CALLS \
                and sub.args and _loads(sub.args[0]) & derived:
            name = sorted(_loads(sub.args[0]) & derived)[0]
            spelled = dotted(sub.func) or "tensor"
            return f"{spelled}({name}) at {line_ref(sub.lineno, spelled)}", targets
    return None


def _reaches_training(facts: ModuleFacts, module: _Assignments, names: set[str],
                      sinks: list[tuple[ast.AST, str]]) -> bool:
    """Data held by ``names`` (or derived from them by assignments) is used by a training loop or
    passed to ``fit``."""
    used = module.closure(names)
    for loop in facts.loops:
        if loop.trains and _loads(loop.node) & used:
            return True
    return any(kind == "fit" and isinstance(node, ast.Call) and node.args and _loads(node.args[0]) & used
               for node, kind in sinks)
