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
from dataclasses import dataclass, field
from itertools import count
from typing import Callable, TypeVar

from ..findings import line_ref
from ..settings import DEFAULT_SETTINGS, RuleSettings
from .names import PATH_ROLES, ROLE_TOKENS, ImportMap, dotted, last_part, name_words, role_from_name

ROLE_WORDS = frozenset(ROLE_TOKENS)

T = TypeVar("T")
EMPTY: frozenset[int] = frozenset()
MAX_EXPR_DEPTH = 48
ROLE_LABEL = {"test": "test", "val": "validation", "train": "training", "full": "unsplit"}


@dataclass(eq=False)
class Value:
    """What the analysis knows about the value of an expression."""

    role: str | None = None
    origin: str = ""  # where the role comes from, for messages
    carried: bool = False  # role flowed from another tracked value (kept whatever the new name says)
    kind: str | None = None  # qualified name of the constructor that built the object
    call: ast.Call | None = None  # that constructor call
    aug: str | None = None  # evidence that this transform augments randomly
    anc: frozenset[int] = EMPTY  # ids of the definitions this value derives from
    idents: frozenset[int] = EMPTY  # ids of the named values read directly (a subset of anc)
    stat: frozenset[int] = EMPTY  # a statistic (mean/std/...) of data with these ancestors
    normalized: bool = False  # data combined with a statistic of itself
    split: SplitInfo | None = None  # result of a split call, unpacked by position
    name: str | None = None  # the variable that holds it
    items: tuple[Value, ...] | None = None  # tuple/list displays, element by element
    is_index: bool = False  # row indices of a split (``for tr_idx, va_idx in kf.split(X)``)
    line: int = 0


# What is known of a literal or an unanalysed expression: nothing. Shared, so never mutated: every
# value the walker changes after creating it is a fresh one.
NOTHING = Value()


@dataclass(eq=False)
class SplitInfo:
    func: str  # train_test_split, random_split, KFold.split, load_data
    line: int
    n_inputs: int
    input_role: str | None
    anc: frozenset[int]


@dataclass(eq=False)
class LoopInfo:
    node: ast.For | ast.While | ast.AsyncFor
    scope: FunctionInfo | None
    parent: LoopInfo | None
    iter: Value | None  # None for while loops
    iter_root: str | None  # the data name iterated (``train_loader`` in ``enumerate(tqdm(train_loader))``)
    in_no_grad: bool
    calls: list[CallSite] = field(default_factory=list)  # every call lexically inside, nested loops too
    trains: bool = False  # filled in by summaries.summarize()
    evaluates: bool = False

    @property
    def line(self) -> int:
        return self.node.lineno


@dataclass(eq=False)
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


@dataclass(eq=False)
class Store:
    """An assignment to an attribute or name: ``torch.backends.cudnn.benchmark = True``."""

    target: str  # qualified name when the base is imported, else dotted spelling
    value: ast.expr
    value_info: Value
    stmt: ast.stmt
    scope: FunctionInfo | None
    loops: tuple[LoopInfo, ...]


@dataclass(eq=False)
class FitEvent:
    """Statistics learnt from data (a fitted transformer, or data normalised by its own stats)."""

    node: ast.AST
    def_ids: frozenset[int]  # definitions the statistics were computed from
    description: str
    scope: FunctionInfo | None
    products: frozenset[int] = EMPTY  # what carries the statistics on (the fitted object, its output)


@dataclass(eq=False)
class SplitEvent:
    node: ast.Call
    anc: frozenset[int]
    func: str
    scope: FunctionInfo | None
    input_role: str | None = None  # role of the data split (train: a nested split of training data)


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

    @property
    def line(self) -> int:
        return self.node.lineno

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

SPLIT_FUNCS = {
    "sklearn.model_selection.train_test_split": "train_test_split",
    "sklearn.cross_validation.train_test_split": "train_test_split",
    "torch.utils.data.random_split": "random_split",
    "torch.utils.data.dataset.random_split": "random_split",
}
# Calls that split their input for cross-validation (the data "is split afterwards").
CV_FUNCS = frozenset({
    "cross_val_score", "cross_val_predict", "cross_validate", "learning_curve", "validation_curve",
    "permutation_test_score",
})
SPLITTER_CLASSES = frozenset({
    "KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold", "ShuffleSplit",
    "StratifiedShuffleSplit", "GroupShuffleSplit", "RepeatedKFold", "RepeatedStratifiedKFold",
    "TimeSeriesSplit", "LeaveOneOut", "LeavePOut", "LeaveOneGroupOut", "PredefinedSplit",
})
SEARCH_CLASSES = frozenset({
    "GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV",
    "BayesSearchCV",
})
STAT_METHODS = frozenset({"mean", "std", "var", "min", "max", "median", "quantile", "nanmean",
                          "nanstd", "nanmedian", "percentile", "amin", "amax", "nanmin", "nanmax"})
STAT_MODULES = ("numpy.", "torch.", "pandas.")
IMPUTE_METHODS = frozenset({"fillna", "replace", "clip", "where", "mask"})
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


def merge_roles(values: list[Value]) -> Value | None:
    """The one role several values agree on (None when they disagree or carry none)."""
    with_role = [v for v in values if v is not None and v.role]
    if not with_role:
        return None
    roles = {v.role for v in with_role}
    if len(roles) != 1:
        return None
    return with_role[0]


def merge_roles_strict(values: list[Value]) -> Value | None:
    """Like :func:`merge_roles`, but a named value without a role makes the mix unknown."""
    if any(v is not None and not v.role and v.idents and not v.stat for v in values):
        return None
    return merge_roles(values)


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
        self.module_functions: dict[str, FunctionInfo] = {}
        self.methods: dict[tuple[str, str], FunctionInfo] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.calls: list[CallSite] = []
        self.loops: list[LoopInfo] = []
        self.stores: list[Store] = []
        self.fit_events: list[FitEvent] = []
        self.split_events: list[SplitEvent] = []
        self.ifs: list[ast.If] = []  # every if statement, in walk order
        self.aug_assignments: list[tuple[ast.AST, Value, Value, str]] = []  # (node, data, transform, how)
        self.module_env: dict[str, Value] = {}
        # names of the file's functions and classes, and every read of one: (name, reading scope)
        self.local_names: frozenset[str] = frozenset()
        self.references: list[tuple[str, FunctionInfo | None]] = []
        self._ids = count(1)
        self._derived: dict[Callable, object] = {}

    def release(self) -> None:
        """Break the reference cycles between the records (a function and its calls, loops and
        callers; a loop and its calls; derived results and the facts) once every rule has run, so
        reference counting frees the facts at once instead of the cyclic garbage collector, whose
        passes over every young object would cost about a fifth of the whole check."""
        for info in self.functions:
            info.calls, info.loops, info.callers, info.returns = [], [], [], []
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
        if isinstance(func, ast.Name):
            return self.module_functions.get(func.id)
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id in ("self", "cls") and scope is not None and scope.class_name):
            return self.methods.get((scope.class_name, func.attr))
        return None

    def new_id(self) -> int:
        return next(self._ids)


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _block_children(node: ast.AST):
    """The statements (and except handlers / match cases) directly inside a block statement."""
    for name in _BLOCK_FIELDS:
        block = getattr(node, name, None)
        if block and isinstance(block, list):
            yield from block


def build_facts(tree: ast.Module, settings: RuleSettings = DEFAULT_SETTINGS) -> ModuleFacts:
    facts = ModuleFacts(tree, settings)
    defs: list[tuple[ast.AST, str | None]] = []
    stack: list[tuple[ast.AST, str | None]] = [(tree, None)]
    # one cheap pass over statements only: imports, functions, classes
    while stack:
        node, cls = stack.pop()
        for child in _block_children(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                facts.imports.add(child)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs.append((child, cls))
                stack.append((child, None))
            elif isinstance(child, ast.ClassDef):
                facts.classes.setdefault(child.name, child)
                stack.append((child, child.name))
            else:  # other statements, except handlers, match cases
                stack.append((child, cls))
    if not facts.imports.uses_ml():
        return facts
    facts.relevant = True
    defs.sort(key=lambda d: (d[0].lineno, d[0].col_offset))
    for node, cls in defs:
        args = node.args
        params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
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
        else:
            facts.methods.setdefault((cls, node.name), info)
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
    role = role_from_name(param)
    ident = frozenset({facts.new_id()})
    return Value(role=role, origin=f"parameter {param!r}" if role else "", name=param,
                 anc=ident, idents=ident, line=info.line)


class _ScopeWalker:
    """Walks the statements of one scope in order, evaluating every expression once."""

    def __init__(self, facts: ModuleFacts, scope: FunctionInfo | None, env: dict[str, Value]) -> None:
        self.facts = facts
        self.imports = facts.imports
        self.scope = scope
        self.env = env
        self.loops: list[LoopInfo] = []
        self.no_grad = 1 if scope is not None and scope.no_grad else 0
        self.stmt: ast.stmt | None = None

    # -- statements ------------------------------------------------------------------------------
    def run(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt: ast.stmt) -> None:
        self.stmt = stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for dec in stmt.decorator_list:
                self.ev(dec)
            self.env[stmt.name] = Value(name=stmt.name, kind=f"<local>.{stmt.name}", line=stmt.lineno)
        elif isinstance(stmt, ast.Assign):
            value = self.ev(stmt.value)
            for target in stmt.targets:
                self.bind(target, value, stmt.value)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.bind(stmt.target, self.ev(stmt.value), stmt.value)
        elif isinstance(stmt, ast.AugAssign):
            current = self.ev(stmt.target)
            value = self.ev(stmt.value)
            combined = self._combine([current, value])
            self.bind(stmt.target, combined, stmt.value, augmented=True)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self._for(stmt)
        elif isinstance(stmt, ast.While):
            self.ev(stmt.test)
            self._loop(stmt, None, None, stmt.body)
            self.run(stmt.orelse)
        elif isinstance(stmt, ast.If):
            self.facts.ifs.append(stmt)
            self.ev(stmt.test)
            self.run(stmt.body)
            self.run(stmt.orelse)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
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
        elif isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self.run(stmt.body)
            for handler in stmt.handlers:
                self.run(handler.body)
            self.run(stmt.orelse)
            self.run(stmt.finalbody)
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None:
                value = self.ev(stmt.value)
                if self.scope is not None:
                    self.scope.returns.append(value)
        elif isinstance(stmt, ast.Expr):
            self.ev(stmt.value)
        elif isinstance(stmt, getattr(ast, "Match", ())):
            self.ev(stmt.subject)
            for case in stmt.cases:
                self.run(case.body)
        elif isinstance(stmt, (ast.Delete, ast.Assert, ast.Raise)):
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self.ev(child)

    def _for(self, stmt: ast.For | ast.AsyncFor) -> None:
        it = self.ev(stmt.iter)
        inner = unwrap_iter(stmt.iter)
        self._bind_loop_target(stmt.target, stmt.iter, it)
        self._loop(stmt, it, root_name(inner), stmt.body)
        self.run(stmt.orelse)

    def _bind_loop_target(self, target: ast.expr, iter_node: ast.expr, it: Value) -> None:
        # for i, (x, y) in enumerate(loader): the counter gets nothing, the rest the element
        if (isinstance(iter_node, ast.Call) and isinstance(iter_node.func, ast.Name)
                and iter_node.func.id == "enumerate" and isinstance(target, ast.Tuple)
                and len(target.elts) == 2 and iter_node.args):
            self.bind(target.elts[0], NOTHING, iter_node)
            self.bind(target.elts[1], it, iter_node)  # enumerate(x) carries x's role
            return
        self.bind(target, it, iter_node)

    def _loop(self, stmt: ast.stmt, it: Value | None, iter_root: str | None, body: list[ast.stmt]) -> None:
        loop = LoopInfo(stmt, self.scope, self.loops[-1] if self.loops else None, it, iter_root,
                        self.no_grad > 0)
        self.facts.loops.append(loop)
        if self.scope is not None:
            self.scope.loops.append(loop)
        self.loops.append(loop)
        self.run(body)
        self.loops.pop()

    # -- binding ---------------------------------------------------------------------------------
    def bind(self, target: ast.expr, value: Value, value_node: ast.expr, augmented: bool = False) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            self._bind_tuple(target, value, value_node)
        elif isinstance(target, ast.Name):
            self.env[target.id] = self._named(target.id, value, target.lineno)
            self._note_normalization(value, target, value_node)
        elif isinstance(target, ast.Attribute):
            spelled = dotted(target)
            qn = self.imports.qualname(target)
            self.facts.stores.append(Store(qn or spelled or "", value_node, value, self.stmt,
                                           self.scope, tuple(self.loops)))
            if spelled:
                self.env[spelled] = self._named(target.attr, value, target.lineno, spelled)
            if target.attr == "transform" and value.aug:
                owner = self.ev(target.value)
                self.facts.aug_assignments.append((self.stmt, owner, value, "assigned as its transform"))
        elif isinstance(target, ast.Subscript):
            base = target.value
            while isinstance(base, ast.Subscript):
                base = base.value
            self.ev(target.slice)
            key = target.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                owner = self.imports.qualname(target.value) or dotted(target.value)
                if owner:
                    self.facts.stores.append(Store(f"{owner}[{key.value!r}]", value_node, value,
                                                   self.stmt, self.scope, tuple(self.loops)))
            if isinstance(base, ast.Name):
                old = self.ev(base)
                new_id = self.facts.new_id()
                merged = Value(role=old.role, origin=old.origin, carried=old.carried, kind=old.kind,
                               call=old.call, anc=old.anc | value.anc | {new_id},
                               idents=frozenset({new_id}), name=base.id, line=target.lineno)
                self.env[base.id] = merged
                self._note_normalization(value, base, value_node, new_id=new_id, old=old)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, value, value_node)

    def _note_normalization(self, value: Value, target: ast.expr, node: ast.expr,
                            new_id: int | None = None, old: Value | None = None) -> None:
        if not value.normalized:
            return
        if new_id is None:
            new_value = self.env.get(target.id) if isinstance(target, ast.Name) else None
            ids = new_value.idents if new_value else EMPTY
        else:
            ids = frozenset({new_id})
        what = dotted(target) or "data"
        if set(name_words(what.rsplit(".", 1)[-1])) & _TARGET_WORDS:
            return  # rescaling the target (y = y / y.max()) does not leak features
        self.facts.fit_events.append(FitEvent(self.stmt, ids, f"{what!r} is normalised or imputed "
                                              f"with its own statistics", self.scope, ids))

    def _named(self, name: str, value: Value, line: int, spelled: str | None = None) -> Value:
        """The value a name holds after ``name = value`` (role precedence of the catalog)."""
        token = role_from_name(name)
        role, origin, carried = value.role, value.origin, value.carried
        if token and not (value.role and value.carried):
            if token != value.role:
                role, origin, carried = token, f"name {spelled or name!r}", False
        ident = frozenset({self.facts.new_id()})
        return Value(role=role, origin=origin, carried=carried, kind=value.kind, call=value.call,
                     aug=value.aug, anc=value.anc | ident, idents=ident, stat=value.stat,
                     normalized=False, split=value.split, name=spelled or name, items=value.items,
                     is_index=value.is_index, line=line)

    def _bind_tuple(self, target: ast.Tuple | ast.List, value: Value, value_node: ast.expr) -> None:
        elts = target.elts
        if value.split is not None:
            roles = _split_roles(value.split, len(elts))
            for elt, role in zip(elts, roles):
                label = {"train": "training", "test": "test", "val": "validation"}.get(role or "", "")
                where = line_ref(value.split.line, value.split.func.rsplit('.', 1)[-1])
                piece = Value(role=role, origin=f"{label} split of {value.split.func} at {where}" if role else "",
                              anc=value.split.anc,
                              is_index=value.split.func.endswith(".split") or _index_name(elt),
                              line=value.split.line)
                if isinstance(elt, (ast.Tuple, ast.List)):  # (x_train, y_train), (x_test, y_test)
                    for sub in elt.elts:
                        self.bind(sub, piece, value_node)
                else:
                    self.bind(elt, piece, value_node)
            return
        if value.items is not None and len(value.items) == len(elts):
            for elt, item in zip(elts, value.items):
                self.bind(elt, item, value_node)
            return
        for elt in elts:
            self.bind(elt, Value(role=value.role, origin=value.origin, carried=bool(value.role),
                                 anc=value.anc, line=value.line), value_node)

    # -- expressions -----------------------------------------------------------------------------
    def ev(self, node: ast.expr | None, depth: int = 0) -> Value:
        if node is None or depth > MAX_EXPR_DEPTH:
            return NOTHING
        depth += 1
        kind = type(node)
        if kind is ast.Constant:
            return NOTHING
        if kind is ast.Name:
            if node.id in self.facts.local_names:
                self.facts.references.append((node.id, self.scope))
            value = self.env.get(node.id)
            if value is None:
                value = self.facts.module_env.get(node.id) if self.scope is not None else None
            if value is None:
                role = role_from_name(node.id)
                ident = frozenset({self.facts.new_id()})
                value = Value(role=role, origin=f"name {node.id!r}" if role else "", name=node.id,
                              anc=ident, idents=ident, line=node.lineno)
                self.env[node.id] = value
            return value
        if kind is ast.Call:
            return self._call(node, depth)
        if kind is ast.Attribute:
            spelled = dotted(node)
            if spelled and spelled in self.env:
                return self.env[spelled]
            base = self.ev(node.value, depth)
            if node.attr in METADATA_ATTRS:
                return Value(anc=base.anc, line=node.lineno)
            if base.role:
                return Value(role=base.role, origin=base.origin, carried=True, anc=base.anc,
                             idents=base.idents, name=spelled or base.name, line=base.line)
            role = role_from_name(node.attr)
            if role:
                return Value(role=role, origin=f"name {spelled or node.attr!r}", name=spelled,
                             anc=base.anc, idents=base.idents, line=node.lineno)
            return Value(anc=base.anc, idents=base.idents, name=spelled, line=node.lineno)
        if isinstance(node, ast.Subscript):
            base = self.ev(node.value, depth)
            index = self.ev(node.slice, depth)
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                role = key_role(key.value)
                if role:
                    where = dotted(node.value) or "data"
                    return Value(role=role, origin=f"{where}[{key.value!r}]", anc=base.anc,
                                 idents=base.idents, kind=base.kind, name=f"{where}[{key.value!r}]", line=node.lineno)
            if index.role and index.is_index and not base.role:
                # rows picked by split indices: a position, so a name the user gives wins
                return Value(role=index.role, origin=index.origin, carried=False,
                             anc=base.anc | index.anc, idents=base.idents, kind=base.kind,
                             name=base.name, line=node.lineno)
            # a slice is a manual split (val = pool[:n]): like a split position, a name may override it
            manual_split = isinstance(key, ast.Slice)
            return Value(role=base.role, origin=base.origin, carried=bool(base.role) and not manual_split,
                         kind=base.kind, call=base.call, aug=base.aug, anc=base.anc, idents=base.idents,
                         stat=base.stat,
                         normalized=base.normalized, name=base.name, line=node.lineno)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = tuple(self.ev(e, depth) for e in node.elts)
            merged = self._combine(list(items), strict=True)
            merged.items = items
            return merged
        if isinstance(node, ast.BinOp):
            left = self.ev(node.left, depth)
            right = self.ev(node.right, depth)
            return self._combine([left, right], binop=True, strict=isinstance(node.op, ast.Add))
        if isinstance(node, ast.Starred):
            return self.ev(node.value, depth)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            for gen in node.generators:
                it = self.ev(gen.iter, depth)
                self.bind(gen.target, it, gen.iter)
                for cond in gen.ifs:
                    self.ev(cond, depth)
            if isinstance(node, ast.DictComp):
                self.ev(node.key, depth)
                return self.ev(node.value, depth)
            return self.ev(node.elt, depth)
        if kind is ast.Lambda:
            return NOTHING
        if isinstance(node, ast.NamedExpr):
            value = self.ev(node.value, depth)
            self.bind(node.target, value, node.value)
            return value
        parts = [self.ev(child, depth) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
        return self._combine(parts)

    def _combine(self, parts: list[Value], binop: bool = False, strict: bool = False) -> Value:
        """Merge operands. ``strict`` (concatenation, displays): a role survives only when every
        named operand carries it — ``[data, test]`` is not test data."""
        anc: frozenset[int] = EMPTY
        idents: frozenset[int] = EMPTY
        stat: frozenset[int] = EMPTY
        normalized = False
        for p in parts:
            anc |= p.anc
            idents |= p.idents
            stat |= p.stat
            normalized = normalized or p.normalized
        if binop and len(parts) == 2:
            a, b = parts
            if (b.stat and not a.stat and a.anc & b.stat) or (a.stat and not b.stat and b.anc & a.stat):
                normalized = True
        data = [p for p in parts if not p.stat]
        merged = merge_roles_strict(data) if strict else merge_roles(data)
        value = Value(anc=anc, idents=idents, normalized=normalized)
        if all(p.stat for p in parts if p.anc) and stat:
            value.stat = stat
        if merged is not None:
            value.role, value.origin, value.carried, value.name = merged.role, merged.origin, True, merged.name
        return value

    def _call(self, node: ast.Call, depth: int) -> Value:
        func = node.func
        qn = self.imports.qualname(func)
        method = func.attr if isinstance(func, ast.Attribute) else None
        recv = self.ev(func.value, depth) if isinstance(func, ast.Attribute) else None
        if not isinstance(func, (ast.Attribute, ast.Name)):
            self.ev(func, depth)  # torch.compile(m)(x), handlers[key](x)
        args = [self.ev(a, depth) for a in node.args]
        kwargs = {}
        for kw in node.keywords:
            value = self.ev(kw.value, depth)
            if kw.arg:
                kwargs[kw.arg] = value
        site = CallSite(node, qn, dotted(func), method, recv, args, kwargs, self.scope,
                        tuple(self.loops), self.no_grad > 0, self.stmt)
        site.local = self.facts.resolve_local(func, self.scope)
        self.facts.calls.append(site)
        if self.scope is not None:
            self.scope.calls.append(site)
        for loop in self.loops:
            loop.calls.append(site)
        return self._call_result(site, node, qn, method, recv, args, kwargs)

    def _call_result(self, site: CallSite, node: ast.Call, qn: str | None, method: str | None,
                     recv: Value | None, args: list[Value], kwargs: dict[str, Value]) -> Value:
        cls = last_part(qn)
        line = node.lineno
        all_anc = all_idents = EMPTY
        for v in (recv, *args, *kwargs.values()):
            if v is not None:
                all_anc |= v.anc
                all_idents |= v.idents

        # -- splits --------------------------------------------------------------------------
        split_func = SPLIT_FUNCS.get(qn or "")
        if split_func or (qn and qn.endswith(".load_data") and qn.startswith("keras.datasets.")):
            data_args = [a for a in args if not (split_func == "random_split" and a is args[-1] and len(args) > 1)]
            inputs = [a for a in data_args if a.anc] if split_func else []
            if split_func:
                self._split_event(node, split_func, inputs)
            role = merge_roles(inputs)
            info = SplitInfo(split_func or "load_data", line, max(1, len(data_args)),
                             role.role if role else None, all_anc)
            return Value(split=info, anc=all_anc, line=line)
        if method == "split" and recv is not None and last_part(recv.kind) in SPLITTER_CLASSES:
            self._split_event(node, f"{last_part(recv.kind)}.split", args)
            role = merge_roles(args)
            return Value(split=SplitInfo(f"{last_part(recv.kind)}.split", line, 1,
                                         role.role if role else None, all_anc), anc=all_anc, line=line)
        if cls in CV_FUNCS and qn and qn.startswith("sklearn."):
            self._split_event(node, cls, args[1:] + [kwargs[k] for k in ("X", "y") if k in kwargs])
        if method in ("fit", "fit_transform") and recv is not None and last_part(recv.kind) in SEARCH_CLASSES:
            self._split_event(node, f"{last_part(recv.kind)}.fit", args)

        # -- statistics and preprocessing --------------------------------------------------------
        if method in STAT_METHODS and recv is not None and recv.anc and not recv.stat and _whole_axis(node, 0):
            return Value(stat=recv.anc, anc=recv.anc, line=line)
        if qn and qn.startswith(STAT_MODULES) and cls in STAT_METHODS and args and _whole_axis(node, 1):
            return Value(stat=args[0].anc, anc=args[0].anc, line=line)
        if method in IMPUTE_METHODS and recv is not None and recv.anc:
            if any(a.stat & recv.anc for a in (*args, *kwargs.values())):
                return Value(role=recv.role, origin=recv.origin, carried=bool(recv.role),
                             anc=all_anc, idents=all_idents, normalized=True, name=recv.name, line=line)
        if method in ("fit", "fit_transform") and recv is not None and _is_feature_transformer(recv.kind):
            data = args[0] if args else kwargs.get("X") or kwargs.get("raw_documents")
            if data is not None and data.anc:
                product = self.facts.new_id()  # the fitted statistics, carried by the result
                all_anc |= {product}
                self.facts.fit_events.append(FitEvent(node, data.idents or data.anc,
                                                      f"{last_part(recv.kind)} is fitted on "
                                                      f"{data.name or 'data'!r}", self.scope,
                                                      recv.idents | {product}))

        # -- constructors, datasets, augmentation ----------------------------------------------
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
                result.role, result.origin, result.carried = role_v.role, role_v.origin, bool(data)
            self.facts.aug_assignments.append((node, result, recv, f"generated by {method}()"))
            return result
        local_class = isinstance(node.func, ast.Name) and node.func.id in self.facts.classes
        source = dataset_role(node)
        if source or local_class or (qn and (cls[:1].isupper() or qn.startswith("datasets.load_dataset"))):
            kind = qn or (f"<local>.{node.func.id}" if local_class else None)
            value = Value(kind=kind, call=node, anc=all_anc, idents=all_idents, line=line)
            aug = augmentation_of(qn, node)
            if aug:
                value.aug = f"{aug} at {line_ref(line)}"
            elif cls in _COMPOSE or cls == "Lambda":
                inner = merge_aug(args)
                if inner:
                    value.aug = inner
            if source:
                value.role, value.origin = source[0], f"{source[1]} at {line_ref(line)}"
            else:
                carried = merge_roles(args[:2] if cls == "Subset" else
                                      args[:1] + [kwargs[k] for k in ("dataset", "x", "data") if k in kwargs])
                if carried is not None:
                    value.role, value.origin, value.carried, value.name = (
                        carried.role, carried.origin, True, carried.name)
            return value
        if site.local is not None and site.local.returns:
            aug = merge_aug(site.local.returns)
            if aug:
                return Value(aug=aug, anc=all_anc, line=line)

        # -- role flow through wrappers and methods ----------------------------------------------
        result = Value(anc=all_anc, idents=all_idents, line=line)
        if recv is not None and method in ("to", "cuda", "cpu", "float", "double", "half"):
            result.kind = recv.kind
        if method in NON_DATA_METHODS or (isinstance(node.func, ast.Name) and node.func.id in ROLE_NEUTRAL_BUILTINS):
            return Value(anc=all_anc, line=line)
        data_args = args + list(kwargs.values())
        fname = method or (node.func.id if isinstance(node.func, ast.Name) else last_part(qn))
        if fname in WRAPPER_FUNCS:  # np.array(x), torch.tensor(x), tqdm(x): the first argument's role
            merged = merge_roles(args[:1])
        elif fname in COMBINE_FUNCS and args:  # np.concatenate([a, b]), pd.concat([a, b]), a.append(b)
            parts = list(args[0].items or args[:1]) + args[1:]
            if method and recv is not None and recv.idents:
                parts.append(recv)
            merged = merge_roles_strict(parts)
        else:
            merged = merge_roles_strict(data_args)
        if merged is None and method and recv is not None and recv.role and method not in NON_DATA_METHODS \
                and not any(a.role for a in data_args):
            merged = recv  # X_test.reshape(...), test_ds.map(f): the receiver's data
        if merged is not None:
            result.role, result.origin, result.carried, result.name = merged.role, merged.origin, True, merged.name
            if merged is recv:
                result.kind, result.aug = recv.kind, recv.aug
        return result

    def _split_event(self, node: ast.Call, func: str, data: list[Value]) -> None:
        anc = EMPTY
        for value in data:
            anc |= value.anc
        role = merge_roles(data)
        self.facts.split_events.append(SplitEvent(node, anc, func, self.scope,
                                                  role.role if role else None))


def merge_aug(values: list[Value]) -> str | None:
    for v in values:
        if v.aug:
            return v.aug
        if v.items:
            found = merge_aug(list(v.items))
            if found:
                return found
    return None


def _whole_axis(node: ast.Call, axis_pos: int) -> bool:
    """A statistic over the whole data or the sample axis (axis 0), not per sample."""
    axis = None
    for kw in node.keywords:
        if kw.arg in ("axis", "dim"):
            axis = kw.value
    if axis is None and len(node.args) > axis_pos:  # x.mean(0) / np.mean(x, 0)
        axis = node.args[axis_pos]
    if axis is None:
        return True
    if isinstance(axis, ast.Constant):
        return axis.value in (0, None)
    return False


_TRANSFORMER_MODULES = ("sklearn.preprocessing.", "sklearn.impute.", "sklearn.decomposition.",
                        "sklearn.feature_selection.", "sklearn.feature_extraction.",
                        "sklearn.kernel_approximation.", "sklearn.random_projection.",
                        "sklearn.compose.", "sklearn.cross_decomposition.", "category_encoders.",
                        "imblearn.")
_TARGET_ENCODERS = frozenset({"LabelEncoder", "LabelBinarizer", "MultiLabelBinarizer"})
# transformers that learn nothing from the data they are "fitted" on
STATELESS_TRANSFORMERS = frozenset({"PolynomialFeatures", "Binarizer", "Normalizer", "FunctionTransformer",
                                    "FeatureHasher", "HashingVectorizer", "MissingIndicator"})
_TARGET_WORDS = frozenset({"y", "target", "targets", "label", "labels"})


def _is_feature_transformer(kind: str | None) -> bool:
    if not kind or last_part(kind) in _TARGET_ENCODERS or last_part(kind) in STATELESS_TRANSFORMERS:
        return False
    return kind.startswith(_TRANSFORMER_MODULES) and not kind.startswith("imblearn.")


def dataset_role(call: ast.Call) -> tuple[str, str] | None:
    """Role given by a dataset constructor: ``train=False``, ``split="test"``, a folder path."""
    fname = dotted(call.func) or "dataset"
    short = fname.rsplit(".", 1)[-1]
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
    if short in ("ImageFolder", "DatasetFolder", "flow_from_directory", "image_dataset_from_directory",
                 "text_dataset_from_directory", "audio_dataset_from_directory", "ImageDataset",
                 "load_files"):
        paths = call.args[:1] + [kw.value for kw in call.keywords if kw.arg in ("root", "directory")]
        for path in paths:
            role = _path_role(path)
            if role:
                return role, f"{short}() of a {role!r} folder"
    return None


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


def _split_roles(split: SplitInfo, n: int) -> list[str | None]:
    """Roles by position of the outputs of a split call."""
    holdout = "val" if split.input_role in ("train", "val") else "test"
    if split.func == "train_test_split":
        return ["train" if i % 2 == 0 else holdout for i in range(n)]
    if split.func == "random_split":
        if n == 2:
            return ["train", holdout]
        if n == 3:
            return ["train", "val", "test"]
        return ["train"] + [None] * (n - 1)
    if split.func == "load_data":
        return ["train", "test"][:n] + [None] * max(0, n - 2)
    # splitter.split(X): (train_idx, held_out_idx); a cross-validation fold is a validation fold
    return ["train", "val"][:n] + [None] * max(0, n - 2)


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


def _guard_of(test: ast.expr, params: set[str]) -> tuple[str, str] | None:
    """``if train:`` -> (train, truthy); ``if not scaler:`` / ``if scaler is None:`` -> falsy/none."""
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
    relevant = {id(c.node) for c in info.calls
                if trains_directly(c) or c.method in FIT_METHODS or c.method == "fit_transform"
                or (c.local is not None and c.local.trains)}
    if not relevant:
        return []
    params = set(info.params)
    guarded: dict[int, tuple[str, str]] = {}
    stack: list[tuple[ast.AST, tuple[str, str] | None]] = [(stmt, None) for stmt in info.node.body]
    while stack:
        node, guard = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If):
            inner = _guard_of(node.test, params) or guard
            stack.extend((child, inner) for child in node.body)
            stack.extend((child, guard) for child in node.orelse)
            stack.append((node.test, guard))
            continue
        if isinstance(node, ast.Call) and id(node) in relevant:
            if guard is None:
                return []  # trains unconditionally somewhere
            guarded[id(node)] = guard
        stack.extend((child, guard) for child in ast.iter_child_nodes(node))
    return sorted(set(guarded.values()))


def guard_may_hold(callee: FunctionInfo, site: CallSite, guard: tuple[str, str]) -> bool:
    """Whether the call can take the guarded training branch (constants only; unknown: no)."""
    param, test = guard
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


def bound_arguments(callee: FunctionInfo, site: CallSite):
    """(parameter, argument node) pairs of a call to a same-file function."""
    for i, arg in enumerate(site.node.args):
        if isinstance(arg, ast.Starred):
            break
        param = callee.param_for(site, i, None)
        if param:
            yield param, arg
    for kw in site.node.keywords:
        if kw.arg and kw.arg in callee.params:
            yield kw.arg, kw.value


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
