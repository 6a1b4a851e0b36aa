"""Training Monitoring and experiment tracking (DLP4xx)."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator

from ..analysis.called import called_names
from ..analysis.facts import ModuleFacts
from ..analysis.records import CallSite, FunctionInfo, LoopInfo, is_backward, is_data_loop, is_optimizer_step
from ..analysis.names import dotted, last_part, name_words, role_from_name
from ..analysis.nodes import child_nodes, walk
from ..analysis.project import calls_logging_function, is_logging_call
from ..analysis.training_facts import loop_ref
from ..analysis.training_units import RANDOM_DATA, TrainingUnits, is_test_code
from .base import Finding, Rule, fitting, line_ref

SECTION_MONITORING = "Training Monitoring"

# Words that say "this is the loss" (strong evidence) or "this is a metric" (weaker evidence).
LOSS_WORDS = frozenset({"loss", "losses", "cost", "nll", "elbo", "kl", "kld", "mse", "mae", "rmse",
                        "bpd", "ppl", "perplexity", "lossd", "lossg", "errd", "errg", "err",
                        "error", "errors", "objective"})
METRIC_WORDS = LOSS_WORDS | frozenset({
    "acc", "accs", "accuracy", "accuracies", "metric", "metrics", "score", "scores", "f1", "auc",
    "roc", "psnr", "ssim", "iou", "miou", "dice", "bleu", "rouge", "precision", "recall",
    "reward", "rewards", "correct", "top1", "top5", "prec", "wer", "cer", "fid", "stats",
})
# Call names that hand a value to something that records it (a callback, a meter, a helper).
RECORD_WORDS = frozenset({"log", "logs", "logger", "record", "track", "tracker", "report",
                          "callback", "callbacks", "hook", "notify", "meter", "meters", "monitor",
                          "summary", "summaries", "write", "writer", "display", "plot", "show",
                          "emit", "dump", "status", "progress", "history", "print", "scalar",
                          "scalars", "board", "wandb", "mlflow", "tensorboard", "visdom", "vis",
                          "viz", "console", "echo", "save", "store", "append", "update", "push",
                          "add", "put"})
LOG_METHODS = frozenset({"info", "debug", "warning", "warn", "error", "critical", "log",
                         "exception", "print"})
TRACKER_METHODS = frozenset({"add_scalar", "add_scalars", "log_metric", "log_metrics", "log_dict",
                             "log_scalar", "log_value", "add_summary", "track", "log_scalars",
                             "append_metric"})
TRACKER_CALLS = frozenset({"wandb.log", "mlflow.log_metric", "mlflow.log_metrics",
                           "tensorflow.summary.scalar", "neptune.log_metric", "comet_ml.log_metric",
                           "tensorboard_logger.log_value", "visdom.Visdom.line"})
PROGRESS_METHODS = frozenset({"set_postfix", "set_postfix_str", "set_description",
                              "set_description_str", "write", "display", "set_status"})
RECORD_METHOD_WORDS = frozenset({"log", "print", "record", "report", "track", "display", "plot",
                                 "summary", "write"})
PRINT_NAMES = frozenset({"print", "pprint", "display", "tprint", "print_log", "printf",
                         "log_string", "log_print", "cprint", "rank0_print", "master_print",
                         "print_rank_0", "log"})
RECORD_METHODS = frozenset({"append", "extend", "update", "add", "put", "push", "insert",
                            "plot", "scatter", "semilogy", "loglog", "line", "write",
                            "add_row", "record", "step_end", "text", "title", "set_title",
                            "suptitle", "annotate", "set_xlabel", "set_ylabel", "legend"})
VAL_WORDS = frozenset({"val", "valid", "validate", "validation", "validating", "dev", "vali"})
VAL_KEYWORDS = frozenset({"validation_data", "validation_split", "val_dataloaders",
                          "val_dataloader", "eval_dataset", "eval_set", "validation_steps",
                          "validation_freq", "val_check_interval", "evaluation_strategy",
                          "eval_strategy", "do_eval", "valid_data", "val_data", "eval_data",
                          "eval_dataloader", "valid_loader", "val_loader"})
MAX_HELPER_DEPTH = 3
EVAL_FUNCTION_WORDS = frozenset({"eval", "evaluate", "test", "evaluation"})
LIGHTNING_VAL_KEYWORDS = frozenset({"val_dataloaders", "datamodule", "val_dataloader"})
RL_ROOTS = frozenset({"gym", "gymnasium", "stable_baselines3", "pettingzoo", "ale_py"})


# ---------------------------------------------------------------------------------------------
# Shared analysis of training loops (explicit loops only; frameworks log by themselves)


@lru_cache(maxsize=1 << 16)  # the same names and spellings come back all over a module
def words_of(text: str) -> frozenset[str]:
    out: set[str] = set()
    for chunk in text.replace(".", "_").split("_"):
        out.update(name_words(chunk))
    return frozenset(out)


def _one_batch_loops(facts: ModuleFacts) -> set[int]:
    """Loops that overfit one batch taken with ``next(iter(loader))`` (a debugging exercise)."""
    single: dict[int, set[str]] = {}
    for site in facts.calls:
        node = site.node
        if (isinstance(node.func, ast.Name) and node.func.id == "next" and node.args
                and isinstance(node.args[0], ast.Call) and isinstance(node.args[0].func, ast.Name)
                and node.args[0].func.id == "iter" and not site.loops
                and isinstance(site.stmt, ast.Assign) and site.stmt.value is node):
            for target in site.stmt.targets:
                single.setdefault(id(site.scope), set()).update(
                    n.id for n in walk(target) if isinstance(n, ast.Name))
    out = set()
    for loop in facts.loops:
        names = single.get(id(loop.scope))
        if names and loop.trains and not is_data_loop(loop) and any(
                isinstance(n, ast.Name) and n.id in names for n in walk(loop.node)):
            out.add(id(loop))
    return out


def _single_iteration(loop: LoopInfo) -> bool:
    node = loop.node
    if not isinstance(node, (ast.For, ast.AsyncFor)) or not isinstance(node.iter, ast.Call):
        return False
    call = node.iter
    if not (isinstance(call.func, ast.Name) and call.func.id == "range") or call.keywords:
        return False
    bounds = [_const_int(a) for a in call.args]
    if None in bounds or not bounds or len(bounds) > 2:
        return False
    start, stop = (0, bounds[0]) if len(bounds) == 1 else bounds
    return stop - start <= 1


def _single_pass(loop: LoopInfo) -> bool:
    """A loop over the data itself, in no other loop, in code no loop calls: one epoch."""
    if loop.parent is not None or not is_data_loop(loop):
        return False
    scopes, seen = [loop.scope], set()
    while scopes:
        scope = scopes.pop()
        if scope is None or id(scope) in seen:
            continue
        seen.add(id(scope))
        for caller in scope.callers:
            if caller.loops:
                return False
            scopes.append(caller.scope)
    return True


_PREDICTING = frozenset({"predict", "predict_on_batch", "evaluate", "generate", "call"})


def _epoch_end_predicts(facts: ModuleFacts, site: CallSite) -> bool:
    """A Keras ``fit`` whose callbacks include a same-file callback that runs the model at the end
    of every epoch (``self.model.predict(...)`` in ``on_epoch_end``, directly or through its own
    methods): the model is checked between epochs, as an evaluation call between epochs is."""
    callbacks = site.kwargs.get("callbacks")
    items = callbacks.items if callbacks is not None and callbacks.items is not None else ()
    for item in items:
        kind = item.kind or ""
        hook = facts.methods.get((kind[8:], "on_epoch_end")) if kind.startswith("<local>.") else None
        if hook is None:
            continue
        calls = list(hook.calls) + [c for sub in hook.calls if sub.local is not None for c in sub.local.calls]
        if any(c.method in _PREDICTING and (c.name or "").startswith("self.model") for c in calls):
            return True
    return False


def _optimizes_inputs(loop: LoopInfo) -> bool:
    """Style transfer, adversarial examples: the optimizer updates tensors, not a model."""
    for site in loop.calls:
        if is_optimizer_step(site) and site.recv is not None and site.recv.call is not None:
            ctor = site.recv.call
            params = ctor.args[0] if ctor.args else next(
                (kw.value for kw in ctor.keywords if kw.arg == "params"), None)
            if isinstance(params, (ast.List, ast.Tuple)) and params.elts and all(
                    isinstance(e, (ast.Name, ast.Attribute)) for e in params.elts):
                return True
    return False


def _reconstructs_inputs(loop: LoopInfo) -> bool:
    """An autoencoder, VAE or denoiser: the loss compares the model's output with its own input
    (``decoded = model(x); loss = mse(decoded, x)``), with the data the input was made from
    (``model(noisy)`` against ``images``, ``noisy = images + noise``) or with the input extended in
    the loop (``torch.cat((x, condition))``). Unsupervised reconstruction is judged by looking at
    reconstructions; a held-out split is not what shows it works."""
    parents: dict[str, set[str]] = {}  # name -> names its value is computed from, in the loop
    for node in walk(loop.node):
        if not isinstance(node, ast.Assign):
            continue
        pairs = [(t, node.value) for t in node.targets]
        if len(pairs) == 1 and isinstance(pairs[0][0], ast.Tuple) and isinstance(node.value, ast.Tuple) \
                and len(node.value.elts) == len(pairs[0][0].elts):
            pairs = list(zip(pairs[0][0].elts, node.value.elts))  # x, y = x.to(d), y.to(d): one by one
        for target, value in pairs:
            used = {n.id for n in walk(value) if isinstance(n, ast.Name)}
            for name in walk(target):
                if isinstance(name, ast.Name):
                    parents.setdefault(name.id, set()).update(used)

    def ancestors(name: str) -> set[str]:
        seen: set[str] = set()
        work = [name]
        while work:
            for parent in parents.get(work.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    work.append(parent)
        return seen

    models: list[tuple[ast.Call, str, set[str]]] = []  # (call, input name, output names) of model calls
    for site in loop.calls:
        func, stmt = site.node.func, site.stmt
        if site.qn is None and (isinstance(func, ast.Name) and func.id not in _BUILTINS or isinstance(
                func, ast.Attribute) and isinstance(
                func.value, ast.Name) and func.value.id == "self") and isinstance(stmt, ast.Assign) \
                and stmt.value is site.node and site.node.args and isinstance(site.node.args[0], ast.Name):
            outputs = {n.id for t in stmt.targets for n in walk(t) if isinstance(n, ast.Name)}
            if site.node.args[0].id in outputs:
                continue  # states = detach(states): an update of a value, not a model's output
            models.append((site.node, site.node.args[0].id, outputs))
    backward = {site.node.func.value.id for site in loop.calls if site.method == "backward"
                and isinstance(site.node.func, ast.Attribute) and isinstance(site.node.func.value, ast.Name)}
    feeding = backward.union(*(ancestors(name) for name in backward))  # what the backpropagated loss is made of
    for site in loop.calls:
        if not isinstance(site.stmt, ast.Assign) or not any(
                isinstance(t, ast.Name) and t.id in feeding for t in site.stmt.targets):
            continue
        names = [a.id for a in site.node.args if isinstance(a, ast.Name)]
        for call, source, outputs in models:
            if site.node is not call and any(n in outputs for n in names) and any(
                    n not in outputs and (n == source or n in ancestors(source) or source in ancestors(n))
                    for n in names):
                return True
    return False


_BUILTINS = frozenset(dir(__import__("builtins")))


def _keras_reconstructs(site: CallSite) -> bool:
    """``autoencoder.fit(x_train, x_train, ...)``: the targets are the inputs, also through plain
    copies (``x_in = x_train`` then ``fit(x_in, x_train)``)."""
    args = site.node.args
    if len(args) < 2 or not isinstance(args[0], ast.Name):
        return False
    if ast.dump(args[0]) == ast.dump(args[1]):
        return True
    inputs, targets = site.arg(0), site.arg(1)
    if inputs is None or targets is None or not isinstance(args[1], ast.Name):
        return False
    first = inputs.copy_of or inputs.idents
    return bool(first) and first == (targets.copy_of or targets.idents)


def _outermost(loop: LoopInfo) -> LoopInfo:
    while loop.parent is not None:
        loop = loop.parent
    return loop


def _names_in(node: ast.AST) -> Iterator[str]:
    for sub in walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id
        elif isinstance(sub, ast.Attribute):
            yield sub.attr


@dataclass(eq=False)
class _Body:
    """The nodes of a piece of code the loss search asks about, collected in one walk."""

    calls: list[ast.Call] = field(default_factory=list)
    assigns: list[ast.Assign | ast.AugAssign | ast.AnnAssign] = field(default_factory=list)
    returns: list[ast.Return] = field(default_factory=list)
    yields: list[ast.Yield | ast.YieldFrom] = field(default_factory=list)


def _collect(nodes: list[ast.AST]) -> _Body:
    body = _Body()
    for top in nodes:
        for sub in walk(top):
            kind = type(sub)
            if kind is ast.Call:
                body.calls.append(sub)
            elif kind in (ast.Assign, ast.AugAssign, ast.AnnAssign):
                if sub.value is not None:
                    body.assigns.append(sub)
            elif kind is ast.Return:
                body.returns.append(sub)
            elif kind in (ast.Yield, ast.YieldFrom):
                body.yields.append(sub)
    return body


_NOT_LOSS_NAMES = frozenset({"scale", "scaler", "self", "accelerator", "fabric", "mean", "sum", "torch"})


def _loss_seeds(body: _Body, local_trainers: set[str]) -> set[str]:
    """Names that hold the loss in these statements: what ``backward()`` is called on, what a
    criterion returns, what a same-file training step returns."""
    seeds: set[str] = set()
    for call in body.calls:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("backward", "manual_backward"):
            target = call.args[0] if call.args and func.attr != "backward" else func.value
            if func.attr == "backward" and isinstance(func.value, ast.Name) \
                    and func.value.id in ("accelerator", "fabric", "self") and call.args:
                target = call.args[0]
            seeds.update(name for name in _names_in(target) if name not in _NOT_LOSS_NAMES)
    for stmt in body.assigns:
        value = stmt.value
        if isinstance(value, ast.Call):
            fname = (dotted(value.func) or "").rsplit(".", 1)[-1]
            if words_of(fname) & {"loss", "criterion", "criteria", "cost", "objective"} or fname in local_trainers:
                for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                    seeds.update(_names_in(target))
    return seeds


def _loss_inputs(body: _Body) -> set[str]:
    """Lists the loss is built from (``loss = torch.stack(policy_loss).sum(); loss.backward()``):
    appending to them builds the loss, it does not record it."""
    receivers = {call.func.value.id for call in body.calls
                 if isinstance(call.func, ast.Attribute) and call.func.attr == "backward"
                 and isinstance(call.func.value, ast.Name)}
    out: set[str] = set()
    if not receivers:
        return out
    for stmt in body.assigns:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id in receivers for t in stmt.targets):
            out.update(n.id for n in walk(stmt.value) if isinstance(n, ast.Name))
    return out


def _propagate(body: _Body, seeds: set[str]) -> set[str]:
    """Names derived from the seeds by assignment (``total += loss.item()``; ``avg = total / n``)."""
    derived = set(seeds)
    for _ in range(3):
        grew = False
        for stmt in body.assigns:
            if not any(n in derived for n in _names_in(stmt.value)):
                continue
            for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                base = target
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                for name in ([base.id] if isinstance(base, ast.Name) else []) + (
                        [n.id for n in walk(target) if isinstance(n, ast.Name)]
                        if isinstance(target, (ast.Tuple, ast.List)) else []):
                    if name not in derived:
                        derived.add(name)
                        grew = True
        if not grew:
            break
    return derived


def _evidence(nodes: list[ast.AST], derived: set[str], metrics: bool) -> str | None:
    """What in these argument nodes names the loss (or a metric), for messages; None if nothing."""
    words = METRIC_WORDS if metrics else LOSS_WORDS
    for node in nodes:
        for sub in walk(node):
            if isinstance(sub, ast.Name):
                if sub.id in derived or words_of(sub.id) & words:
                    return sub.id
            elif isinstance(sub, ast.Attribute):
                if sub.attr in derived or words_of(sub.attr) & words:
                    return sub.attr
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) < 400:
                if _text_words(sub.value) & words:
                    return repr(sub.value[:40])
            elif isinstance(sub, ast.keyword) and sub.arg and words_of(sub.arg) & words:
                return f"{sub.arg}="
    return None


_ALNUM_RUN = re.compile(r"[^\W_]+")  # a run of characters for which str.isalnum() holds


def _text_words(text: str) -> set[str]:
    out = set()
    for token in _ALNUM_RUN.findall(text):
        out.update(words_of(token))
    return out


def _call_args(call: ast.Call) -> list[ast.AST]:
    return [*call.args, *call.keywords]


def _is_tracking_call(call: ast.Call, facts: ModuleFacts) -> str | None:
    """Kind of tracking call (``print``, ``logger``, ``tracker``, ``progress``, ``record``) or None."""
    func = call.func
    qn = facts.imports.qualname(func)
    if is_logging_call(call, facts):
        return "tracker"  # the project's own logging helper (RuleSettings.logging_functions)
    if qn in TRACKER_CALLS or (qn or "").startswith(("wandb.log", "mlflow.log_metric")):
        return "tracker"
    if isinstance(func, ast.Name):
        if func.id in PRINT_NAMES:
            return "print"
        return None
    if not isinstance(func, ast.Attribute):
        return None
    method = func.attr
    recv = dotted(func.value) or ""
    recv_words = words_of(recv)
    if method in TRACKER_METHODS:
        return "tracker"
    if method in LOG_METHODS and (recv_words & {"log", "logger", "logging", "logs", "self", "run",
                                                "wandb", "experiment", "accelerator", "fabric",
                                                "tracker", "writer", "mlflow", "console", "tb",
                                                "trainer", "neptune", "aim"}
                                  or recv.lower().endswith(("log", "logger"))):
        return "logger"
    if method in PROGRESS_METHODS:
        return "progress"
    if method in RECORD_METHODS:
        return "record"
    if method in ("log", "info") or words_of(method) & RECORD_METHOD_WORDS:
        return "record"
    return None


class _Search:
    """Looks for the place a training loop's loss or metrics are recorded."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.trainer_names = {f.name for f in facts.functions if f.trains}
        self.loss_inputs: set[str] = set()
        self._training_tops: set[int] | None = None
        self._bodies: dict[tuple[int, ...], _Body] = {}

    def body(self, nodes: list[ast.AST]) -> _Body:
        """The calls, assignments, returns and yields of ``nodes``: one walk per piece of code."""
        key = tuple(id(n) for n in nodes)
        found = self._bodies.get(key)
        if found is None:
            found = self._bodies[key] = _collect(nodes)
        return found

    def recorded(self, loop: LoopInfo) -> bool:
        scope = loop.scope
        nodes = list(scope.node.body) if scope is not None else [_outermost(loop).node]
        body = self.body(nodes)
        derived = _propagate(body, _loss_seeds(body, self.trainer_names))
        self.loss_inputs = _loss_inputs(body)
        for site in loop.calls:
            if site.local is not None:
                self.loss_inputs |= _loss_inputs(self.body(list(site.local.node.body)))
        if self._in_nodes(body, derived, metrics=True, depth=0):
            return True
        if scope is None:
            # module level: later statements that use the loss history (``plt.plot(losses)``)
            trailing = self._following(_outermost(loop).node)
            derived = _propagate(self.body([_outermost(loop).node, *trailing]), derived)
            return self._in_nodes(self.body(trailing), derived, metrics=False, depth=0)
        return self._returned(scope, body, derived, depth=0)

    def _following(self, node: ast.AST) -> list[ast.stmt]:
        """Module statements after a top-level training loop, up to the next training loop and at
        most ``TRAILING_WINDOW`` of them: the loss history is plotted or printed right after the run,
        and a bounded window keeps the rule linear in the size of the module."""
        if self._training_tops is None:
            self._training_tops = {id(_outermost(loop).node) for loop in self.facts.loops
                                   if loop.trains and loop.scope is None}
        out: list[ast.stmt] = []
        for stmt in _following_statements(self.facts.tree.body, node):
            if id(stmt) in self._training_tops or len(out) >= TRAILING_WINDOW:
                break
            out.append(stmt)
        return out

    def _in_nodes(self, body: _Body, derived: set[str], metrics: bool, depth: int) -> bool:
        for call in body.calls:
            if self._call_records(call, derived, metrics, depth):
                return True
        for stmt in body.assigns:
            if isinstance(stmt, ast.AnnAssign):
                continue
            # history["loss"][epoch] = loss.item(); self.last_loss = loss.item()
            for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                if isinstance(target, (ast.Subscript, ast.Attribute)) \
                        and any(n in derived for n in _names_in(stmt.value)):
                    owner = target.value if isinstance(target, ast.Subscript) else target
                    spelled = dotted(owner) or ""
                    if spelled.startswith("self.") or words_of(spelled) & METRIC_WORDS \
                            or _evidence([target], set(), True):
                        return True
        return any(y.value is not None and _evidence([y.value], derived, metrics) for y in body.yields)

    def _call_records(self, call: ast.Call, derived: set[str], metrics: bool, depth: int) -> bool:
        kind = _is_tracking_call(call, self.facts)
        args = _call_args(call)
        if kind == "tracker":
            return True
        if isinstance(call.func, ast.Attribute) and self.facts.resolve_local(call.func, None) is None \
                and self._method(call) is None and (
                    call.func.attr == "training_step"  # a LightningModule-style step logs itself
                    or (call.func.attr.startswith("on_") and call.func.attr.endswith("_end"))):
            return True
        if kind in ("print", "logger", "progress"):
            if _evidence(args, derived, metrics):
                return True
        if kind == "record":
            recv = call.func.value if isinstance(call.func, ast.Attribute) else None
            if isinstance(recv, ast.Name) and recv.id in self.loss_inputs:
                return False
            if _evidence(args, derived, metrics) or (recv is not None and _evidence([recv], set(), metrics)
                                                     and args):
                return True
        # a same-file helper: handed the loss and records something, or records by itself
        local = self.facts.resolve_local(call.func, None) or self._method(call)
        if local is not None and depth < MAX_HELPER_DEPTH:
            if _evidence(args, derived, metrics):
                if self._records_anything(local, depth + 1):
                    return True
            helper_body = self.body(list(local.node.body))
            helper_derived = _propagate(helper_body, _loss_seeds(helper_body, self.trainer_names))
            if self._in_nodes(helper_body, helper_derived, metrics, depth + 1):
                return True
        elif local is None and args and _evidence(args, derived, False):
            fname = (dotted(call.func) or "").rsplit(".", 1)[-1]
            if words_of(fname) & RECORD_WORDS:
                return True
        return False

    def _method(self, call: ast.Call) -> FunctionInfo | None:
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            found = [info for (cls, name), info in self.facts.methods.items() if name == func.attr]
            if len(found) == 1:
                return found[0]
        return None

    def _records_anything(self, info: FunctionInfo, depth: int) -> bool:
        for call in self.body([info.node]).calls:
            if _is_tracking_call(call, self.facts) is not None:
                return True
            local = self.facts.resolve_local(call.func, info)
            if local is not None and local is not info and depth < MAX_HELPER_DEPTH \
                    and self._records_anything(local, depth + 1):
                return True
        return False

    def _returned(self, scope: FunctionInfo, body: _Body, derived: set[str], depth: int) -> bool:
        """The function returns the loss or a metric: is it recorded by a same-file caller?"""
        if not any(r.value is not None and _evidence([r.value], derived, True) for r in body.returns):
            return False
        callers = [c for c in scope.callers if c.scope is not scope]
        if not callers:
            return True  # called from another module: it decides what to record
        for site in callers:
            if depth >= MAX_HELPER_DEPTH:
                return True
            if isinstance(site.stmt, ast.Expr) and site.stmt.value is site.node:
                continue  # result dropped
            if site.scope is not None:
                nodes = list(site.scope.node.body)
            else:
                nodes = [_outermost(site.loops[0]).node] if site.loops else [site.stmt]
                nodes += self._following(nodes[0])
            cbody = self.body(nodes)
            seeds = set()
            if isinstance(site.stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = site.stmt.targets if isinstance(site.stmt, ast.Assign) else [site.stmt.target]
                for target in targets:
                    seeds.update(_names_in(target))
            derived_c = _propagate(cbody, seeds)
            # the result itself, or per-epoch metrics printed in the loop that calls the function
            if self._in_nodes(cbody, derived_c, metrics=False, depth=1):
                return True
            if site.loops and self._in_nodes(self.body([site.loops[0].node]), derived_c, metrics=True, depth=1):
                return True
            if _direct_record(site, self.facts):
                return True
            if site.scope is not None and self._returned(site.scope, cbody, derived_c, depth + 1):
                return True
        return False


def _direct_record(site: CallSite, facts: ModuleFacts) -> bool:
    """``print(train(...))``: the call is an argument of a tracking call."""
    stmt = site.stmt
    for sub in walk(stmt):
        if isinstance(sub, ast.Call) and sub is not site.node and _is_tracking_call(sub, facts):
            for arg in _call_args(sub):
                if any(n is site.node for n in walk(arg)):
                    return True
    return False


TRAILING_WINDOW = 20


def _following_statements(body: list[ast.stmt], node: ast.AST):
    line = getattr(node, "end_lineno", None) or node.lineno
    return (stmt for stmt in body if stmt.lineno > line)


def _training_evidence(loop: LoopInfo) -> str:
    """The call that trains in a loop, with its line: ``loss.backward() at line 12``."""
    for test in (is_backward, is_optimizer_step, lambda c: c.local is not None and c.local.trains):
        for site in loop.calls:
            if test(site):
                spelled = site.name if site.name and not site.name.startswith("()") else site.method or "step"
                return f"{spelled}() at {line_ref(site.line, spelled)}"
    return f"the loop at {loop_ref(loop)}"


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
        search = _Search(facts)
        for loop in units.step_loops:
            if search.recorded(loop):
                continue
            evidence = _training_evidence(loop)
            yield self.finding(loop.node, f"this training loop never records its loss or a metric ({evidence})")


# ---------------------------------------------------------------------------------------------
# DLP401


def _has_val_word(text: str) -> bool:  # not cached: a project's own role tokens change role_from_name
    if text.lower() in ("dev", "eval", "evaluation", "evaluate"):  # device; model.eval()
        return False
    return bool(words_of(text) & VAL_WORDS) or role_from_name(text) == "val"


class _Validation:
    """Module-wide evidence that something is evaluated on a validation split."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.evidence = self._find()

    def _find(self) -> str | None:
        facts = self.facts
        train_roots = {lp.iter_root for lp in facts.loops if lp.trains and lp.iter_root}
        for info in facts.functions:
            if info.name in ("validation_step", "val_dataloader", "validation_epoch_end",
                             "on_validation_epoch_end") or _has_val_word(info.name):
                return f"{info.name}() at {line_ref(info.line)}"
        for loop in facts.loops:
            it = loop.iter
            if it is not None and it.role == "val":
                return f"a loop over validation data at {line_ref(loop.line)}"
            if loop.evaluates and it is not None:
                inside_training = _inside_training(loop)
                if it.role == "test" and inside_training:
                    return f"per-epoch evaluation at {line_ref(loop.line)}"  # DLP101 reports it
                if it.role is None and loop.iter_root not in train_roots:
                    return f"an evaluation loop at {line_ref(loop.line)}"
        for site in facts.calls:
            if site.kwargs.keys() & VAL_KEYWORDS:
                return f"{sorted(site.kwargs.keys() & VAL_KEYWORDS)[0]}= at {line_ref(site.line)}"
            name = site.name or ""
            if name and _has_val_word(name.rsplit(".", 1)[-1]):
                return f"{name}() at {line_ref(site.line)}"
            values = [*site.args, *site.kwargs.values()]
            if site.recv is not None:
                values.append(site.recv)
            for value in values:
                if value is not None and value.role == "val":
                    return f"validation data {value.name or ''!r} at {line_ref(site.line)}"
            if any(lp.trains for lp in site.loops) and site.qn is None \
                    and any(v is not None and _heldout(v) for v in site.args):
                return f"evaluation during training at {line_ref(site.line)}"  # test: DLP101's case
            if site.local is not None and (site.local.evaluated_params or site.local.no_grad
                                           or words_of(site.local.name) & EVAL_FUNCTION_WORDS):
                # the data it is given: the model argument carries no role; training accuracy
                # computed every epoch (only training data passed) is not validation
                known = {v.role for v in site.args if v is not None and v.role}
                if any(lp.trains for lp in site.loops) and known != {"train"}:
                    return f"{site.local.name}() called during training at {line_ref(site.line)}"
                if site.args and not known - {"val"}:
                    return f"{site.local.name}() at {line_ref(site.line)}"
            if site.method in ("evaluate", "validate") and not site.args and site.qn is None:
                return f"{name}() at {line_ref(site.line)}"
            if site.method == "evaluate" and site.args:
                roles = {v.role for v in site.args[:1]}
                if roles != {"test"} and roles != {"train"}:
                    return f"{name}() at {line_ref(site.line)}"
        for store in facts.stores:
            if _has_val_word(store.target.rsplit(".", 1)[-1]):
                return f"{store.target} at {line_ref(store.stmt.lineno)}"
        return _validation_label(facts.tree)


def _validation_label(tree: ast.Module) -> str | None:
    """A validation name or string key/label anywhere in the module: ``dataloaders["val"]``,
    ``for phase in ["train", "val"]``, ``print("val loss")``, ``val_acc``."""
    stack: list[ast.AST] = [tree]
    while stack:
        sub = stack.pop()
        kind = type(sub)
        if kind is ast.Constant:
            if isinstance(sub.value, str) and len(sub.value) < 200 and (
                    _text_words(sub.value) & VAL_WORDS or sub.value.lower() in ("val", "valid", "validation")):
                return f"{sub.value!r} at {line_ref(sub.lineno)}"
            continue
        if kind is ast.Name:
            if isinstance(sub.ctx, ast.Load) and _has_val_word(sub.id):
                return f"{sub.id!r} at {line_ref(sub.lineno)}"
        elif kind is ast.Attribute:
            if _has_val_word(sub.attr):
                return f"{sub.attr!r} at {line_ref(sub.lineno)}"
        elif kind is ast.arg and _has_val_word(sub.arg):
            return f"{sub.arg!r} at {line_ref(sub.lineno)}"
        stack.extend(child_nodes(sub))
    return None


def _heldout(value) -> bool:
    if value.role in ("val", "test"):
        return True
    name = (value.name or "").rsplit(".", 1)[-1]
    return role_from_name(name) in ("val", "test")


def _inside_training(loop: LoopInfo) -> bool:
    parent = loop.parent
    while parent is not None:
        if parent.trains:
            return True
        parent = parent.parent
    return False


def _is_keras_fit(site: CallSite, facts: ModuleFacts) -> bool:
    if site.method not in ("fit", "fit_generator") or site.qn is not None:
        return False
    kind = site.recv.kind if site.recv is not None else None
    if kind:
        return kind.startswith("keras.")
    roots = facts.imports.roots
    # epochs= is required by the caller: scikit-learn and boosting fit() take no epochs
    return bool(roots & {"keras", "tensorflow", "tf_keras"}) and "torch" not in roots


def _const_int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    return None


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
        one_batch = _one_batch_loops(facts) if units.top_loops else set()
        for loop in units.top_loops:
            if reinforcement or units.multi_model(loop) or _optimizes_inputs(loop) or id(loop) in one_batch \
                    or _reconstructs_inputs(loop):
                continue
            if loop.scope is not None and not loop.scope.callers:
                continue  # a library function: its caller, in another module, may validate
            if _single_iteration(loop) or _single_pass(loop):
                continue  # range(1) or one pass over the data: one epoch, like Keras fit(epochs=1)
            candidates.append((loop.node, fitting(
                f"this training loop is never checked against a validation split ({_training_evidence(loop)})",
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
                if epochs is None or _const_int(epochs) in (0, 1) or len(site.node.args) > 6:
                    continue
                if any(kw.arg is None for kw in site.node.keywords):
                    continue
                if site.kwargs.keys() & {"validation_data", "validation_split"} or _epoch_end_predicts(facts, site) \
                        or _keras_reconstructs(site):
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
        evidence = _Validation(facts).evidence
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
            if _optimizes_inputs(loop):
                continue  # style transfer, adversarial examples: no model weights are trained
            nodes: list[ast.AST] = [loop.scope.node] if loop.scope is not None else [_outermost(loop).node]
            for site in loop.calls:
                if site.local is not None:
                    nodes.append(site.local.node)
                    nodes.extend(c.local.node for c in site.local.calls if c.local is not None)
            if _gradient_evidence(nodes):
                continue
            evidence = _training_evidence(loop)
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
            if site.method == "add_text" and _evidence(list(site.node.args), set(), False) is None \
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
