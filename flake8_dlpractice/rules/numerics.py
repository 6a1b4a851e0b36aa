"""Probabilities into logs and losses (DLP304, DLP305, DLP308, DLP309): "Debugging Neural Networks".

Softmax and sigmoid outputs reach ``log``, losses that expect logits, and ``BCELoss``; logs of
computed quantities that may be zero. Which expressions hold probabilities is asked of
``analysis/training_facts.py``.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from ..analysis.called import called_names
from ..analysis.facts import ModuleFacts
from ..analysis.records import CallSite
from ..analysis.names import dotted, last_part, name_words
from ..analysis.training_facts import (SIGMOID_MODULES, SIGMOID_QN, SOFTMAX_MODULES, SOFTMAX_QN, Prob,
                                       TrainingFacts, short, unparse, walk_expr, walk_stmts)
from .base import Finding, Fix, Rule, fitting, span_of

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


def _torch_import(replacement: str) -> tuple:
    """The import a replacement needs: ``import torch`` for a ``torch.`` spelling, none for the module's alias."""
    return (("imports", "torch"),) if replacement.startswith("torch.") else ()


def log_prob_replacement(tf: TrainingFacts, call: ast.Call, kind: str) -> str | None:
    """``F.log_softmax(...)`` / ``F.logsigmoid(...)`` equivalent of log(<softmax/sigmoid call>)."""
    qn = tf.facts.imports.qualname(call.func)
    func = call.func
    # the functional module as the call spells it (``F.softmax`` -> ``F.log_softmax``): in scope where the call is
    fn = "torch.nn.functional"
    if isinstance(func, ast.Attribute) and tf.facts.imports.qualname(func.value) == fn:
        fn = ast.unparse(func.value)
    try:
        if kind == "sigmoid":
            if qn in SIGMOID_QN and len(call.args) == 1 and not call.keywords:
                return f"{fn}.logsigmoid({ast.unparse(call.args[0])})"
            if qn is None and isinstance(func, ast.Attribute) and func.attr == "sigmoid" and not call.args:
                return f"torch.nn.functional.logsigmoid({ast.unparse(func.value)})"
            if isinstance(func, ast.Call) and tf.facts.imports.qualname(func.func) in SIGMOID_MODULES \
                    and len(call.args) == 1:
                return f"torch.nn.functional.logsigmoid({ast.unparse(call.args[0])})"
            return None
        if qn == "torch.softmax":
            return f"torch.log_softmax({', '.join(_args_text(call))})"
        if qn in SOFTMAX_QN:
            return f"{fn}.log_softmax({', '.join(_args_text(call))})"
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
    names = facts.derived(called_names)
    if names.qualified.isdisjoint(LOG_QN) and "log" not in names.methods:
        return
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
    of a same-file model whose `forward()` returns softmax/sigmoid output on every path; and the
    log of its complement, `torch.log(1 - torch.sigmoid(x))` (the GAN loss), which underflows the
    same way (`logsigmoid(-x)` computes it stably; for softmax, `log1p(-exp(log_softmax(x)))`, since
    `1 - softmax(x)` is not `softmax(-x)` beyond two classes). One finding per statement: the two halves of
    `log(D(x)) + log(1 - D(G(z)))` are one defect.

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
    The complement form has no automatic fix (the logits have to be negated by hand).
    Reported on purpose, with a `# noqa: DLP304` as the remedy: a textbook cell that shows the
    underflow next to `log_softmax` (the defect is the lesson), and a class of a notebook that
    nothing in the notebook calls: library code defines classes its own module never uses, so
    "never called here" cannot mean "never runs".
    """

    code, name = "DLP304", "log-of-softmax"
    summary = "log of softmax/sigmoid output instead of log_softmax/logsigmoid"
    section = "Debugging Neural Networks"
    fix = "safe"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = facts.derived(TrainingFacts)
        if not tf.uses_torch:
            return
        reported: set[int] = set()  # one finding per statement: both halves of a loss line are one defect
        for log in facts.derived(log_of_probabilities):
            site, prob = log.site, log.prob
            if id(site.stmt) in reported:
                continue
            reported.add(id(site.stmt))
            better = "log_softmax" if prob.kind == "softmax" else "logsigmoid"
            of = f"1 - {prob.kind}" if log.complement else prob.kind
            fix = None
            if not log.complement and prob.direct and prob.call is not None and site.qn in (None, "torch.log"):
                repl = log_prob_replacement(facts.derived(TrainingFacts), prob.call, prob.kind)
                if repl:
                    fix = Fix("safe", "replace-expression", span_of(site.node),
                              (("replacement", repl),) + _torch_import(repl), title=f"use {better}")
            # 1 - sigmoid(x) is sigmoid(-x); 1 - softmax(x) has no such identity (more than two classes)
            use = better if not log.complement else (
                "logsigmoid(-x)" if prob.kind == "sigmoid" else "log1p(-exp(log_softmax(x)))")
            yield self.finding(site.node, fitting(
                f"log of {of} output ({prob.how}) underflows to -inf: use {use}",
                f"log of {of} output ({prob.source}) underflows to -inf: use {use}",
                f"log of {of} output underflows to -inf: use {use}"), fix=fix)


@dataclass(frozen=True)
class LogOfProbability:
    site: CallSite  # the log call
    prob: Prob
    complement: bool  # log(1 - p)


def log_of_probabilities(facts: ModuleFacts) -> list[LogOfProbability]:
    """Logs of softmax/sigmoid output, or of its complement ``1 - p``: DLP304's, never DLP308's.
    Use through ``facts.derived(log_of_probabilities)``."""
    tf = facts.derived(TrainingFacts)
    out = []
    for site, arg in log_calls(facts):
        if site.qn and site.qn.startswith("numpy."):
            continue
        complement = False
        if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Sub) and isinstance(arg.left, ast.Constant) \
                and arg.left.value == 1:
            arg, complement = arg.right, True
        prob = tf.prob_of(arg, site.scope, site.line, models=True)
        if prob is not None:
            out.append(LogOfProbability(site, prob, complement))
    return out


LOSS_QNS = frozenset(LOSS_CLASSES_LOGITS) | frozenset(LOSS_FUNCS_LOGITS) | BCE_CLASSES | BCE_FUNCS


@dataclass(frozen=True)
class LossSite:
    site: CallSite  # the loss call
    qn: str  # the loss it computes
    input: ast.expr  # its input expression
    spelled: str  # how the loss is written (``criterion``, ``CrossEntropyLoss()``)


def loss_sites(facts: ModuleFacts) -> list[LossSite]:
    """Calls of the losses DLP305/DLP309 know. Use through ``facts.derived(loss_sites)``."""
    out: list[LossSite] = []
    if "torch" not in facts.imports.roots:
        return out  # every loss known is torch's, and a kind is only ever spelled through an import
    if LOSS_QNS.isdisjoint(facts.derived(called_names).qualified):
        return out  # the kind of a loss object is the callee of the call that built it, a call of the module
    tf = facts.derived(TrainingFacts)
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
            out.append(LossSite(site, qn, inp, spelled))
    return out


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


@dataclass(frozen=True)
class ProbabilityLoss:
    site: CallSite  # the loss call
    qn: str  # the loss (torch.nn.CrossEntropyLoss, torch.nn.functional.binary_cross_entropy)
    spelled: str  # how the loss is named (``criterion``, ``CrossEntropyLoss()``)
    prob: Prob
    others: tuple[CallSite, ...] = ()  # more losses fed from the same origin (not reported again)


def _evaluation_time(site: CallSite) -> bool:
    if site.in_no_grad or any(loop.evaluates for loop in site.loops):
        return True
    name = site.scope.name.lower() if site.scope is not None else ""
    return name.startswith(("test", "eval", "valid", "predict"))


def probability_losses(facts: ModuleFacts, wanted: dict[str, str]) -> list[ProbabilityLoss]:
    """Losses of ``wanted`` (qualified name -> "softmax"/"sigmoid") fed with that kind of output,
    one per origin of the probabilities: the losses computed in training, at evaluation time and
    of the generator and the discriminator of a GAN all come from one defect (the model's last
    layer), reported once, on the first loss computed in training."""
    tf = facts.derived(TrainingFacts)
    groups: dict[int, list[ProbabilityLoss]] = {}
    for loss in facts.derived(loss_sites):
        site, qn, inp, spelled = loss.site, loss.qn, loss.input, loss.spelled
        kind = wanted.get(qn)
        if kind is None:
            continue
        prob = tf.prob_of(inp, site.scope, site.line, models=True)
        if prob is None or prob.kind != kind:
            continue
        key = id(prob.origin) if prob.origin is not None and not prob.direct else id(site.node)
        groups.setdefault(key, []).append(ProbabilityLoss(site, qn or "", spelled, prob))
    out = []
    for group in groups.values():
        group.sort(key=lambda item: (_evaluation_time(item.site), item.site.line, item.site.node.col_offset))
        first = group[0]
        out.append(ProbabilityLoss(first.site, first.qn, first.spelled, first.prob,
                                   tuple(item.site for item in group[1:])))
    out.sort(key=lambda item: (item.site.line, item.site.node.col_offset))
    return out


def _also(others: tuple[CallSite, ...]) -> str:
    if not others:
        return ""
    lines = ", ".join(str(site.line) for site in others[:3]) + (", ..." if len(others) > 3 else "")
    return f"; also line{'s' if len(others) > 1 else ''} {lines}"


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

    One finding per origin of the probabilities: when a model's last layer is the softmax, the
    training loss, the evaluation loss and every other loss fed from that model are one defect,
    reported on the first loss computed in training (the message lists the other lines).

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
        tf = facts.derived(TrainingFacts)
        if not tf.uses_torch:
            return
        specs = {**LOSS_CLASSES_LOGITS, **LOSS_FUNCS_LOGITS}
        for item in probability_losses(facts, {qn: spec[0] for qn, spec in specs.items()}):
            site, qn, prob, spelled = item.site, item.qn, item.prob, item.spelled
            _wanted, label, expects = specs[qn]
            if qn in LOSS_FUNCS_LOGITS or spelled.endswith("()"):
                name = label if qn in LOSS_FUNCS_LOGITS else spelled
            else:
                name = f"{label} {spelled!r}"
            expects = "log-probabilities" if "log-probabilities" in expects else "logits"
            also = _also(item.others)
            yield self.finding(site.node, fitting(
                f"{name} expects {expects} but gets {prob.kind} output ({prob.how}){also}",
                f"{name} expects {expects} but gets {prob.kind} output ({prob.how})",
                f"{name} expects {expects} but gets {prob.kind} output ({prob.source})",
                f"{name} expects {expects} but gets {prob.kind} output"), fix=self._fix(tf, prob, label))

    @staticmethod
    def _fix(tf: TrainingFacts, prob: Prob, label: str) -> Fix | None:
        call = prob.call
        if not prob.direct or call is None:
            return None
        if "NLL" in label or "nll" in label:
            repl = log_prob_replacement(tf, call, "softmax")
            if repl:
                return Fix("unsafe", "replace-expression", span_of(call),
                           (("replacement", repl),) + _torch_import(repl), title="use log_softmax")
            return None
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("softmax", "sigmoid") and \
                tf.facts.imports.qualname(func) is None:
            text = unparse(func.value)
            return Fix("unsafe", "replace-expression", span_of(call), (("replacement", text),),
                       title=f"pass the logits (drop .{func.attr}())") if text else None
        if call.args and not isinstance(call.args[0], ast.Starred):
            return Fix("unsafe", "replace-with-argument", span_of(call), (("argument", "0"),),
                       title=f"pass the logits (drop the {prob.kind})")
        return None


class SigmoidBeforeBCELoss(Rule):
    """
    ## What it does
    Flags `nn.BCELoss()`/`F.binary_cross_entropy` applied to sigmoid output: `torch.sigmoid(x)`
    passed directly, through a variable, a `self.sigmoid = nn.Sigmoid()` attribute, or a
    same-file model whose `forward()` returns sigmoid output (or an `nn.Sequential` ending in
    `nn.Sigmoid()`). Opt-in: the code is correct, only less stable. As for DLP305, losses fed
    from the same sigmoid (a GAN's discriminator, a training and an evaluation loss) are one
    finding, on the first loss computed in training.

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
        tf = facts.derived(TrainingFacts)
        if not tf.uses_torch:
            return
        for item in probability_losses(facts, {qn: "sigmoid" for qn in BCE_CLASSES | BCE_FUNCS}):
            site, qn, prob, spelled = item.site, item.qn, item.prob, item.spelled
            fix = None
            if qn in BCE_FUNCS and prob.direct and prob.call is not None and site.node.args \
                    and site.node.args[0] is prob.call:
                logits = self._logits(tf, prob.call)
                rest = _args_text(site.node, skip_first=True) if logits is not None else None
                if logits is not None and rest is not None:
                    repl = f"torch.nn.functional.binary_cross_entropy_with_logits({', '.join([logits, *rest])})"
                    fix = Fix("unsafe", "replace-expression", span_of(site.node),
                              (("replacement", repl), ("imports", "torch")),
                              title="use binary_cross_entropy_with_logits on the logits")
            label = f"BCELoss {spelled!r}" if qn in BCE_CLASSES and not spelled.endswith("()") else (
                "BCELoss()" if qn in BCE_CLASSES else "F.binary_cross_entropy")
            also = _also(item.others)
            yield self.finding(site.node, fitting(
                f"{label} gets sigmoid output ({prob.how}): use BCEWithLogitsLoss on logits{also}",
                f"{label} gets sigmoid output ({prob.how}): use BCEWithLogitsLoss on logits",
                f"{label} gets sigmoid output ({prob.source}): use BCEWithLogitsLoss on logits",
                f"{label} gets sigmoid output: use BCEWithLogitsLoss on the logits"), fix=fix)

    @staticmethod
    def _logits(tf: TrainingFacts, call: ast.Call) -> str | None:
        func = call.func
        if tf.facts.imports.qualname(func) in SIGMOID_QN and len(call.args) == 1 and not call.keywords:
            return unparse(call.args[0])
        if isinstance(func, ast.Attribute) and func.attr == "sigmoid" and not call.args:
            return unparse(func.value)
        return None


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


SCHEDULES = frozenset({"arange", "linspace", "logspace", "geomspace", "cumprod"})


def _positive_by_construction(tf: TrainingFacts, arg: ast.expr, site: CallSite, depth: int = 0) -> bool:
    """Constants, guarded values, exponentials (a max-subtracted log-sum-exp) and schedules of
    constants (``arange``/``linspace``/``cumprod``), followed through a few assignments."""
    if depth > 3:
        return False
    if _constant_expr(tf, arg) or _guarded(tf, arg):
        return True
    for sub in walk_expr(arg):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in SCHEDULES:
                return True
    names = [sub for sub in walk_expr(arg) if isinstance(sub, ast.Name)]
    if not names or len(names) > 4:
        return False
    for name in names:
        item = tf.latest(site.scope, name.id, site.line)
        if item is not None and item[1] is not None and \
                _positive_by_construction(tf, item[1], site, depth + 1):
            continue
        if not (isinstance(arg, ast.BinOp) and isinstance(arg.op, (ast.Mult, ast.Div))) or len(names) == 1:
            return False
        if not _constant_expr(tf, name):
            return False
    return True


class PositiveGuards:
    """Where the code says a value cannot be zero: ``assert x > 0`` earlier in the same scope, or
    a ``with np.errstate(divide="ignore")`` block (-inf is expected there).
    Use through ``facts.derived(PositiveGuards)``."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self._scopes: dict[int, tuple[list[tuple[int, set[str]]], list[tuple[int, int]]]] = {}

    def covers(self, site: CallSite, arg: ast.expr) -> bool:
        asserted, ignored = self._of(site.scope)
        if any(start <= site.line <= end for start, end in ignored):
            return True
        names = {sub.id for sub in walk_expr(arg) if isinstance(sub, ast.Name)}
        positive = set().union(*(found for line, found in asserted if line < site.line)) if asserted else set()
        return bool(names) and names <= positive

    def _of(self, scope) -> tuple[list[tuple[int, set[str]]], list[tuple[int, int]]]:
        key = id(scope)
        if key not in self._scopes:
            body = scope.node.body if scope is not None else self.facts.tree.body
            asserted: list[tuple[int, set[str]]] = []
            ignored: list[tuple[int, int]] = []
            for stmt in walk_stmts(body):
                if isinstance(stmt, ast.Assert):
                    asserted.append((stmt.lineno, _asserted_positive(stmt.test)))
                elif isinstance(stmt, (ast.With, ast.AsyncWith)) and any(
                        _ignores_divide(item.context_expr) for item in stmt.items):
                    ignored.append((stmt.lineno, stmt.end_lineno or stmt.lineno))
            self._scopes[key] = (asserted, ignored)
        return self._scopes[key]


def _asserted_positive(test: ast.expr) -> set[str]:
    """Names an assertion requires to be positive: ``assert x > 0 and n >= 1``."""
    found: set[str] = set()
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    for part in parts:
        if isinstance(part, ast.Compare) and len(part.ops) == 1 and isinstance(part.left, ast.Name):
            bound = part.comparators[0]
            if isinstance(bound, ast.Constant) and isinstance(bound.value, (int, float)) and (
                    isinstance(part.ops[0], ast.Gt) and bound.value >= 0
                    or isinstance(part.ops[0], ast.GtE) and bound.value > 0):
                found.add(part.left.id)
    return found


def _ignores_divide(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "errstate" \
        and any(kw.arg in ("divide", "all") and isinstance(kw.value, ast.Constant) and kw.value.value == "ignore"
                for kw in node.keywords)


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

    Also not flagged, as positive by construction: values asserted positive earlier in the same
    function (`assert scale > 0`), schedules built with `arange`/`linspace`/`logspace`/`cumprod`,
    exponentials followed through assignments (a max-subtracted log-sum-exp:
    `s = torch.exp(x - m).sum(); torch.log(s)`), and logs inside
    `with np.errstate(divide="ignore")` (-inf is expected there). The log of softmax/sigmoid
    output, or of `1 - p`, is DLP304's finding and never this rule's.

    ## Known limits
    The rule cannot know every value that is strictly positive by construction (a count, a
    variance plus a prior, data that never contains zero): add a guard or `# noqa: DLP308`.
    Names that look like counts or hyperparameters (`num_classes`, `max_len`, `lr`,
    `temperature`) are treated as constants, and values assigned from `np.zeros`/`np.ones` and
    other constant builders count as constants when followed through assignments.
    """

    code, name = "DLP308", "unguarded-log"
    summary = "log of a computed quantity without epsilon or clamp"
    section = "Debugging Neural Networks"
    default = False

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        tf = facts.derived(TrainingFacts)
        of_probabilities = {id(log.site.node) for log in facts.derived(log_of_probabilities)}
        guards = facts.derived(PositiveGuards)
        for site, arg in log_calls(facts):
            if site.qn is None and not tf.uses_torch:
                continue
            if id(site.node) in of_probabilities or tf.prob_of(arg, site.scope, site.line, models=True):
                continue  # log of softmax/sigmoid output: DLP304's finding
            if _positive_by_construction(tf, arg, site) or guards.covers(site, arg):
                continue
            if site.qn and site.qn.startswith("numpy.") and not self._np_computed(tf, arg, site):
                continue
            fn = last_part(site.qn) if site.qn else "log"
            mod = "np" if site.qn and site.qn.startswith("numpy.") else "torch"
            spelled = f"{mod}.{fn}({short(arg, 30)})" if site.qn else f"{short(arg, 30)}.log()"
            yield self.finding(site.node, f"{spelled} has no epsilon or clamp: log(0) gives -inf and NaN gradients")

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
