"""Whether a training loop records its loss or metrics, and the words and calls that tell.

:class:`RecordSearch` looks for the place a training loop's loss (what ``backward()`` is called on,
and the names derived from it) or a metric is recorded: a tracker, logger, progress bar, history or
``print`` call in the loop, around it, in same-file helpers it calls, or in the callers it returns the
loss to. The vocabulary (loss and metric words, tracking calls) and the evidence helpers are shared by
the monitoring rules (DLP400, DLP402, DLP403).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator

from ..findings import line_ref
from .facts import ModuleFacts
from .names import dotted, name_words
from .nodes import walk
from .project import is_logging_call
from .records import CallSite, FunctionInfo, LoopInfo, is_backward, is_optimizer_step
from .training_facts import loop_ref


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


MAX_HELPER_DEPTH = 3


@lru_cache(maxsize=1 << 16)  # the same names and spellings come back all over a module
def words_of(text: str) -> frozenset[str]:
    out: set[str] = set()
    for chunk in text.replace(".", "_").split("_"):
        out.update(name_words(chunk))
    return frozenset(out)


def outermost(loop: LoopInfo) -> LoopInfo:
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


def metric_evidence(nodes: list[ast.AST], derived: set[str], metrics: bool) -> str | None:
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
                if text_words(sub.value) & words:
                    return repr(sub.value[:40])
            elif isinstance(sub, ast.keyword) and sub.arg and words_of(sub.arg) & words:
                return f"{sub.arg}="
    return None


_ALNUM_RUN = re.compile(r"[^\W_]+")  # a run of characters for which str.isalnum() holds


def text_words(text: str) -> set[str]:
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


class RecordSearch:
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
        nodes = list(scope.node.body) if scope is not None else [outermost(loop).node]
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
            trailing = self._following(outermost(loop).node)
            derived = _propagate(self.body([outermost(loop).node, *trailing]), derived)
            return self._in_nodes(self.body(trailing), derived, metrics=False, depth=0)
        return self._returned(scope, body, derived, depth=0)

    def _following(self, node: ast.AST) -> list[ast.stmt]:
        """Module statements after a top-level training loop, up to the next training loop and at
        most ``TRAILING_WINDOW`` of them: the loss history is plotted or printed right after the run,
        and a bounded window keeps the rule linear in the size of the module."""
        if self._training_tops is None:
            self._training_tops = {id(outermost(loop).node) for loop in self.facts.loops
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
                            or metric_evidence([target], set(), True):
                        return True
        return any(y.value is not None and metric_evidence([y.value], derived, metrics) for y in body.yields)

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
            if metric_evidence(args, derived, metrics):
                return True
        if kind == "record":
            recv = call.func.value if isinstance(call.func, ast.Attribute) else None
            if isinstance(recv, ast.Name) and recv.id in self.loss_inputs:
                return False
            if metric_evidence(args, derived, metrics) or (
                    recv is not None and metric_evidence([recv], set(), metrics) and args):
                return True
        # a same-file helper: handed the loss and records something, or records by itself
        local = self.facts.resolve_local(call.func, None) or self._method(call)
        if local is not None and depth < MAX_HELPER_DEPTH:
            if metric_evidence(args, derived, metrics):
                if self._records_anything(local, depth + 1):
                    return True
            helper_body = self.body(list(local.node.body))
            helper_derived = _propagate(helper_body, _loss_seeds(helper_body, self.trainer_names))
            if self._in_nodes(helper_body, helper_derived, metrics, depth + 1):
                return True
        elif local is None and args and metric_evidence(args, derived, False):
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
        if not any(r.value is not None and metric_evidence([r.value], derived, True) for r in body.returns):
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
                nodes = [outermost(site.loops[0]).node] if site.loops else [site.stmt]
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


def training_evidence(loop: LoopInfo) -> str:
    """The call that trains in a loop, with its line: ``loss.backward() at line 12``."""
    for test in (is_backward, is_optimizer_step, lambda c: c.local is not None and c.local.trains):
        for site in loop.calls:
            if test(site):
                spelled = site.name if site.name and not site.name.startswith("()") else site.method or "step"
                return f"{spelled}() at {line_ref(site.line, spelled)}"
    return f"the loop at {loop_ref(loop)}"
