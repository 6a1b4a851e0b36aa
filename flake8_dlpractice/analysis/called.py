"""The names a module's calls use, each once: a rule that looks for a few callees checks them against
these few dozen names first, instead of testing every call of the module."""
from __future__ import annotations

from dataclasses import dataclass

from .facts import ModuleFacts


@dataclass(frozen=True)
class CalledNames:
    qualified: frozenset[str]  # the qualified names the module's calls resolve to
    methods: frozenset[str]  # the method names it calls (``x.fit(...)``: "fit")


def called_names(facts: ModuleFacts) -> CalledNames:
    """Use through ``facts.derived(called_names)``."""
    calls = facts.calls
    return CalledNames(frozenset({site.qn for site in calls} - {None}),
                       frozenset({site.method for site in calls} - {None}))
