"""Training-loop correctness (DLP3xx): "Debugging Neural Networks", "Check gradients"."""
from __future__ import annotations

import ast
from typing import Iterator

from ..analysis.called import called_names
from ..analysis.eval_loops import under_no_grad
from ..analysis.facts import ModuleFacts
from ..analysis.records import CallSite, is_backward, is_optimizer_step, iteration_calls
from ..analysis.vocabulary import is_no_grad_context
from ..analysis.names import dotted, name_words
from ..analysis.modes import scope_calls
from ..analysis.training_facts import TrainingFacts, loop_ref, names_in, short, unparse, walk_expr, walk_stmts
from .base import Finding, Fix, Rule, fitting, line_ref, span_of

SECTION = "Debugging Neural Networks: check gradients"


def optimizer_name(site: CallSite) -> str | None:
    name = site.name or ""
    if site.node.args and "scaler" in set(name_words(name)):
        found = dotted(site.node.args[0])
    else:
        found = dotted(site.node.func.value) if isinstance(site.node.func, ast.Attribute) else None
    return found if found and "()" not in found else None


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
