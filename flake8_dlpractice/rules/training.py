"""Training-loop correctness (DLP3xx): "Debugging Neural Networks", "Check gradients"."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from ..analysis.called import called_names
from ..analysis.facts import ModuleFacts
from ..analysis.records import (CallSite, FunctionInfo, LoopInfo, is_backward, is_data_loop, is_optimizer_step,
                                trains_directly)
from ..analysis.vocabulary import is_no_grad_context
from ..analysis.names import dotted, name_words
from ..analysis.modes import ModeEvent, Modes, Region, callers_of, loop_chain, pick, scope_calls
from ..analysis.training_facts import (TrainingFacts, direct_mode, loop_ref, names_in, short, unparse,
                                       walk_expr, walk_stmts)
from .base import Finding, Fix, Rule, fitting, line_ref, span_of

SECTION = "Debugging Neural Networks: check gradients"
LIGHTNING_EVAL_HOOKS = frozenset({
    "validation_step", "test_step", "predict_step", "validation_epoch_end", "test_epoch_end",
    "on_validation_epoch_end", "on_test_epoch_end", "on_validation_batch_end", "on_test_batch_end",
    "validation_step_end", "test_step_end", "on_validation_end", "on_test_end", "predict_epoch_end",
    "on_predict_epoch_end", "on_validation_start", "on_test_start", "on_validation_epoch_start",
})
MODEL_WORDS = frozenset({
    "model", "models", "net", "network", "cnn", "rnn", "lstm", "gru", "encoder", "decoder",
    "classifier", "generator", "discriminator", "resnet", "vgg", "backbone", "transformer", "bert",
    "gpt", "unet", "autoencoder", "vae", "mlp", "predictor", "policy", "critic", "actor", "teacher",
    "student", "module", "netg", "netd", "alexnet", "densenet", "inception", "mobilenet", "effnet",
    "efficientnet", "vit", "detector", "segmenter", "regressor", "seq2seq", "lenet", "convnet",
})


def iteration_calls(calls: list[CallSite], depth: int = 0, seen: set[int] | None = None):
    """Calls, and the calls of same-file functions they call (transitively), as (site, via) pairs."""
    seen = set() if seen is None else seen
    for site in calls:
        yield site, None
        callee = site.local
        if callee is not None and id(callee) not in seen and depth < 6:
            seen.add(id(callee))
            for inner, _ in iteration_calls(callee.calls, depth + 1, seen):
                yield inner, site


def optimizer_name(site: CallSite) -> str | None:
    name = site.name or ""
    if site.node.args and "scaler" in set(name_words(name)):
        found = dotted(site.node.args[0])
    else:
        found = dotted(site.node.func.value) if isinstance(site.node.func, ast.Attribute) else None
    return found if found and "()" not in found else None


def lightning_hook(scope: FunctionInfo | None) -> bool:
    return scope is not None and scope.class_name is not None and scope.name in LIGHTNING_EVAL_HOOKS


def enclosing_loops(site: CallSite, facts: ModuleFacts, depth: int = 0):
    """Loops around a call, innermost first, continuing through same-file callers."""
    for loop in reversed(site.loops):
        yield loop
    if site.scope is not None and depth < 3:
        for caller in site.scope.callers[:4]:
            if caller.scope is site.scope:
                continue
            yield from enclosing_loops(caller, facts, depth + 1)


# ---------------------------------------------------------------------------------------------


class MissingZeroGrad(Rule):
    """
    ## What it does
    Flags `loss.backward()` in a training loop that calls `backward()` and `optimizer.step()`
    every iteration but never clears the gradients: no `optimizer.zero_grad()`,
    `model.zero_grad()`, `p.grad = None` (or `p.grad.zero_()`) anywhere in the loop, including
    same-file helpers the loop calls. AMP (`scaler.scale(loss).backward()`,
    `scaler.step(optimizer)`), `accelerator.backward(loss)` and Lightning `manual_backward` count
    as backward and step.

    ## Why is this bad?
    *Debugging Neural Networks: check gradients*. PyTorch adds new gradients to `.grad`; without
    clearing, each step uses the sum of all gradients since the start, so updates grow and the
    loss diverges or oscillates in a way that looks like a learning-rate problem.

    ## Example
    ```python
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    ```

    Gradient accumulation is clean as long as the gradients are cleared somewhere in the loop,
    e.g. `if (i + 1) % accum == 0: optimizer.step(); optimizer.zero_grad()`; clearing after the
    step at the end of the body is clean too.

    ## Fix
    Unsafe: inserts `<optimizer>.zero_grad()` before the backward statement (it changes the
    update rule if the accumulation across iterations was intended).

    ## Known limits
    Clearing is looked for in the loop that contains both the backward call and the optimizer
    step and in the same-file functions it calls; gradients cleared by a helper from another
    module, or by an optimizer wrapper whose `step()` also zeroes gradients, are not seen
    (`# noqa: DLP300`). With several optimizers, one clearing call anywhere in the loop is
    taken to cover all of them. Only explicit loops are checked: Lightning manual optimisation
    inside `training_step` (no loop in the file) is not. `torch.distributed.autograd.backward`
    (per-context gradients) is not a backward call here.
    """

    code, name = "DLP300", "missing-zero-grad"
    summary = "a training loop steps the optimizer but never clears gradients"
    section = SECTION
    fix = "unsafe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = facts.derived(TrainingFacts)
        if not tf.uses_torch:
            return
        done: set[int] = set()
        for step in facts.calls:
            if not is_optimizer_step(step):
                continue
            for loop in enclosing_loops(step, facts):
                if id(loop) in done:
                    break
                sites = list(iteration_calls(loop.calls))
                backwards = [(s, via) for s, via in sites if is_backward(s)
                             and not (s.qn or "").startswith("torch.distributed.")]
                if not backwards:
                    continue
                done.add(id(loop))
                if tf.clears_in([s for s, _ in sites], loop.node):
                    break
                # same-file helpers' bodies: ``p.grad = None`` stores
                if any(via is not None and via.local is not None and tf.function_clears(via.local)
                       for _, via in sites):
                    break
                back, _via = min(backwards, key=lambda p: (p[1].line if p[1] else p[0].line, p[0].line))
                opt = optimizer_name(step) or "the optimizer"
                fix = self._fix(back, opt) if back.scope is step.scope else None
                where = loop_ref(loop)
                yield self.finding(back.node, fitting(
                    f"gradients add up: {opt}.step() follows {short(back.node, 30)} but the loop at {where} "
                    f"never calls zero_grad()",
                    f"gradients add up: the loop at {where} steps {opt!r} but never calls zero_grad()"), fix=fix)
                break

    @staticmethod
    def _fix(back: CallSite, opt: str) -> Fix | None:
        stmt = back.stmt
        if not isinstance(stmt, ast.Expr) or stmt.value is not back.node or opt == "the optimizer":
            return None
        return Fix("unsafe", "insert-before", span_of(stmt), (("code", f"{opt}.zero_grad()"),),
                   title=f"call {opt}.zero_grad() before the backward pass")


# ---------------------------------------------------------------------------------------------
# Evaluation loops and train/eval mode (DLP301, DLP302)


def model_calls(facts: ModuleFacts, tf: TrainingFacts, loop: LoopInfo) -> list[CallSite]:
    out = []
    for site in loop.calls:
        if site.qn is not None or site.local is not None:
            continue
        if any(kw.arg == "training" for kw in site.node.keywords):
            continue
        func = site.node.func
        if isinstance(func, ast.Name) and func.id == "self":
            if site.scope is not None and site.scope.class_name and tf.is_module_class(site.scope.class_name):
                out.append(site)
            continue
        spelled = dotted(func)
        if not spelled or not isinstance(func, (ast.Name, ast.Attribute)):
            continue
        if isinstance(func, ast.Attribute) and not (isinstance(func.value, ast.Name) and func.value.id == "self"):
            continue
        kind = tf.kind_of(func, site.scope, site.line)
        if kind:
            if kind.startswith("<local>."):
                if tf.is_module_class(kind.split(".", 1)[1]):
                    out.append(site)
                continue
            if kind.endswith("Loss") or ".functional." in kind:
                continue
            if kind.startswith(("torchvision.models.", "timm.", "torch.nn.", "transformers.", "torch.jit.",
                                "torch.compile", "torch.hub.")):
                out.append(site)
                continue
            if not kind.startswith("torch."):
                continue
        ident = spelled.rsplit(".", 1)[-1]
        if ident[:1].isupper() or ident in facts.classes:
            continue  # a constructor
        if set(name_words(ident)) & MODEL_WORDS or ident.lower() in MODEL_WORDS:
            out.append(site)
    return out


def _uses_input_grad(loop: LoopInfo) -> bool:
    for site in loop.calls:
        if site.qn in ("torch.autograd.grad", "torch.autograd.functional.jacobian"):
            return True
        first = site.node.args[0] if site.node.args else None
        if site.method == "requires_grad_" and not (isinstance(first, ast.Constant) and first.value is False):
            return True
    for sub in walk_expr(loop.node):
        if isinstance(sub, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "requires_grad"
                                               for t in sub.targets):
            return True
    return False


@dataclass(frozen=True)
class EvalLoop:
    """A loop over data that runs a model without training it (DLP301/DLP302)."""

    loop: LoopInfo
    models: list[CallSite]  # the model calls inside it


def eval_loops(facts: ModuleFacts) -> list[EvalLoop]:
    """The outermost evaluation loops. Use through ``facts.derived(eval_loops)``."""
    tf = facts.derived(TrainingFacts)
    out = []
    chosen: set[int] = set()
    for loop in facts.loops:
        if loop.trains or not is_data_loop(loop) or lightning_hook(loop.scope):
            continue
        if loop.scope is not None and loop.scope.callers and all(
                lightning_hook(c.scope) for c in loop.scope.callers):
            continue  # a helper of validation_step/test_step
        if any(site.method in ("fit", "train_on_batch", "partial_fit") for site in loop.calls):
            continue
        models = model_calls(facts, tf, loop)
        if not models or _backward_after(facts, loop):
            continue
        parent = loop.parent
        while parent is not None and id(parent) not in chosen:
            parent = parent.parent
        if parent is not None:
            continue  # nested in an evaluation loop already chosen
        chosen.add(id(loop))
        out.append(EvalLoop(loop, models))
    return out


def _backward_after(facts: ModuleFacts, loop: LoopInfo) -> bool:
    """Outputs collected in the loop are backpropagated after it, in the same iteration context."""
    end = loop.node.end_lineno or loop.line
    outer = tuple(reversed(loop_chain(loop.parent)))
    for site in scope_calls(facts, loop.scope):
        if site.line > end and is_backward(site) and site.loops == outer:
            return True
    return False


def trains_in_body(loop: LoopInfo) -> bool:
    """The loop itself performs the training step (not only through a helper that has its own loop)."""
    for site in loop.calls:
        if not site.loops or site.loops[-1] is not loop:
            continue
        if trains_directly(site):
            return True
        if site.local is not None and site.local.trains and not any(lp.trains for lp in site.local.loops):
            return True
    return False


def _model_names(models: list[CallSite]) -> set[str] | None:
    names = set()
    for m in models:
        spelled = dotted(m.node.func)
        if not spelled:
            return None
        names.add(spelled)
    return names or None


def optimized_roots(facts: ModuleFacts) -> set[str]:
    """Last names of the models whose parameters an optimizer updates ("?": unknown parameters).
    Use through ``facts.derived(optimized_roots)``."""
    found: set[str] = set()
    if not any(qn.startswith("torch.optim.") for qn in facts.derived(called_names).qualified):
        return found
    for site in facts.calls:
        if not site.qn or not site.qn.startswith("torch.optim.") or ".lr_scheduler." in site.qn:
            continue
        for arg in list(site.node.args[:1]) + [k.value for k in site.node.keywords if k.arg == "params"]:
            for sub in walk_expr(arg):
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                        and sub.func.attr in ("parameters", "named_parameters"):
                    spelled = dotted(sub.func.value)
                    if spelled:
                        found.add(spelled.rsplit(".", 1)[-1])
                elif isinstance(sub, ast.Name) and sub is arg:
                    found.add("?")
                elif isinstance(sub, ast.Name) and isinstance(arg, (ast.List, ast.Tuple)):
                    found.add(sub.id)
            if not isinstance(arg, (ast.Call, ast.List, ast.ListComp, ast.Name)):
                found.add("?")
        if not site.node.args and not any(k.arg == "params" for k in site.node.keywords):
            found.add("?")
    return found


def _steps_optimizer(loop: LoopInfo) -> bool:
    return any(is_optimizer_step(s) for s, _ in iteration_calls(loop.calls))


def _callee_sets_train(loop: LoopInfo) -> bool:
    for site in loop.calls:
        if site.local is not None and site.local.trains:
            if any(direct_mode(s) == "train" for s, _ in iteration_calls(site.local.calls)):
                return True
    return False


class EvalWithoutEvalMode(Rule):
    """
    ## What it does
    Flags the header of an evaluation loop (a loop over data that runs a model without
    `backward()`/`optimizer.step()`) when the model may still be in training mode: no
    `model.eval()` / `model.train(False)` runs before it, in the same function, in an
    enclosing loop, or — when the loop sits in a helper such as `evaluate(model, loader)` — in
    every same-file caller before the call. Also flags the header of a training loop that runs
    after evaluation switched the model to eval mode and nothing switches it back with
    `model.train()` (typically: an epoch loop whose `validate()` calls `model.eval()`, and a
    training part that never calls `model.train()`, so every epoch after the first trains in
    eval mode).

    Lightning `validation_step`/`test_step`/`predict_step` are run by the framework in eval
    mode and are never flagged; models loaded with `from_pretrained` or built as
    `Net().eval()` (or by a same-file loader that calls `.eval()`) start in eval mode. A
    same-file helper that returns the model it put in eval mode
    (`model, history = train_model(model, ...)` whose last phase calls `model.train(False)`)
    hands on that mode through the names it returns to.

    ## Why is this bad?
    *Debugging Neural Networks*: dropout stays active and batch normalisation uses (and
    updates!) batch statistics in training mode, so validation metrics are noisy and
    pessimistic and the running statistics are corrupted by evaluation data. The reverse bug,
    training in eval mode, silently disables dropout and freezes BatchNorm statistics.

    ## Example
    ```python
    def evaluate(model, loader):
        with torch.no_grad():
            for x, y in loader:
                correct += (model(x).argmax(1) == y).sum()
    ```

    ## Use instead
    ```python
    def evaluate(model, loader):
        model.eval()
        with torch.no_grad():
            for x, y in loader:
                correct += (model(x).argmax(1) == y).sum()
    ```

    ## Fix
    Unsafe: inserts `<model>.eval()` before the evaluation loop, or `<model>.train()` before
    the training loop.

    ## Known limits
    Mode switches are matched to the model by name (`model.eval()`, or a same-file call that
    receives the model as an argument); a switch in a mutually exclusive branch
    (`if phase == "train": model.train() else: model.eval()`) counts as setting the mode the
    loop needs. An evaluation helper with no caller in the file is flagged when it does not
    call `.eval()` itself (callers in other modules are not seen). A model whose same-file class
    (or `nn.Sequential`/`nn.Linear`) has no dropout or normalisation layer is not flagged (the
    mode does not change its output). Training loops are checked only when they step an
    optimizer that updates the called model (a frozen feature extractor in eval mode, as in
    style transfer, is fine).
    """

    code, name = "DLP301", "eval-without-eval-mode"
    summary = "an evaluation loop runs while the model may be in training mode (or training follows eval)"
    section = "Debugging Neural Networks"
    fix = "unsafe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = facts.derived(TrainingFacts)
        if not tf.uses_torch:
            return
        modes = facts.derived(Modes)
        for evaluation in facts.derived(eval_loops):
            loop, models = evaluation.loop, evaluation.models
            if not any(tf.mode_sensitive(m) for m in models):
                continue
            names = _model_names(models)
            first_call = min(m.line for m in models)
            model = dotted(models[0].node.func) or "model"
            inside = [e for e in modes.events(loop.calls, names) if e.line <= first_call]
            if inside:
                event = pick(inside, "eval")
                if event.mode == "eval":
                    continue
                how = f"set by {_event_ref(event)}"
            else:
                found = modes.before(Region.of_loop(loop), "eval", names)
                first, later = found.first, found.later
                if first is None and modes.initial(models[0]) == "eval":
                    first = ModeEvent(models[0], "eval")  # built in eval mode
                if first is not None and first.mode == "eval" and (later is None or later.mode == "eval"):
                    continue
                if first is not None and first.mode == "train":
                    how = f"left by {_event_ref(first)}"
                elif later is not None and later.mode == "train":
                    how = f"restored by {_event_ref(later)} for later iterations"
                else:
                    how = f"no {model}.eval() before it"
            yield self.finding(loop.node, fitting(
                f"evaluates {model!r} in training mode ({how}): dropout and batch norm stay active",
                f"evaluates {model!r} in training mode ({how})",
                f"evaluates {model!r} in training mode"),
                fix=Fix("unsafe", "insert-before", span_of(loop.node), (("code", f"{model}.eval()"),),
                        title=f"call {model}.eval() before the loop"))
        yield from self._training_after_eval(facts, tf, modes)

    def _training_after_eval(self, facts: ModuleFacts, tf: TrainingFacts, modes: Modes) -> Iterator[Finding]:
        optimized = facts.derived(optimized_roots)
        outer = {id(other.parent) for other in facts.loops if other.trains and other.parent is not None}
        for loop in facts.loops:
            if not loop.trains or lightning_hook(loop.scope):
                continue
            # innermost training loop that performs the step itself
            if not trains_in_body(loop) or id(loop) in outer:
                continue
            if not _steps_optimizer(loop) or _callee_sets_train(loop):
                continue
            models = [m for m in model_calls(facts, tf, loop) if not m.in_no_grad]
            if not models or not any(tf.mode_sensitive(m) for m in models):
                continue
            if optimized and "?" not in optimized and not any(
                    (dotted(m.node.func) or "").rsplit(".", 1)[-1] in optimized
                    or (dotted(m.node.func) == "self") for m in models):
                continue
            reason = self._eval_mode_reason(modes, loop, models)
            if reason is None:
                continue
            model = dotted(models[0].node.func)
            fix = Fix("unsafe", "insert-before", span_of(loop.node), (("code", f"{model}.train()"),),
                      title=f"call {model}.train() before the loop") if model else None
            yield self.finding(loop.node, f"trains {model or 'the model'!r} in eval mode ({reason})", fix=fix)

    @staticmethod
    def _eval_mode_reason(modes: Modes, loop: LoopInfo, models: list[CallSite]) -> str | None:
        """Why a training loop runs in eval mode, or None when nothing says it does."""
        names = _model_names(models)
        events = modes.events(loop.calls, names)
        if any(e.mode == "train" for e in events):
            return None
        if events:
            return f"set by {_event_ref(events[-1])}, never switched back"
        found = modes.before(Region.of_loop(loop), "train", names)
        if found.first is None and modes.initial(models[0]) == "eval":
            return f"{short(models[0].node.func, 30)} is built in eval mode"
        if found.first is not None and found.first.mode == "eval":
            return f"left by {_event_ref(found.first)}"
        if found.later is not None and found.later.mode == "eval":
            return f"set by {_event_ref(found.later)} for later iterations"
        return None


def _event_ref(event: ModeEvent) -> str:
    """``model.train() at line 12``, ``train_one_epoch() at line 30``: the call, its line cited."""
    site = event.site
    shown = f"{site.name}()" if site.local is not None and site.name else short(site.node, 28)
    return f"{shown} at {line_ref(site.line, site.name or '')}"


def _grad_disabled_globally(facts: ModuleFacts) -> bool:
    if facts.derived(called_names).qualified.isdisjoint(("torch.set_grad_enabled", "torch.autograd.set_grad_enabled")):
        return False
    for site in facts.calls:
        if site.qn in ("torch.set_grad_enabled", "torch.autograd.set_grad_enabled") and site.node.args \
                and isinstance(site.node.args[0], ast.Constant) and site.node.args[0].value is False \
                and isinstance(site.stmt, ast.Expr):
            return True
    return False


def _frozen_model(facts: ModuleFacts) -> bool:
    """Gradients are switched off on the model: ``requires_grad_(False)``, ``p.requires_grad =
    False``, Lightning's ``model.freeze()``."""
    for site in facts.calls:
        if site.method == "requires_grad_" and site.node.args and isinstance(site.node.args[0], ast.Constant) \
                and site.node.args[0].value is False:
            return True
        if site.method == "freeze" and not site.node.args and not site.node.keywords and site.qn is None:
            return True
    for store in facts.stores:
        if store.target.endswith("requires_grad") and isinstance(store.value, ast.Constant) \
                and store.value.value is False:
            return True
    return False


def under_no_grad(scope: FunctionInfo | None, depth: int = 0, facts: ModuleFacts | None = None) -> bool:
    """Every same-file caller of the function runs it under no_grad (and there is one)."""
    if scope is None or depth > 3:
        return False
    if scope.no_grad or lightning_hook(scope):
        return True
    callers = callers_of(facts, scope) if facts is not None else scope.callers
    callers = [c for c in callers if c.scope is not scope]
    if not callers:
        return False
    return all(c.in_no_grad or under_no_grad(c.scope, depth + 1, facts) for c in callers)


class EvalWithoutNoGrad(Rule):
    """
    ## What it does
    Flags the header of an evaluation loop (a loop over data that runs a model without
    `backward()`/`optimizer.step()`) that is not under `torch.no_grad()` or
    `torch.inference_mode()`: neither as a `with` block around the loop or the model call,
    nor as a decorator of the function, nor around every same-file call of the helper that
    contains the loop.

    ## Why is this bad?
    *Debugging Neural Networks*: every forward pass records an autograd graph and keeps its
    activations alive; evaluation then needs far more memory (out-of-memory errors on the
    validation set are a classic symptom), runs slower, and metrics accumulated from the outputs
    keep whole graphs alive.

    ## Example
    ```python
    model.eval()
    for x, y in val_loader:
        preds = model(x)
    ```

    ## Use instead
    ```python
    model.eval()
    with torch.no_grad():
        for x, y in val_loader:
            preds = model(x)
    ```

    ## Fix
    Safe: wraps the loop in `with torch.no_grad():` (adds `import torch` if needed).

    ## Known limits
    Not flagged: loops that need input gradients (`torch.autograd.grad`, `x.requires_grad_()`),
    modules that disable gradients globally (`torch.set_grad_enabled(False)`) or freeze the model
    (`requires_grad_(False)`, Lightning's `model.freeze()`), Lightning `validation_step`/`test_step`,
    `model.generate(...)` (already under `no_grad`), and loops that stop after their first batch
    with an unconditional `break` (one batch run to look at its outputs keeps one graph, not one
    per batch). A no_grad region entered in another module is not seen.
    """

    code, name = "DLP302", "eval-without-no-grad"
    summary = "an evaluation loop is not under torch.no_grad()/inference_mode()"
    section = "Debugging Neural Networks"
    fix = "safe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = facts.derived(TrainingFacts)
        if not tf.uses_torch or _grad_disabled_globally(facts) or _frozen_model(facts):
            return
        for evaluation in facts.derived(eval_loops):
            loop, models = evaluation.loop, evaluation.models
            if loop.in_no_grad or any(m.in_no_grad for m in models) or under_no_grad(loop.scope, 0, facts):
                continue
            if _uses_input_grad(loop) or _first_batch_only(loop):
                continue
            model = dotted(models[0].node.func) or "model"
            ref = line_ref(models[0].line, model)
            yield self.finding(loop.node, fitting(
                f"evaluation loop runs {model!r} ({ref}) outside torch.no_grad(): each batch keeps an autograd graph",
                f"evaluation loop runs {model!r} ({ref}) outside torch.no_grad()"),
                fix=Fix("safe", "wrap-with", span_of(loop.node), (("context", "torch.no_grad()"), ("imports", "torch")),
                        title="wrap the evaluation loop in torch.no_grad()"))


def _first_batch_only(loop: LoopInfo) -> bool:
    """The loop body ends in an unconditional ``break``: it runs the model on one batch (to show
    it), so no graphs pile up across iterations."""
    return any(isinstance(stmt, ast.Break) for stmt in loop.node.body)


# ---------------------------------------------------------------------------------------------


def is_scheduler_step(site: CallSite) -> bool:
    if site.method != "step" or site.node.args or site.node.keywords or site.recv is None:
        return False
    kind = site.recv.kind or ""
    if kind.startswith(("diffusers.", "transformers.")) and "scheduler" not in kind.lower():
        return False
    if kind.startswith("diffusers."):
        return False
    if ".lr_scheduler." in kind:
        return True
    base = (site.name or "").rsplit(".", 1)[0]
    words = set(name_words(base.rsplit(".", 1)[-1]))
    if words & {"noise", "ddpm", "ddim", "diffusion", "pndm", "beta"}:
        return False
    return bool(words & {"scheduler", "sched", "schedular", "schedule"}) or base.endswith(("scheduler", "sched"))


class SchedulerBeforeOptimizer(Rule):
    """
    ## What it does
    Flags `scheduler.step()` when, within one iteration of its loop (or of its function when it
    is not in a loop), it runs before any `optimizer.step()`: e.g. at the top of the epoch loop,
    before the training part (inline, or a same-file `train()` call).

    ## Why is this bad?
    *Training Monitoring* asks that the learning rate follow the scheduler's intended curve.
    Since PyTorch 1.1 the scheduler must step after the optimizer; stepping it first skips the
    first value of the schedule (the warm-up or initial LR is never used) and shifts every
    later value by one epoch. PyTorch warns about it at run time; this finds it before running.

    ## Example
    ```python
    for epoch in range(epochs):
        scheduler.step()
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
    ```

    ## Use instead
    ```python
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        scheduler.step()
    ```

    ## Fix
    Unsafe: moves the `scheduler.step()` statement after the statement (in the same block) that
    performs the optimizer step.

    ## Known limits
    `scheduler.step(metric)` / `scheduler.step(epoch)` (ReduceLROnPlateau, the explicit-epoch
    form) and diffusion noise schedulers are not flagged. Schedulers are recognised by their
    constructor (`torch.optim.lr_scheduler.*`) or by a name containing `scheduler`/`sched`;
    optimizer steps in another module are not seen.
    """

    code, name = "DLP303", "scheduler-before-optimizer"
    summary = "scheduler.step() runs before optimizer.step() in the same iteration"
    section = "Training Monitoring"
    fix = "unsafe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = facts.derived(TrainingFacts)
        if not tf.uses_torch:
            return
        for sched in facts.calls:
            if not is_scheduler_step(sched):
                continue
            if sched.loops:
                region = sched.loops[-1]
                calls = region.calls
                where = f"the loop at {line_ref(region.line)}"
                container: ast.AST = region.node
            elif sched.scope is not None:
                calls = sched.scope.calls
                where = f"{sched.scope.name}()"
                container = sched.scope.node
            else:
                continue
            positions = []
            for site in calls:
                if site is sched:
                    continue
                if is_optimizer_step(site):
                    positions.append((site.line, site.node.col_offset, site))
                elif site.local is not None and any(is_optimizer_step(s) for s, _ in
                                                    iteration_calls(site.local.calls)):
                    positions.append((site.line, site.node.col_offset, site))
            if not positions:
                continue
            pos = (sched.line, sched.node.col_offset)
            if any((p[0], p[1]) < pos for p in positions):
                continue
            first = min(positions, key=lambda p: (p[0], p[1]))
            what = f"{first[2].name or 'the optimizer step'}()"
            ref = line_ref(first[0], first[2].name or "")
            yield self.finding(sched.node, fitting(
                f"{sched.name}() runs before {what} ({ref}) in each iteration of {where}: the first LR is skipped",
                f"{sched.name}() runs before {what} ({ref}) each iteration: the first LR is skipped",
                f"{sched.name}() runs before {what} ({ref}): the first LR is skipped",
                f"the scheduler steps before the optimizer ({ref}): the first LR is skipped"),
                fix=self._fix(sched, first[0], container))

    @staticmethod
    def _fix(sched: CallSite, target_line: int, container: ast.AST) -> Fix | None:
        stmt = sched.stmt
        if not isinstance(stmt, ast.Expr) or stmt.value is not sched.node:
            return None
        for node in walk_expr(container):
            for field in ("body", "orelse", "finalbody"):
                block = getattr(node, field, None)
                if isinstance(block, list) and stmt in block:
                    for other in block:
                        if other is not stmt and other.lineno <= target_line <= (other.end_lineno or other.lineno):
                            s = span_of(other)
                            return Fix("unsafe", "move-after", span_of(stmt),
                                       (("after", f"{s[0]},{s[1]},{s[2]},{s[3]}"),),
                                       title="step the scheduler after the optimizer")
                    return None
        return None


# ---------------------------------------------------------------------------------------------


DETACHING = frozenset({"item", "detach", "tolist", "numpy", "data", "cpu_item", "float_"})
LOSS_FUNC_WORDS = frozenset({"criterion", "loss", "lossfn", "criterions", "crit"})


def _detached(expr: ast.expr | None) -> bool:
    """The expression is a Python number or a detached tensor."""
    for _ in range(6):
        if expr is None:
            return False
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Name) and func.id in ("float", "int", "sum", "len", "round"):
                return func.id != "sum"
            if isinstance(func, ast.Attribute):
                if func.attr in ("item", "detach", "tolist", "numpy", "detach_"):
                    return True
                expr = func.value
                continue
            return False
        if isinstance(expr, ast.Attribute):
            if expr.attr == "data":
                return True
            return False
        if isinstance(expr, ast.Constant):
            return True
        return False
    return False


def _is_loss_call(tf: TrainingFacts, expr: ast.expr | None, scope, line, depth: int = 0) -> bool:
    if depth > 24:
        return False
    if not isinstance(expr, ast.Call):
        if isinstance(expr, ast.Attribute) and expr.attr == "loss" and not (
                isinstance(expr.value, ast.Name) and expr.value.id == "self"):
            return True
        if isinstance(expr, ast.BinOp):
            return (_is_loss_call(tf, expr.left, scope, line, depth + 1)
                    or _is_loss_call(tf, expr.right, scope, line, depth + 1))
        return False
    func = expr.func
    qn = tf.facts.imports.qualname(func)
    if qn:
        return qn.startswith("torch.nn.functional.") and ("loss" in qn or "entropy" in qn or "divergence" in qn)
    if isinstance(func, ast.Call):
        inner = tf.facts.imports.qualname(func.func) or ""
        return inner.startswith("torch.nn.") and inner.endswith("Loss")
    if isinstance(func, ast.Attribute) and func.attr in ("mean", "sum"):
        return _is_loss_call(tf, func.value, scope, line, depth + 1)
    spelled = dotted(func)
    if not spelled or tf.facts.resolve_local(func, scope) is not None:
        return False
    kind = tf.kind_of(func, scope, line)
    if kind:
        return kind.startswith("torch.nn.") and kind.endswith("Loss")
    ident = spelled.rsplit(".", 1)[-1]
    return bool(set(name_words(ident)) & LOSS_FUNC_WORDS) and isinstance(func, (ast.Name, ast.Attribute))


def _backward_names(facts: ModuleFacts, tf: TrainingFacts, scope) -> set[str]:
    """Names whose value reaches a backward() call in this scope (closed over assignments)."""
    direct: set[str] = set()
    for site in scope_calls(facts, scope):
        if not is_backward(site):
            continue
        if site.method == "backward" and isinstance(site.node.func, ast.Attribute):
            direct |= names_in(site.node.func.value)
        for arg in site.node.args:
            direct |= names_in(arg)
    assigns = {k: list(v) for k, v in tf.assignments(scope).items()}
    body = scope.node.body if scope is not None else facts.tree.body
    for node in walk_stmts(body):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            assigns.setdefault(node.target.id, []).append((node.lineno, node.value, node))
    changed = True
    rounds = 0
    while changed and rounds < 8:
        changed = False
        rounds += 1
        for name in list(direct):
            for _line, value, _stmt in assigns.get(name, ()):
                if value is not None:
                    new = names_in(value) - direct
                    if new:
                        direct |= new
                        changed = True
    return direct


def _no_grad_ranges(facts: ModuleFacts, scope, body_node) -> list[tuple[int, int]]:
    out = []
    body = body_node.body if isinstance(body_node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)) else [body_node]
    for node in walk_stmts(body):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                ctx = item.context_expr
                func = ctx.func if isinstance(ctx, ast.Call) else ctx
                if is_no_grad_context(facts.imports.qualname(func), ctx):
                    out.append((node.lineno, node.end_lineno or node.lineno))
    return out


class LossAccumulatedWithGraph(Rule):
    """
    ## What it does
    Flags a loss tensor accumulated across loop iterations with its autograd graph:
    `total += loss`, `total = total + loss`, `total += loss * x.size(0)`,
    `losses.append(loss)`, where `loss` is backpropagated in the same loop or comes from a loss
    function (`criterion(...)`, `nn.*Loss`, `F.*_loss`, `outputs.loss`).

    Not flagged: accumulation under `torch.no_grad()`/`inference_mode()` (or in a function only
    called under it), `loss.item()`, `loss.detach()`, `float(loss)`, `loss.data`, and an
    accumulated total that is itself backpropagated later (`total.backward()`,
    `torch.stack(losses).mean().backward()`): that graph is wanted.

    ## Why is this bad?
    *Debugging Neural Networks*: the running total is a tensor that references every
    iteration's graph, so memory grows each step until it runs out (a classic "memory leak" in
    PyTorch training loops), and logging it is slower.

    ## Example
    ```python
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        running_loss += loss
    ```

    ## Use instead
    ```python
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        running_loss += loss.item()
    ```

    ## Fix
    Safe: `loss` becomes `loss.item()` in `+=`/`+` accumulation and `loss.detach()` in
    `.append(...)`.

    ## Known limits
    Only names and direct loss calls are followed; a loss returned by a helper from another
    module is recognised only by its name (`criterion`, `loss_fn`, ...). Non-scalar losses
    (`reduction="none"`) would need `.detach()` rather than `.item()`.
    """

    code, name = "DLP306", "loss-accumulated-with-graph"
    summary = "a loss tensor is accumulated across iterations with its autograd graph"
    section = "Debugging Neural Networks"
    fix = "safe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = facts.derived(TrainingFacts)
        if not tf.uses_torch:
            return
        seen: set[int] = set()
        bw_cache: dict[int, set[str]] = {}
        ng_cache: dict[int, list[tuple[int, int]]] = {}
        for loop in facts.loops:
            if loop.in_no_grad or loop.parent is not None:
                continue
            scope = loop.scope
            if under_no_grad(scope, 0, facts):
                continue
            candidates = [(node, item) for node in walk_stmts(loop.node.body)
                          for item in [self._accumulation(node)] if item is not None]
            if not candidates:
                continue
            key = id(scope)
            if key not in bw_cache:
                bw_cache[key] = _backward_names(facts, tf, scope)
                body = scope.node if scope is not None else facts.tree
                ng_cache[key] = _no_grad_ranges(facts, scope, body)
            backward_names = bw_cache[key]
            ranges = ng_cache[key]
            loop_backward: set[str] = set()
            for site in loop.calls:
                if is_backward(site):
                    if site.method == "backward" and isinstance(site.node.func, ast.Attribute):
                        loop_backward |= names_in(site.node.func.value)
                    for arg in site.node.args:
                        loop_backward |= names_in(arg)
            for node, item in candidates:
                if id(node) in seen:
                    continue
                seen.add(id(node))
                target, value, how, anchor = item
                if any(lo <= node.lineno <= hi for lo, hi in ranges):
                    continue
                if names_in(target) & backward_names:
                    continue
                loss_node = self._loss_node(tf, value, scope, node.lineno, loop_backward, ranges)
                if loss_node is None:
                    continue
                template = "{}.detach()" if how == "append" else "{}.item()"
                tname = short(target, 30)
                use = template.format(short(loss_node, 30))
                yield self.finding(anchor, fitting(
                    f"{short(loss_node, 30)} is accumulated into {tname!r} with its autograd graph: use {use}",
                    f"a loss is accumulated into {tname!r} with its autograd graph: use .item()/.detach()"),
                    fix=Fix("safe", "replace-expression", span_of(loss_node), (("template", template),),
                            title=f"use {use}"))

    @staticmethod
    def _accumulation(node: ast.AST):
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) \
                and isinstance(node.target, (ast.Name, ast.Attribute, ast.Subscript)):
            return node.target, node.value, "+=", node
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.Add):
            name = node.targets[0].id
            left, right = node.value.left, node.value.right
            if isinstance(left, ast.Name) and left.id == name:
                return node.targets[0], right, "+", node
            if isinstance(right, ast.Name) and right.id == name:
                return node.targets[0], left, "+", node
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if isinstance(call.func, ast.Attribute) and call.func.attr == "append" and len(call.args) == 1:
                return call.func.value, call.args[0], "append", call
        return None

    def _loss_node(self, tf: TrainingFacts, value: ast.expr, scope, line: int,
                   loop_backward: set[str], ranges) -> ast.expr | None:
        expr = value
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Mult, ast.Div)):
            if isinstance(expr.left, ast.Name):
                expr = expr.left
            elif isinstance(expr.right, ast.Name):
                expr = expr.right
            else:
                return None
        if isinstance(expr, ast.Name):
            item = tf.latest(scope, expr.id, line)
            assigned = item[1] if item is not None else None
            if item is None or assigned is None or _detached(assigned):
                return None
            if any(lo <= item[0] <= hi for lo, hi in ranges):
                return None  # computed under no_grad: no graph
            if expr.id in loop_backward or _is_loss_call(tf, assigned, scope, item[0]):
                return expr
            return None
        if isinstance(expr, ast.Call) and _is_loss_call(tf, expr, scope, line) and not _detached(expr):
            return expr
        return None


class ForwardCalledDirectly(Rule):
    """
    ## What it does
    Flags `model.forward(x)` called on a module instance. Not flagged: `self.forward(...)`,
    `super().forward(...)`, unbound calls through a class (`nn.Module.forward(self, x)`,
    `Parent.forward(self, x)`), and any `.forward(...)` inside a method whose name contains
    `forward` (or `__call__`): a module that delegates to a submodule it wraps often does so on
    purpose (TorchScript idioms, wrappers whose own hooks already run), and it is an
    implementation detail of that module. Objects of same-file classes that are not
    `nn.Module`s (from-scratch NumPy layers) and OpenCV `cv2.dnn` networks are not flagged.

    ## Why is this bad?
    *Debugging Neural Networks*: `module(x)` runs `__call__`, which runs forward pre-/post-hooks
    and the machinery wrappers rely on (DDP gradient synchronisation, FSDP, AMP autocast hooks,
    `torch.compile`'d modules, parametrizations, pruning masks). `.forward()` bypasses all of
    it, so the model behaves differently from how it is trained or deployed.

    ## Example
    ```python
    logits = model.forward(x)
    ```

    ## Use instead
    ```python
    logits = model(x)
    ```

    ## Fix
    Unsafe (hooks may change results): `model.forward` becomes `model`.

    ## Known limits
    `self.encoder.forward(x)` in a non-forward method (e.g. a training step) is flagged; inside
    a forward-like method nothing is, even when the submodule's hooks were needed. The receiver's type is
    usually unknown, so a non-module object with a `forward` method defined in another module
    is flagged when the file imports torch.
    """

    code, name = "DLP307", "forward-called-directly"
    summary = "model.forward(x) bypasses module hooks: call model(x)"
    section = "Debugging Neural Networks"
    fix = "unsafe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = facts.derived(TrainingFacts)
        if not tf.uses_torch or "forward" not in facts.derived(called_names).methods:
            return
        for site in facts.calls:
            if site.method != "forward" or site.qn is not None:
                continue
            func = site.node.func
            recv = func.value
            if isinstance(recv, ast.Call):  # super().forward, type(self).forward
                continue
            if isinstance(recv, ast.Name):
                if recv.id in ("self", "cls", "super") or recv.id[:1].isupper() or recv.id in facts.classes:
                    continue
                if facts.imports.qualname(recv) is not None:
                    continue
            root = recv
            while isinstance(root, (ast.Attribute, ast.Subscript)):
                root = root.value
            if isinstance(root, ast.Name) and root.id == "self" and isinstance(recv, ast.Name):
                continue
            scope = site.scope
            if scope is not None and scope.class_name and ("forward" in scope.name or scope.name == "__call__"):
                continue
            if not isinstance(root, ast.Name) and not isinstance(root, ast.Call):
                continue
            if isinstance(recv, ast.Attribute) and recv.attr[:1].isupper():
                continue
            kind = tf.kind_of(recv, site.scope, site.line) if isinstance(recv, (ast.Name, ast.Attribute)) else None
            if kind:
                if kind.startswith("<local>.") and not tf.is_module_class(kind.split(".", 1)[1]):
                    continue
                if kind.startswith(("cv2.", "caffe.", "onnx", "mxnet.", "tensorflow.", "keras.")):
                    continue
            if any(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in site.node.args) \
                    or (not site.node.args and not site.node.keywords and "cv2" in facts.imports.roots):
                continue
            spelled = dotted(recv) or short(recv)
            text = unparse(recv)
            fix = Fix("unsafe", "replace-expression", span_of(func), (("replacement", text),),
                      title=f"call {short(recv, 30)}(...)") if text else None
            yield self.finding(site.node, fitting(
                f"{spelled}.forward(...) skips the module's hooks (DDP, AMP, torch.compile): call {spelled}(...)",
                f"{short(recv, 30)}.forward(...) skips the module's hooks: call the module itself"), fix=fix)
