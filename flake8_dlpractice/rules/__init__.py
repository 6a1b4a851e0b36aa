"""The rule registry: one module per section of the best-practices guide."""
from __future__ import annotations

from . import eval_mode, leakage, monitoring, numerics, optimization, preparation, reproducibility, training
from .base import Rule

_MODULES = (leakage, preparation, reproducibility, training, eval_mode, numerics, monitoring, optimization)


def _collect() -> tuple[Rule, ...]:
    rules = []
    for module in _MODULES:
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule
                    and obj.__module__ == module.__name__):
                rules.append(obj())
    rules.sort(key=lambda r: r.code)
    codes = [r.code for r in rules]
    assert len(codes) == len(set(codes)), f"duplicate rule codes: {codes}"
    return tuple(rules)


ALL_RULES: tuple[Rule, ...] = _collect()
RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
OPT_IN_CODES = frozenset(rule.code for rule in ALL_RULES if not rule.default)
