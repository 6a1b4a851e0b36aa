"""The records of the facts walk, and what one record is.

:func:`facts.build_facts` records every call (:class:`CallSite`), loop (:class:`LoopInfo`), attribute or
name store (:class:`Store`) and function (:class:`FunctionInfo`) of a module. The questions below ask of
one record what it is (a backward pass, an optimizer step, a loop over data, a model run) and how a call
binds to a same-file function (its arguments, the guards under which the function trains); rules and
summaries share them.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .names import dotted, last_part, name_words
from .provenance import SLOTS, DataSummary
from .values import EMPTY, Value
from .vocabulary import ROLE_NEUTRAL_BUILTINS, unwrap_iter


@dataclass(eq=False, **SLOTS)
class LoopInfo:
    node: ast.For | ast.While | ast.AsyncFor
    scope: FunctionInfo | None
    parent: LoopInfo | None
    iter: Value | None  # None for while loops
    iter_root: str | None  # the data name iterated (``train_loader`` in ``enumerate(tqdm(train_loader))``)
    in_no_grad: bool
    calls: list[CallSite] = field(default_factory=list)  # every call lexically inside, nested loops too
    target_ids: frozenset[int] = frozenset()  # identities of the names the loop binds (for x in ...)
    trains: bool = False  # filled in by summaries.summarize()
    evaluates: bool = False

    @property
    def line(self) -> int:
        return self.node.lineno


@dataclass(eq=False, **SLOTS)
class CallSite:
    node: ast.Call
    qn: str | None  # canonical qualified name of the callee, when imported
    name: str | None  # dotted spelling (``self.model.fit``)
    method: str | None  # attribute name for method calls
    recv: Value | None  # value of the receiver for method calls
    args: list[Value]
    kwargs: dict[str, Value]
    scope: FunctionInfo | None
    loops: tuple[LoopInfo, ...]
    in_no_grad: bool
    stmt: ast.stmt
    local: FunctionInfo | None = None  # same-file function or method called
    callback: FunctionInfo | None = None  # same-file function passed to apply/transform/map/pipe
    result_id: int = 0  # for calls of same-file functions: an id the call's result carries
    item_ids: tuple[int, ...] = ()  # a, b = helper(...): an id per unpacked part
    comprehension_ids: frozenset[int] = EMPTY  # [f(k) for k in ks]: the ids the comprehension's variables hold
    guard: tuple[str, str] | None = None  # in a function: the innermost ``if <parameter test>:`` around

    @property
    def line(self) -> int:
        return self.node.lineno

    def arg(self, index: int, keyword: str | None = None) -> Value | None:
        if keyword and keyword in self.kwargs:
            return self.kwargs[keyword]
        if index < len(self.args):
            return self.args[index]
        return None

    def kwarg_node(self, keyword: str) -> ast.expr | None:
        for kw in self.node.keywords:
            if kw.arg == keyword:
                return kw.value
        return None


@dataclass(eq=False, **SLOTS)
class Store:
    """An assignment to an attribute or name: ``torch.backends.cudnn.benchmark = True``."""

    target: str  # qualified name when the base is imported, else dotted spelling
    value: ast.expr
    value_info: Value
    stmt: ast.stmt
    scope: FunctionInfo | None
    loops: tuple[LoopInfo, ...]


@dataclass(eq=False)
class FunctionInfo:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    name: str
    class_name: str | None
    params: list[str]
    decorators: list[str]  # qualified or dotted names
    no_grad: bool  # decorated with torch.no_grad / inference_mode
    calls: list[CallSite] = field(default_factory=list)
    loops: list[LoopInfo] = field(default_factory=list)
    returns: list[Value] = field(default_factory=list)
    trains: bool = False
    trained_params: dict[str, int] = field(default_factory=dict)  # param -> line of the loop/fit
    evaluated_params: dict[str, int] = field(default_factory=dict)
    validated_params: dict[str, int] = field(default_factory=dict)  # evaluated inside a training loop
    callers: list[CallSite] = field(default_factory=list)
    # when every training/fitting call of the function sits under ``if <param> ...:``, the guards
    # (param, test) that must hold for it to train: ``if train:``, ``if scaler is None:``
    guards: list[tuple[str, str]] = field(default_factory=list)
    param_ids: dict[str, int] = field(default_factory=dict)  # the identity each parameter starts with
    data: DataSummary | None = None  # what it does to the data it is given (summaries.py)

    @property
    def line(self) -> int:
        return self.node.lineno

    @property
    def shown(self) -> str:
        """The name a message calls it by: the class for a constructor (``Cleaner`` for ``__init__``)."""
        return self.class_name if self.name == "__init__" and self.class_name else self.name

    def param_for(self, site: CallSite, index: int, keyword: str | None) -> str | None:
        """The parameter an argument binds to (``self`` skipped for method calls)."""
        if keyword is not None:
            return keyword if keyword in self.params else None
        params = self.params
        if self.class_name and params and params[0] in ("self", "cls"):
            params = params[1:]
        return params[index] if index < len(params) else None


# ---------------------------------------------------------------------------------------------
# Summaries: which loops and functions train, which parameters are trained on / evaluated.

_OPTIMIZER_WORDS = frozenset({"optimizer", "optimizers", "optim", "opt", "optimiser", "optimizer_g",
                              "optimizer_d"})


def is_backward(site: CallSite) -> bool:
    return site.method in ("backward", "manual_backward") or site.qn == "torch.autograd.backward"


def is_optimizer_step(site: CallSite) -> bool:
    if site.method != "step" or site.recv is None:
        return False
    kind = site.recv.kind or ""
    if kind.startswith("torch.optim.") and ".lr_scheduler." not in kind:
        return True
    if ".lr_scheduler." in kind:
        return False
    words = set(name_words(site.name or ""))
    if words & {"sched", "scheduler", "lr", "schedule"}:
        return False
    if words & _OPTIMIZER_WORDS or (site.name or "").endswith("opt"):
        return True
    if "scaler" in words and site.node.args:  # GradScaler.step(optimizer)
        return True
    return False


def trains_directly(site: CallSite) -> bool:
    return is_backward(site) or is_optimizer_step(site)


FIT_METHODS = frozenset({"fit", "fit_generator", "train_on_batch", "partial_fit"})


def guard_of(test: ast.expr, params: set[str], body: list[ast.stmt] = ()) -> tuple[str, str] | None:
    """``if train:`` -> (train, truthy); ``if not scaler:`` / ``if scaler is None:`` -> falsy/none;
    ``if self.mean is None: self.mean = ...`` -> (self.mean, unset): a statistic cached by the first call."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is) \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
        attr = dotted(test.left)
        if attr and attr.startswith("self.") and attr.count(".") == 1 and any(
                isinstance(stmt, ast.Assign) and any(dotted(t) == attr for t in stmt.targets) for stmt in body):
            return attr, "unset"
    if isinstance(test, ast.Name) and test.id in params:
        return test.id, "truthy"
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name) \
            and test.operand.id in params:
        return test.operand.id, "falsy"
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name) \
            and test.left.id in params and isinstance(test.comparators[0], ast.Constant):
        const = test.comparators[0].value
        if const is None and isinstance(test.ops[0], ast.Is):
            return test.left.id, "none"
        if const is None and isinstance(test.ops[0], ast.IsNot):
            return test.left.id, "notnone"
        if isinstance(test.ops[0], ast.Eq):
            return test.left.id, f"eq:{const!r}"
    return None


def training_guards(info: FunctionInfo) -> list[tuple[str, str]]:
    """The guards (``if train:``) of a function's training and fitting calls, as the walker saw
    them; none when one of those calls runs unguarded."""
    guards = set()
    for c in info.calls:
        if trains_directly(c) or c.method in FIT_METHODS or c.method == "fit_transform" \
                or (c.local is not None and c.local.trains):
            if c.guard is None:
                return []  # trains unconditionally somewhere
            guards.add(c.guard)
    return sorted(guards)


def guard_may_hold(callee: FunctionInfo, site: CallSite, guard: tuple[str, str]) -> bool:
    """Whether the call can take the guarded training branch (constants only; unknown: no)."""
    param, test = guard
    if test == "unset":  # only the first call computes the cached statistic
        return not any(other.scope is site.scope and other.node.lineno < site.node.lineno
                       for other in callee.callers)
    value: ast.expr | None = None
    for name, arg in bound_arguments(callee, site):
        if name == param:
            value = arg
    if value is None:
        value = _default_of(callee.node, param)
    if not isinstance(value, ast.Constant):
        return False
    const = value.value
    if test == "truthy":
        return bool(const)
    if test == "falsy":
        return not const
    if test == "none":
        return const is None
    if test == "notnone":
        return const is not None
    return test == f"eq:{const!r}"


def _default_of(node: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> ast.expr | None:
    args = node.args
    positional = args.posonlyargs + args.args
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    return defaults.get(param)


def bound_slots(callee: FunctionInfo, site: CallSite):
    """(parameter, slot, argument node) of a call to a same-file function: the slot is the
    argument's position, or its keyword; binding stops at the first ``*args``."""
    for i, arg in enumerate(site.node.args):
        if isinstance(arg, ast.Starred):
            break
        param = callee.param_for(site, i, None)
        if param:
            yield param, i, arg
    for kw in site.node.keywords:
        if kw.arg and kw.arg in callee.params:
            yield kw.arg, kw.arg, kw.value


def bound_arguments(callee: FunctionInfo, site: CallSite):
    """(parameter, argument node) pairs of a call to a same-file function."""
    for param, _, arg in bound_slots(callee, site):
        yield param, arg


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


_DATA_WORDS = frozenset({"loader", "dataloader", "dl", "dataset", "ds", "data", "batches", "iterator",
                         "generator", "gen", "set", "loaders", "testloader", "trainloader", "valloader"})


def is_data_loop(loop: LoopInfo) -> bool:
    """A loop over data (a dataset, loader or split), not over epochs or a list of settings."""
    it = loop.iter
    if it is None:
        return False
    if it.role in ("train", "val", "test", "full"):
        return True
    if it.kind and last_part(it.kind) in ("DataLoader", "Dataset", "TensorDataset", "Subset"):
        return True
    if loop.iter_root:
        words = set(name_words(loop.iter_root.rsplit(".", 1)[-1]))
        if words & _DATA_WORDS:
            return True
    node = unwrap_iter(loop.node.iter) if isinstance(loop.node, (ast.For, ast.AsyncFor)) else None
    if isinstance(node, ast.Call):  # for x, y in get_batches(train_x, train_y, batch_size)
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return bool(set(name_words(name)) & _DATA_WORDS)
    return False


_NOT_MODELS = frozenset({"next", "zip", "enumerate", "list", "dict", "tuple"})


def is_model_call(site: CallSite) -> bool:
    """A call that runs a network on data: ``model(x)``, ``self.net(x)``, ``model.predict(x)``."""
    if site.qn is not None:
        return False
    if site.method in ("predict", "predict_proba", "generate", "forward", "evaluate"):
        return True
    func = site.node.func
    if isinstance(func, ast.Name):
        return func.id not in ROLE_NEUTRAL_BUILTINS and func.id not in _NOT_MODELS
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
        return site.local is None
    return False


def training_ancestor(loop: LoopInfo | None) -> LoopInfo | None:
    """The nearest loop that trains, starting at ``loop`` itself and going outwards."""
    while loop is not None:
        if loop.trains:
            return loop
        loop = loop.parent
    return None
