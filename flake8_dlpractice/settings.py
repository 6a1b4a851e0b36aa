"""Rule settings: the project-specific vocabulary a team can add to the analysis.

A plain value, built by ``flake8_dlpractice.config`` from ``[tool.dlpractice]`` and handed to the
engine; nothing here reads files.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleSettings:
    # extra whole-word name tokens that mark split roles (``holdout2``, ``ood``, ``fold``)
    test_names: tuple[str, ...] = ()
    validation_names: tuple[str, ...] = ()
    train_names: tuple[str, ...] = ()
    # a team's own helpers: calling one counts as seeding every RNG (``seed_all``,
    # ``utils.set_seed``) or as recording metrics (``log_metrics``); plain or dotted names
    seed_functions: tuple[str, ...] = ()
    logging_functions: tuple[str, ...] = ()


DEFAULT_SETTINGS = RuleSettings()


@dataclass(frozen=True)
class RuleSet:
    """The rules to run on one file with the project's settings: what ``Config.rules_for`` gives.

    Iterating it gives the rules; wherever the engine takes ``rules`` it also takes a RuleSet and
    then uses its ``settings``, so a front end that hands rules on (``dlp fix``) hands both.
    """

    rules: tuple = ()
    settings: RuleSettings = DEFAULT_SETTINGS

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)
