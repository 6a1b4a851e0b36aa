"""Training-loop correctness (DLP3xx): "Debugging Neural Networks", "Check gradients"."""
from __future__ import annotations

import ast
from typing import Iterator

from ..analysis.facts import (CallSite, FunctionInfo, LoopInfo, ModuleFacts, is_backward, is_data_loop,
                              is_optimizer_step, trains_directly)
from ..analysis.names import dotted, last_part, name_words
from ..analysis.training_facts import (SIGMOID_MODULES, SIGMOID_QN, SOFTMAX_MODULES, SOFTMAX_QN, Prob,
                                       TrainingFacts, names_in, walk_expr, walk_stmts)
from .base import Finding, Fix, Rule, span_of, line_ref

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
LOSS_CLASSES_LOGITS = {
    "torch.nn.CrossEntropyLoss": ("softmax", "CrossEntropyLoss", "logits (it applies log_softmax itself)"),
    "torch.nn.NLLLoss": ("softmax", "NLLLoss", "log-probabilities (log_softmax output)"),
    "torch.nn.BCEWithLogitsLoss": ("sigmoid", "BCEWithLogitsLoss", "logits (it applies sigmoid itself)"),
}
LOSS_FUNCS_LOGITS = {
    "torch.nn.functional.cross_entropy": ("softmax", "F.cross_entropy", "logits (it applies log_softmax itself)"),
    "torch.nn.functional.nll_loss": ("softmax", "F.nll_loss", "log-probabilities (log_softmax output)"),
    "torch.nn.functional.binary_cross_entropy_with_logits": (
        "sigmoid", "F.binary_cross_entropy_with_logits", "logits (it applies sigmoid itself)"),
}
BCE_CLASSES = frozenset({"torch.nn.BCELoss"})
BCE_FUNCS = frozenset({"torch.nn.functional.binary_cross_entropy"})
LOG_QN = frozenset({"torch.log", "torch.log2", "torch.log10", "numpy.log", "numpy.log2", "numpy.log10",
                    "torch.special.log"})


def tfacts(facts: ModuleFacts) -> TrainingFacts:
    cached = getattr(facts, "_dlp3_training", None)
    if cached is None:
        cached = TrainingFacts(facts)
        facts._dlp3_training = cached  # type: ignore[attr-defined]
    return cached


def scope_calls(facts: ModuleFacts, scope: FunctionInfo | None) -> list[CallSite]:
    if scope is not None:
        return scope.calls
    cached = getattr(facts, "_dlp3_module_calls", None)
    if cached is None:
        cached = [c for c in facts.calls if c.scope is None]
        facts._dlp3_module_calls = cached  # type: ignore[attr-defined]
    return cached


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


def unparse(node: ast.AST) -> str | None:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - deep or odd trees
        return None


def short(node: ast.AST, limit: int = 40) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001
        return "..."
    return text if len(text) <= limit else text[: limit - 3] + "..."


def optimizer_name(site: CallSite) -> str | None:
    name = site.name or ""
    if site.node.args and "scaler" in set(name_words(name)):
        found = dotted(site.node.args[0])
    else:
        found = dotted(site.node.func.value) if isinstance(site.node.func, ast.Attribute) else None
    return found if found and "()" not in found else None


def callers_of(facts: ModuleFacts, scope: FunctionInfo) -> list[CallSite]:
    """Same-file callers; for a function redefined later in a notebook (same name, no resolved
    caller), the calls by that name after its definition."""
    if scope.callers or scope.class_name is not None:
        return scope.callers
    end = scope.node.end_lineno or scope.line
    return [c for c in facts.calls if isinstance(c.node.func, ast.Name) and c.node.func.id == scope.name
            and c.line > end and c.scope is not scope]


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
        tf = tfacts(facts)
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
                yield self.finding(back.node, f"{opt!r} steps after {short(back.node)} but gradients "
                                   f"are never cleared in this loop ({line_ref(loop.line)}): call "
                                   f"{opt}.zero_grad() every iteration", fix=fix)
                break

    @staticmethod
    def _fix(back: CallSite, opt: str) -> Fix | None:
        stmt = back.stmt
        if not isinstance(stmt, ast.Expr) or stmt.value is not back.node or opt == "the optimizer":
            return None
        return Fix("unsafe", "insert-before", span_of(stmt), (("code", f"{opt}.zero_grad()"),))


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


def eval_loops(facts: ModuleFacts, tf: TrainingFacts) -> list[tuple[LoopInfo, list[CallSite]]]:
    cached = getattr(facts, "_dlp3_eval_loops", None)
    if cached is not None:
        return cached
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
        nested = False
        while parent is not None:
            if id(parent) in chosen:
                nested = True
                break
            parent = parent.parent
        if nested:
            continue
        chosen.add(id(loop))
        out.append((loop, models))
    facts._dlp3_eval_loops = out  # type: ignore[attr-defined]
    return out


def _backward_after(facts: ModuleFacts, loop: LoopInfo) -> bool:
    """Outputs collected in the loop are backpropagated after it, in the same iteration context."""
    end = loop.node.end_lineno or loop.line
    outer = tuple(reversed(_chain(loop.parent))) if loop.parent is not None else ()
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


def _event_targets(site: CallSite) -> set[str] | None:
    """Dotted names of the objects a mode event is about (None: unknown, matches any model)."""
    func = site.node.func
    if site.local is not None:
        names = set()
        for arg in list(site.node.args) + [k.value for k in site.node.keywords]:
            spelled = dotted(arg.value if isinstance(arg, ast.Starred) else arg)
            if spelled:
                names.add(spelled)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            names.add("self")
        elif isinstance(func, ast.Attribute):
            spelled = dotted(func.value)
            if spelled:
                names.add(spelled)
        return names or None
    if site.method == "from_pretrained":
        stmt = site.stmt
        if isinstance(stmt, ast.Assign):
            return {d for t in stmt.targets for d in [dotted(t)] if d} or None
        return None
    recv = dotted(func.value) if isinstance(func, ast.Attribute) else None
    return {recv} if recv else None


def _matches(targets: set[str] | None, models: set[str] | None) -> bool:
    if targets is None or models is None:
        return True
    for t in targets:
        for m in models:
            if t == m or t.startswith(m + ".") or m.startswith(t + ".") or (
                    t.rsplit(".", 1)[-1] == m.rsplit(".", 1)[-1] and "." in t + m):
                return True
    return False


def _events(tf: TrainingFacts, calls, lo: int, hi: int, models: set[str] | None = None):
    """(position, mode, site) of mode-setting calls about ``models``, outside lines [lo, hi]."""
    out = []
    for site in calls:
        if lo <= site.line <= hi:
            continue
        mode = tf.mode_of_call(site)
        if mode and _matches(_event_targets(site), models):
            out.append(((site.line, site.node.col_offset), mode, site))
    out.sort(key=lambda e: e[0])
    return out


def _pick(before, wanted: str):
    """The decisive event among those before the code: the wanted mode when any path sets it."""
    for ev in reversed(before):
        if ev[1] == wanted:
            return ev
    return before[-1]


def _caller_models(models: set[str] | None, scope: FunctionInfo, caller: CallSite) -> set[str] | None:
    """Translate model names of a function into the names its caller passes."""
    if models is None:
        return None
    from ..analysis.facts import bound_arguments
    bound = {p: dotted(a) for p, a in bound_arguments(scope, caller)}
    out = set()
    for m in models:
        root, _, rest = m.partition(".")
        if root in scope.params and root != "self":
            arg = bound.get(root)
            if not arg:
                return None
            out.add(arg + ("." + rest if rest else ""))
        elif root == "self":
            func = caller.node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
                out.add(m)
            elif isinstance(func, ast.Attribute) and dotted(func.value):
                out.add(dotted(func.value) + ("." + rest if rest else ""))
            else:
                return None
        else:
            out.add(m)
    return out


def mode_at(facts: ModuleFacts, tf: TrainingFacts, lo: int, hi: int, scope: FunctionInfo | None,
            chain: list[LoopInfo], wanted: str, models: set[str] | None, depth: int = 0):
    """Mode of the model when the code at lines [lo, hi] starts to run.

    Returns (first, later): the decisive event for the first run (None: never set here or by
    the callers), and the event that sets the mode for later iterations of an enclosing loop
    (set after the code in the loop body), each as (position, mode, site).
    """
    later = None
    for loop in chain:
        evs = _events(tf, loop.calls, lo, hi, models)
        before = [e for e in evs if e[0][0] < lo]
        if before:
            return _pick(before, wanted), later
        after = [e for e in evs if e[0][0] > hi]
        if after and later is None:
            later = _pick(after, wanted)
    outer_lo = chain[-1].line if chain else lo
    evs = [e for e in _events(tf, scope_calls(facts, scope), lo, hi, models) if e[0][0] < outer_lo]
    if evs:
        return _pick(evs, wanted), later
    if scope is None or depth >= 3:
        return None, later
    callers = [c for c in callers_of(facts, scope)[:8] if c.scope is not scope]
    if not callers:
        return None, later
    results = []
    for caller in callers:
        end = getattr(caller.node, "end_lineno", caller.line) or caller.line
        results.append(mode_at(facts, tf, caller.line, end, caller.scope, list(reversed(caller.loops)),
                               wanted, _caller_models(models, scope, caller), depth + 1))
    # the wanted mode must hold for every caller; report the first that breaks it
    for first, c_later in results:
        if first is None or first[1] != wanted:
            return first, c_later or later
    for first, c_later in results:
        if c_later is not None and c_later[1] != wanted:
            return first, c_later
    return results[0][0], results[0][1] or later


def _model_names(models: list[CallSite], scope: FunctionInfo | None) -> set[str] | None:
    names = set()
    for m in models:
        spelled = dotted(m.node.func)
        if not spelled:
            return None
        names.add(spelled)
    return names or None


def _initial_mode(tf: TrainingFacts, site: CallSite) -> str | None:
    """The mode a model is built in: ``Net().eval()``, ``load()`` that calls eval, from_pretrained."""
    func = site.node.func
    value = None
    scope = site.scope
    if isinstance(func, ast.Name):
        item = tf.latest(scope, func.id, site.line)
        if item is not None:
            value = item[1]
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self" \
            and scope is not None:
        value = tf.class_attrs(scope.class_name).get(func.attr)
    for _ in range(6):
        if not isinstance(value, ast.Call):
            return None
        f = value.func
        if isinstance(f, ast.Attribute) and f.attr == "eval" and not value.args:
            return "eval"
        if isinstance(f, ast.Attribute) and f.attr == "from_pretrained":
            return "eval"
        qn = tf.facts.imports.qualname(f) or ""
        if qn in ("torch.jit.load", "torch.jit.script", "torch.jit.trace", "torch.export.load",
                  "transformers.pipeline"):
            return "eval"  # scripted/traced models are saved for inference; pipelines load in eval mode
        if qn == "torch.compile" and value.args:
            value = value.args[0]
            continue
        if isinstance(f, ast.Attribute) and f.attr == "train":
            return "train"
        local = tf.facts.resolve_local(f, None) or (
            tf.facts.resolve_local(f, scope) if scope is not None else None)
        if local is None and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            local = tf.facts.methods.get((f.value.id, f.attr))
        if local is not None:
            return tf.effect(local)
        if isinstance(f, ast.Attribute):
            value = f.value
            continue
        return None
    return None


def _optimized_roots(facts: ModuleFacts) -> set[str]:
    cached = getattr(facts, "_dlp3_optimized", None)
    if cached is None:
        cached = set()
        for site in facts.calls:
            if site.qn and site.qn.startswith("torch.optim.") and ".lr_scheduler." not in site.qn:
                for arg in list(site.node.args[:1]) + [k.value for k in site.node.keywords if k.arg == "params"]:
                    for sub in walk_expr(arg):
                        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                                and sub.func.attr in ("parameters", "named_parameters"):
                            spelled = dotted(sub.func.value)
                            if spelled:
                                cached.add(spelled.rsplit(".", 1)[-1])
                        elif isinstance(sub, ast.Name) and sub is arg:
                            cached.add("?")
                        elif isinstance(sub, ast.Name) and isinstance(arg, (ast.List, ast.Tuple)):
                            cached.add(sub.id)
                    if not isinstance(arg, (ast.Call, ast.List, ast.ListComp, ast.Name)):
                        cached.add("?")
                if not site.node.args and not any(k.arg == "params" for k in site.node.keywords):
                    cached.add("?")
        facts._dlp3_optimized = cached  # type: ignore[attr-defined]
    return cached


def _steps_optimizer(loop: LoopInfo) -> bool:
    return any(is_optimizer_step(s) for s, _ in iteration_calls(loop.calls))


def _callee_sets_train(tf: TrainingFacts, loop: LoopInfo) -> bool:
    for site in loop.calls:
        if site.local is not None and site.local.trains:
            if any(direct_mode_train(s) for s, _ in iteration_calls(site.local.calls)):
                return True
    return False


def direct_mode_train(site: CallSite) -> bool:
    from ..analysis.training_facts import direct_mode
    return direct_mode(site) == "train"


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
    `Net().eval()` (or by a same-file loader that calls `.eval()`) start in eval mode.

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
        tf = tfacts(facts)
        if not tf.uses_torch:
            return
        for loop, models in eval_loops(facts, tf):
            if not any(tf.mode_sensitive(m) for m in models):
                continue
            names = _model_names(models, loop.scope)
            first_call = min(m.line for m in models)
            inside = [e for e in _events(tf, loop.calls, 0, -1, names) if e[0][0] <= first_call]
            if inside:
                ev = _pick(inside, "eval")
                if ev[1] == "eval":
                    continue
                reason = f"{short(ev[2].node)} at {line_ref(ev[2].line)} puts it in training mode"
            else:
                end = loop.node.end_lineno or loop.line
                chain = [] if loop.parent is None else _chain(loop.parent)
                first, later = mode_at(facts, tf, loop.line, end, loop.scope, chain, "eval", names)
                if first is None and _initial_mode(tf, models[0]) == "eval":
                    first = ((0, 0), "eval", models[0])
                if first is not None and first[1] == "eval" and (later is None or later[1] == "eval"):
                    continue
                if first is not None and first[1] == "train":
                    reason = f"{short(first[2].node)} at {line_ref(first[2].line)} leaves it in training mode"
                elif later is not None and later[1] == "train":
                    reason = (f"{short(later[2].node)} at {line_ref(later[2].line)} switches it back to "
                              f"training mode for the next iteration")
                else:
                    reason = "nothing calls .eval() before this loop"
            model = dotted(models[0].node.func) or "model"
            yield self.finding(loop.node, f"evaluation loop runs {model!r} ({line_ref(models[0].line)}) "
                               f"while it may be in training mode: {reason}; call {model}.eval() "
                               f"first", fix=Fix("unsafe", "insert-before", span_of(loop.node),
                                                 (("code", f"{model}.eval()"),)))
        yield from self._training_after_eval(facts, tf)

    def _training_after_eval(self, facts: ModuleFacts, tf: TrainingFacts) -> Iterator[Finding]:
        optimized = _optimized_roots(facts)
        for loop in facts.loops:
            if not loop.trains or lightning_hook(loop.scope):
                continue
            # innermost training loop that performs the step itself
            if not trains_in_body(loop) or any(other.trains and other.parent is loop for other in facts.loops):
                continue
            if not _steps_optimizer(loop) or _callee_sets_train(tf, loop):
                continue
            models = [m for m in model_calls(facts, tf, loop) if not m.in_no_grad]
            if not models or not any(tf.mode_sensitive(m) for m in models):
                continue
            if optimized and "?" not in optimized and not any(
                    (dotted(m.node.func) or "").rsplit(".", 1)[-1] in optimized
                    or (dotted(m.node.func) == "self") for m in models):
                continue
            names = _model_names(models, loop.scope)
            evs = _events(tf, loop.calls, 0, -1, names)
            if any(e[1] == "train" for e in evs):
                continue
            if evs:
                ev = evs[-1]
                reason = (f"{short(ev[2].node)} at {line_ref(ev[2].line)} switches the model to eval mode "
                          f"and nothing switches it back")
            else:
                end = loop.node.end_lineno or loop.line
                chain = [] if loop.parent is None else _chain(loop.parent)
                first, later = mode_at(facts, tf, loop.line, end, loop.scope, chain, "train", names)
                if first is None and _initial_mode(tf, models[0]) == "eval":
                    first = ((0, 0), "eval", models[0])
                    reason = f"{short(models[0].node.func)} is built in eval mode"
                elif first is not None and first[1] == "eval":
                    reason = f"{short(first[2].node)} at {line_ref(first[2].line)} left the model in eval mode"
                elif later is not None and later[1] == "eval":
                    reason = (f"{short(later[2].node)} at {line_ref(later[2].line)} switches it to eval mode "
                              f"for the next iteration")
                else:
                    continue
            model = dotted(models[0].node.func)
            fix = Fix("unsafe", "insert-before", span_of(loop.node), (("code", f"{model}.train()"),)) \
                if model else None
            yield self.finding(loop.node, f"training loop runs in eval mode: {reason}; call "
                               f"{model or 'model'}.train() before training", fix=fix)


def _model_calls_any(facts, tf, loop):
    return model_calls(facts, tf, loop)


def _chain(loop: LoopInfo) -> list[LoopInfo]:
    out = []
    cur: LoopInfo | None = loop
    while cur is not None:
        out.append(cur)
        cur = cur.parent
    return out


def _grad_disabled_globally(facts: ModuleFacts) -> bool:
    for site in facts.calls:
        if site.qn in ("torch.set_grad_enabled", "torch.autograd.set_grad_enabled") and site.node.args \
                and isinstance(site.node.args[0], ast.Constant) and site.node.args[0].value is False \
                and isinstance(site.stmt, ast.Expr):
            return True
    return False


def _frozen_model(facts: ModuleFacts) -> bool:
    for site in facts.calls:
        if site.method == "requires_grad_" and site.node.args and isinstance(site.node.args[0], ast.Constant) \
                and site.node.args[0].value is False:
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
    (`requires_grad_(False)`), Lightning `validation_step`/`test_step`, and
    `model.generate(...)` (already under `no_grad`). A no_grad region entered in another module
    is not seen.
    """

    code, name = "DLP302", "eval-without-no-grad"
    summary = "an evaluation loop is not under torch.no_grad()/inference_mode()"
    section = "Debugging Neural Networks"
    fix = "safe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = tfacts(facts)
        if not tf.uses_torch or _grad_disabled_globally(facts) or _frozen_model(facts):
            return
        for loop, models in eval_loops(facts, tf):
            if loop.in_no_grad or any(m.in_no_grad for m in models) or under_no_grad(loop.scope, 0, facts):
                continue
            if _uses_input_grad(loop):
                continue
            model = dotted(models[0].node.func) or "model"
            yield self.finding(loop.node, f"evaluation loop runs {model!r} ({line_ref(models[0].line)}) "
                               f"outside torch.no_grad(): every batch records an autograd graph; "
                               f"wrap it in `with torch.no_grad():`",
                               fix=Fix("safe", "wrap-with", span_of(loop.node),
                                       (("context", "torch.no_grad()"), ("imports", "torch"))))


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
        train(model, loader, optimizer)
    ```

    ## Use instead
    ```python
    for epoch in range(epochs):
        train(model, loader, optimizer)
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
        tf = tfacts(facts)
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
            what = short(first[2].node)
            yield self.finding(sched.node, f"{short(sched.node)} runs before {what} ({line_ref(first[0])}) "
                               f"in each iteration of {where}: the first learning-rate value is "
                               f"skipped; step the scheduler after the optimizer",
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
                                       (("after", f"{s[0]},{s[1]},{s[2]},{s[3]}"),))
                    return None
        return None


# ---------------------------------------------------------------------------------------------
# Probabilities into logs and losses (DLP304, DLP305, DLP309)


def _args_text(call: ast.Call, skip_first: bool = False) -> list[str] | None:
    try:
        args = [ast.unparse(a) for a in call.args[1 if skip_first else 0:]]
        args += [f"{kw.arg}={ast.unparse(kw.value)}" if kw.arg else f"**{ast.unparse(kw.value)}"
                 for kw in call.keywords]
    except Exception:  # noqa: BLE001
        return None
    return args


def log_prob_replacement(tf: TrainingFacts, call: ast.Call, kind: str) -> str | None:
    """``F.log_softmax(...)`` / ``F.logsigmoid(...)`` equivalent of log(<softmax/sigmoid call>)."""
    qn = tf.facts.imports.qualname(call.func)
    func = call.func
    try:
        if kind == "sigmoid":
            if qn in SIGMOID_QN and len(call.args) == 1 and not call.keywords:
                return f"torch.nn.functional.logsigmoid({ast.unparse(call.args[0])})"
            if qn is None and isinstance(func, ast.Attribute) and func.attr == "sigmoid" and not call.args:
                return f"torch.nn.functional.logsigmoid({ast.unparse(func.value)})"
            if isinstance(func, ast.Call) and tf.facts.imports.qualname(func.func) in SIGMOID_MODULES \
                    and len(call.args) == 1:
                return f"torch.nn.functional.logsigmoid({ast.unparse(call.args[0])})"
            return None
        if qn == "torch.softmax":
            return f"torch.log_softmax({', '.join(_args_text(call))})"
        if qn in SOFTMAX_QN:
            return f"torch.nn.functional.log_softmax({', '.join(_args_text(call))})"
        if qn is None and isinstance(func, ast.Attribute) and func.attr == "softmax":
            return f"{ast.unparse(func.value)}.log_softmax({', '.join(_args_text(call))})"
        if isinstance(func, ast.Call) and tf.facts.imports.qualname(func.func) in SOFTMAX_MODULES \
                and len(call.args) == 1:
            dim = func.args[0] if func.args else next((k.value for k in func.keywords if k.arg == "dim"), None)
            extra = f", dim={ast.unparse(dim)}" if dim is not None else ""
            return f"torch.nn.functional.log_softmax({ast.unparse(call.args[0])}{extra})"
    except Exception:  # noqa: BLE001
        return None
    return None


def log_calls(facts: ModuleFacts):
    """(site, argument expression) of log calls: torch.log(x), np.log(x), x.log()."""
    for site in facts.calls:
        node = site.node
        if site.qn in LOG_QN and node.args:
            yield site, node.args[0]
        elif (site.qn is None and site.method == "log" and not node.args and not node.keywords
              and isinstance(node.func, ast.Attribute)
              and not (isinstance(node.func.value, ast.Name) and node.func.value.id in ("self", "math"))):
            yield site, node.func.value


class LogOfSoftmax(Rule):
    """
    ## What it does
    Flags the log of softmax or sigmoid output: `torch.log(torch.softmax(x, 1))`,
    `torch.log(F.softmax(x, dim=1))`, `x.softmax(1).log()`, `torch.log(nn.Softmax(1)(x))`,
    `torch.log(torch.sigmoid(x))`, and the same through a variable assigned from softmax/sigmoid
    earlier in the same function (`probs = F.softmax(x, 1)` … `torch.log(probs)`) or the output
    of a same-file model whose `forward()` returns softmax/sigmoid output on every path.

    ## Why is this bad?
    *Debugging Neural Networks*: NaN gradients often come from log of zero. Softmax and sigmoid
    underflow to exactly 0 for large negative logits, and log gives -inf and NaN gradients;
    `log_softmax`/`logsigmoid` compute the same value stably with the log-sum-exp trick.

    ## Example
    ```python
    log_probs = torch.log(F.softmax(logits, dim=1))
    ```

    ## Use instead
    ```python
    log_probs = F.log_softmax(logits, dim=1)
    ```

    ## Fix
    Safe, when the softmax/sigmoid call is the log's direct argument: the log call becomes
    `torch.nn.functional.log_softmax(<same arguments>)`, `torch.log_softmax(...)`,
    `x.log_softmax(...)` or `torch.nn.functional.logsigmoid(x)`.

    ## Known limits
    Guarded forms (`torch.log(probs + 1e-8)`, `probs.clamp(min=eps).log()`) are not flagged
    here. Models defined in other modules are not followed. NumPy/SciPy softmax is not tracked.
    """

    code, name = "DLP304", "log-of-softmax"
    summary = "log of softmax/sigmoid output instead of log_softmax/logsigmoid"
    section = "Debugging Neural Networks"
    fix = "safe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = tfacts(facts)
        if not tf.uses_torch:
            return
        for site, arg in log_calls(facts):
            if site.qn and site.qn.startswith("numpy."):
                continue
            prob = tf.prob_of(arg, site.scope, site.line, models=True)
            if prob is None:
                continue
            better = "log_softmax" if prob.kind == "softmax" else "logsigmoid"
            fix = None
            if prob.direct and prob.call is not None and site.qn in (None, "torch.log"):
                repl = log_prob_replacement(tf, prob.call, prob.kind)
                if repl:
                    fix = Fix("safe", "replace-expression", span_of(site.node),
                              (("replacement", repl), ("imports", "torch")))
            yield self.finding(site.node, f"log of {prob.kind} output ({prob.how}) underflows to "
                               f"log(0) = -inf: use {better}", fix=fix)


LOSS_QNS = frozenset(LOSS_CLASSES_LOGITS) | frozenset(LOSS_FUNCS_LOGITS) | BCE_CLASSES | BCE_FUNCS


def loss_sites(facts: ModuleFacts, tf: TrainingFacts):
    """(site, loss qualified name, input expression, spelled loss) of calls to the losses DLP305/309 know."""
    cached = getattr(facts, "_dlp3_loss_sites", None)
    if cached is None:
        cached = []
        for site in facts.calls:
            if site.local is not None or (site.qn is not None and site.qn not in LOSS_QNS):
                continue
            func = site.node.func
            if isinstance(func, ast.Name) and func.id in ("print", "len", "range", "float", "int", "str",
                                                          "list", "dict", "tuple", "zip", "enumerate"):
                continue
            if isinstance(func, ast.Attribute) and site.qn is None and not (
                    isinstance(func.value, ast.Name) and func.value.id == "self"):
                continue
            qn, inp, spelled = loss_target(tf, site)
            if qn in LOSS_QNS and inp is not None:
                cached.append((site, qn, inp, spelled))
        facts._dlp3_loss_sites = cached  # type: ignore[attr-defined]
    return cached


def loss_target(tf: TrainingFacts, site: CallSite) -> tuple[str | None, ast.expr | None, str]:
    """(loss qualified name, input expression, spelled loss) for a loss call."""
    node = site.node
    inp = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "input"), None)
    if site.qn:
        return site.qn, inp, last_part(site.qn)
    func = node.func
    if isinstance(func, ast.Call):
        qn = tf.facts.imports.qualname(func.func)
        return qn, inp, f"{last_part(qn)}()" if qn else ""
    if isinstance(func, (ast.Name, ast.Attribute)) and site.method not in ("forward",):
        if isinstance(func, ast.Attribute) and not (isinstance(func.value, ast.Name) and func.value.id == "self"):
            return None, None, ""
        kind = tf.kind_of(func, site.scope, site.line)
        if kind:
            return kind, inp, dotted(func) or last_part(kind)
    return None, None, ""


class DoubleSoftmax(Rule):
    """
    ## What it does
    Flags a loss that expects logits (or log-probabilities) fed with probabilities:
    `nn.CrossEntropyLoss()`/`F.cross_entropy` given softmax output, `nn.NLLLoss`/`F.nll_loss`
    given softmax output (they expect `log_softmax` output), `nn.BCEWithLogitsLoss`/
    `F.binary_cross_entropy_with_logits` given sigmoid output. The probabilities are found
    directly in the loss call, through a variable assigned in the same function, through a
    `self.softmax = nn.Softmax(...)` attribute, or as the output of a model whose same-file
    `nn.Module` class returns softmax/sigmoid output from every `return` of its `forward()`
    (or an `nn.Sequential` ending in `nn.Softmax`/`nn.Sigmoid`).

    ## Why is this bad?
    *Debugging Neural Networks: check the loss*. Cross-entropy applies log_softmax itself; a
    second softmax squashes the outputs into a narrow range, gradients vanish and the model
    learns slowly or stalls at a poor accuracy, without any error. `nll_loss` of probabilities
    is not a log-likelihood at all.

    ## Example
    ```python
    loss = F.cross_entropy(F.softmax(logits, dim=1), target)
    ```

    ## Use instead
    ```python
    loss = F.cross_entropy(logits, target)
    ```

    ## Fix
    Unsafe (changes what the model is trained on): when the softmax/sigmoid call is the loss's
    direct argument, it is replaced by its argument (for `nll_loss`: by
    `torch.nn.functional.log_softmax(...)`). Models ending in softmax have no automatic fix.

    ## Known limits
    A loss or model passed in as a parameter, or defined in another module, is not resolved. A
    `forward` that returns logits in training mode and probabilities otherwise is not flagged.
    """

    code, name = "DLP305", "double-softmax"
    summary = "softmax/sigmoid output fed to a loss that expects logits"
    section = "Debugging Neural Networks"
    fix = "unsafe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = tfacts(facts)
        if not tf.uses_torch:
            return
        for site, qn, inp, spelled in loss_sites(facts, tf):
            spec = LOSS_CLASSES_LOGITS.get(qn or "") or LOSS_FUNCS_LOGITS.get(qn or "")
            if spec is None:
                continue
            wanted, label, expects = spec
            prob = tf.prob_of(inp, site.scope, site.line, models=True)
            if prob is None or prob.kind != wanted:
                continue
            if qn in LOSS_FUNCS_LOGITS or spelled.endswith("()"):
                name = label if qn in LOSS_FUNCS_LOGITS else spelled
            else:
                name = f"{label} {spelled!r}"
            yield self.finding(site.node, f"{name} expects {expects} but receives {prob.kind} output "
                               f"({prob.how}): the {prob.kind} is applied twice",
                               fix=self._fix(tf, prob, label))

    @staticmethod
    def _fix(tf: TrainingFacts, prob: Prob, label: str) -> Fix | None:
        call = prob.call
        if not prob.direct or call is None:
            return None
        if "NLL" in label or "nll" in label:
            repl = log_prob_replacement(tf, call, "softmax")
            if repl:
                return Fix("unsafe", "replace-expression", span_of(call),
                           (("replacement", repl), ("imports", "torch")))
            return None
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("softmax", "sigmoid") and \
                tf.facts.imports.qualname(func) is None:
            text = unparse(func.value)
            return Fix("unsafe", "replace-expression", span_of(call), (("replacement", text),)) if text else None
        if call.args and not isinstance(call.args[0], ast.Starred):
            return Fix("unsafe", "replace-with-argument", span_of(call), (("argument", "0"),))
        return None


class SigmoidBeforeBCELoss(Rule):
    """
    ## What it does
    Flags `nn.BCELoss()`/`F.binary_cross_entropy` applied to sigmoid output: `torch.sigmoid(x)`
    passed directly, through a variable, a `self.sigmoid = nn.Sigmoid()` attribute, or a
    same-file model whose `forward()` returns sigmoid output (or an `nn.Sequential` ending in
    `nn.Sigmoid()`). Opt-in: the code is correct, only less stable.

    ## Why is this bad?
    *Debugging Neural Networks*: `BCELoss` takes the log of the sigmoid output, which saturates
    to exactly 0 or 1 for large logits; PyTorch clamps the log at -100, so gradients vanish for
    confidently wrong predictions. `BCEWithLogitsLoss` fuses the two with the log-sum-exp trick.

    ## Example
    ```python
    loss = F.binary_cross_entropy(torch.sigmoid(logits), target)
    ```

    ## Use instead
    ```python
    loss = F.binary_cross_entropy_with_logits(logits, target)
    ```

    ## Fix
    Unsafe, only for the functional form with the sigmoid call as the direct argument: the call
    becomes `torch.nn.functional.binary_cross_entropy_with_logits(<logits>, ...)`. Other forms
    need two coordinated edits (the loss constructor and the model's last layer, whose
    probabilities inference code may rely on) and are left to the user: remove the sigmoid from
    the model, use `nn.BCEWithLogitsLoss()`, apply `torch.sigmoid` where probabilities are
    needed (prediction, metrics).

    ## Known limits
    Losses and models defined in other modules are not resolved.
    """

    code, name = "DLP309", "sigmoid-before-bce-loss"
    summary = "BCELoss applied to sigmoid output instead of BCEWithLogitsLoss on logits"
    section = "Debugging Neural Networks"
    default = False
    fix = "unsafe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = tfacts(facts)
        if not tf.uses_torch:
            return
        for site, qn, inp, spelled in loss_sites(facts, tf):
            if qn not in BCE_CLASSES and qn not in BCE_FUNCS:
                continue
            prob = tf.prob_of(inp, site.scope, site.line, models=True)
            if prob is None or prob.kind != "sigmoid":
                continue
            fix = None
            if qn in BCE_FUNCS and prob.direct and prob.call is not None and site.node.args \
                    and site.node.args[0] is prob.call:
                logits = self._logits(tf, prob.call)
                rest = _args_text(site.node, skip_first=True) if logits is not None else None
                if logits is not None and rest is not None:
                    repl = f"torch.nn.functional.binary_cross_entropy_with_logits({', '.join([logits, *rest])})"
                    fix = Fix("unsafe", "replace-expression", span_of(site.node),
                              (("replacement", repl), ("imports", "torch")))
            label = f"BCELoss {spelled!r}" if qn in BCE_CLASSES and not spelled.endswith("()") else (
                "BCELoss()" if qn in BCE_CLASSES else "F.binary_cross_entropy")
            yield self.finding(site.node, f"{label} receives sigmoid output ({prob.how}): "
                               f"use BCEWithLogitsLoss / binary_cross_entropy_with_logits on the "
                               f"logits for numerical stability", fix=fix)

    @staticmethod
    def _logits(tf: TrainingFacts, call: ast.Call) -> str | None:
        func = call.func
        if tf.facts.imports.qualname(func) in SIGMOID_QN and len(call.args) == 1 and not call.keywords:
            return unparse(call.args[0])
        if isinstance(func, ast.Attribute) and func.attr == "sigmoid" and not call.args:
            return unparse(func.value)
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
                qn = facts.imports.qualname(func)
                if qn in ("torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad") or (
                        qn in ("torch.set_grad_enabled",) and isinstance(ctx, ast.Call) and ctx.args
                        and isinstance(ctx.args[0], ast.Constant) and ctx.args[0].value is False):
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
        tf = tfacts(facts)
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
                tname = short(target)
                yield self.finding(anchor, f"{short(loss_node)} is accumulated into {tname!r} with "
                                   f"its autograd graph, keeping every iteration's graph alive: "
                                   f"use {template.format(short(loss_node))}",
                                   fix=Fix("safe", "replace-expression", span_of(loss_node),
                                           (("template", template),)))

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
        tf = tfacts(facts)
        if not tf.uses_torch:
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
            fix = Fix("unsafe", "replace-expression", span_of(func), (("replacement", text),)) if text else None
            yield self.finding(site.node, f"{spelled}.forward(...) bypasses the module's __call__ "
                               f"(hooks, DDP/AMP wrappers, torch.compile): call {spelled}(...)", fix=fix)


# ---------------------------------------------------------------------------------------------


_EPS_WORDS = frozenset({"eps", "epsilon", "tiny", "smooth", "smoothing", "delta", "min", "stab",
                        "stability", "offset", "jitter", "safe"})
_SCALAR_WORDS = frozenset({"num", "n", "size", "dim", "dims", "len", "length", "count", "vocab",
                           "classes", "steps", "step", "max", "min", "base", "scale", "lr", "rate",
                           "temperature", "tau", "period", "epochs", "epoch", "batch", "sigma", "pi",
                           "e", "k", "d", "t", "total", "iters", "iterations", "nsamples", "samples",
                           "levels", "bins", "gamma", "alpha", "beta", "ratio", "factor", "tokens",
                           "channels", "features", "width", "height", "frequency", "freq", "timesteps",
                           "time", "init", "range", "start", "end", "stop", "warmup"})
_CONST_FUNCS = frozenset({"tensor", "array", "as_tensor", "float", "int", "float32", "float64",
                          "len", "sqrt", "exp", "abs", "ones", "full", "arange", "linspace",
                          "numel", "size", "factorial", "prod", "tril", "triu", "eye", "zeros",
                          "ones_like", "zeros_like", "full_like"})
_GUARD_FUNCS = frozenset({"clamp", "clip", "clamp_min", "clamp_", "clip_", "maximum", "fmax",
                          "softplus", "exp", "expm1", "relu"})


def _constant_expr(tf: TrainingFacts, node: ast.expr, depth: int = 0) -> bool:
    """Literals, named constants and arithmetic/calls over them (``2 * np.pi``, ``len(x)``)."""
    if depth > 12:
        return False
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _constant_expr(tf, node.operand, depth + 1)
    if isinstance(node, ast.BinOp):
        return _constant_expr(tf, node.left, depth + 1) and _constant_expr(tf, node.right, depth + 1)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_constant_expr(tf, e, depth + 1) for e in node.elts)
    if isinstance(node, (ast.Name, ast.Attribute)):
        spelled = dotted(node) or ""
        ident = spelled.rsplit(".", 1)[-1]
        if tf.facts.imports.qualname(node) is not None:
            return True  # np.pi, math.e, torch.finfo...
        words = set(name_words(ident))
        if ident.isupper() or ident.lower().endswith(("max", "min")) or (
                words & _SCALAR_WORDS and not words & {"probs", "prob", "p", "pred", "preds", "output", "out", "x"}):
            return True
        return False
    if isinstance(node, ast.Subscript):
        if isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
            return True
        return False
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("len", "size", "numel", "shape", "dim", "factorial", "count", "ones", "zeros", "eye",
                    "ones_like", "zeros_like"):
            return True  # counts, or fixed values whatever the shape
        if name in ("tril", "triu") and node.args:
            return _constant_expr(tf, node.args[0], depth + 1)
        if name in _CONST_FUNCS:
            return all(_constant_expr(tf, a, depth + 1) for a in node.args) and all(
                _constant_expr(tf, k.value, depth + 1) for k in node.keywords if k.arg not in ("dtype", "device"))
        return False
    return False


def _guarded(tf: TrainingFacts, node: ast.expr) -> bool:
    for sub in walk_expr(node):  # log-sum-exp and friends: positive by construction
        if isinstance(sub, ast.Call):
            f = sub.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name in ("exp", "logsumexp", "softplus", "cosh"):
                return True
    return _guarded_top(tf, node)


def _guarded_top(tf: TrainingFacts, node: ast.expr, depth: int = 0) -> bool:
    if depth > 24:
        return False
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Mult)):
        return _guarded_top(tf, node.left, depth + 1) or (
            isinstance(node.op, ast.Mult) and _guarded_top(tf, node.right, depth + 1))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for side in (node.left, node.right):
            if _constant_expr(tf, side) or _eps_like(side):
                return True
        return _guarded_top(tf, node.left, depth + 1) or _guarded_top(tf, node.right, depth + 1)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in _GUARD_FUNCS:
            return True
        local = tf.facts.resolve_local(func, None) if isinstance(func, ast.Name) else None
        if local is not None and depth < 4:
            returns = [r.value for r in walk_stmts(local.node.body) if isinstance(r, ast.Return) and r.value]
            if returns and all(_guarded_top(tf, r, depth + 4) or _constant_expr(tf, r) for r in returns):
                return True  # a same-file helper that smooths: return (p + 1) / (n + 1)
        if name in ("max",) and (len(node.args) >= 2 or any(k.arg in ("min",) for k in node.keywords)):
            return True
        if isinstance(func, ast.Attribute) and name in ("to", "float", "double", "cuda", "cpu", "view",
                                                        "reshape", "squeeze", "unsqueeze", "mean", "sum"):
            return _guarded_top(tf, func.value, depth + 1) if name not in ("mean", "sum") else False
    return False


def _eps_like(node: ast.expr) -> bool:
    for sub in walk_expr(node):
        if isinstance(sub, (ast.Name, ast.Attribute)):
            ident = sub.id if isinstance(sub, ast.Name) else sub.attr
            if set(name_words(ident)) & _EPS_WORDS:
                return True
    return False


class UnguardedLog(Rule):
    """
    ## What it does
    Flags `torch.log`/`np.log` (also `log2`/`log10` and `tensor.log()`) of a computed quantity
    with no guard: not `log(x + eps)`, `log(x.clamp(min=...))`, `np.clip(...)`,
    `torch.maximum(x, eps)`, and not `log1p`. Literals and expressions of constants
    (`np.log(2 * np.pi)`, `torch.log(torch.tensor(2.0))`, `math.log(num_classes)`-like
    counts and hyperparameters) are not computed quantities. Log of softmax/sigmoid output is
    left to DLP304. NumPy logs count only for computed quantities (a ratio, a complement
    `1 - p`, predictions), not for data columns (`np.log(df["price"])` is a feature transform).
    Opt-in.

    ## Why is this bad?
    *Debugging Neural Networks*: NaN or infinite losses and gradients usually come from
    division by zero or log of zero. A probability, a ratio or a difference that can be 0 makes
    `log` return -inf and the gradients NaN, often many steps into training.

    ## Example
    ```python
    loss = -(target * torch.log(pred)).mean()
    ```

    ## Use instead
    ```python
    loss = -(target * torch.log(pred.clamp(min=1e-7))).mean()
    ```

    ## Known limits
    The rule cannot know that a value is strictly positive by construction (a count, a
    variance plus a prior, data that never contains zero): add a guard or `# noqa: DLP308`.
    Names that look like counts or hyperparameters (`num_classes`, `max_len`, `lr`,
    `temperature`) are treated as constants.
    """

    code, name = "DLP308", "unguarded-log"
    summary = "log of a computed quantity without epsilon or clamp"
    section = "Debugging Neural Networks"
    default = False

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = tfacts(facts)
        for site, arg in log_calls(facts):
            if site.qn is None and not tf.uses_torch:
                continue
            if _constant_expr(tf, arg) or _guarded(tf, arg):
                continue
            if isinstance(arg, ast.Name):
                item = tf.latest(site.scope, arg.id, site.line)
                if item is not None and item[1] is not None and (
                        _constant_expr(tf, item[1]) or _guarded(tf, item[1])):
                    continue
            if tf.prob_of(arg, site.scope, site.line, models=True) is not None:
                continue
            if site.qn and site.qn.startswith("numpy.") and not self._np_computed(tf, arg, site):
                continue
            fn = last_part(site.qn) if site.qn else "log"
            mod = "np" if site.qn and site.qn.startswith("numpy.") else "torch"
            spelled = f"{mod}.{fn}({short(arg, 30)})" if site.qn else f"{short(arg, 30)}.log()"
            yield self.finding(site.node, f"{spelled} has no epsilon or clamp: log(0) gives -inf and "
                               f"NaN gradients; use log(x + eps), x.clamp(min=eps) or log1p")

    @staticmethod
    def _np_computed(tf: TrainingFacts, arg: ast.expr, site: CallSite) -> bool:
        """NumPy logs count only for computed quantities (ratios, complements, predictions),
        not data columns (``np.log(df["price"])`` is a feature transform)."""
        expr = arg
        if isinstance(expr, ast.Name):
            item = tf.latest(site.scope, expr.id, site.line)
            if item is None or item[1] is None:
                return False
            expr = item[1]
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Sub, ast.Div)):
            return True
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in (
                "predict_proba", "predict"):
            return True
        return False
