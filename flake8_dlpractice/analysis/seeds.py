"""Seeds and determinism settings of a module (computed once from the recorded calls/stores)."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .facts import CallSite, ModuleFacts, Store

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


@dataclass(eq=False)
class SeedCall:
    site: CallSite  # the call as written where it seeds (inside a helper for helper seeds)
    kinds: frozenset[str]
    via: CallSite | None = None  # the call of a same-file helper that reaches it


@dataclass(eq=False)
class Seeds:
    calls: list[SeedCall] = field(default_factory=list)
    deterministic: list[ast.AST] = field(default_factory=list)  # nodes that make cuDNN deterministic
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


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def seeds_of(facts: ModuleFacts) -> Seeds:
    cached = getattr(facts, "_seeds", None)
    if cached is not None:
        return cached
    seeds = Seeds()
    direct: dict[int, list[SeedCall]] = {}
    for site in facts.calls:
        kinds = SEED_CALLS.get(site.qn or "")
        if kinds is None and site.method == "manual_seed" and site.recv is not None \
                and (site.recv.kind or "").endswith("Generator"):
            kinds = frozenset({"torch_generator"})
        if kinds:
            seed = SeedCall(site, kinds)
            seeds.calls.append(seed)
            if site.scope is not None:
                direct.setdefault(id(site.scope), []).append(seed)
        if site.qn == "torch.use_deterministic_algorithms" and site.node.args and _is_true(site.node.args[0]):
            seeds.deterministic.append(site.node)
        if site.qn and site.qn.endswith("Trainer") and site.qn.startswith("lightning.") \
                and _is_true(site.kwarg_node("deterministic")):
            seeds.deterministic.append(site.node)
        if (site.qn or "").endswith("set_seed") and _is_true(site.kwarg_node("deterministic")):
            seeds.deterministic.append(site.node)
        if site.qn == "transformers.enable_full_determinism":
            seeds.deterministic.append(site.node)
            seeds.calls.append(SeedCall(site, frozenset({"torch", "torch_cuda", "numpy", "random", "tf"})))
    # same-file helpers that seed: their call sites seed too (one level of indirection at a time)
    helper_kinds: dict[int, frozenset[str]] = {}
    for info in facts.functions:
        found = direct.get(id(info))
        if found:
            helper_kinds[id(info)] = frozenset().union(*(s.kinds for s in found))
    for site in facts.calls:
        if site.local is not None and id(site.local) in helper_kinds and site.scope is not site.local:
            seeds.calls.append(SeedCall(site, helper_kinds[id(site.local)], via=site))
    for store in facts.stores:
        if store.target == "torch.backends.cudnn.deterministic" and _is_true(store.value):
            seeds.deterministic.append(store.stmt)
        elif store.target == "torch.backends.cudnn.benchmark" and _is_true(store.value):
            seeds.benchmark_true.append(store)
    facts._seeds = seeds  # type: ignore[attr-defined]
    return seeds
