"""Extra facts for the training-loop rules (DLP3xx), computed lazily from ModuleFacts.

- per-scope name assignments in statement order (the latest definition of a name before a line),
- ``self.<attr> = ...`` assignments of every class,
- what kind of object an expression holds (constructor qualified name or ``<local>.Class``),
- whether an expression is softmax/sigmoid output (directly, through a variable, a Softmax
  module attribute, or a same-file model whose ``forward`` returns it),
- train/eval mode events of each scope and the net mode effect of same-file functions.

Every walk is iterative (explicit stacks) and limited to one scope's statements.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from ..findings import line_ref
from .facts import ModuleFacts
from .names import dotted, last_part, name_words
from .nodes import BLOCKS_OF, block_fields, child_nodes
from .records import CallSite, FunctionInfo, LoopInfo, bound_arguments

import builtins as _builtins_module

_BUILTINS = frozenset(dir(_builtins_module))
_SCOPE_BREAKS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
PASS_THROUGH = frozenset({"to", "cuda", "cpu", "float", "double", "half", "train", "eval",
                          "requires_grad_", "type", "contiguous", "squeeze", "unsqueeze", "view",
                          "reshape", "flatten", "clone"})
_MODEL_PASS = frozenset({"to", "cuda", "cpu", "float", "double", "half", "train", "eval"})

SOFTMAX_QN = frozenset({"torch.softmax", "torch.nn.functional.softmax", "torch.special.softmax",
                        "torch.Tensor.softmax"})
SIGMOID_QN = frozenset({"torch.sigmoid", "torch.nn.functional.sigmoid", "torch.special.expit",
                        "torch.Tensor.sigmoid"})
SOFTMAX_MODULES = frozenset({"torch.nn.Softmax", "torch.nn.modules.activation.Softmax"})
SIGMOID_MODULES = frozenset({"torch.nn.Sigmoid", "torch.nn.modules.activation.Sigmoid"})
SEQUENTIAL = frozenset({"torch.nn.Sequential", "torch.nn.modules.container.Sequential"})
MODULE_BASES = ("Module", "LightningModule", "PreTrainedModel", "Sequential", "ModuleList")


TORCH_WORLD = frozenset({"torch", "lightning", "pytorch_lightning", "accelerate", "transformers",
                         "torchvision", "timm"})


@dataclass
class Prob:
    """Evidence that an expression holds probabilities."""

    kind: str  # "softmax" or "sigmoid"
    call: ast.Call | None  # the softmax/sigmoid call when it is the expression itself
    how: str  # for messages, with line references
    direct: bool  # the expression *is* the softmax/sigmoid call
    origin: ast.AST | None = None  # what makes the probabilities (the call, a forward's return, a layer)
    source: str = ""  # that origin in a few words with its line (``softmax at line 12``)


def callee_text(call: ast.Call) -> str:
    """The callee as written on the call's line (``F.softmax``, ``Softmax`` of ``nn.Softmax(1)(x)``,
    ``sigmoid`` of ``torch.bmm(a, b).sigmoid()``)."""
    func = call.func
    while isinstance(func, ast.Call):
        func = func.func
    text = dotted(func) or (func.attr if isinstance(func, ast.Attribute) else "")
    return text.rsplit("().", 1)[-1]  # the part after the last call: dotted() writes a call as "()"


def unparse(node: ast.AST) -> str | None:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - deep or odd trees
        return None


def short(node: ast.AST, limit: int = 40) -> str:
    """Source text of ``node`` for a message, cut to ``limit`` characters."""
    text = unparse(node)
    if text is None:
        return "..."
    return text if len(text) <= limit else text[: limit - 3] + "..."


def loop_keyword(loop: LoopInfo) -> str:
    """The word that starts a loop's header line, for line references: ``for`` or ``while``."""
    return "while" if isinstance(loop.node, ast.While) else "for"


def loop_ref(loop: LoopInfo) -> str:
    """A line reference to a loop's header (``line 12``), citing its keyword."""
    return line_ref(loop.line, loop_keyword(loop))


def walk_scope(body: list[ast.stmt]):
    """Every node of a scope's statements, not entering nested functions, classes or lambdas."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPE_BREAKS):
            continue
        stack.extend(reversed(child_nodes(node)))


def walk_stmts(body: list[ast.stmt]):
    """Every statement of a scope (into compound statements, not into nested scopes or expressions)."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPE_BREAKS):
            continue
        names = BLOCKS_OF.get(type(node))
        for name in block_fields(type(node)) if names is None else names:
            stack.extend(reversed(getattr(node, name)))


def walk_expr(node: ast.AST):
    """Nodes of one expression or statement subtree, not entering nested scopes."""
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        if cur is not node and isinstance(cur, _SCOPE_BREAKS):
            continue
        stack.extend(child_nodes(cur))


def _stored_names(target: ast.expr) -> list[str]:
    """Names an assignment target binds (``a, (b, *c)``; the walrus in ``d[(i := 0)]``), in
    ``walk_expr`` order."""
    kind = type(target)
    if kind is ast.Name:
        return [target.id] if type(target.ctx) is ast.Store else []
    if kind is ast.Tuple or kind is ast.List:
        return [name for elt in reversed(target.elts) for name in _stored_names(elt)]
    if kind is ast.Starred:
        return _stored_names(target.value)
    return [sub.id for sub in walk_expr(target) if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store)]


def _bound_names(target: ast.expr) -> list[str]:
    """Every name in a loop or ``with`` target, in ``walk_expr`` order."""
    if type(target) is ast.Name:
        return [target.id]
    return [sub.id for sub in walk_expr(target) if isinstance(sub, ast.Name)]


def names_in(node: ast.AST) -> set[str]:
    """Maximal dotted names read in an expression (``self.model(x)`` -> {"self.model", "x"})."""
    found: set[str] = set()
    inner: set[int] = set()
    for n in walk_expr(node):
        if isinstance(n, ast.Attribute):
            inner.add(id(n.value))
    for n in walk_expr(node):
        if isinstance(n, (ast.Name, ast.Attribute)) and id(n) not in inner:
            spelled = dotted(n)
            if spelled and "()" not in spelled:
                found.add(spelled)
    return found


class TrainingFacts:
    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self._assign: dict[int, dict[str, list[tuple[int, ast.expr | None, ast.AST]]]] = {}
        self._class_attrs: dict[str, dict[str, ast.expr]] | None = None
        self._forward_prob: dict[str, Prob | None] = {}
        self._effect: dict[int, str | None] = {}
        self._clears: dict[int, bool] = {}
        self._kinds: dict[tuple, str | None] = {}
        self.uses_torch = bool(facts.imports.roots & TORCH_WORLD)

    # -- assignments -----------------------------------------------------------------------------
    def assignments(self, scope: FunctionInfo | None) -> dict[str, list[tuple[int, ast.expr | None, ast.AST]]]:
        key = id(scope)
        if key in self._assign:
            return self._assign[key]
        out: dict[str, list[tuple[int, ast.expr | None, ast.AST]]] = {}
        body = scope.node.body if scope is not None else self.facts.tree.body
        for node in walk_stmts(body):
            kind = type(node)
            if kind is ast.Assign:
                for target in node.targets:
                    if type(target) is ast.Name:
                        out.setdefault(target.id, []).append((node.lineno, node.value, node))
                    else:
                        for name in _stored_names(target):
                            out.setdefault(name, []).append((node.lineno, None, node))
            elif kind is ast.AnnAssign and type(node.target) is ast.Name:
                out.setdefault(node.target.id, []).append((node.lineno, node.value, node))
            elif kind is ast.For or kind is ast.AsyncFor:
                for name in _bound_names(node.target):
                    out.setdefault(name, []).append((node.lineno, None, node))
            elif kind is ast.With or kind is ast.AsyncWith:
                for item in node.items:
                    if item.optional_vars is not None:
                        for name in _bound_names(item.optional_vars):
                            out.setdefault(name, []).append((node.lineno, None, node))
        for items in out.values():
            items.sort(key=lambda t: t[0])
        self._assign[key] = out
        return out

    def latest(self, scope: FunctionInfo | None, name: str, line: int) -> tuple[int, ast.expr | None, ast.AST] | None:
        """The last assignment of ``name`` in ``scope`` on a line before ``line``."""
        found = None
        for item in self.assignments(scope).get(name, ()):
            if item[0] < line:
                found = item
            else:
                break
        if found is None and scope is not None and not any(True for _ in self.assignments(scope).get(name, ())):
            if name not in scope.params:
                return self.latest(None, name, 10 ** 9)
        return found

    def class_attrs(self, class_name: str | None) -> dict[str, ast.expr]:
        if self._class_attrs is None:
            self._class_attrs = {}
            for info in self.facts.functions:
                if info.class_name is None:
                    continue
                attrs = self._class_attrs.setdefault(info.class_name, {})
                for node in walk_stmts(info.node.body):
                    if isinstance(node, ast.Assign):
                        for target in node.targets:
                            elts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
                            for elt in elts:
                                if (isinstance(elt, ast.Attribute) and isinstance(elt.value, ast.Name)
                                        and elt.value.id == "self"):
                                    attrs.setdefault(elt.attr, node.value)
        return self._class_attrs.get(class_name or "", {})

    # -- kinds -----------------------------------------------------------------------------------
    def kind_of(self, expr: ast.expr, scope: FunctionInfo | None, line: int, depth: int = 0) -> str | None:
        """Qualified constructor (``torch.nn.CrossEntropyLoss``) or ``<local>.Net`` of an object."""
        if depth > 14 or expr is None:
            return None
        if isinstance(expr, (ast.Name, ast.Attribute)):
            key = (id(scope), dotted(expr), line)
            if key in self._kinds:
                return self._kinds[key]
            self._kinds[key] = None  # cycle guard
            result = self._kind_of(expr, scope, line, depth)
            self._kinds[key] = result
            return result
        return self._kind_of(expr, scope, line, depth)

    def _kind_of(self, expr: ast.expr, scope: FunctionInfo | None, line: int, depth: int) -> str | None:
        if isinstance(expr, ast.Name) and expr.id in _BUILTINS:
            return None
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr in _MODEL_PASS:
                return self.kind_of(func.value, scope, line, depth + 1)
            qn = self.facts.imports.qualname(func)
            if qn:
                return qn
            if isinstance(func, ast.Name) and func.id in self.facts.classes:
                return f"<local>.{func.id}"
            return None
        if isinstance(expr, ast.Name):
            item = self.latest(scope, expr.id, line)
            if item is None or item[1] is None:
                if item is None and scope is not None and expr.id in scope.params:
                    return self._param_kind(scope, expr.id, depth)
                return None
            scope2 = scope if item[2] is not None and self._in_scope(scope, expr.id, item) else None
            return self.kind_of(item[1], scope2, item[0], depth + 1)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self" \
                and scope is not None and scope.class_name:
            value = self.class_attrs(scope.class_name).get(expr.attr)
            if value is not None:
                owner = self._method_holding(scope.class_name, value)
                return self.kind_of(value, owner, getattr(value, "lineno", 0) + 1, depth + 1)
        return None

    def _param_kind(self, scope: FunctionInfo, param: str, depth: int) -> str | None:
        """The kind every same-file caller passes for a parameter (None when unknown or mixed)."""
        kinds = set()
        for caller in scope.callers[:6]:
            if caller.scope is scope:
                continue
            node = next((arg for p, arg in bound_arguments(scope, caller) if p == param), None)
            if node is None:
                return None
            kinds.add(self.kind_of(node, caller.scope, caller.line, depth + 1))
            if None in kinds or len(kinds) > 1:
                return None
        return kinds.pop() if kinds else None

    def _in_scope(self, scope, name, item) -> bool:
        return item in self.assignments(scope).get(name, [])

    def _method_holding(self, class_name: str, value: ast.expr) -> FunctionInfo | None:
        line = getattr(value, "lineno", 0)
        for info in self.facts.functions:
            if info.class_name == class_name and info.node.lineno <= line <= (info.node.end_lineno or line):
                return info
        return None

    def is_module_class(self, name: str, depth: int = 0) -> bool:
        cls = self.facts.classes.get(name)
        if cls is None or depth > 5:
            return False
        for base in cls.bases:
            spelled = dotted(base) or ""
            if last_part(spelled) in MODULE_BASES or spelled.startswith(("nn.", "torch.nn.")):
                return True
            if last_part(spelled) in self.facts.classes and self.is_module_class(last_part(spelled), depth + 1):
                return True
        return False

    # -- probabilities ---------------------------------------------------------------------------
    def prob_call(self, call: ast.Call, scope: FunctionInfo | None) -> str | None:
        """'softmax'/'sigmoid' when the call itself computes it."""
        func = call.func
        qn = self.facts.imports.qualname(func)
        if qn in SOFTMAX_QN:
            return "softmax"
        if qn in SIGMOID_QN:
            return "sigmoid"
        if qn is None and isinstance(func, ast.Attribute) and func.attr in ("softmax", "sigmoid") \
                and not (isinstance(func.value, ast.Name) and func.value.id == "self"):
            if func.attr == "softmax" and isinstance(func.value, ast.Name) \
                    and func.value.id in ("np", "scipy", "special"):
                return None
            if self.facts.imports.qualname(func.value):
                return None
            return func.attr
        # nn.Softmax(dim=1)(x), self.softmax(x)
        if isinstance(func, (ast.Call, ast.Attribute, ast.Name)) and call.args:
            kind = self.kind_of(func, scope, call.lineno) if not isinstance(func, ast.Call) else \
                self.facts.imports.qualname(func.func)
            if kind in SOFTMAX_MODULES:
                return "softmax"
            if kind in SIGMOID_MODULES:
                return "sigmoid"
        return None

    def prob_of(self, expr: ast.expr, scope: FunctionInfo | None, line: int, models: bool = False,
                depth: int = 0) -> Prob | None:
        if depth > 4 or expr is None:
            return None
        if isinstance(expr, ast.Call):
            kind = self.prob_call(expr, scope)
            if kind:
                where = f"{kind} at {line_ref(expr.lineno, callee_text(expr))}"
                return Prob(kind, expr, where, True, expr, where)
            func = expr.func
            # x.to(device), probs.squeeze(1) keep probabilities
            if isinstance(func, ast.Attribute) and func.attr in ("squeeze", "view", "reshape", "flatten",
                                                                 "to", "float", "double", "contiguous",
                                                                 "unsqueeze"):
                inner = self.prob_of(func.value, scope, line, models, depth + 1)
                if inner is not None:
                    return Prob(inner.kind, None, inner.how, False, inner.origin, inner.source)
                return None
            if models:
                return self._model_output(expr, scope, line)
            return None
        if isinstance(expr, ast.Name):
            item = self.latest(scope, expr.id, line)
            if item is None or item[1] is None:
                return None
            inner = self.prob_of(item[1], scope if self._in_scope(scope, expr.id, item) else None,
                                 item[0], models, depth + 1)
            if inner is not None:
                return Prob(inner.kind, None, f"{expr.id!r} = {inner.how}", False, inner.origin, inner.source)
        return None

    def _model_output(self, call: ast.Call, scope: FunctionInfo | None, line: int) -> Prob | None:
        """``model(x)`` where the model's forward returns softmax/sigmoid output."""
        func = call.func
        if isinstance(func, ast.Name) and func.id == "self" and scope is not None and scope.class_name:
            prob = self.forward_prob(scope.class_name)
            if prob is not None:
                return Prob(prob.kind, None, f"forward() returns {prob.how}", False, prob.origin, prob.source)
            return None
        if not isinstance(func, (ast.Name, ast.Attribute)):
            return None
        if isinstance(func, ast.Attribute) and not (isinstance(func.value, ast.Name) and func.value.id == "self"):
            return None
        kind = self.kind_of(func, scope, line)
        if kind and kind.startswith("<local>."):
            cls = kind.split(".", 1)[1]
            prob = self.forward_prob(cls)
            if prob is not None:
                return Prob(prob.kind, None, f"{dotted(func)!r} returns {prob.how}", False, prob.origin,
                            prob.source)
        elif kind in SEQUENTIAL:
            seq = self._constructor_of(func, scope, line)
            if seq is not None and seq.args:
                last = seq.args[-1]
                if isinstance(last, ast.Starred) and isinstance(last.value, ast.Name):
                    last = self._last_appended(last.value.id, seq)
                if isinstance(last, ast.Call):
                    qn = self.facts.imports.qualname(last.func)
                    if qn in SOFTMAX_MODULES or qn in SIGMOID_MODULES:
                        what = "softmax" if qn in SOFTMAX_MODULES else "sigmoid"
                        layer = last_part(qn)
                        where = f"{layer} at {line_ref(last.lineno, layer)}"
                        return Prob(what, None, f"{dotted(func)!r} ends in {where}", False, last, where)
        return None

    def _last_appended(self, name: str, before: ast.Call) -> ast.expr | None:
        """``layers.append(nn.Softmax(1))`` ... ``nn.Sequential(*layers)``: the last element appended."""
        owner = None
        for info in self.facts.functions:
            if info.node.lineno <= before.lineno <= (info.node.end_lineno or before.lineno):
                owner = info
        body = owner.node.body if owner is not None else self.facts.tree.body
        last = None
        for stmt in walk_stmts(body):
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and stmt.lineno < before.lineno:
                call = stmt.value
                if isinstance(call.func, ast.Attribute) and call.func.attr == "append" \
                        and isinstance(call.func.value, ast.Name) and call.func.value.id == name and call.args:
                    if last is None or stmt.lineno > last.lineno:
                        last = call.args[0]
        return last

    def _constructor_of(self, expr: ast.expr, scope, line, depth: int = 0) -> ast.Call | None:
        if depth > 6:
            return None
        if isinstance(expr, ast.Call):
            if isinstance(expr.func, ast.Attribute) and expr.func.attr in _MODEL_PASS:
                return self._constructor_of(expr.func.value, scope, line, depth + 1)
            return expr
        if isinstance(expr, ast.Name):
            item = self.latest(scope, expr.id, line)
            if item is not None and item[1] is not None:
                return self._constructor_of(item[1], scope if self._in_scope(scope, expr.id, item) else None,
                                            item[0], depth + 1)
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self" \
                and scope is not None:
            value = self.class_attrs(scope.class_name).get(expr.attr)
            if value is not None:
                return self._constructor_of(value, self._method_holding(scope.class_name, value),
                                            getattr(value, "lineno", 0) + 1, depth + 1)
        return None

    def forward_prob(self, class_name: str) -> Prob | None:
        """How a same-file nn.Module's forward() output is probabilities, when every return is."""
        if class_name in self._forward_prob:
            return self._forward_prob[class_name]
        self._forward_prob[class_name] = None
        info = self.facts.methods.get((class_name, "forward"))
        result = None
        if info is not None and self.is_module_class(class_name):
            returns = [n for n in walk_scope(info.node.body) if isinstance(n, ast.Return)]
            probs = [self.prob_of(r.value, info, r.lineno + 1, models=True) if r.value is not None else None
                     for r in returns]
            if probs and all(p is not None for p in probs):
                kinds = {p.kind for p in probs}
                if len(kinds) == 1:
                    where = f"{probs[0].kind} at {line_ref(returns[0].lineno, 'return')}"
                    result = Prob(probs[0].kind, None, where, False, returns[0], where)
        self._forward_prob[class_name] = result
        return result

    # -- mode sensitivity -------------------------------------------------------------------------
    def mode_sensitive(self, site: CallSite) -> bool:
        """False only when the called model is known to have no dropout/normalisation layer."""
        func = site.node.func
        if isinstance(func, ast.Name) and func.id == "self":
            cls = site.scope.class_name if site.scope is not None else None
            return self.class_sensitive(cls) if cls else True
        kind = self.kind_of(func, site.scope, site.line)
        if kind and kind.startswith("<local>."):
            return self.class_sensitive(kind.split(".", 1)[1])
        if kind in SEQUENTIAL:
            ctor = self._constructor_of(func, site.scope, site.line)
            if ctor is not None:
                return self._nodes_sensitive([ctor], set())
        if kind and kind.startswith("torch.nn.") and "LayerNorm" not in kind:
            return any(w in kind for w in ("Dropout", "Norm", "Transformer", "LSTM", "GRU", "RNN",
                                           "MultiheadAttention"))
        return True

    def class_sensitive(self, class_name: str, seen: set[str] | None = None) -> bool:
        seen = set() if seen is None else seen
        if class_name in seen:
            return False
        seen.add(class_name)
        cls = self.facts.classes.get(class_name)
        if cls is None:
            return True
        for base in cls.bases:
            spelled = dotted(base) or ""
            if last_part(spelled) in self.facts.classes:
                if self.class_sensitive(last_part(spelled), seen):
                    return True
            elif last_part(spelled) not in ("Module", "object", "LightningModule"):
                return True
        return self._nodes_sensitive([cls], seen)

    def _nodes_sensitive(self, nodes, seen: set[str]) -> bool:
        for root in nodes:
            for sub in walk_expr(root) if not isinstance(root, ast.ClassDef) else _walk_class(root):
                if isinstance(sub, ast.Call):
                    spelled = dotted(sub.func) or ""
                    ident = spelled.rsplit(".", 1)[-1]
                    low = ident.lower()
                    if "dropout" in low or "norm" in low and "layernorm" not in low and "layer_norm" not in low \
                            and "clip" not in low and "normal" not in low:
                        return True
                    if ident in ("LSTM", "GRU", "RNN", "Transformer", "TransformerEncoderLayer",
                                 "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder",
                                 "MultiheadAttention") and (ident.startswith("Transformer") or any(
                                     k.arg == "dropout" for k in sub.keywords)):
                        return True
                    qn = self.facts.imports.qualname(sub.func) or ""
                    if qn.startswith(("torchvision.models", "timm", "transformers", "torch.hub",
                                      "segmentation_models")):
                        return True
                    if ident in self.facts.classes and ident not in seen and self.is_module_class(ident):
                        if self.class_sensitive(ident, seen):
                            return True
                    if ident == "load" or ident == "load_state_dict":
                        continue
                elif isinstance(sub, ast.Attribute) and sub.attr in ("training",):
                    return True
        return False

    # -- train / eval mode ---------------------------------------------------------------------
    def mode_of_call(self, site: CallSite) -> str | None:
        """'eval' / 'train' when the call sets a module's mode (directly or through a same-file call)."""
        if site.local is not None:
            return self.effect(site.local)
        return direct_mode(site)

    def effect(self, info: FunctionInfo, depth: int = 0) -> str | None:
        """The mode a function leaves the model in (its last mode-setting call), or None."""
        key = id(info)
        if key in self._effect:
            return self._effect[key]
        self._effect[key] = None
        if depth > 8:
            return None
        last = None
        last_pos = (-1, -1)
        for site in info.calls:
            mode = (self.effect(site.local, depth + 1) if site.local is not None and site.local is not info
                    else direct_mode(site))
            if mode is not None and (site.line, site.node.col_offset) > last_pos:
                last, last_pos = mode, (site.line, site.node.col_offset)
        self._effect[key] = last
        return last

    # -- gradient clearing -----------------------------------------------------------------------
    def clears_in(self, calls: list[CallSite], node: ast.AST | None, depth: int = 0) -> bool:
        """A gradient-clearing call or ``p.grad = None`` among these calls / inside node."""
        for site in calls:
            if clears_grad(site):
                return True
            if site.local is not None and depth < 6 and self.function_clears(site.local, depth + 1):
                return True
        if node is not None:
            for sub in walk_expr(node):
                if isinstance(sub, (ast.Assign, ast.Delete)):
                    targets = sub.targets
                    for t in targets:
                        if isinstance(t, ast.Attribute) and t.attr == "grad":
                            return True
        return False

    def function_clears(self, info: FunctionInfo, depth: int = 0) -> bool:
        key = id(info)
        if key not in self._clears:
            self._clears[key] = False
            self._clears[key] = self.clears_in(info.calls, info.node, depth)
        return self._clears[key]


CLEAR_METHODS = frozenset({"zero_grad", "zero_grads", "clear_grad", "clear_grads", "cleargrads",
                           "zerograd", "clear_gradients"})


def clears_grad(site: CallSite) -> bool:
    if site.method in CLEAR_METHODS:
        return True
    if site.method in ("zero_", "fill_", "detach_", "zero_grad_", "requires_grad_") and site.name \
            and ".grad" in site.name:
        return True
    return False


def direct_mode(site: CallSite) -> str | None:
    node = site.node
    if site.method == "eval" and not node.args and not node.keywords:
        return "eval" if _model_receiver(site) else None
    if site.method == "train" and _model_receiver(site):
        arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "mode"), None)
        if arg is None:
            return "train" if not node.args and not node.keywords else None
        if isinstance(arg, ast.Constant):
            return "train" if arg.value else "eval"
        return "train"  # train(mode): unknown; assume it restores training
    if site.method == "from_pretrained":  # transformers models are loaded in eval mode
        return "eval"
    return None


def _model_receiver(site: CallSite) -> bool:
    name = site.name or ""
    words = set(name_words(name.rsplit(".", 1)[0])) if "." in name else set()
    if words & {"trainer", "tf", "sess", "session", "tree", "xgb", "lgb", "clf"}:
        return False
    if site.qn is not None and not site.qn.startswith("torch"):
        return False
    kind = site.recv.kind if site.recv is not None else None
    if kind and kind.startswith(("transformers.Trainer", "lightning.pytorch.Trainer")):
        return False
    return True


def _walk_class(cls: ast.ClassDef):
    stack: list[ast.AST] = [cls]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child_nodes(node))


def loop_contains(outer: LoopInfo, inner_node: ast.AST) -> bool:
    line = getattr(inner_node, "lineno", 0)
    return outer.node.lineno <= line <= (outer.node.end_lineno or line)
