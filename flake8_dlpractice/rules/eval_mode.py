"""Evaluation loops and train/eval mode (DLP301, DLP302): "Debugging Neural Networks".

An evaluation loop (:mod:`..analysis.eval_loops`) that runs the model in training mode (dropout and
batch-norm statistics still live) or builds autograd graphs it never uses.
"""
from __future__ import annotations

import ast
from typing import Iterator

from ..analysis.called import called_names
from ..analysis.eval_loops import eval_loops, lightning_hook, model_calls, under_no_grad
from ..analysis.facts import ModuleFacts
from ..analysis.modes import ModeEvent, Modes, Region, pick
from ..analysis.names import dotted
from ..analysis.records import CallSite, LoopInfo, is_optimizer_step, iteration_calls, trains_directly
from ..analysis.training_facts import TrainingFacts, direct_mode, short, walk_expr
from .base import Finding, Fix, Rule, fitting, line_ref, span_of


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
