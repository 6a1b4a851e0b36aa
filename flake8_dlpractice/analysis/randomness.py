"""Randomness facts for the reproducibility rules (DLP200, DLP202-DLP204).

Computed once per module from the recorded calls (``facts.calls``), loops and functions, plus a
scan of the module's top-level import statements. Nothing here walks expressions again.

- which RNGs the module *uses*: draws from ``np.random.*`` / ``random.*`` / ``torch.rand*`` /
  ``tf.random.*``, training with torch or TensorFlow/Keras, scikit-learn estimators that draw from
  NumPy's global RNG because they get no ``random_state``;
- which RNGs it *seeds*: global seed calls (``seeds_of``), local seeded generators
  (``np.random.default_rng(s)``, ``torch.Generator().manual_seed(s)``), seed helpers imported from
  elsewhere (``utils.set_seed(...)``, kinds unknown) and implicit seeding (Hugging Face ``Trainer``
  seeds from ``TrainingArguments.seed``);
- whether the module is a training entry point;
- import aliases usable at module level, for fixes.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Collection

from .called import called_names
from .display import DESCRIBING, EVALUATING, fitted_shown_only, replaced_unread, shown_only
from .facts import ModuleFacts
from .records import FIT_METHODS, CallSite, bound_slots
from .names import dotted, last_part
from .provenance import is_cv_func
from .nodes import walk
from .reach import reach_of, running_calls
from .project import is_seed_function
from .seeds import ALL_KINDS, SeedCall, seeds_of
from .training_facts import loop_keyword

NUMPY_NOT_DRAWS = frozenset({
    "seed", "RandomState", "default_rng", "Generator", "SeedSequence", "get_state", "set_state",
    "BitGenerator", "PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64", "mtrand", "bit_generator",
})
RANDOM_DRAWS = frozenset({
    "random", "randint", "randrange", "choice", "choices", "shuffle", "sample", "uniform", "gauss",
    "normalvariate", "lognormvariate", "expovariate", "betavariate", "gammavariate", "triangular",
    "vonmisesvariate", "paretovariate", "weibullvariate", "getrandbits", "randbytes", "binomialvariate",
})
TORCH_DRAWS = frozenset({
    "torch.rand", "torch.randn", "torch.randint", "torch.randperm", "torch.rand_like",
    "torch.randn_like", "torch.randint_like", "torch.normal", "torch.bernoulli", "torch.multinomial",
    "torch.poisson",
})
TF_DRAW_PREFIXES = ("tensorflow.random.", "tensorflow.compat.v1.random.")
TF_NOT_DRAWS = frozenset({"set_seed", "Generator", "get_global_generator", "set_global_generator",
                          "create_rng_state", "Algorithm"})
LOADERS = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})
RANDOM_SAMPLERS = frozenset(f"torch.utils.data{module}.{name}" for module in ("", ".sampler")
                            for name in ("RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler"))
RANDOM_SPLIT = frozenset({"torch.utils.data.random_split", "torch.utils.data.dataset.random_split"})

# scikit-learn estimators and generators that draw from NumPy's global RNG without random_state
SKLEARN_RANDOM = frozenset({
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor", "BaggingClassifier",
    "BaggingRegressor", "AdaBoostClassifier", "AdaBoostRegressor", "IsolationForest",
    "RandomTreesEmbedding", "SGDClassifier", "SGDRegressor", "SGDOneClassSVM", "Perceptron",
    "PassiveAggressiveClassifier", "PassiveAggressiveRegressor", "MLPClassifier", "MLPRegressor",
    "BernoulliRBM", "KMeans", "MiniBatchKMeans", "BisectingKMeans", "TSNE", "GaussianMixture",
    "BayesianGaussianMixture", "RandomizedSearchCV", "make_classification", "make_regression",
    "make_blobs", "make_moons", "make_circles", "make_multilabel_classification",
    "make_gaussian_quantiles", "make_hastie_10_2", "make_friedman1", "make_s_curve",
    "make_swiss_roll", "make_sparse_uncorrelated", "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
})

TORCH_ROOTS = ("torch", "torchvision", "lightning", "pytorch_lightning", "transformers",
               "accelerate", "timm", "torchaudio", "torchtext")
TF_ROOTS = ("tensorflow", "keras", "tf_keras")
FRAMEWORK_ROOTS = {"torch": TORCH_ROOTS, "tf": TF_ROOTS, "keras": TF_ROOTS, "numpy": ("numpy",),
                   "random": ("random",), "sklearn": ("sklearn",)}
# which seeded kinds cover a used RNG: standalone Keras drew its seeds from NumPy (Keras 2.0-2.5)
# or Python's random (Keras 3), tf.keras from TensorFlow
COVERED_BY = {"torch": frozenset({"torch"}), "tf": frozenset({"tf"}), "numpy": frozenset({"numpy"}),
              "random": frozenset({"random"}), "sklearn": frozenset({"numpy"}),
              "keras": frozenset({"tf", "numpy", "random"})}
FRAMEWORK_LABEL = {"torch": "PyTorch", "tf": "TensorFlow/Keras", "keras": "Keras", "numpy": "NumPy",
                   "random": "Python's random", "sklearn": "scikit-learn (NumPy's global RNG)"}
KERAS_FIT_KW = frozenset({"epochs", "validation_data", "validation_split", "callbacks",
                          "steps_per_epoch", "batch_size", "initial_epoch", "validation_steps"})
CLASSIC_ROOTS = ("sklearn", "xgboost", "lightgbm", "catboost")


@dataclass(eq=False)
class Use:
    """One piece of evidence that the module uses an RNG."""

    rng: str  # torch / numpy / random / tf / keras / sklearn
    node: ast.AST
    text: str  # what draws the numbers: ``np.random.rand()``, ``training loop``
    what: str  # the text on the cited line (``np.random.rand``, ``for``), for line references
    owner: str | None = None  # the same-file class whose method draws (a dataset's __getitem__)
    stmt: ast.stmt | None = None  # the statement of the call
    draw: bool = False  # a call that draws numbers (not training, a shuffling loader or an estimator)

    @property
    def line(self) -> int:
        return self.node.lineno


@dataclass(eq=False)
class Randomness:
    uses: list[Use] = field(default_factory=list)
    global_seeds: list[SeedCall] = field(default_factory=list)  # effective global seed calls
    local_seeds: list[CallSite] = field(default_factory=list)  # default_rng(s), Generator().manual_seed(s)
    opaque_seeds: list[CallSite] = field(default_factory=list)  # seed helpers of unknown kinds
    implicit_seed: CallSite | None = None  # HF Trainer / LightningCLI seed by themselves
    accelerate: bool = False  # an accelerate.Accelerator re-seeds prepared loaders
    deterministic: bool = False  # Lightning Trainer(deterministic=True) and friends
    entry: Use | None = None  # evidence that the module is a training entry point
    workers_seeded: bool = False  # seed_everything(..., workers=True)
    worker_init: set[int] = field(default_factory=set)  # ids of functions passed as worker_init_fn=
    trains_torch: bool = False  # a torch training loop or framework fit runs

    @property
    def seeded_kinds(self) -> frozenset[str]:
        out: set[str] = set()
        for seed in self.global_seeds:
            out |= seed.kinds
        if self.implicit_seed is not None:
            out |= ALL_KINDS
        return frozenset(out)

    def uses_of(self, rng: str) -> list[Use]:
        return [u for u in self.uses if u.rng == rng]


@dataclass(eq=False)
class ModuleImports:
    """Top-level imports and names of a module: where to put and how to spell inserted code."""

    import_lines: dict[str, int] = field(default_factory=dict)  # root -> first import line
    aliases: dict[str, str] = field(default_factory=dict)  # module-level name -> imported module
    last_import: ast.stmt | None = None
    module_names: set[str] = field(default_factory=set)  # names assigned at module level

    def alias_of(self, module: str) -> str | None:
        """A module-level name bound to ``module`` (prefers the module's own name)."""
        if self.aliases.get(module.split(".")[0]) == module:
            return module
        for name, target in sorted(self.aliases.items()):
            if target == module:
                return name
        return None

    def name_free(self, name: str) -> bool:
        """``import name`` would not shadow anything the module binds at top level."""
        bound = self.aliases.get(name)
        return (bound is None or bound == name) and name not in self.module_names


def _is_const(node: ast.AST | None, value) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def seed_argument(site: CallSite) -> ast.expr | None:
    node = site.node
    if node.args and not isinstance(node.args[0], ast.Starred):
        return node.args[0]
    for kw in node.keywords:
        if kw.arg in ("seed", "a", "seed_value"):
            return kw.value
    return None


def _effective(seed: SeedCall) -> bool:
    """``np.random.seed()`` / ``random.seed()`` without an argument seed from entropy."""
    if seed.via is not None:
        return True
    if seed.site.qn in ("numpy.random.seed", "random.seed"):
        return seed_argument(seed.site) is not None and not _is_const(seed_argument(seed.site), None)
    return True


def _looks_like_seed_helper(site: CallSite) -> bool:
    """A call named like a seed helper (``set_seed``, ``utils.seed_all``, ``init_seeds``)."""
    spelled = site.name
    if not spelled or ("seed" not in spelled and "Seed" not in spelled and "SEED" not in spelled):
        return False  # the common case, decided on the precomputed spelling
    name = spelled.rsplit(".", 1)[-1]
    low = name.lower()
    return "seed" in low and "initial_seed" not in low


def _bind_names(target: ast.expr, into: set[str]) -> None:
    if isinstance(target, ast.Name):
        into.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List, ast.Starred)):
        for sub in walk(target):
            if isinstance(sub, ast.Name):
                into.add(sub.id)


def module_imports(facts: ModuleFacts) -> ModuleImports:
    """The top-level imports and names (``if``/``try`` blocks included). Use through
    ``facts.derived(module_imports)``: only findings that place or spell code need it."""
    out = ModuleImports()
    stack: list[list[ast.stmt]] = [list(facts.tree.body)]
    top_level = {id(stmt) for stmt in facts.tree.body}
    lines: dict[str, int] = {}
    names = out.module_names
    expr, assign, name_ = ast.Expr, ast.Assign, ast.Name  # looked up once: notebooks run to a thousand statements
    while stack:
        body = stack.pop()
        for stmt in body:
            kind = type(stmt)
            if kind is expr:
                continue  # the commonest statement, and one that binds nothing
            if kind is assign:
                for target in stmt.targets:
                    if type(target) is name_:
                        names.add(target.id)
                    else:
                        _bind_names(target, names)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                if id(stmt) in top_level and (out.last_import is None or stmt.lineno > out.last_import.lineno):
                    out.last_import = stmt
                if isinstance(stmt, ast.Import):
                    for alias in stmt.names:
                        root = alias.name.split(".")[0]
                        lines[root] = min(lines.get(root, stmt.lineno), stmt.lineno)
                        out.aliases.setdefault(alias.asname or root, alias.name if alias.asname else root)
                elif stmt.module and not stmt.level:
                    root = stmt.module.split(".")[0]
                    lines[root] = min(lines.get(root, stmt.lineno), stmt.lineno)
                    for alias in stmt.names:
                        if alias.name != "*":
                            out.aliases.setdefault(alias.asname or alias.name, f"{stmt.module}.{alias.name}")
            elif isinstance(stmt, ast.If):
                stack.append(stmt.body)
                stack.append(stmt.orelse)
            elif isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
                stack.append(stmt.body)
                for handler in stmt.handlers:
                    stack.append(handler.body)
                stack.append(stmt.orelse)
                stack.append(stmt.finalbody)
            elif isinstance(stmt, ast.AnnAssign):
                _bind_names(stmt.target, out.module_names)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.module_names.add(stmt.name)
    out.import_lines = {root: lines.get(root, facts.imports.first_import_line.get(root, 0))
                        for root in set(lines) | set(facts.imports.first_import_line)}
    return out


def is_hf_trainer_kind(kind: str | None) -> bool:
    """A Hugging Face trainer class (``transformers.Trainer``, ``trl.SFTTrainer``), by qualified name."""
    return bool(kind) and kind.startswith(("transformers.", "trl.")) and last_part(kind).endswith("Trainer")


def _is_lightning_trainer(site: CallSite) -> bool:
    kind = site.recv.kind if site.recv is not None else None
    if kind:
        return kind.startswith("lightning.") and kind.endswith("Trainer")
    return (site.name or "").rsplit(".", 1)[0].rsplit(".", 1)[-1] in ("trainer", "pl_trainer")


def call_label(site: CallSite) -> str:
    """``model.fit``; ``RandomForestClassifier().fit`` for ``RandomForestClassifier(...).fit``."""
    name = site.name or site.qn or "call"
    if name.startswith("()") and isinstance(site.node.func, ast.Attribute) \
            and isinstance(site.node.func.value, ast.Call):
        ctor = dotted(site.node.func.value.func)
        name = f"{last_part(ctor) or '...'}(){name[2:]}"
    return name


def fit_framework(facts: ModuleFacts, site: CallSite) -> str | None:
    """The framework a ``.fit``-style call trains with (torch, tf, keras, classic) or None."""
    framework = _fit_framework(facts, site)
    if framework == "tf" and "keras" in facts.imports.roots:
        return "keras"  # standalone Keras
    return framework


def _fit_framework(facts: ModuleFacts, site: CallSite) -> str | None:
    roots = facts.imports.roots
    kind = site.recv.kind if site.recv is not None else None
    if kind is None and site.recv is not None:
        kind = _parameter_kind(site)
    if kind and ("preprocessing" in kind or last_part(kind) in ("ImageDataGenerator", "Tokenizer")):
        return None
    if site.method == "train" and (is_hf_trainer_kind(kind)):
        return "torch"
    if site.method not in FIT_METHODS:
        return None
    if site.method == "fit" and _is_lightning_trainer(site) and roots & {"lightning", "pytorch_lightning"}:
        return "torch"
    if kind:
        if kind.startswith(("keras.", "tensorflow.")):
            return "tf"
        if kind.startswith(("skorch.",)):
            return "torch"
        if kind.startswith(CLASSIC_ROOTS) or kind.startswith("imblearn."):
            return "classic"
    has_tf = bool(roots & set(TF_ROOTS))
    if has_tf and (site.method in ("fit_generator", "train_on_batch")
                   or site.kwargs.keys() & KERAS_FIT_KW or not roots & set(CLASSIC_ROOTS)):
        return "tf"
    if roots & set(CLASSIC_ROOTS):
        return "classic"
    return None


def _parameter_kind(site: CallSite) -> str | None:
    """``def preview(gen, img): gen.fit(img)`` called only as ``preview(ImageDataGenerator(...), x)``:
    the kind every same-file call gives the parameter the method is called on (still unbound)."""
    func, scope = site.node.func, site.scope
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name) or scope is None \
            or not scope.callers or site.recv.idents != frozenset({scope.param_ids.get(func.value.id)}):
        return None
    kinds: set[str | None] = set()
    for caller in scope.callers:
        slot = next((slot for param, slot, _ in bound_slots(scope, caller) if param == func.value.id), None)
        value = caller.arg(slot) if isinstance(slot, int) else caller.kwargs.get(slot) if slot else None
        kinds.add(value.kind if value is not None else None)
    return kinds.pop() if len(kinds) == 1 else None


# estimators whose default settings use randomness only to break ties between equally good splits
# (not AdaBoostRegressor: AdaBoost.R2 draws a weighted bootstrap of the rows at every round)
_TIES_ONLY = frozenset({"GradientBoostingClassifier", "GradientBoostingRegressor", "AdaBoostClassifier"})


def _breaks_ties_only(site: CallSite) -> bool:
    """A gradient-boosting model without row subsampling (``subsample`` < 1), feature subsampling
    (``max_features``) or early stopping on a random validation split (``n_iter_no_change``), or an
    AdaBoost model with its default decision stumps or an explicit tree like them: seeding changes
    nothing of substance."""
    if last_part(site.qn).startswith("AdaBoost"):
        return _ties_only_base(site)
    if site.node.args:
        return False  # GradientBoosting settings given by position
    subsample = site.kwarg_node("subsample")
    if subsample is not None and not (isinstance(subsample, ast.Constant) and subsample.value == 1):
        return False
    return all(_is_const(site.kwarg_node(kw), None) or site.kwarg_node(kw) is None
               for kw in ("max_features", "n_iter_no_change"))


_BEST_SPLIT_TREES = frozenset({"sklearn.tree.DecisionTreeClassifier", "sklearn.tree.DecisionTreeRegressor"})


def _ties_only_base(site: CallSite) -> bool:
    """AdaBoost draws only to seed its base estimators: with the default base (a decision stump), or
    an explicit ``DecisionTree*`` that tries every feature with the best splitter
    (``DecisionTreeClassifier(max_depth=1)``), the draws only break ties between equal splits."""
    base_nodes = [site.kwarg_node(kw) for kw in ("estimator", "base_estimator")] + site.node.args[:1]
    given = [node for node in base_nodes if node is not None and not _is_const(node, None)]
    if not given:
        return len(site.node.args) <= 1  # the default stump (further settings by position: unknown)
    base = site.arg(0, "estimator") or site.kwargs.get("base_estimator")
    if len(given) > 1 or len(site.node.args) > 1 or base is None or base.kind not in _BEST_SPLIT_TREES \
            or base.call is None or base.call.args:
        return False
    settings = {kw.arg: kw.value for kw in base.call.keywords}
    if None in settings:
        return False  # ``DecisionTreeClassifier(**params)``: unknown
    features, splitter = settings.get("max_features"), settings.get("splitter")
    return (features is None or _is_const(features, None)) and (
        splitter is None or isinstance(splitter, ast.Constant) and splitter.value == "best")


def _sklearn_unpinned(site: CallSite) -> bool:
    qn = site.qn or ""
    if not qn.startswith("sklearn.") or last_part(qn) not in SKLEARN_RANDOM:
        return False
    node = site.node
    if any(kw.arg is None or kw.arg in ("random_state",) for kw in node.keywords):
        return False
    if any(isinstance(a, ast.Starred) for a in node.args):
        return False
    if last_part(qn) in _TIES_ONLY and _breaks_ties_only(site):
        return False
    if last_part(qn).startswith("HistGradientBoosting") and not _is_const(site.kwarg_node("early_stopping"), True):
        return False  # random only when it holds out a validation split for early stopping
    if last_part(qn) in ("make_circles", "make_moons") and len(node.args) <= 1 \
            and _is_const(site.kwarg_node("shuffle"), False) and (
                site.kwarg_node("noise") is None or _is_const(site.kwarg_node("noise"), None)):
        return False  # points on fixed curves, in order, with no noise: nothing is drawn
    init = site.kwarg_node("init")
    if last_part(qn) in ("KMeans", "BisectingKMeans") and init is not None and not (
            isinstance(init, ast.Constant) and isinstance(init.value, str)):
        return False  # explicit initial centres: deterministic
    return True


_SEED_CTORS = frozenset({"numpy.random.default_rng", "numpy.random.RandomState", "random.Random",
                         "numpy.random.Generator", "numpy.random.SeedSequence"})
# methods that may make a call relevant when the callee is not imported (qn is None)
_LOCAL_METHODS = FIT_METHODS | {"train", "seed_everything", "fit_transform", "fit_resample"}
_FIT_OR_TRAIN = FIT_METHODS | {"train"}
_SETTINGS_PREFIXES = ("transformers.", "trl.", "lightning.", "accelerate.")
_SEEDING_PREFIXES = _SETTINGS_PREFIXES + ("tensorflow.random.Generator.from_seed",)


def randomness_of(facts: ModuleFacts) -> Randomness:
    """Use through ``facts.derived(randomness_of)``. Only code that runs counts (analysis/reach.py)."""
    rnd = Randomness()
    reach = facts.derived(reach_of)
    seeds = facts.derived(seeds_of)
    rnd.global_seeds = [s for s in seeds.calls if _effective(s) and s.kinds != frozenset({"torch_generator"})]
    known = {id(s.site.node): s.kinds for s in seeds.calls if s.via is None}
    trains_fit: set[int] = set()  # functions with a fitting sink inside
    entry = False
    explored: list[CallSite] = []  # module-level scikit-learn fits that may only describe data for display
    team_seeds = bool(facts.settings.seed_functions)
    for site in _calls_that_may_matter(facts, seeds.calls):
        qn = site.qn or ""
        if id(site.node) in known:
            if known[id(site.node)] == frozenset({"torch_generator"}):
                rnd.local_seeds.append(site)
            if qn.endswith("seed_everything") and _is_const(site.kwarg_node("workers"), True):
                rnd.workers_seeded = True
            continue
        if not qn and site.method not in _LOCAL_METHODS:
            if site.local is None and _looks_like_seed_helper(site) and not (
                    team_seeds and is_seed_function(site, facts)):
                rnd.opaque_seeds.append(site)
            continue
        cls = last_part(qn)
        # -- seeding ---------------------------------------------------------------------------
        if qn in _SEED_CTORS or qn.startswith("tensorflow.random.Generator.from_seed"):
            if site.node.args or site.node.keywords:
                rnd.local_seeds.append(site)
            continue
        if site.method == "seed_everything" and site.local is None:  # fabric.seed_everything(...)
            rnd.global_seeds.append(SeedCall(site, frozenset({"torch", "torch_cuda", "numpy", "random"})))
            if _is_const(site.kwarg_node("workers"), True):
                rnd.workers_seeded = True
            continue
        if qn and site.local is None and _looks_like_seed_helper(site) and not qn.startswith(
                ("numpy.", "torch.", "random.", "tensorflow.")):
            rnd.opaque_seeds.append(site)
            continue
        if qn.startswith(_SETTINGS_PREFIXES) or "tf_random_seed" in site.kwargs:
            _settings_of(site, qn, cls, rnd)
        # -- draws -------------------------------------------------------------------------------
        use = _draw(site, qn, cls)
        if use is not None and use.rng == "sklearn" and (_never_fitted(facts, site) or _pinned_later(facts, site)):
            use = None
        if use is not None:
            use.owner = site.scope.class_name if site.scope is not None else None
            use.stmt = site.stmt
            rnd.uses.append(use)
        # -- training ------------------------------------------------------------------------------
        framework = fit_framework(facts, site) if site.method in _FIT_OR_TRAIN else None
        if framework is not None:
            rnd.trains_torch = rnd.trains_torch or framework == "torch"
            if framework in ("torch", "tf", "keras") and not (framework == "torch" and is_hf_trainer_kind(
                    site.recv.kind if site.recv is not None else None)):
                rnd.uses.append(Use(framework, site.node, f"{call_label(site)}()", site.method or ""))
            if site.scope is None:
                if framework == "classic" and _describer(site):
                    explored.append(site)
                else:
                    entry = True
            else:
                trains_fit.add(id(site.scope))
        elif site.scope is None and is_cv_func(qn):
            entry = True  # cross_val_score(model, X, y): fits the model on every fold
        elif site.method in ("fit_transform", "fit_resample") and site.scope is None:
            if site.method == "fit_transform" and _describer(site):
                explored.append(site)
            else:
                entry = True
    torch_imported = bool(facts.imports.roots & set(TORCH_ROOTS))
    fixed_tensors: bool | None = None  # computed only when a training loop runs
    for loop in facts.loops:
        if loop.trains and reach.runs_at(loop.scope, loop.line):
            rnd.trains_torch = rnd.trains_torch or torch_imported
            if fixed_tensors is None:
                fixed_tensors = _fits_fixed_tensors(facts)
            if torch_imported and not fixed_tensors:
                rnd.uses.append(Use("torch", loop.node, "the training loop", loop_keyword(loop)))
            if loop.scope is None:
                entry = True
    rnd.entry = entry or _entry_through_calls(facts, trains_fit) or any(
        not _explores(facts, site) for site in explored)
    rnd.worker_init = _worker_init_functions(facts)
    return rnd


# the qualified names ``_draw`` may find a draw in (with the scikit-learn classes of SKLEARN_RANDOM)
_GLOBAL_DRAW_ROOTS = ("numpy.random.", "random.") + TF_DRAW_PREFIXES
_TORCH_RANDOM = TORCH_DRAWS | LOADERS | RANDOM_SAMPLERS


def _may_draw(qn: str) -> bool:
    """A call of ``qn`` may draw random numbers (``_draw`` decides)."""
    return qn.startswith(_GLOBAL_DRAW_ROOTS) or qn in _TORCH_RANDOM or last_part(qn) in SKLEARN_RANDOM


def _calls_that_may_matter(facts: ModuleFacts, seed_calls: list[SeedCall]) -> list[CallSite]:
    """The running calls ``randomness_of`` may learn something from, in order: seed calls, calls of a
    callee that may seed, set settings or draw (judged once per distinct callee), fitting methods and
    scikit-learn cross-validation (which fits), and
    calls named like a seed helper (``_looks_like_seed_helper``) or given ``tf_random_seed=``. Most
    calls are none of these."""
    callees = {qn for qn in facts.derived(called_names).qualified
               if qn in _SEED_CTORS or qn.startswith(_SEEDING_PREFIXES) or _may_draw(qn)
               or is_cv_func(qn)}
    callees.update(seed.site.qn for seed in seed_calls if seed.site.qn)
    unnamed = {id(seed.site.node) for seed in seed_calls if not seed.site.qn}  # seed calls of no callee
    return [site for site in facts.derived(running_calls)
            if site.qn in callees or site.method in _LOCAL_METHODS or "tf_random_seed" in site.kwargs
            or _looks_like_seed_helper(site)
            or unnamed and id(site.node) in unnamed]


def may_use_randomness(facts: ModuleFacts) -> bool:
    """Whether ``randomness_of`` may find a use of an RNG (a call that may draw, see ``_draw``;
    training with torch or TensorFlow/Keras, see ``fit_framework``; a training loop with torch
    imported), judged on every call of the module, running or not, in one cheap pass. False decides
    DLP200/DLP202 before which code runs, its seeds and its draws are worked out, which costs far
    more (library modules and many notebooks use no RNG). Use through
    ``facts.derived(may_use_randomness)``."""
    if facts.imports.roots & set(TORCH_ROOTS) and any(loop.trains for loop in facts.loops):
        return True
    names = facts.derived(called_names)
    if any(_may_draw(qn) for qn in names.qualified):
        return True
    return not names.methods.isdisjoint(_FIT_OR_TRAIN) and any(
        site.method in _FIT_OR_TRAIN and fit_framework(facts, site) in ("torch", "tf", "keras") for site in facts.calls)


def counted_uses(facts: ModuleFacts) -> list[Use]:
    """The first use of each RNG that counts for DLP200/DLP202, in line order: draws whose value
    only chooses what to show and estimators fitted only to show something (analysis/display.py)
    do not count. Later uses of an RNG are not judged (what the rules report depends only on the
    first). Use through ``facts.derived(counted_uses)``, only when a finding depends on it (it may
    index the reads of names)."""
    return counted_uses_of(facts, None)


def counted_uses_of(facts: ModuleFacts, rngs: Collection[str] | None) -> list[Use]:
    """``counted_uses`` for the RNGs ``rngs`` only (every RNG when None): the uses of the others are
    not judged, so the module's reads are indexed only when a use of one of ``rngs`` needs it."""
    first: dict[str, Use] = {}
    for use in sorted(facts.derived(randomness_of).uses, key=lambda u: (u.line, u.node.col_offset)):
        if use.rng in first or rngs is not None and use.rng not in rngs:
            continue
        if use.draw and shown_only(facts, use.node) or use.rng == "sklearn" and (
                _shown_fit(facts, use) or _replaced_unread(facts, use)):
            continue
        first[use.rng] = use
    return list(first.values())


def _shown_fit(facts: ModuleFacts, use: Use) -> bool:
    """A scikit-learn estimator fitted only to show something (analysis/display.py), or a data
    generator (``make_blobs``) whose points are only shown."""
    cls = use.what.rsplit(".", 1)[-1]
    if not cls[:1].isupper():
        return shown_only(facts, use.node)
    if not _bound_by_its_statement(use) or cls not in DESCRIBING and id(use.node) in facts.derived(
            _models_in_use):
        return False  # decided from the facts, without indexing the module's reads
    return fitted_shown_only(facts, use.node, describing=cls in DESCRIBING)


def _replaced_unread(facts: ModuleFacts, use: Use) -> bool:
    """``model = RandomForestClassifier()`` at module level, bound again by a later top-level
    statement (``model = SVC()``) before anything reads it: the estimator is never fitted, and draws
    nothing. Not decided when code runs from strings the analysis cannot read (``run_cell_magic``)."""
    stmt = use.stmt
    if not isinstance(stmt, ast.Assign) or stmt.value is not use.node or id(use.node) in facts.derived(
            _models_in_use) or not any(top is stmt for top in facts.tree.body):
        return False
    return facts.derived(_read_in_running_code) is not None and replaced_unread(facts, use.node, facts.tree.body)


def _bound_by_its_statement(use: Use) -> bool:
    """``km = KMeans(...)``, ``flat = TSNE(...).fit_transform(X)``: the estimator (or what its
    methods return) is bound to names by the statement that builds it; one built inside a list, a
    ``return`` or another call's arguments is used in ways only that code knows."""
    stmt = use.stmt
    if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or stmt.value is None:
        return False
    node = stmt.value
    while node is not use.node and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return node is use.node


def _models_in_use(facts: ModuleFacts) -> frozenset[int]:
    """Constructor calls whose estimator is evaluated (``rf.predict(X)``, ``rf.score(...)``) or
    handed to another call (``cross_val_score(rf, ...)``, ``GridSearchCV(rf, ...)``)."""
    out: set[int] = set()
    for site in facts.calls:
        if site.recv is not None and site.recv.call is not None and site.method in EVALUATING:
            out.add(id(site.recv.call))
        for value in (*site.args, *site.kwargs.values()):
            if value is not None and value.call is not None:
                out.add(id(value.call))
    return frozenset(out)


def _settings_of(site: CallSite, qn: str, cls: str, rnd: Randomness) -> None:
    """Seeds and determinism given as settings: ``RunConfig(tf_random_seed=...)``, HF ``Trainer``,
    ``LightningCLI``, ``Trainer(deterministic=True)``, ``Accelerator()``."""
    tf_seed = site.kwarg_node("tf_random_seed")  # tf.estimator / contrib RunConfig
    if tf_seed is not None and not _is_const(tf_seed, None):
        rnd.global_seeds.append(SeedCall(site, frozenset({"tf"})))
    if is_hf_trainer_kind(qn) or (qn.startswith("lightning.") and cls == "LightningCLI" and not (
            _is_const(site.kwarg_node("seed_everything_default"), False))):
        rnd.implicit_seed = rnd.implicit_seed or site
    if qn == "accelerate.Accelerator":
        rnd.accelerate = True
    if qn.startswith("lightning.") and cls == "Trainer" and _is_const(site.kwarg_node("deterministic"), True):
        rnd.deterministic = True


# every draw below is of a qualified name with one of these prefixes, or of a scikit-learn class
_DRAW_ROOTS = _GLOBAL_DRAW_ROOTS + ("torch.",)


def _draw(site: CallSite, qn: str, cls: str) -> Use | None:
    """The call draws random numbers from a global generator."""
    if not qn.startswith(_DRAW_ROOTS) and cls not in SKLEARN_RANDOM:
        return None  # most calls: decided before the tests below
    spelled = site.name or qn
    if qn.startswith("numpy.random.") and qn.count(".") == 2 and cls not in NUMPY_NOT_DRAWS:
        return Use("numpy", site.node, f"{spelled}()", spelled, draw=True)
    if qn.startswith("random.") and qn.count(".") == 1 and cls in RANDOM_DRAWS:
        return Use("random", site.node, f"{spelled}()", spelled, draw=True)
    if qn in TORCH_DRAWS:
        return Use("torch", site.node, f"{spelled}()", spelled, draw=True)
    if qn.startswith(TF_DRAW_PREFIXES) and cls not in TF_NOT_DRAWS and qn.count(".") == 2:
        return Use("tf", site.node, f"{spelled}()", spelled, draw=True)
    if qn in LOADERS and _is_const(site.kwarg_node("shuffle"), True):
        return Use("torch", site.node, "DataLoader(shuffle=True)", "shuffle")
    if qn in RANDOM_SAMPLERS:
        return Use("torch", site.node, f"{cls}()", spelled)
    if cls in SKLEARN_RANDOM and _sklearn_unpinned(site):
        return Use("sklearn", site.node, f"{spelled}() without random_state", spelled)
    return None


def _never_fitted(facts: ModuleFacts, site: CallSite) -> bool:
    """A scikit-learn estimator built at module level and bound to names (``clf = ...``,
    ``models = [(RandomForestClassifier(), "forest"), ...]``) that no code which runs ever reads
    again: it is fitted, if at all, only in functions nobody calls. Estimators draw their random
    numbers when fitted, not when built."""
    stmt = site.stmt
    if site.scope is not None or not last_part(site.qn)[:1].isupper() or not isinstance(stmt, ast.Assign) \
            or not all(isinstance(t, ast.Name) for t in stmt.targets):
        return False
    idents: set[int] = set()
    for target in stmt.targets:
        value = facts.module_env.get(target.id)
        if value is None or value.line != target.lineno:
            return False  # bound again later: not followed
        idents |= value.idents
    reads = facts.derived(_read_in_running_code)
    return reads is not None and not idents & reads


SEARCHES = frozenset({"GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV",
                      "BayesSearchCV"})


@dataclass(eq=False)
class Pinned:
    """Estimators whose ``random_state`` is set after they are built: by ``est.set_params(random_state=s)``
    (directly, or in a same-file helper the estimator is passed to) or by a search whose parameter grid
    fixes it (``GridSearchCV(est, {"random_state": [7], ...})``)."""

    calls: set[int] = field(default_factory=set)  # ids of constructor calls pinned
    idents: set[int] = field(default_factory=set)  # identities of the values pinned (and their containers)


def _sets_random_state(keys: list[str | None]) -> bool:
    return any(k is not None and (k == "random_state" or k.endswith("__random_state")) for k in keys)


def _grid_nodes(facts: ModuleFacts, site: CallSite) -> list[ast.expr]:
    """The parameter grid of a search: a dict or list display, or the display last bound to the name
    passed (in the same scope, before the search); in a function that neither takes nor binds the
    name, the display the module level binds to it, when that is the only place in the module that
    binds, deletes or changes the name (no other binding in any scope or branch, no ``del``, no item
    store, no ``update``)."""
    node = site.kwarg_node("param_grid") or site.kwarg_node("param_distributions") or site.kwarg_node(
        "search_spaces") or (site.node.args[1] if len(site.node.args) > 1 else None)
    if not isinstance(node, ast.Name):
        return [node] if node is not None else []
    body = site.scope.node.body if site.scope is not None else facts.tree.body
    found = None
    for stmt in body:
        if stmt.lineno >= site.line:
            break
        if _binds(stmt, node.id):
            found = stmt.value
    if found is not None or site.scope is None or node.id in site.scope.param_ids:
        return [found] if found is not None else []
    bound = [stmt for stmt in facts.tree.body if _binds(stmt, node.id)]
    return [bound[0].value] if len(bound) == 1 and _changes(facts.tree, node.id) == 1 else []


_CHANGING_METHODS = frozenset({"update", "pop", "popitem", "setdefault", "clear", "__setitem__", "__delitem__"})


def _changes(tree: ast.Module, name: str) -> int:
    """How many places anywhere in the module bind, delete or change the dict held in ``name``
    (``name = ...`` in any scope, ``del name[k]``, ``name[k] = v``, ``name.update(...)``)."""
    count = 0
    for sub in walk(tree):
        if isinstance(sub, ast.Name) and sub.id == name and not isinstance(sub.ctx, ast.Load):
            count += 1
        elif isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name) and sub.value.id == name \
                and not isinstance(sub.ctx, ast.Load):
            count += 1
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in _CHANGING_METHODS \
                and isinstance(sub.func.value, ast.Name) and sub.func.value.id == name:
            count += 1
    return count


def _binds(stmt: ast.stmt, name: str) -> bool:
    return isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)


def _grid_fixes_seed(grids: list[ast.expr]) -> bool:
    """Every dict of every grid has a ``random_state`` (or ``step__random_state``) key."""
    dicts = [d for grid in grids for d in (grid.elts if isinstance(grid, (ast.List, ast.Tuple)) else [grid])]
    return bool(dicts) and all(isinstance(d, ast.Dict) and _sets_random_state(
        [k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None for k in d.keys]) for d in dicts)


def pinned_of(facts: ModuleFacts) -> Pinned:
    """Use through ``facts.derived(pinned_of)``."""
    pinned = Pinned()
    names = facts.derived(called_names)
    searches = {qn for qn in names.qualified if last_part(qn) in SEARCHES}
    if not searches and "set_params" not in names.methods:
        return pinned  # nothing can pin an estimator: no call to look at
    for site in facts.derived(running_calls):
        if site.method == "set_params" and _sets_random_state([kw.arg for kw in site.node.keywords]):
            value = site.recv
        elif site.qn in searches and _grid_fixes_seed(_grid_nodes(facts, site)):
            value = site.arg(0, "estimator")
        else:
            continue
        if value is None:
            continue
        _pin(pinned, value)
        info = site.scope
        if info is not None and value.anc & set(info.param_ids.values()):
            params = {p for p, ident in info.param_ids.items() if ident in value.anc}
            for caller in info.callers:  # the helper's callers pass the estimators it pins
                for param, slot, _ in bound_slots(info, caller):
                    argument = caller.arg(slot) if isinstance(slot, int) else caller.kwargs.get(slot)
                    if param in params and argument is not None:
                        _pin(pinned, argument)
    return pinned


def _pin(pinned: Pinned, value) -> None:
    if value.call is not None:
        pinned.calls.add(id(value.call))
    pinned.idents |= value.anc


def _pinned_later(facts: ModuleFacts, site: CallSite) -> bool:
    """The estimator built at ``site`` gets its ``random_state`` set later (see ``Pinned``)."""
    if not last_part(site.qn)[:1].isupper():
        return False
    pinned = facts.derived(pinned_of)
    if id(site.node) in pinned.calls:
        return True
    stmt = site.stmt
    if site.scope is not None or not isinstance(stmt, ast.Assign) or not pinned.idents:
        return False
    for target in stmt.targets:  # estimators = {"a": SGDClassifier(), ...}: the container's identity
        value = facts.module_env.get(target.id) if isinstance(target, ast.Name) else None
        if value is not None and value.line == target.lineno and value.idents & pinned.idents:
            return True
    return False


def _read_in_running_code(facts: ModuleFacts) -> frozenset[int] | None:
    """Identities of the values read by code that runs (call receivers and arguments, loop
    iterables, attribute stores); None when code runs from strings the analysis cannot read
    (``get_ipython().run_cell_magic("time", "", "model.fit(X, y)")`` in converted notebooks)."""
    reach = facts.derived(reach_of)
    out: set[int] = set()
    for site in facts.derived(running_calls):
        if site.method in ("run_cell_magic", "run_line_magic"):
            return None
        for value in (site.recv, *site.args, *site.kwargs.values()):
            if value is not None:
                out |= value.anc
    for loop in facts.loops:
        if loop.iter is not None and reach.runs_at(loop.scope, loop.line):
            out |= loop.iter.anc
    for store in facts.stores:
        if reach.runs_at(store.scope, store.stmt.lineno):
            out |= store.value_info.anc
    return frozenset(out)


def _worker_init_functions(facts: ModuleFacts) -> set[int]:
    """Same-file functions handed to a loader as ``worker_init_fn=`` (directly or in ``partial``):
    their seeds are per-worker seeds, PyTorch's recipe for augmentation in workers."""
    out: set[int] = set()
    if LOADERS.isdisjoint(facts.derived(called_names).qualified):
        return out  # no loader built: no call to look at
    for site in facts.calls:
        if site.qn not in LOADERS:
            continue
        node = site.kwarg_node("worker_init_fn")
        if isinstance(node, ast.Call) and node.args:  # functools.partial(seed_worker, rank=...)
            node = node.args[0]
        if isinstance(node, ast.Name):
            out.update(id(f) for f in facts.functions if f.name == node.id and f.class_name is None)
    return out


_ZOO_PREFIXES = ("torchvision.models.", "timm.", "transformers.", "segmentation_models_pytorch.")


def _fits_fixed_tensors(facts: ModuleFacts) -> bool:
    """Nothing random feeds the module's torch training: every optimizer (if any: manual updates
    count too) works on hand-made tensors (``optim.SGD([params])``, ``optim.Adam([target])``) or on
    the parameters of a model class of this file (``optim.SGD(model.parameters())`` with ``model =
    Net()``), and nothing starts from random weights (``_random_torch_model``): a zero-initialised
    logistic regression, neural style transfer through a frozen pretrained network."""
    local_params: set[int] = set()  # model.parameters() of an instance of a class of the file
    for site in facts.calls:
        if site.method in ("parameters", "named_parameters") and site.recv is not None \
                and (site.recv.kind or "").startswith("<local>."):
            local_params.add(id(site.node))
    for site in facts.calls:
        qn = site.qn or ""
        if not qn.startswith("torch.optim.") or not last_part(qn)[:1].isupper() or ".lr_scheduler." in qn:
            continue
        params = site.node.args[0] if site.node.args else site.kwarg_node("params")
        if id(params) in local_params:
            continue
        if not isinstance(params, (ast.List, ast.Tuple)) or not all(
                isinstance(e, (ast.Name, ast.Attribute)) for e in params.elts):
            return False
    return not _random_torch_model(facts)


# torch.nn layers that hold no random initial weights
_PLAIN_LAYERS = frozenset({"Parameter", "ParameterList", "ParameterDict", "Identity", "ReLU", "Sigmoid", "Tanh",
                           "Softmax", "LogSoftmax", "Flatten", "Unflatten", "MaxPool2d", "AvgPool2d", "DataParallel",
                           "Sequential", "ModuleList", "ModuleDict"})
# nn.init functions that set constants (the others draw)
_CONSTANT_INITS = frozenset({"zeros_", "ones_", "constant_", "eye_", "dirac_", "calculate_gain"})
# modules a model class may call into without hiding layers the analysis cannot see
_SEEN_ROOTS = TORCH_ROOTS + ("numpy", "math", "collections", "itertools", "functools", "typing", "copy", "os",
                             "warnings", "logging")
_BUILTINS = frozenset(dir(__import__("builtins")))


def _random_torch_model(facts: ModuleFacts) -> bool:
    """Something in the module starts from random numbers: a layer built with random initial
    weights (``nn.Linear``) unless every parameter of it is set to constants afterwards
    (``layer.weight.detach().zero_()``, ``nn.init.zeros_(layer.bias)``), a zoo model without
    pretrained weights, dropout, a random ``nn.init``, or a model class of the file built from
    code the analysis cannot see (an imported ``Encoder()``, ``make_layers(cfg)``)."""
    for name, cdef in facts.classes.items():
        if any((dotted(base) or "").endswith("Module") for base in cdef.bases) and _opaque_class(facts, name):
            return True
    resets = _constant_resets(facts)
    for site in facts.calls:
        qn = site.qn or ""
        cls = last_part(qn)
        if qn.startswith("torch.nn.") and cls[:1].isupper() and not cls.endswith("Loss") \
                and not qn.startswith(("torch.nn.parallel.", "torch.nn.utils.")) and cls not in _PLAIN_LAYERS \
                and not _reset_layer(site, resets):
            return True
        if qn.startswith(_ZOO_PREFIXES) and (cls[:1].islower() or cls.startswith("Auto")):
            pretrained = False
            for kw in site.node.keywords:
                if kw.arg in ("weights", "pretrained") and not (
                        isinstance(kw.value, ast.Constant) and kw.value.value in (None, False)):
                    pretrained = True
            if site.method == "from_pretrained" or qn.endswith("from_pretrained"):
                pretrained = True
            if not pretrained:
                return True
        if qn.startswith("torch.nn.functional.dropout") or (
                qn.startswith("torch.nn.init.") and cls not in _CONSTANT_INITS):
            return True
    return False


def _opaque_class(facts: ModuleFacts, name: str, seen: set[str] | None = None) -> bool:
    """A class of the file whose methods (or the same-file functions and classes they use) call
    code of another module that may build layers: a call the analysis cannot see into."""
    seen = seen if seen is not None else set()
    if name in seen:
        return False
    seen.add(name)
    for info in facts.functions:
        if info.class_name != name:
            continue
        for site in info.calls:
            if site.qn:
                if not site.qn.startswith(_SEEN_ROOTS):
                    return True
            elif site.local is None and site.method is None and site.name:
                if site.name in facts.classes:
                    if _opaque_class(facts, site.name, seen):
                        return True
                elif site.name[:1].isupper() and site.name not in _BUILTINS:
                    return True  # a class from a star import; a lower-case name calls a value (layer(x))
    return False


def _parameter_of(node: ast.expr) -> tuple[str, str] | None:
    """``(layer, "weight")`` for ``layer.weight``, ``layer.weight.data``, ``layer.weight.detach()``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "detach":
        node = node.func.value
    if isinstance(node, ast.Attribute) and node.attr == "data":
        node = node.value
    if isinstance(node, ast.Attribute) and node.attr in ("weight", "bias"):
        layer = dotted(node.value)
        return (layer, node.attr) if layer else None
    return None


def _constant_resets(facts: ModuleFacts) -> set[tuple[str, str]]:
    """The layer parameters set to constants in place: ``fc.weight.data.zero_()``,
    ``self.fc.bias.detach().fill_(0.5)``, ``nn.init.constant_(fc.weight, 0)``."""
    out: set[tuple[str, str]] = set()
    for site in facts.calls:
        if site.method in ("zero_", "fill_") and isinstance(site.node.func, ast.Attribute):
            found = _parameter_of(site.node.func.value)
        elif (site.qn or "").startswith("torch.nn.init.") and last_part(site.qn) in _CONSTANT_INITS \
                and site.node.args:
            found = _parameter_of(site.node.args[0])
        else:
            continue
        if found:
            out.add(found)
    return out


def _reset_layer(site: CallSite, resets: set[tuple[str, str]]) -> bool:
    """A layer bound to a name (``self.fc = nn.Linear(...)``) whose weight, and bias unless
    ``bias=False``, are set to constants somewhere in the module."""
    stmt = site.stmt
    if not resets or not isinstance(stmt, ast.Assign) or stmt.value is not site.node or len(stmt.targets) != 1:
        return False
    layer = dotted(stmt.targets[0])
    no_bias = _is_const(site.kwarg_node("bias"), False)
    return bool(layer) and (layer, "weight") in resets and (no_bias or (layer, "bias") in resets)


def _describer(site: CallSite) -> bool:
    """The fitted estimator is a clusterer or an embedding built here (``km = KMeans(4)``,
    ``TSNE().fit_transform``): it describes data without labels."""
    call = site.recv.call if site.recv is not None else None
    return isinstance(call, ast.Call) and last_part(dotted(call.func) or "") in DESCRIBING


def _explores(facts: ModuleFacts, site: CallSite) -> bool:
    """A clustering or embedding fitted only to describe data for display (analysis/display.py)
    trains nothing: a module whose only fits are such is no training entry point."""
    return fitted_shown_only(facts, site.recv.call, describing=True)


def _entry_through_calls(facts: ModuleFacts, trains_fit: set[int]) -> bool:
    """A module-level call (``main()``, ``train(...)`` under ``__main__``) to a function of this
    file that trains or fits, or a ``main`` function that does."""
    pending = [info for info in facts.functions if info.trains or id(info) in trains_fit]
    fits = {id(info) for info in pending}
    while pending:  # and the functions that call them, through their same-file callers
        for site in pending.pop().callers:
            caller = site.scope
            if caller is not None and id(caller) not in fits:
                fits.add(id(caller))
                pending.append(caller)
    fitting_methods = {info.name for info in facts.functions
                       if info.class_name is not None and id(info) in fits
                       and info.name not in ("__init__", "forward", "__call__")}
    for site in facts.calls:
        if site.scope is not None:
            continue
        if site.local is not None and id(site.local) in fits:
            return True
        if site.local is None and site.qn is None and site.method in fitting_methods:
            return True
    return any(info.name == "main" and info.class_name is None and id(info) in fits for info in facts.functions)
