"""Premature optimisation and model choice (DLP5xx)."""
from __future__ import annotations

import ast
from typing import Iterator

from ..analysis.facts import CallSite, LoopInfo, ModuleFacts, is_data_loop
from .base import Finding, Fix, Rule, span_of

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


def debugging_aids(facts: ModuleFacts) -> list[tuple[int, str]]:
    """(line, description) of debugging aids active in the module."""
    found: list[tuple[int, str]] = []
    for site in facts.calls:
        if site.qn == "torch.autograd.set_detect_anomaly" and site.node.args \
                and isinstance(site.node.args[0], ast.Constant) and site.node.args[0].value is True:
            found.append((site.line, "torch.autograd.set_detect_anomaly(True)"))
        elif site.qn in ("torch.autograd.detect_anomaly", "torch.autograd.anomaly_mode.detect_anomaly"):
            found.append((site.line, "torch.autograd.detect_anomaly()"))
        elif site.qn in ("os.environ.setdefault", "os.putenv") and site.node.args \
                and isinstance(site.node.args[0], ast.Constant) and site.node.args[0].value == "CUDA_LAUNCH_BLOCKING":
            found.append((site.line, "CUDA_LAUNCH_BLOCKING"))
    for store in facts.stores:
        if store.target == "os.environ['CUDA_LAUNCH_BLOCKING']":
            found.append((store.stmt.lineno, "CUDA_LAUNCH_BLOCKING"))
    one_batch = _overfit_one_batch(facts)
    if one_batch:
        found.append((one_batch, "an overfit-one-batch loop"))
    return sorted(found)


def _overfit_one_batch(facts: ModuleFacts) -> int | None:
    """``batch = next(iter(loader))`` then a training loop over ``range`` using that batch."""
    single: dict[int, list[tuple[str, CallSite]]] = {}
    for site in facts.calls:
        node = site.node
        if (isinstance(node.func, ast.Name) and node.func.id == "next" and node.args
                and isinstance(node.args[0], ast.Call) and isinstance(node.args[0].func, ast.Name)
                and node.args[0].func.id == "iter" and not site.loops
                and isinstance(site.stmt, ast.Assign) and site.stmt.value is node):
            for target in site.stmt.targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        single.setdefault(id(site.scope), []).append((sub.id, site))
    for loop in facts.loops:
        if not loop.trains or is_data_loop(loop) or id(loop.scope) not in single:
            continue
        names = {name for name, _ in single[id(loop.scope)]}
        for sub in ast.walk(loop.node):
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
    `next(iter(loader))`), or a training module with no evaluation or validation step at all.

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
    `# noqa: DLP500` on the compile line when the model is known to work.
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
            line, what = aids[0]
            reason = f"while debugging aids are active ({what} at line {line})"
        elif trains(facts) and not evaluates(facts):
            reason = "in a training script that never evaluates or validates the model"
        else:
            return
        for site in compiles:
            yield self.finding(site.node, f"torch.compile is applied {reason}: make the model "
                               f"work first, then optimise", fix=_unwrap_fix(site))


def _unwrap_fix(site: CallSite) -> Fix | None:
    node = site.node
    if len(node.args) >= 1 and not isinstance(node.args[0], ast.Starred):
        return Fix("unsafe", "replace-with-argument", span_of(node), (("argument", "0"),))
    return None


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
        per_batch = _per_batch_functions(facts)
        for site in facts.calls:
            if site.qn != COMPILE:
                continue
            if site.loops:
                loop = site.loops[-1]
                if not _fresh_each_iteration(site, loop):
                    yield self.finding(site.node, f"torch.compile is called inside the loop at line "
                                       f"{loop.line}: it re-wraps (and may recompile) every "
                                       f"iteration; compile once before the loop")
            elif site.scope is not None and id(site.scope) in per_batch:
                yield self.finding(site.node, f"torch.compile is called in {site.scope.name}(), "
                                   f"which runs {per_batch[id(site.scope)]}: compile once, outside")


def _per_batch_functions(facts: ModuleFacts) -> dict[int, str]:
    out: dict[int, str] = {}
    for info in facts.functions:
        if info.name in PER_BATCH_FUNCTIONS:
            out[id(info)] = "once per batch"
    for info in facts.functions:
        for caller in info.callers:
            if any(loop.trains or is_data_loop(loop) for loop in caller.loops):
                out.setdefault(id(info), f"inside the loop at line {caller.loops[-1].line}")
    return out


def _fresh_each_iteration(site: CallSite, loop: LoopInfo) -> bool:
    """The compiled object is the loop variable or is built earlier in the same iteration."""
    if not site.node.args:
        return False
    arg = site.node.args[0]
    if not isinstance(arg, ast.Name):
        return isinstance(arg, ast.Call)  # torch.compile(build(name)) builds a new model
    if isinstance(loop.node, (ast.For, ast.AsyncFor)):
        for sub in ast.walk(loop.node.target):
            if isinstance(sub, ast.Name) and sub.id == arg.id:
                return True
    for stmt in loop.node.body:
        for sub in ast.walk(stmt):
            if (isinstance(sub, ast.Name) and sub.id == arg.id and isinstance(sub.ctx, ast.Store)
                    and sub.lineno < site.line and stmt is not site.stmt):
                return True
    return False
