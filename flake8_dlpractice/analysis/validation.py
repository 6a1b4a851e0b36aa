"""Evidence that a module validates its model, and the training that is not meant to be validated.

:class:`Validation` finds module-wide evidence that something is evaluated on a validation split (a
``validation_step``, a loop over validation data, ``validation_data=``, a ``"val"`` key or label). The
predicates below recognise training runs that need no validation: overfitting one batch, a single
iteration or a single pass, optimising inputs (style transfer, adversarial examples) and
reconstructing inputs (autoencoders). Used by DLP401 (and DLP402 for inputs being optimised).
"""
from __future__ import annotations

import ast

from ..findings import line_ref
from .facts import ModuleFacts
from .names import role_from_name
from .nodes import child_nodes, walk
from .records import CallSite, LoopInfo, is_data_loop, is_optimizer_step
from .tracking import text_words, words_of


VAL_WORDS = frozenset({"val", "valid", "validate", "validation", "validating", "dev", "vali"})


VAL_KEYWORDS = frozenset({"validation_data", "validation_split", "val_dataloaders",
                          "val_dataloader", "eval_dataset", "eval_set", "validation_steps",
                          "validation_freq", "val_check_interval", "evaluation_strategy",
                          "eval_strategy", "do_eval", "valid_data", "val_data", "eval_data",
                          "eval_dataloader", "valid_loader", "val_loader"})


EVAL_FUNCTION_WORDS = frozenset({"eval", "evaluate", "test", "evaluation"})


def _has_val_word(text: str) -> bool:  # not cached: a project's own role tokens change role_from_name
    if text.lower() in ("dev", "eval", "evaluation", "evaluate"):  # device; model.eval()
        return False
    return bool(words_of(text) & VAL_WORDS) or role_from_name(text) == "val"


class Validation:
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
                    text_words(sub.value) & VAL_WORDS or sub.value.lower() in ("val", "valid", "validation")):
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


# ---------------------------------------------------------------------------------------------
# Training that is not meant to be validated


def single_batch_names(facts: ModuleFacts) -> dict[int, set[str]]:
    """Per scope (by id), the names bound outside any loop to one batch: ``batch = next(iter(loader))``.
    Use through ``facts.derived(single_batch_names)`` (DLP401/402 and DLP500 both ask)."""
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
    return single


def one_batch_loops(facts: ModuleFacts) -> set[int]:
    """Loops that overfit one batch taken with ``next(iter(loader))`` (a debugging exercise)."""
    single = facts.derived(single_batch_names)
    out = set()
    for loop in facts.loops:
        names = single.get(id(loop.scope))
        if names and loop.trains and not is_data_loop(loop) and any(
                isinstance(n, ast.Name) and n.id in names for n in walk(loop.node)):
            out.add(id(loop))
    return out


def single_iteration(loop: LoopInfo) -> bool:
    node = loop.node
    if not isinstance(node, (ast.For, ast.AsyncFor)) or not isinstance(node.iter, ast.Call):
        return False
    call = node.iter
    if not (isinstance(call.func, ast.Name) and call.func.id == "range") or call.keywords:
        return False
    bounds = [const_int(a) for a in call.args]
    if None in bounds or not bounds or len(bounds) > 2:
        return False
    start, stop = (0, bounds[0]) if len(bounds) == 1 else bounds
    return stop - start <= 1


def const_int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    return None


def single_pass(loop: LoopInfo) -> bool:
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


def epoch_end_predicts(facts: ModuleFacts, site: CallSite) -> bool:
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


def optimizes_inputs(loop: LoopInfo) -> bool:
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


def reconstructs_inputs(loop: LoopInfo) -> bool:
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


def keras_reconstructs(site: CallSite) -> bool:
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
