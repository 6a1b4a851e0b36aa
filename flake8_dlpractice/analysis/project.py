"""A project's own helpers, named in ``RuleSettings`` (``[tool.dlpractice]`` seed-functions and
logging-functions): a team's ``seed_all()`` seeds every RNG, its ``log_metrics()`` records metrics.

A configured name matches a call spelled the same way or ending in it after a dot: ``seed_all``
matches ``seed_all(0)``, ``utils.seed_all(0)`` and ``from utils import seed_all``;
``utils.set_seed`` matches ``utils.set_seed(0)`` and ``from utils import set_seed``.
"""
from __future__ import annotations

import ast

from .facts import ModuleFacts
from .records import CallSite
from .names import dotted


def names_one_of(spellings: tuple[str | None, ...], names: tuple[str, ...]) -> bool:
    for text in spellings:
        if text:
            for name in names:
                if text == name or text.endswith("." + name):
                    return True
    return False


def is_seed_function(site: CallSite, facts: ModuleFacts) -> bool:
    return names_one_of((site.name, site.qn), facts.settings.seed_functions)


def is_logging_call(call: ast.Call, facts: ModuleFacts) -> bool:
    names = facts.settings.logging_functions
    return bool(names) and names_one_of((dotted(call.func), facts.imports.qualname(call.func)), names)


def calls_logging_function(facts: ModuleFacts) -> bool:
    names = facts.settings.logging_functions
    return bool(names) and any(names_one_of((site.name, site.qn), names) for site in facts.calls)
