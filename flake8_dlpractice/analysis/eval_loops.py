"""Evaluation loops: loops over data that run a model without training it (DLP301, DLP302).

:func:`eval_loops` finds the outermost such loops (not in Lightning's evaluation hooks, not fitting,
with no backward pass after them) with the model calls inside each; :func:`model_calls` recognises a
call of a network by its kind or name; :func:`under_no_grad` tells a function that every same-file
caller runs under ``no_grad`` (also used by DLP306).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from .facts import ModuleFacts
from .modes import callers_of, loop_chain, scope_calls
from .names import dotted, name_words
from .records import CallSite, FunctionInfo, LoopInfo, is_backward, is_data_loop
from .training_facts import TrainingFacts


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


def lightning_hook(scope: FunctionInfo | None) -> bool:
    return scope is not None and scope.class_name is not None and scope.name in LIGHTNING_EVAL_HOOKS


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
