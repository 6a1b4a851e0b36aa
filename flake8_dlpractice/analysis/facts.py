"""Facts about one module, computed once and read by every rule.

One walk over the statements of each scope (the module body, every function and method body), in
statement order, evaluates every expression once with an abstract interpreter that knows:

- the qualified name of what is called (through every import alias),
- the split role (train / val / test / full) of each value and where it came from,
- def-use: which earlier definitions a value derives from (``ancestors``), so that "fitted before
  it was split" can be answered,
- what kind of object a name holds (the qualified constructor it was built with),
- whether a transform randomly augments data,
- the loops, calls, attribute stores and ``no_grad`` regions of each scope.

Same-file function summaries (which functions train, which parameters are trained on or
evaluated) are derived from these records afterwards, without walking the tree again.

Nothing here recurses in proportion to the depth of the tree: statement nesting is bounded by the
Python tokenizer (100 indentation levels) and expression evaluation stops at a fixed depth.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from itertools import count
from typing import Any, Callable, Iterable, TypeVar

from ..findings import line_ref
from ..settings import DEFAULT_SETTINGS, RuleSettings
from .nodes import block_children, param_names
from .names import PATH_ROLES, ROLE_TOKENS, ImportMap, data_role, dotted, last_part, name_words, role_from_name
from .dataflow import (DATAFLOW_FUNCS, DATAFLOW_METHODS, PREDICT_METHODS, DataFlow, reads_file, split_roles,
                       stateful_step)
from .values import EMPTY, NOTHING, SplitInfo, Value, merge_roles, merge_roles_strict, new_value
from .provenance import (SLOTS, COMPOSITES, TRANSFORMER_MODULES, ColumnStore, ConcatInfo, DataSummary, FitEvent,
                         ResampleEvent, SplitEvent, Statistic, StatUse, is_target_name)

ROLE_WORDS = frozenset(ROLE_TOKENS)

T = TypeVar("T")
MAX_EXPR_DEPTH = 48
ROLE_LABEL = {"test": "test", "val": "validation", "train": "training", "full": "unsplit"}


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


def _call_site(node: ast.Call, qn: str | None, name: str | None, method: str | None, recv: Value | None,
               args: list[Value], kwargs: dict[str, Value], scope: FunctionInfo | None, loops: tuple[LoopInfo, ...],
               in_no_grad: bool, stmt: ast.stmt, local: FunctionInfo | None, comprehension_ids: frozenset[int],
               guard: tuple[str, str] | None) -> CallSite:
    """``CallSite(...)`` as the walker builds one at every call: a plain function call, cheaper than a
    call of the class (which goes through its ``__init__`` slot)."""
    site = _new(CallSite)
    site.node, site.qn, site.name, site.method, site.recv, site.args = node, qn, name, method, recv, args
    site.kwargs, site.scope, site.loops, site.in_no_grad, site.stmt = kwargs, scope, loops, in_no_grad, stmt
    site.local, site.callback, site.result_id, site.item_ids = local, None, 0, ()
    site.comprehension_ids, site.guard = comprehension_ids, guard
    return site


_new = object.__new__


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
# Vocabulary

NO_GRAD_CONTEXTS = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                              "torch.autograd.grad_mode.no_grad"})
# Calls and methods that hand on their input's role unchanged (wrappers); anything unknown does
# too when exactly one role flows into it.
ROLE_NEUTRAL_BUILTINS = frozenset({"len", "print", "range", "isinstance", "type", "str", "int",
                                   "float", "bool", "round", "format", "repr", "hasattr", "getattr",
                                   "setattr", "id", "hash", "super", "open", "sum", "max", "min",
                                   "abs"})
# Methods whose result is not the receiver's data (shapes, scalars, metadata).
WRAPPER_FUNCS = frozenset({"array", "asarray", "tensor", "as_tensor", "from_numpy", "from_tensor_slices",
                           "from_tensors", "convert_to_tensor", "list", "tuple", "iter", "enumerate", "tqdm",
                           "sorted", "deepcopy", "copy", "Tensor", "FloatTensor", "LongTensor", "DMatrix"})
COMBINE_FUNCS = frozenset({"concatenate", "vstack", "hstack", "concat", "cat", "stack", "append",
                           "column_stack", "dstack", "row_stack", "zip", "chain", "merge", "join",
                           "combine_first", "union", "extend"})
METADATA_ATTRS = frozenset({"shape", "dtype", "dtypes", "device", "ndim", "columns", "index", "size",
                            "classes", "class_to_idx", "classes_", "feature_names", "n_samples"})
NON_DATA_METHODS = frozenset({"size", "dim", "numel", "item", "keys", "count", "index", "nunique",
                              "__len__", "isnull", "isna", "info", "describe", "head", "tail",
                              "value_counts", "eval", "train", "parameters", "state_dict",
                              "named_parameters", "zero_grad", "step", "backward"})

_AUG_TORCHVISION = frozenset({
    "ColorJitter", "RandAugment", "AutoAugment", "TrivialAugmentWide", "AugMix", "GaussianBlur",
    "ElasticTransform", "MixUp", "CutMix", "ScaleJitter", "Cutout",
})
_AUG_ALBUMENTATIONS = frozenset({
    "HorizontalFlip", "VerticalFlip", "Flip", "Transpose", "Rotate", "SafeRotate", "ShiftScaleRotate",
    "Affine", "Perspective", "ElasticTransform", "GridDistortion", "OpticalDistortion",
    "CoarseDropout", "Cutout", "GridDropout", "GaussNoise", "ISONoise", "MultiplicativeNoise",
    "Blur", "MotionBlur", "MedianBlur", "GaussianBlur", "GlassBlur", "ColorJitter",
    "HueSaturationValue", "RGBShift", "ChannelShuffle", "CLAHE", "Sharpen", "Emboss", "Posterize",
    "Solarize", "Equalize", "ToGray", "ToSepia", "ChannelDropout", "Downscale", "ImageCompression",
    "JpegCompression", "OneOf", "SomeOf", "PiecewiseAffine", "CropAndPad", "XYMasking",
})
_AUG_KERAS_KW = ("rotation_range", "width_shift_range", "height_shift_range", "shear_range",
                 "zoom_range", "horizontal_flip", "vertical_flip", "brightness_range",
                 "channel_shift_range")
_COMPOSE = frozenset({"Compose", "Sequential", "RandomApply", "RandomChoice", "RandomOrder",
                      "OneOf", "SomeOf", "ReplayCompose"})


def _truthy_const(node: ast.expr | None) -> bool:
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return bool(node.value)
    if isinstance(node, (ast.Tuple, ast.List)):
        return bool(node.elts)
    return True  # a variable: may well be set


def augmentation_of(qn: str | None, call: ast.Call) -> str | None:
    """Evidence that the constructor call builds a random augmentation, else None."""
    if not qn:
        return None
    cls = last_part(qn)
    p_node = next((kw.value for kw in call.keywords if kw.arg in ("p", "prob", "probability")), None)
    if isinstance(p_node, ast.Constant) and p_node.value in (0, 0.0):
        return None
    if qn.startswith("torchvision.transforms.") or qn.startswith("kornia.augmentation."):
        if cls.startswith("Random") or cls in _AUG_TORCHVISION:
            return cls
    elif qn.startswith("albumentations."):
        if cls.startswith("Random") or cls in _AUG_ALBUMENTATIONS:
            return cls
    elif qn.startswith("keras.layers.") or qn.startswith("keras.layers.experimental.preprocessing."):
        if cls.startswith("Random"):
            return cls
    elif cls == "ImageDataGenerator" and qn.startswith("keras."):
        used = [kw.arg for kw in call.keywords if kw.arg in _AUG_KERAS_KW and _truthy_const(kw.value)]
        if used:
            return f"ImageDataGenerator({used[0]}=...)"
    elif qn.startswith("tensorflow.image.random_") or qn.startswith("tensorflow.image.stateless_random_"):
        return last_part(qn)
    return None


def is_no_grad_context(qn: str | None, call: ast.expr) -> bool:
    if qn in NO_GRAD_CONTEXTS:
        return True
    if qn in ("torch.set_grad_enabled", "torch.autograd.set_grad_enabled") and isinstance(call, ast.Call):
        arg = call.args[0] if call.args else None
        return isinstance(arg, ast.Constant) and arg.value is False
    return False


def unwrap_iter(node: ast.expr) -> ast.expr:
    """``enumerate(tqdm(loader, ...))`` -> ``loader``; ``zip(a, b)`` -> ``a``."""
    for _ in range(8):
        if isinstance(node, ast.Call) and node.args and isinstance(node.func, (ast.Name, ast.Attribute)):
            fname = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if fname in ("enumerate", "tqdm", "iter", "zip", "list", "trange", "track", "progress_bar",
                         "islice", "cycle", "sorted", "reversed", "ProgressBar"):
                node = node.args[0]
                continue
        break
    return node


def root_name(node: ast.expr) -> str | None:
    """The dotted name at the base of a data expression (``self.loaders['train']`` -> self.loaders)."""
    for _ in range(16):
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        else:
            break
    return dotted(node)


# ---------------------------------------------------------------------------------------------


class ModuleFacts:
    """All facts of one module. Build with :func:`build_facts`."""

    def __init__(self, tree: ast.Module, settings: RuleSettings = DEFAULT_SETTINGS) -> None:
        self.tree = tree
        self.settings = settings
        self.imports = ImportMap()
        self.relevant = False
        self.functions: list[FunctionInfo] = []
        self.module_functions: dict[str, FunctionInfo] = {}  # the first definition of each name
        self.redefined: dict[str, list[FunctionInfo]] = {}  # names defined twice or more at module level
        self.methods: dict[tuple[str, str], FunctionInfo] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.calls: list[CallSite] = []
        self.loops: list[LoopInfo] = []
        self.stores: list[Store] = []
        # provenance of rows and statistics (see provenance.py)
        self.fit_events: list[FitEvent] = []
        self.stat_uses: list[StatUse] = []
        self.split_events: list[SplitEvent] = []
        self.resample_events: list[ResampleEvent] = []
        self.concats: dict[int, ConcatInfo] = {}  # by the id values derived from them carry
        self.predictions: dict[int, CallSite] = {}  # model outputs, by the id they carry
        self.class_attrs: dict[tuple[str, str], Value] = {}  # self.<attr> as the methods store it
        self.back_splits: dict[tuple[int, int], SplitEvent] = {}  # (concat id, scope id) -> slicing back
        self.back_pieces: dict[tuple[int, int], int] = {}  # (concat id, scope id) -> the id its parts carry
        self.fold_applications: set[tuple[int, frozenset[int]]] = set()
        self.tables: set[int] = set()  # ids of named aggregate tables (``counts = df.street.value_counts()``)
        # columns changed by statistics, and where an assignment reads one: (scope id, frame) -> (column, line)
        self.changed_columns: set[str] = set()
        self.column_reads: dict[tuple[int, str], list[tuple[str, int]]] = {}
        self.column_stores: list[ColumnStore] = []  # df["c"] = v, df.loc[:, "c"] = v (consumers.py)
        self.local_results: dict[int, CallSite] = {}  # calls of same-file functions, by call node
        self.sums: dict[int, tuple[Value, Value]] = {}  # a + b of two named values, by node
        self.ifs: list[ast.If] = []  # every if statement, in walk order
        self.aug_assignments: list[tuple[ast.AST, Value, Value, str]] = []  # (node, data, transform, how)
        self.module_env: dict[str, Value] = {}
        # names of the file's functions and classes, and every read of one: (name, reading scope, line)
        self.local_names: frozenset[str] = frozenset()
        self.references: list[tuple[str, FunctionInfo | None, int]] = []
        self._ids = count(1)
        self._derived: dict[Callable, object] = {}

    def release(self) -> None:
        """Break the reference cycles between the records (a function and its calls, loops and
        callers; a loop and its calls; derived results and the facts) once every rule has run, so
        reference counting frees the facts at once instead of the cyclic garbage collector, whose
        passes over every young object would cost about a fifth of the whole check."""
        for info in self.functions:
            info.calls, info.loops, info.callers, info.returns = [], [], [], []
            info.data = None  # its events name the function as their scope
        for loop in self.loops:
            loop.calls = []
        self._derived.clear()

    def derived(self, build: Callable[[ModuleFacts], T]) -> T:
        """A result derived from these facts by ``build(facts)``, built once and shared by every
        rule that asks: ``facts.derived(TrainingFacts)``, ``facts.derived(randomness_of)``."""
        if build not in self._derived:
            self._derived[build] = build(self)
        return self._derived[build]  # type: ignore[return-value]

    # -- queries shared by rules -----------------------------------------------------------------
    def calls_to(self, *qualnames: str) -> list[CallSite]:
        wanted = set(qualnames)
        return [c for c in self.calls if c.qn in wanted]

    def resolve_local(self, func: ast.expr, scope: FunctionInfo | None) -> FunctionInfo | None:
        """The same-file function or method a call expression names."""
        kind = type(func)
        if kind is ast.Name:
            if scope is None and func.id in self.redefined:  # the definition a top-level call runs
                before = [info for info in self.redefined[func.id] if info.node.lineno < func.lineno]
                return before[-1] if before else self.module_functions.get(func.id)
            return self.module_functions.get(func.id)
        if (kind is ast.Attribute and scope is not None and scope.class_name and type(func.value) is ast.Name
                and func.value.id in ("self", "cls")):
            return self.methods.get((scope.class_name, func.attr))
        return None

    def new_id(self) -> int:
        return next(self._ids)


# statements (and handlers, match cases) that hold blocks of statements: only these are descended
_COMPOUND = frozenset(getattr(ast, name) for name in (
    "For", "AsyncFor", "While", "If", "With", "AsyncWith", "Try", "TryStar", "Match", "ExceptHandler",
    "match_case", "FunctionDef", "AsyncFunctionDef", "ClassDef") if hasattr(ast, name))


def build_facts(tree: ast.Module, settings: RuleSettings = DEFAULT_SETTINGS) -> ModuleFacts:
    facts = ModuleFacts(tree, settings)
    defs: list[tuple[ast.AST, str | None, bool]] = []  # (def, its class, written at module level)
    stack: list[tuple[ast.AST, str | None, bool]] = [(tree, None, True)]
    # one cheap pass over statements only: imports, functions, classes
    while stack:
        node, cls, top = stack.pop()
        for child in block_children(node):
            kind = type(child)
            if kind is ast.Import or kind is ast.ImportFrom:
                facts.imports.add(child)
            elif kind not in _COMPOUND:  # a simple statement
                continue
            elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                defs.append((child, cls, top))
                stack.append((child, None, False))
            elif kind is ast.ClassDef:
                facts.classes.setdefault(child.name, child)
                stack.append((child, child.name, False))
            else:  # other blocks (if, try, with at module level stay top), except handlers, match cases
                stack.append((child, cls, top))
    if not facts.imports.uses_ml():
        return facts
    facts.relevant = True
    defs.sort(key=lambda d: (d[0].lineno, d[0].col_offset))
    top_level: dict[str, list[FunctionInfo]] = {}  # module-level definitions of each name
    for node, cls, top in defs:
        params = param_names(node)
        decorators = []
        no_grad = False
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            qn = facts.imports.qualname(target)
            decorators.append(qn or dotted(target) or "")
            no_grad = no_grad or is_no_grad_context(qn, dec)
        info = FunctionInfo(node, node.name, cls, params, decorators, no_grad)
        facts.functions.append(info)
        if cls is None:
            facts.module_functions.setdefault(node.name, info)
            if top:  # a function nested in another is no redefinition of a module-level one
                top_level.setdefault(node.name, []).append(info)
        else:
            facts.methods.setdefault((cls, node.name), info)
    facts.redefined = {name: infos for name, infos in top_level.items() if len(infos) > 1}
    facts.local_names = frozenset(facts.module_functions) | frozenset(facts.classes)
    module_walker = _ScopeWalker(facts, None, {})
    module_walker.run(tree.body)
    facts.module_env = module_walker.env
    for info in facts.functions:
        env = {p: facts_param_value(facts, p, info) for p in info.params}
        _ScopeWalker(facts, info, env).run(info.node.body)
    from .summaries import summarize  # summaries read the records built here

    summarize(facts)
    return facts


def facts_param_value(facts: ModuleFacts, param: str, info: FunctionInfo) -> Value:
    role = data_role(param) if param not in ("self", "cls") else None
    ident_id = facts.new_id()
    info.param_ids[param] = ident_id
    ident = frozenset({ident_id})
    return new_value(role=role, origin=f"parameter {param!r}" if role else "", carried=bool(role), name=param,
                     anc=ident, idents=ident, line=info.line)


class _ScopeWalker(DataFlow):
    """Walks the statements of one scope in order, evaluating every expression once."""

    def __init__(self, facts: ModuleFacts, scope: FunctionInfo | None, env: dict[str, Value]) -> None:
        self.facts = facts
        self.imports = facts.imports
        self.scope = scope
        self.env = env
        self.loops: tuple[LoopInfo, ...] = ()  # the loops around, outermost first (shared by the records)
        self.comprehension_ids: frozenset[int] = EMPTY  # variables of the comprehensions around
        self.no_grad = 1 if scope is not None and scope.no_grad else 0
        self.stmt: ast.stmt | None = None
        self.params = set(scope.params) if scope is not None else set()
        self.local_names = facts.local_names
        self.guard: tuple[str, str] | None = None  # the innermost ``if <parameter test>:`` around

    # -- statements ------------------------------------------------------------------------------
    def run(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.stmt = stmt
            walk = _STATEMENTS.get(type(stmt))
            if walk is not None:
                walk(self, stmt)

    def _definition(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        for dec in stmt.decorator_list:
            self.ev(dec)
        self.env[stmt.name] = Value(name=stmt.name, kind=f"<local>.{stmt.name}", line=stmt.lineno)

    def _assign(self, stmt: ast.Assign) -> None:
        value = self.ev(stmt.value)
        for target in stmt.targets:
            self.bind(target, value, stmt.value)

    def _ann_assign(self, stmt: ast.AnnAssign) -> None:
        if stmt.value is not None:
            self.bind(stmt.target, self.ev(stmt.value), stmt.value)

    def _aug_assign(self, stmt: ast.AugAssign) -> None:
        current = self.ev(stmt.target)
        value = self.ev(stmt.value)
        combined = self._combine([current, value], binop=True)  # X -= X.mean(0) normalises X
        self.bind(stmt.target, combined, stmt.value)

    def _while(self, stmt: ast.While) -> None:
        self.ev(stmt.test)
        self._loop(stmt, None, None, stmt.body)
        self.run(stmt.orelse)

    def _with(self, stmt: ast.With | ast.AsyncWith) -> None:
        entered = 0
        for item in stmt.items:
            ctx = item.context_expr
            value = self.ev(ctx)
            func = ctx.func if isinstance(ctx, ast.Call) else ctx
            if is_no_grad_context(self.imports.qualname(func), ctx):
                entered += 1
            if item.optional_vars is not None:
                self.bind(item.optional_vars, value, ctx)
        self.no_grad += entered
        self.run(stmt.body)
        self.no_grad -= entered

    def _try(self, stmt: ast.Try) -> None:
        self.run(stmt.body)
        for handler in stmt.handlers:
            self.run(handler.body)
        self.run(stmt.orelse)
        self.run(stmt.finalbody)

    def _return(self, stmt: ast.Return) -> None:
        if stmt.value is not None:
            value = self.ev(stmt.value)
            if self.scope is not None:
                self.scope.returns.append(value)
            if value.applied is not None:  # return frame.fillna(frame.median())
                self.note_use(value, value, value.name, None, value.idents)

    def _expression(self, stmt: ast.Expr) -> None:
        self.ev(stmt.value)

    def _match(self, stmt: ast.stmt) -> None:
        self.ev(stmt.subject)  # type: ignore[attr-defined]
        for case in stmt.cases:  # type: ignore[attr-defined]
            self.run(case.body)

    def _expressions(self, stmt: ast.Delete | ast.Assert | ast.Raise) -> None:
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self.ev(child)
        if isinstance(stmt, ast.Delete) and self.facts.stat_uses:  # del df["age_band"]
            for target in stmt.targets:
                self.deleted_column(target)

    def _if(self, stmt: ast.If) -> None:
        """An if statement and its elif chain, in a loop (a chain of thousands of elifs nests as deep)."""
        while True:
            self.facts.ifs.append(stmt)
            self.ev(stmt.test)
            outer = self.guard
            if self.scope is not None:  # if type_ == 0: ... data events under a guard on a parameter
                self.guard = _guard_of(stmt.test, self.params, stmt.body) or outer
            self.run(stmt.body)
            self.guard = outer
            orelse = stmt.orelse
            if len(orelse) != 1 or type(orelse[0]) is not ast.If:
                self.run(orelse)
                return
            stmt = self.stmt = orelse[0]

    def _for(self, stmt: ast.For | ast.AsyncFor) -> None:
        it = self.ev(stmt.iter)
        inner = unwrap_iter(stmt.iter)
        if it.split is None and it.kind:  # for tr, te in kf: an old iterable KFold(n, n_folds=5)
            it = self.iterated_splitter(it, inner)
        elif it.split is None and inner is not stmt.iter and isinstance(inner, ast.Name):
            splitter = self.env.get(inner.id)  # for i, (tr, te) in enumerate(kf)
            if splitter is not None and splitter.kind:
                it = self.iterated_splitter(splitter, inner)
        self._bind_loop_target(stmt.target, stmt.iter, it)
        self._loop(stmt, it, root_name(inner), stmt.body, _target_ids(stmt.target, self.env))
        self.run(stmt.orelse)

    def _bind_loop_target(self, target: ast.expr, iter_node: ast.expr, it: Value) -> None:
        # for i, (x, y) in enumerate(loader): the counter gets nothing, the rest the element
        if (isinstance(iter_node, ast.Call) and isinstance(iter_node.func, ast.Name)
                and iter_node.func.id == "enumerate" and isinstance(target, ast.Tuple)
                and len(target.elts) == 2 and iter_node.args):
            self.bind(target.elts[0], NOTHING, iter_node)
            target = target.elts[1]  # enumerate(x) carries x's role
        if it.split is None and it.anc and not it.element and isinstance(target, (ast.Name, ast.Tuple, ast.List)) \
                and not _columns(iter_node):
            it = it.copy_with(element=True)  # for row in rows / for i, row in df.iterrows(): one sample
        self.bind(target, _counted(it, iter_node), iter_node)

    def _loop(self, stmt: ast.stmt, it: Value | None, iter_root: str | None, body: list[ast.stmt],
              target_ids: frozenset[int] = EMPTY) -> None:
        loop = LoopInfo(stmt, self.scope, self.loops[-1] if self.loops else None, it, iter_root,
                        self.no_grad > 0, target_ids=target_ids)
        self.facts.loops.append(loop)
        if self.scope is not None:
            self.scope.loops.append(loop)
        outer = self.loops
        self.loops = (*outer, loop)
        self.run(body)
        self.loops = outer

    # -- binding ---------------------------------------------------------------------------------
    def bind(self, target: ast.expr, value: Value, value_node: ast.expr) -> None:
        kind = type(target)
        if kind is ast.Name:  # most targets
            if type(self.stmt) is ast.Assign:
                value = self.slice_back(value_node, value)
            old = self.env.get(target.id)
            named = self._named(target.id, value, target.lineno, node=value_node)
            self.env[target.id] = named
            if value.anc and self.aggregate(value_node, value):
                self.facts.tables.update(named.idents)
            if value.applied is not None:
                self.note_use(value, value if old is None or value.name != target.id else old,
                              value.name or target.id, None, named.idents)
        elif kind is ast.Tuple or kind is ast.List:
            self._bind_tuple(target, value, value_node)
        elif kind is ast.Attribute:
            self._bind_attribute(target, value, value_node)
        elif kind is ast.Subscript:
            self.ev(target.slice)
            key = target.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                owner = self.imports.qualname(target.value) or dotted(target.value)
                if owner:
                    self.facts.stores.append(Store(f"{owner}[{key.value!r}]", value_node, value,
                                                   self.stmt, self.scope, self.loops))
            self.update_frame(target, value)
        elif kind is ast.Starred:
            self.bind(target.value, value, value_node)

    def _bind_attribute(self, target: ast.Attribute, value: Value, value_node: ast.expr) -> None:
        qn, spelled = self.imports.qualname_and_dotted(target)
        self.facts.stores.append(Store(qn or spelled or "", value_node, value, self.stmt,
                                       self.scope, self.loops))
        if value.applied is not None and isinstance(target.value, ast.Name) and target.value.id != "self":
            self.update_frame(target, value)  # df.age = df.age.fillna(df.age.mean())
        elif spelled:
            old = self.env.get(spelled)
            named = self._named(target.attr, value, target.lineno, spelled, node=value_node)
            self.env[spelled] = named
            self.store_class_attr(target, named)
            if value.applied is not None:  # self.data = self.data.fillna(self.data.median())
                self.note_use(value, value if old is None or value.name != spelled else old, spelled, None,
                              named.idents)
        if target.attr == "transform" and value.aug:
            owner = self.ev(target.value)
            self.facts.aug_assignments.append((self.stmt, owner, value, "assigned as its transform"))

    def _cells_of_concat(self, anc: frozenset[int], frame: frozenset[int]) -> frozenset[int]:
        """``df["k"] = full["k"]``: a named column taken from a concatenation made earlier; the frame's
        rows are still its own, not rows of the concatenation to be split back (``data["all"] =
        pd.concat(...)`` stores the concatenation itself; ``frames[key] = part`` may be a dict entry)."""
        stmt = self.stmt
        return frozenset(i for i in anc if i not in self.facts.concats or i in frame
                         or stmt.lineno <= self.facts.concats[i].node.lineno <= (stmt.end_lineno or stmt.lineno))

    def update_frame(self, target: ast.expr, value: Value) -> None:
        """``df[c] = v``, ``df.loc[m, c] = v``, ``df.c.fillna(v, inplace=True)``: the frame (or array)
        at the root of ``target`` now holds ``v`` in some of its cells."""
        root, column = _frame_root(target)
        spelled = dotted(root) if root is not None else None
        if spelled is None or "()" in spelled:
            return
        old = self.ev(root)
        new_id = self.facts.new_id()
        added = value.anc
        if column is not None and self.facts.concats and not added.isdisjoint(self.facts.concats):
            added = self._cells_of_concat(added, old.anc)
        merged = new_value(role=old.role, origin=old.origin, carried=old.carried, kind=old.kind,
                           call=old.call, anc=old.anc | added | {new_id},
                           idents=frozenset({new_id}), name=spelled, element=old.element, line=target.lineno)
        if old.idents and old.idents <= self.facts.tables:
            self.facts.tables.add(new_id)
        self.env[spelled] = merged
        self.store_class_attr(root, merged)
        if column is not None and value.anc:
            store = ColumnStore(spelled, column, value.anc, old.anc, self.scope, target.lineno)
            self.facts.column_stores.append(store)
        if value.applied is None and value.stat is not None and not value.stat.code \
                and value.stat.source.idents & old.anc:
            # df.loc[df.age.isnull(), "age"] = df.age.mean(): imputed with a statistic of itself;
            # df["fare_mean"] = df.groupby(k)["fare"].transform("mean"): a column derived from one
            masked = isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute)
            # not an array cell (x[i, j] = x.max() marks a position), nor a table of per-group values put
            # beside its keys (users["mean_gap"] = orders.groupby("user")["gap"].mean(): a feature per user)
            if masked or column is not None and not value.stat.per_group:
                value = Value(applied=replace(value.stat, how="imputed" if masked else "derived"))
        if value.applied is not None and not is_target_name(column):
            self.note_use(value, old, spelled, column, merged.idents)

    def _named(self, name: str, value: Value, line: int, spelled: str | None = None,
               node: ast.expr | None = None) -> Value:
        """The value a name holds after ``name = value``: the role precedence of the catalog. A name
        refines a role that comes from a source (a split slot, ``ds["test"]``, a constructor flag)
        but never turns test or validation data into training data, nor data a source calls
        validation (``subset="validation"``, ``pool[:n_val]``; not a split slot's default) into test
        data; the role of data that already has a name is kept whatever the new name says."""
        token = self.name_role(name, value, node)
        role, origin = value.role, value.origin
        if token and token != role and (role is None or not value.carried and not (
                token == "train" and role in ("test", "val")
                or token == "test" and role == "val" and value.piece_of is None)):
            role, origin = token, f"name {spelled or name!r}"
        ident = frozenset({self.facts.new_id()})
        return value.bound(role, origin, value.anc | ident, ident, spelled or name, line,
                           (value.copy_of or value.idents) if type(node) is ast.Name else EMPTY)

    def _bind_tuple(self, target: ast.Tuple | ast.List, value: Value, value_node: ast.expr) -> None:
        elts = target.elts
        if value.split is not None:
            self._bind_split(elts, value.split, value_node)
            return
        nodes = (value_node.elts if isinstance(value_node, (ast.Tuple, ast.List))
                 and len(value_node.elts) == len(elts) else [value_node] * len(elts))
        if value.items is not None and len(value.items) == len(elts):
            for elt, item, node in zip(elts, value.items, nodes):
                self.bind(elt, item, node)
            return
        site = self.facts.local_results.get(id(value_node))
        for index, elt in enumerate(elts):
            anc = value.anc
            if site is not None:  # a, b = helper(x, y): each part carries its own id (summaries.py)
                item = self.facts.new_id()
                site.item_ids += (item,)  # a tuple: most calls have none, and share the empty one
                anc = anc | {item}
            self.bind(elt, new_value(role=value.role, origin=value.origin, carried=bool(value.role),
                                     anc=anc, element=value.element, pred=value.pred, line=value.line), value_node)

    def _bind_split(self, elts: list[ast.expr], split: SplitInfo, value_node: ast.expr) -> None:
        """The parts of a split, by position: ``X_tr, X_te, y_tr, y_te = train_test_split(X, y)``."""
        event = split.event
        folds = event is not None and event.kind == "folds"
        if folds and len(elts) == 2 and isinstance(elts[1], ast.Name) and elts[1].id == "_":
            # for idx, _ in ShuffleSplit(n_splits=steps, train_size=batch).split(X): the held-out part is
            # thrown away; the splitter only samples mini-batches
            self.facts.split_events.remove(event)
            for elt in elts:
                self.bind(elt, Value(anc=split.anc, line=split.line), value_node)
            return
        anc = split.anc | {event.piece_id} if event is not None else split.anc
        where = line_ref(split.line, split.func.rsplit(".", 1)[-1])
        for elt, role in zip(elts, split_roles(split, len(elts))):
            label = ROLE_LABEL.get(role or "", "")
            piece = Value(role=role, origin=f"{label} split of {split.func} at {where}" if role else "",
                          carried=folds and bool(role),  # fold indices are validation data whatever their name
                          anc=anc, is_index=folds or _index_name(elt), piece_of=event, line=split.line)
            if isinstance(elt, (ast.Tuple, ast.List)):  # (x_train, y_train), (x_test, y_test)
                for sub in elt.elts:
                    self.bind(sub, piece, value_node)
            else:
                self.bind(elt, piece, value_node)

    # -- expressions -----------------------------------------------------------------------------
    def ev(self, node: ast.expr | None, depth: int = 0) -> Value:
        if node is None or depth > MAX_EXPR_DEPTH:
            return NOTHING
        depth += 1
        kind = type(node)
        if kind is ast.Constant:
            return NOTHING
        if kind is ast.Name:
            return self._name(node)
        if kind is ast.Call:
            return self._call(node, depth)
        if kind is ast.Attribute:
            return self._attribute(node, depth)
        if kind is ast.Subscript:
            return self._subscript(node, depth)
        if kind is ast.Tuple or kind is ast.List or kind is ast.Set:
            parts = [self.ev(e, depth) for e in node.elts]
            merged = self._combine(parts, strict=True)
            merged.items = tuple(parts)
            return merged
        if kind is ast.BinOp:
            left = self.ev(node.left, depth)
            right = self.ev(node.right, depth)
            code = _sentinel(node, left, right)
            if code is not None:  # df[c].max() + 1: a code no value has; filling with it is not imputing
                return Value(stat=code, anc=left.anc | right.anc, idents=left.idents | right.idents)
            if type(node.op) is ast.Add and left.idents and right.idents and left.stat is None \
                    and right.stat is None:  # train_text + test_text: maybe two lists put together
                self.facts.sums[id(node)] = (left, right)
            return self._combine([left, right], binop=True, strict=isinstance(node.op, ast.Add))
        if kind is ast.Starred:
            return self.ev(node.value, depth)
        if kind is ast.ListComp or kind is ast.SetComp or kind is ast.GeneratorExp or kind is ast.DictComp:
            outer = self.comprehension_ids
            for gen in node.generators:
                it = self.ev(gen.iter, depth)
                it = it.copy_with(element=True) if it.anc and it.split is None else it
                self.bind(gen.target, _counted(it, gen.iter), gen.iter)
                self.comprehension_ids |= _target_ids(gen.target, self.env)
                for cond in gen.ifs:
                    self.ev(cond, depth)
            if kind is ast.DictComp:
                self.ev(node.key, depth)
                result = self.ev(node.value, depth)
            else:
                result = self.ev(node.elt, depth)
            self.comprehension_ids = outer
            return result
        if kind is ast.Lambda:
            return NOTHING
        if kind is ast.NamedExpr:
            value = self.ev(node.value, depth)
            self.bind(node.target, value, node.value)
            return value
        if kind is ast.Compare:
            return self._combine([self.ev(node.left, depth), *(self.ev(c, depth) for c in node.comparators)])
        if kind is ast.BoolOp:
            return self._combine([self.ev(v, depth) for v in node.values])
        if kind is ast.UnaryOp:
            return self.ev(node.operand, depth)
        if kind is ast.JoinedStr:  # f"...{loss:.3f}": the values are evaluated, the string is not data
            for part in node.values:
                if type(part) is ast.FormattedValue:
                    self.ev(part.value, depth)
            return NOTHING
        if kind is ast.Dict:
            for key in node.keys:
                self.ev(key, depth)
            return self._combine([self.ev(v, depth) for v in node.values])
        if kind is ast.IfExp:
            self.ev(node.test, depth)
            return self._combine([self.ev(node.body, depth), self.ev(node.orelse, depth)])
        if kind is ast.Slice:
            return self._combine([self.ev(node.lower, depth), self.ev(node.upper, depth), self.ev(node.step, depth)])
        parts = [self.ev(child, depth) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
        return self._combine(parts)

    def _name(self, node: ast.Name) -> Value:
        if node.id in self.local_names:
            self.facts.references.append((node.id, self.scope, node.lineno))
        value = self.env.get(node.id)
        if value is None:
            value = self.facts.module_env.get(node.id) if self.scope is not None else None
        if value is None:
            if node.id in self.imports.aliases:
                return NOTHING  # a module, function or class imported here: not data
            role = self.name_role(node.id, None, None)
            ident = frozenset({self.facts.new_id()})
            value = Value(role=role, origin=f"name {node.id!r}" if role else "", carried=bool(role), name=node.id,
                          anc=ident, idents=ident, line=node.lineno)
            self.env[node.id] = value
        return value

    def _attribute(self, node: ast.Attribute, depth: int) -> Value:
        spelled = dotted(node)
        if spelled and spelled in self.env:
            return self.env[spelled]
        shared = self.class_attr(node)
        if shared is not None:
            return shared
        base = self.ev(node.value, depth)
        if node.attr in self.facts.changed_columns and not isinstance(self.stmt, ast.Expr):
            self.read_columns(node.value, ast.Constant(node.attr))  # x = df.band
        if node.attr in METADATA_ATTRS:
            return new_value(anc=base.anc, line=node.lineno)
        part = ROLE_TOKENS.get(node.attr) if base.role and base.origin.startswith("name ") else None
        if part and part != base.role:  # env_test.train: the training part of something named test
            return Value(role=part, origin=f"name {spelled or node.attr!r}", carried=True, name=spelled,
                         anc=base.anc, idents=base.idents, line=node.lineno)
        if node.attr in _INDEXERS and base.name:
            spelled = base.name  # X.loc[rows]: rows of X, named as X
        if base.role:
            return Value(role=base.role, origin=base.origin, carried=base.carried, anc=base.anc,
                         idents=base.idents, stat=base.stat, name=spelled or base.name, line=base.line)
        role = self.name_role(node.attr, None, None) if base.anc else None
        if role:
            return Value(role=role, origin=f"name {spelled or node.attr!r}", carried=True, name=spelled,
                         anc=base.anc, idents=base.idents, line=node.lineno)
        return new_value(anc=base.anc, idents=base.idents, stat=base.stat, name=spelled or base.name, pred=base.pred,
                         line=node.lineno)

    def _subscript(self, node: ast.Subscript, depth: int) -> Value:
        base = self.ev(node.value, depth)
        index = self.ev(node.slice, depth)
        key = node.slice
        if self.facts.changed_columns and not isinstance(self.stmt, ast.Expr):
            self.read_columns(node.value, key)
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            role = key_role(key.value)
            if role:
                where = dotted(node.value) or "data"
                return Value(role=role, origin=f"{where}[{key.value!r}]", anc=base.anc,
                             idents=base.idents, kind=base.kind, name=f"{where}[{key.value!r}]", line=node.lineno)
        if index.is_index and index.role and (index.carried or not base.role):
            # rows picked by split indices: fold rows are validation data whatever their name; rows of a
            # holdout of indices are like a split position (a name the user gives refines them)
            rows = self.fold_rows(node, base, index)
            return Value(role=index.role, origin=index.origin, carried=index.carried,
                         anc=base.anc | index.anc | rows, idents=base.idents, kind=base.kind,
                         name=base.name, line=node.lineno)
        # a slice is a manual split (val = pool[:n]): like a split position, a name may refine it
        manual_split = isinstance(key, ast.Slice)
        counted = _validation_count(key) if manual_split and base.role in (None, "full", "train") else None
        if counted:  # pool[:n_val]: the rows counted as the validation part are a validation source
            return Value(role="val", origin=f"rows [:{counted}]", kind=base.kind, anc=base.anc, idents=base.idents,
                         name=base.name, line=node.lineno)
        return new_value(role=base.role, origin=base.origin, carried=base.carried and not manual_split,
                         kind=base.kind, call=base.call, aug=base.aug, anc=base.anc, idents=base.idents,
                         stat=base.stat, applied=base.applied, name=base.name,
                         element=base.element or (index.position and isinstance(key, ast.Name)),  # band[i]: one row
                         pred=base.pred, line=node.lineno)

    def _combine(self, parts: list[Value], binop: bool = False, strict: bool = False) -> Value:
        """Merge operands. ``strict`` (concatenation, displays): a role survives only when every
        named operand carries it — ``[data, test]`` is not test data. With ``binop``, data combined
        with a statistic is normalised by it (``(X - mu) / sd``)."""
        anc, idents = _union(parts)
        stat = applied = None
        data = []
        data_anc = element = some_pred = False
        all_pred = True  # every operand with ancestry is a prediction
        for p in parts:
            if p.stat is not None:
                stat = stat or p.stat
                continue
            data.append(p)
            applied = applied or p.applied
            element = element or p.element
            some_pred = some_pred or p.pred
            if p.anc:
                data_anc = True
                all_pred = all_pred and p.pred
        if stat is not None and not data_anc:
            return Value(stat=stat, anc=anc, idents=idents)  # statistics only (mu / 2, hi - lo)
        if binop and stat is not None and applied is None:
            applied = stat
        merged = merge_roles_strict(data) if strict else merge_roles(data)
        value = new_value(anc=anc, idents=idents, applied=applied, pred=some_pred and all_pred, element=element)
        if merged is not None:
            value.take_role(merged)
        return value

    def _call(self, node: ast.Call, depth: int) -> Value:
        func = node.func
        qn, spelled = self.imports.qualname_and_dotted(func)
        if type(func) is ast.Attribute:
            method: str | None = func.attr
            recv: Value | None = self.ev(func.value, depth)
        else:
            method = recv = None
            if type(func) is not ast.Name:
                self.ev(func, depth)  # torch.compile(m)(x), handlers[key](x)
        args = [self.ev(a, depth) for a in node.args] if node.args else []  # a call without is common
        kwargs = {}
        inplace = False
        for kw in node.keywords:
            value = self.ev(kw.value, depth)
            if kw.arg:
                kwargs[kw.arg] = value
                inplace = inplace or (kw.arg == "inplace" and isinstance(kw.value, ast.Constant)
                                      and kw.value.value is True)
        site = _call_site(node, qn, spelled, method, recv, args, kwargs, self.scope, self.loops, self.no_grad > 0,
                          self.stmt, self.facts.resolve_local(func, self.scope), self.comprehension_ids, self.guard)
        if site.local is not None and self.facts.concats:  # helper(full.loc[full.is_test == 0]): rows taken back
            for i, arg_node in enumerate(node.args[:len(args)]):
                args[i] = self.slice_back(arg_node, args[i], register=False)
        if qn is None:
            site.callback, _ = self.callback(node, method)
        if site.local is not None or site.callback is not None:
            site.result_id = self.facts.new_id()
            self.facts.local_results[id(node)] = site
        self.facts.calls.append(site)
        if self.scope is not None:
            self.scope.calls.append(site)
        for loop in self.loops:
            loop.calls.append(site)
        result = self._call_result(site, node, qn, method, recv, args, kwargs)
        if method in ("drop", "pop") and recv is not None and self.facts.stat_uses:
            self.drop_columns(node, inplace)
        if inplace and recv is not None:  # df.fillna(df.mean(), inplace=True) changes df
            self.update_frame(func.value, result)
            return NOTHING
        return result

    def _call_result(self, site: CallSite, node: ast.Call, qn: str | None, method: str | None,
                     recv: Value | None, args: list[Value], kwargs: dict[str, Value]) -> Value:
        all_anc, all_idents = _union(args, recv.anc if recv is not None else EMPTY,
                                     recv.idents if recv is not None else EMPTY)
        if kwargs:
            all_anc, all_idents = _union(kwargs.values(), all_anc, all_idents)
        if site.result_id:
            all_anc |= {site.result_id}
        found = None
        if method in DATAFLOW_METHODS or (qn is not None and last_part(qn) in DATAFLOW_FUNCS):
            found = (self.split_call(node, qn, method, recv, args, kwargs, all_anc)
                     or self.statistic_call(node, qn, method, recv, args, kwargs, all_anc, all_idents)
                     or self.resample_call(site, node, qn, method, recv, args, all_anc, all_idents))
        if found is None:
            found = self._constructed(site, node, qn, method, recv, args, kwargs, all_anc, all_idents)
        if found is not None:
            return found
        if method in PREDICT_METHODS and qn is None:
            return self.prediction(site, all_anc, all_idents)
        result = self._flow(site, node, qn, method, recv, args, kwargs, all_anc, all_idents)
        if reads_file(qn, node):  # GetData(folder) reads its frames from the path: they are not the path
            fresh = frozenset({self.facts.new_id()})
            return result.copy_with(anc=fresh, idents=fresh)
        return result

    def _constructed(self, site: CallSite, node: ast.Call, qn: str | None, method: str | None, recv: Value | None,
                     args: list[Value], kwargs: dict[str, Value], all_anc: frozenset[int],
                     all_idents: frozenset[int]) -> Value | None:
        """Objects built by constructors: data sets (and their roles), transforms (and their
        augmentation), Pipelines (and their stateful step)."""
        cls = last_part(qn)
        line = node.lineno
        if method and recv is not None and recv.aug and method in ("flow", "flow_from_directory",
                                                                   "flow_from_dataframe"):
            source = dataset_role(node)
            data = merge_roles(args[:1])
            role_v = (Value(role=source[0], origin=f"{source[1]} at {line_ref(line)}") if source
                      else data)
            result = Value(kind=f"{recv.kind}.{method}", anc=all_anc, aug=recv.aug, line=line)
            stmt = self.stmt
            if isinstance(stmt, ast.Assign) and stmt.value is node and len(stmt.targets) == 1:
                result.name = dotted(stmt.targets[0])
            if role_v is not None and role_v.role:
                result.role, result.origin, result.carried = role_v.role, role_v.origin, role_v.carried
            self.facts.aug_assignments.append((node, result, recv, f"generated by {method}()"))
            return result
        local_class = isinstance(node.func, ast.Name) and node.func.id in self.facts.classes
        source = dataset_role(node) if node.keywords or node.args else None
        if source or local_class or (qn and (cls[:1].isupper() or cls in COMPOSITES
                                             or qn.startswith("datasets.load_dataset"))):
            kind = qn or (f"<local>.{node.func.id}" if local_class else None)
            # a transformer's settings (TfidfVectorizer(vocabulary=words)) are not data it holds: what it
            # outputs derives from what it is fitted on and applied to
            settings_only = qn is not None and qn.startswith(TRANSFORMER_MODULES) and cls not in COMPOSITES
            value = new_value(kind=kind, call=node, anc=EMPTY if settings_only else all_anc, idents=all_idents,
                              line=line, element=bool(args) and args[0].element)  # pd.Series(band[i]): one sample
            aug = augmentation_of(qn, node)
            if aug:
                value.aug = f"{aug} at {line_ref(line)}"
            elif cls in _COMPOSE or cls == "Lambda":
                inner = merge_aug(args)
                if inner:
                    value.aug = inner
            if cls in COMPOSITES and qn.startswith("sklearn."):
                value.steps = stateful_step([*args, *kwargs.values()])
            if source:
                value.role, value.origin = source[0], f"{source[1]} at {line_ref(line)}"
            else:
                carried = merge_roles(args[:2] if cls == "Subset" else
                                      args[:1] + [kwargs[k] for k in ("dataset", "x", "data") if k in kwargs])
                if carried is not None:
                    value.take_role(carried)
            return value
        if site.local is not None and site.local.returns:
            aug = merge_aug(site.local.returns)
            if aug:
                return Value(aug=aug, anc=all_anc, line=line)
        return None

    def _flow(self, site: CallSite, node: ast.Call, qn: str | None, method: str | None, recv: Value | None,
              args: list[Value], kwargs: dict[str, Value], all_anc: frozenset[int],
              all_idents: frozenset[int]) -> Value:
        """Roles through wrappers and methods: ``DataLoader(x)``, ``np.array(x)``, ``x.to(device)``."""
        line = node.lineno
        kind = None
        if recv is not None and method in _DEVICE_MOVES:
            kind = recv.kind
            if recv.role:  # x.to(device): the receiver's data, whatever the device is called
                result = Value(kind=kind, anc=all_anc, idents=all_idents, line=line)
                result.take_role(recv)
                return result
        stat = _only_statistic(args) if args else None
        if stat is not None:  # float(X.mean()), np.sqrt(X.var())
            return Value(stat=stat, anc=all_anc, line=line)
        if method in NON_DATA_METHODS or (type(node.func) is ast.Name and node.func.id in ROLE_NEUTRAL_BUILTINS):
            return new_value(anc=all_anc, line=line)
        result = new_value(kind=kind, anc=all_anc, idents=all_idents, line=line)
        data_args = args + list(kwargs.values()) if kwargs else args
        for a in data_args:
            if a.pred:
                result.pred = all(b.pred for b in data_args if b.anc and b.stat is None)
                break
        # one sample stays one sample through what is done to it (row.values, np.array(band))
        result.element = recv.element if recv is not None and recv.anc else bool(args) and args[0].element
        fname = method or (node.func.id if isinstance(node.func, ast.Name) else last_part(qn))
        if fname in WRAPPER_FUNCS:  # np.array(x), torch.tensor(x), tqdm(x): the first argument's role
            merged = merge_roles(args[:1])
            if args and args[0].split is not None:  # enumerate(kf.split(X)), list(kf.split(X))
                return Value(split=args[0].split, anc=all_anc, line=line)
        elif fname in COMBINE_FUNCS and args:  # np.concatenate([a, b]), pd.concat([a, b]), a.append(b)
            parts = list(args[0].items or args[:1]) + args[1:]
            if method and qn is None and recv is not None and recv.idents:
                parts.insert(0, recv)
            merged = merge_roles_strict(parts)
            concat = self.concatenation(node, fname, method, parts)
            if concat is not None:
                result.anc = all_anc | {concat}
        elif site.local is not None and kwargs:  # to a same-file function, keywords without a role are
            merged = merge_roles_strict(args + [v for v in kwargs.values() if v.role])  # settings (size=IMG_SIZE)
        else:
            merged = merge_roles_strict(data_args)
        if merged is None and method and recv is not None and recv.role and method not in NON_DATA_METHODS \
                and not any(a.role for a in data_args):
            merged = recv  # X_test.reshape(...), test_ds.map(f): the receiver's data
        if merged is not None:
            result.take_role(merged)
            if merged is recv:
                result.kind, result.aug = recv.kind, recv.aug
        return result


# how the walker walks each kind of statement (others bind and evaluate nothing: pass, import, global)
_STATEMENTS: dict[type, Callable[[_ScopeWalker, Any], None]] = {
    ast.Assign: _ScopeWalker._assign, ast.Expr: _ScopeWalker._expression, ast.If: _ScopeWalker._if,
    ast.Return: _ScopeWalker._return, ast.For: _ScopeWalker._for, ast.AsyncFor: _ScopeWalker._for,
    ast.FunctionDef: _ScopeWalker._definition, ast.AsyncFunctionDef: _ScopeWalker._definition,
    ast.ClassDef: _ScopeWalker._definition, ast.AnnAssign: _ScopeWalker._ann_assign,
    ast.AugAssign: _ScopeWalker._aug_assign, ast.While: _ScopeWalker._while, ast.With: _ScopeWalker._with,
    ast.AsyncWith: _ScopeWalker._with, ast.Try: _ScopeWalker._try, ast.Delete: _ScopeWalker._expressions,
    ast.Assert: _ScopeWalker._expressions, ast.Raise: _ScopeWalker._expressions,
}
if hasattr(ast, "TryStar"):  # Python 3.11+
    _STATEMENTS[ast.TryStar] = _ScopeWalker._try
if hasattr(ast, "Match"):  # Python 3.10+
    _STATEMENTS[ast.Match] = _ScopeWalker._match


_DEVICE_MOVES = frozenset({"to", "cuda", "cpu", "float", "double", "half"})


def _only_statistic(args: list[Value]):
    """The first statistic among the arguments when every argument with ancestry is one, else None."""
    first = None
    for a in args:
        if a.stat is not None:
            if first is None:
                first = a.stat
        elif a.anc:
            return None
    return first


def _union(values: Iterable[Value], anc: frozenset[int] = EMPTY,
           idents: frozenset[int] = EMPTY) -> tuple[frozenset[int], frozenset[int]]:
    """The ancestry and identities of several values together (with ``anc``, ``idents``); a set that
    adds nothing is not copied."""
    for v in values:
        if v.anc:
            anc = anc | v.anc if anc else v.anc
        if v.idents:
            idents = idents | v.idents if idents else v.idents
    return anc, idents


def _columns(iter_node: ast.expr) -> bool:
    """``df.items()``, ``df.iteritems()``: a loop over whole columns, not over samples."""
    return isinstance(iter_node, ast.Call) and isinstance(iter_node.func, ast.Attribute) \
        and iter_node.func.attr in ("items", "iteritems") and not iter_node.args


def _counted(it: Value, iter_node: ast.expr) -> Value:
    """The value a loop variable gets: a counter when the loop runs over ``range(...)``."""
    if isinstance(iter_node, ast.Call) and isinstance(iter_node.func, ast.Name) and iter_node.func.id == "range":
        return it.copy_with(position=True)
    return it


_EXTREMES = frozenset({"max", "min", "amax", "amin", "nanmax", "nanmin"})


def _sentinel(node: ast.BinOp, left: Value, right: Value) -> Statistic | None:
    """``feat_max + 1``, ``df.min() - 1``: the maximum or minimum moved by a constant is a code outside
    the data that marks missing values (the same for every split); filling with it is not imputing."""
    if not isinstance(node.op, (ast.Add, ast.Sub)):
        return None
    for stat_side, other in ((left, node.right), (right, node.left)):
        if stat_side.stat is not None and stat_side.stat.what in _EXTREMES and isinstance(other, ast.Constant) \
                and isinstance(other.value, (int, float)) and not isinstance(other.value, bool):
            return replace(stat_side.stat, code=True)
    return None


def _target_ids(target: ast.expr, env: dict[str, Value]) -> frozenset[int]:
    """The identities a loop's target names hold once bound (``for k, (a, b) in ...``)."""
    ids: frozenset[int] = EMPTY
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id in env:
            ids |= env[node.id].idents
        elif isinstance(node, (ast.Tuple, ast.List)):
            stack.extend(node.elts)
    return ids


_INDEXERS = frozenset({"loc", "iloc", "ix", "at", "iat"})


def _frame_root(target: ast.expr) -> tuple[ast.expr | None, str | None]:
    """``df["age"]`` -> (df, "age"); ``df.loc[m, "age"]`` -> (df, "age"); ``self.df.age`` -> (self.df,
    "age"); ``X[:, 0]`` -> (X, None)."""
    column = None
    node = target
    for _ in range(8):
        if isinstance(node, ast.Subscript):
            key = node.slice
            last = key.elts[-1] if isinstance(key, ast.Tuple) and key.elts else key
            if column is None and isinstance(last, ast.Constant) and isinstance(last.value, str):
                column = last.value
            node = node.value
        elif isinstance(node, ast.Attribute) and node.attr in ("loc", "iloc", "at", "iat", "ix", "values", "str"):
            node = node.value
        else:
            break
    if node is target and isinstance(node, ast.Attribute) and not isinstance(node.value, ast.Call):
        return node.value, node.attr  # df.age (a column by attribute)
    if isinstance(node, (ast.Name, ast.Attribute)):
        return node, column
    return None, column


def merge_aug(values: list[Value]) -> str | None:
    for v in values:
        if v.aug:
            return v.aug
        if v.items:
            found = merge_aug(list(v.items))
            if found:
                return found
    return None


_FOLDER_DATASETS = frozenset({"ImageFolder", "DatasetFolder", "flow_from_directory", "image_dataset_from_directory",
                              "text_dataset_from_directory", "audio_dataset_from_directory", "ImageDataset",
                              "load_files"})


def dataset_role(call: ast.Call) -> tuple[str, str] | None:
    """Role given by a dataset constructor: ``train=False``, ``split="test"``, a folder path."""
    func = call.func
    short = func.attr if type(func) is ast.Attribute else func.id if type(func) is ast.Name else "dataset"
    if not call.keywords and short not in _FOLDER_DATASETS:  # most calls (asked of every call with arguments)
        return None
    for kw in call.keywords:
        val = kw.value
        if kw.arg in ("train", "is_train", "is_training") and isinstance(val, ast.Constant) \
                and isinstance(val.value, bool):
            return ("train", f"{short}({kw.arg}=True)") if val.value else ("test", f"{short}({kw.arg}=False)")
        if kw.arg in ("split", "subset", "image_set", "mode", "phase") and isinstance(val, ast.Constant) \
                and isinstance(val.value, str):
            role = _split_string_role(val.value)
            if role:
                return role, f"{short}({kw.arg}={val.value!r})"
    if short in _FOLDER_DATASETS:
        paths = call.args[:1] + [kw.value for kw in call.keywords if kw.arg in ("root", "directory")]
        for path in paths:
            role = _path_role(path)
            if role:
                return role, f"{short}() of a {role!r} folder"
    return None


def _validation_count(key: ast.Slice) -> str | None:
    """The count named as validation size that bounds ``pool[:n_val]`` or ``pool[-n_val:]``."""
    bound = key.upper if key.lower is None else None
    if key.upper is None and isinstance(key.lower, ast.UnaryOp) and isinstance(key.lower.op, ast.USub):
        bound = key.lower.operand
    name = dotted(bound) if bound is not None and key.step is None else None
    return name if name and role_from_name(name.rsplit(".", 1)[-1]) == "val" else None


def _split_string_role(text: str) -> str | None:
    base = text.split("[", 1)[0].strip().lower()  # "train[:80%]"
    return PATH_ROLES.get(base) or role_from_name(base)


def _path_role(node: ast.expr) -> str | None:
    found = None
    for sub in ast.walk(node) if not isinstance(node, ast.Constant) else (node,):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) < 300:
            for part in sub.value.replace("\\", "/").split("/"):
                role = PATH_ROLES.get(part.lower())
                if role:
                    found = role
    return found


_INDEX_WORDS = frozenset({"idx", "index", "indices", "ids", "inds", "ix", "indexes"})


def _index_name(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and bool(_INDEX_WORDS & set(name_words(node.id)))


# words that may stand beside a role token in a string key naming a split of the data
_KEY_WORDS = frozenset({"x", "y", "data", "dataset", "ds", "set", "split", "loader", "images", "labels",
                        "features", "targets", "inputs", "df", "samples", "texts"})


def key_role(key: str) -> str | None:
    """Role of a string subscript key: ``ds["test"]``, ``data["X_val"]``; not ``df["is_test"]``."""
    low = key.lower()
    if low in PATH_ROLES:
        return PATH_ROLES[low]
    role = role_from_name(key)
    if role and all(w in _KEY_WORDS or w in ROLE_WORDS for w in name_words(key)):
        return role
    return None


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


def _guard_of(test: ast.expr, params: set[str], body: list[ast.stmt] = ()) -> tuple[str, str] | None:
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
