"""Reproducibility: seeds and deterministic settings (DLP2xx)."""
from __future__ import annotations

import ast
from typing import Iterator

from ..analysis.facts import ModuleFacts
from ..analysis.seeds import TORCH_KINDS, seeds_of
from .base import Finding, Fix, Rule, span_of


class CudnnNondeterministic(Rule):
    """
    ## What it does
    In a module that seeds PyTorch (`torch.manual_seed`, `seed_everything`, `transformers.set_seed`
    or a same-file helper calling them), flags the first torch seed call when cuDNN is never made
    deterministic (`torch.backends.cudnn.deterministic = True`, or
    `torch.use_deterministic_algorithms(True)`, Lightning `Trainer(deterministic=True)`), and
    flags any `torch.backends.cudnn.benchmark = True`.

    ## Why is this bad?
    The guide's *Reproducibility* section: seeding is not enough on a GPU. cuDNN picks
    convolution algorithms, some of them non-deterministic, and with `benchmark = True` it picks
    them by timing, so two runs with the same seed still differ. The module asked for
    reproducible runs by seeding; without these settings it does not get them, and
    *Debugging Neural Networks* (fix seeds to tell code changes from noise) fails silently.

    ## Example
    ```python
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    ```

    ## Use instead
    ```python
    torch.manual_seed(0)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    ```

    ## Fix
    Safe: `dlp-fix` inserts `torch.backends.cudnn.deterministic = True` and
    `torch.backends.cudnn.benchmark = False` after the last seed call. Turning an explicit
    `benchmark = True` into `False` trades speed for determinism and is unsafe
    (`--unsafe-fixes`).

    ## Known limits
    Settings made in another module (a shared `utils.seed_all()`) are not seen: the rule reports
    where this module seeds, so `# noqa: DLP201` on that line records the decision. A
    `benchmark` value computed at run time (`cudnn.benchmark = not args.deterministic`) is not
    flagged.
    """

    code, name = "DLP201", "cudnn-nondeterministic"
    summary = "torch is seeded but cuDNN may still choose non-deterministic kernels"
    section = "Reproducibility: use deterministic settings"
    fix = "safe/unsafe"
    fix_note = "safe: insert deterministic/benchmark settings; unsafe: flip benchmark = True"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        seeds = seeds_of(facts)
        first = seeds.first(TORCH_KINDS)
        if first is None:
            return
        for store in seeds.benchmark_true:
            yield self.finding(store.stmt, "cudnn.benchmark = True lets cuDNN choose kernels by "
                               f"timing, so runs seeded at line {first.site.line} are not "
                               "reproducible: set it to False",
                               fix=Fix("unsafe", "replace-expression", span_of(store.value),
                                       (("replacement", "False"),)))
        if seeds.deterministic:
            return
        last = max((c for c in seeds.calls if c.kinds & TORCH_KINDS),
                   key=lambda c: (c.site.line, c.site.node.col_offset))
        anchor = last.site.stmt
        fix = None
        if isinstance(anchor, ast.Expr) and anchor.value is last.site.node:
            fix = Fix("safe", "insert-after", span_of(anchor), (
                ("code", "torch.backends.cudnn.deterministic = True\n"
                         "torch.backends.cudnn.benchmark = False"),
                ("imports", "torch")))
        yield self.finding(first.site.node, "torch is seeded here but cuDNN may still pick "
                           "non-deterministic kernels: set torch.backends.cudnn.deterministic = True "
                           "and torch.backends.cudnn.benchmark = False (or call "
                           "torch.use_deterministic_algorithms(True))", fix=fix)
