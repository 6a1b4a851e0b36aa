"""Seeds and determinism settings of a module (computed once from the recorded calls/stores).

Only code that runs counts (``analysis/reach.py``): a seed call in a function nobody calls seeds
nothing. A project's own seed helpers named in ``RuleSettings.seed_functions`` seed every RNG.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .called import called_names
from .facts import ModuleFacts
from .records import CallSite, Store
from .project import is_seed_function
from .reach import reach_of, running_calls

# qualified seed call -> the RNGs it seeds
SEED_CALLS: dict[str, frozenset[str]] = {
    "torch.manual_seed": frozenset({"torch"}),
    "torch.random.manual_seed": frozenset({"torch"}),
    "torch.cuda.manual_seed": frozenset({"torch_cuda"}),
    "torch.cuda.manual_seed_all": frozenset({"torch_cuda"}),
    "numpy.random.seed": frozenset({"numpy"}),
    "random.seed": frozenset({"random"}),
    "tensorflow.random.set_seed": frozenset({"tf"}),
    "tensorflow.set_random_seed": frozenset({"tf"}),
    "tensorflow.compat.v1.set_random_seed": frozenset({"tf"}),
    "keras.utils.set_random_seed": frozenset({"tf", "numpy", "random"}),
    "lightning.seed_everything": frozenset({"torch", "torch_cuda", "numpy", "random"}),
    "lightning.pytorch.seed_everything": frozenset({"torch", "torch_cuda", "numpy", "random"}),
    "lightning.pytorch.utilities.seed.seed_everything": frozenset({"torch", "torch_cuda", "numpy", "random"}),
    "lightning.fabric.seed_everything": frozenset({"torch", "torch_cuda", "numpy", "random"}),
    "lightning.fabric.utilities.seed.seed_everything": frozenset({"torch", "torch_cuda", "numpy", "random"}),
    "transformers.set_seed": frozenset({"torch", "torch_cuda", "numpy", "random", "tf"}),
    "transformers.trainer_utils.set_seed": frozenset({"torch", "torch_cuda", "numpy", "random", "tf"}),
    "accelerate.utils.set_seed": frozenset({"torch", "torch_cuda", "numpy", "random"}),
    "timm.utils.random_seed": frozenset({"torch", "numpy", "random"}),
}
TORCH_KINDS = frozenset({"torch", "torch_cuda"})
ALL_KINDS = frozenset({"torch", "torch_cuda", "numpy", "random", "tf"})


@dataclass(eq=False)
class SeedCall:
    site: CallSite  # the call as written where it seeds (inside a helper for helper seeds)
    kinds: frozenset[str]
    via: CallSite | None = None  # the call of a same-file helper that reaches it
    team: bool = False  # a project's own seed helper (``seed_functions``): its body is not seen

    @property
    def call(self) -> CallSite:
        """The call as written in the code that runs it (the helper's call site for helpers)."""
        return self.via or self.site


@dataclass(eq=False)
class Seeds:
    calls: list[SeedCall] = field(default_factory=list)
    deterministic: list[ast.AST] = field(default_factory=list)  # nodes that make cuDNN deterministic
    # calls that turn determinism off on purpose (Lightning ``Trainer(deterministic=False)``)
    nondeterministic: list[ast.AST] = field(default_factory=list)
    benchmark_true: list[Store] = field(default_factory=list)

    @property
    def kinds(self) -> frozenset[str]:
        out: set[str] = set()
        for call in self.calls:
            out |= call.kinds
        return frozenset(out)

    def first(self, kinds: frozenset[str]) -> SeedCall | None:
        found = [c for c in self.calls if c.kinds & kinds]
        return min(found, key=lambda c: (c.site.line, c.site.node.col_offset)) if found else None

    def first_run(self, kinds: frozenset[str]) -> SeedCall | None:
        """The seed of ``kinds`` whose call comes first in the code that runs it."""
        found = [c for c in self.calls if c.kinds & kinds]
        return min(found, key=lambda c: (c.call.line, c.call.node.col_offset)) if found else None


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _is_false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _turns_determinism_off(site: CallSite, qn: str) -> bool:
    """Lightning ``Trainer(deterministic=False)``: the author decided against determinism."""
    return qn.endswith("Trainer") and qn.startswith("lightning.") and _is_false(site.kwarg_node("deterministic"))


def _makes_deterministic(site: CallSite, qn: str) -> bool:
    """``torch.use_deterministic_algorithms(True)``, Lightning ``Trainer(deterministic=True)``,
    ``set_seed(..., deterministic=True)``, ``transformers.enable_full_determinism``."""
    if qn == "torch.use_deterministic_algorithms":
        return bool(site.node.args) and _is_true(site.node.args[0])
    if (qn.endswith("Trainer") and qn.startswith("lightning.")) or qn.endswith("set_seed"):
        return _is_true(site.kwarg_node("deterministic"))
    return qn == "transformers.enable_full_determinism"


# how the names of the calls that turn determinism on or off end
_DETERMINISM_TAILS = ("Trainer", "set_seed", "use_deterministic_algorithms", "enable_full_determinism")


_CUDNN_FLAGS = frozenset({"torch.backends.cudnn.deterministic", "torch.backends.cudnn.benchmark"})


def _seeding_calls(facts: ModuleFacts) -> list[CallSite]:
    """The running calls that may seed or decide determinism (``seeds_of``'s loop without a team's
    seed functions), found through the module's distinct callees: most modules call none."""
    names = facts.derived(called_names)
    callees = {qn for qn in names.qualified if qn in SEED_CALLS or qn.endswith(_DETERMINISM_TAILS)}
    if not callees and "manual_seed" not in names.methods:
        return []
    return [site for site in facts.derived(running_calls) if site.qn in callees or site.method == "manual_seed"]


def seeds_of(facts: ModuleFacts) -> Seeds:
    """Use through ``facts.derived(seeds_of)``."""
    seeds = Seeds()
    reach = facts.derived(reach_of)
    team = bool(facts.settings.seed_functions)
    direct: dict[int, list[SeedCall]] = {}
    for site in facts.derived(running_calls) if team else _seeding_calls(facts):
        if team and is_seed_function(site, facts):
            seeds.calls.append(SeedCall(site, ALL_KINDS, team=True))
            continue
        qn = site.qn
        if qn is None:
            if site.method == "manual_seed" and site.recv is not None \
                    and (site.recv.kind or "").endswith("Generator"):
                seeds.calls.append(SeedCall(site, frozenset({"torch_generator"})))
            continue
        kinds = SEED_CALLS.get(qn)
        if kinds:
            seed = SeedCall(site, kinds)
            seeds.calls.append(seed)
            if site.scope is not None:
                direct.setdefault(id(site.scope), []).append(seed)
        if not qn.endswith(_DETERMINISM_TAILS):
            continue  # the calls below decide determinism
        if _makes_deterministic(site, qn):
            seeds.deterministic.append(site.node)
        elif _turns_determinism_off(site, qn):
            seeds.nondeterministic.append(site.node)
            if qn == "transformers.enable_full_determinism":
                seeds.calls.append(SeedCall(site, ALL_KINDS))
    # same-file helpers that seed: their call sites seed too (one level of indirection at a time)
    for info in facts.functions if direct else ():
        found = direct.get(id(info))
        if not found:
            continue
        kinds = frozenset().union(*(s.kinds for s in found))
        for site in info.callers:
            if site.scope is not info and reach.runs_at(site.scope, site.stmt.lineno):
                seeds.calls.append(SeedCall(site, kinds, via=site))
    for store in facts.stores:
        if store.target not in _CUDNN_FLAGS or not reach.runs_at(store.scope, store.stmt.lineno):
            continue
        if store.target == "torch.backends.cudnn.deterministic" and _is_true(store.value):
            seeds.deterministic.append(store.stmt)
        elif store.target == "torch.backends.cudnn.benchmark" and _is_true(store.value):
            seeds.benchmark_true.append(store)
    return seeds


# Layers and models whose GPU kernels come from cuDNN, where kernel choice changes results:
# convolutions and recurrent layers (matmul-only models such as transformers run on cuBLAS).
CUDNN_LAYER_PREFIXES = ("torch.nn.Conv", "torch.nn.LazyConv", "torch.nn.functional.conv", "torch.nn.LSTM",
                        "torch.nn.GRU", "torch.nn.RNN", "torchvision.models.", "timm.create_model",
                        "timm.models.", "segmentation_models_pytorch.", "monai.networks.")


def cudnn_layer(facts: ModuleFacts) -> CallSite | None:
    """The first constructor of a cuDNN-backed layer or model (a convolution, a recurrent layer, a
    torchvision/timm CNN). Transformer-only and MLP modules get none."""
    for site in facts.calls:
        qn = site.qn
        if qn and qn.startswith(CUDNN_LAYER_PREFIXES) and ".transformer" not in qn.lower() \
                and "vit" not in qn.lower():
            return site
    return None
