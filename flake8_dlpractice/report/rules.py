"""Rule facts the output formats show: name, severity, fix safety, description, docs page and URL.

Catalog rules come from their ``Rule`` class. ``DLP000`` (a file that cannot be analysed) is
reserved in the catalog but is no rule class: the command reports it; its page is in docs.py.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from ..docs import UNANALYSABLE_PAGE, UNANALYSABLE_SUMMARY, rule_page
from ..findings import Severity
from ..rules import ALL_RULES, RULES_BY_CODE
from ..rules.base import Rule

# The families of the catalog (the code's hundreds digit), as tags for code scanning filters.
FAMILY_TAGS = {"0": "analysis", "1": "leakage", "2": "reproducibility", "3": "training-loop",
               "4": "monitoring", "5": "optimization"}


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    summary: str
    severity: Severity
    fix: str  # "safe", "unsafe", "safe/unsafe" or "none"
    description: str  # the first paragraph of "What it does"
    page: Callable[[], str]  # the rule's docs page in markdown (docs/rules.md)

    @property
    def anchor(self) -> str:
        """The page's anchor in docs/rules.md."""
        return f"{self.code.lower()}-{self.name}"

    @property
    def tags(self) -> list[str]:
        return ["deep-learning", FAMILY_TAGS.get(self.code[3:4], "other")]

    def help_uri(self) -> str | None:
        base = docs_url()
        return f"{base}#{self.anchor}" if base else None


def _what_it_does(markdown: str) -> str:
    match = re.search(r"#+ What it does\n(.*?)(?:\n\n|\n#|$)", markdown, re.S)
    return " ".join(match.group(1).split()) if match else ""


def _rule_page(rule: Rule) -> Callable[[], str]:
    return lambda: rule_page(rule)


def _from_rule(rule: Rule) -> RuleInfo:
    doc = inspect.cleandoc(type(rule).__doc__ or "")
    return RuleInfo(rule.code, rule.name, rule.summary, rule.severity, rule.fix,
                    _what_it_does(doc) or rule.summary, _rule_page(rule))


UNANALYSABLE = RuleInfo("DLP000", "unanalysable-file", UNANALYSABLE_SUMMARY, "error", "none",
                        _what_it_does(UNANALYSABLE_PAGE), lambda: UNANALYSABLE_PAGE)


@lru_cache(maxsize=None)
def rule_info(code: str) -> RuleInfo:
    """Facts of ``code``; a code the catalog does not know is shown as a warning named after it."""
    if code == UNANALYSABLE.code:
        return UNANALYSABLE
    rule = RULES_BY_CODE.get(code)
    if rule is None:
        return RuleInfo(code, code.lower(), code, "warning", "none", code, lambda: f"## {code}\n")
    return _from_rule(rule)


def catalog() -> list[RuleInfo]:
    """Every code the tool can report, in code order."""
    return [UNANALYSABLE, *(rule_info(rule.code) for rule in ALL_RULES)]


# -- project metadata -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def project_urls() -> dict[str, str]:
    """The installed distribution's ``Project-URL`` entries, by lower-cased label."""
    from importlib import metadata

    try:
        entries = metadata.metadata("flake8-dlpractice").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return {}
    urls = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        if url.strip():
            urls[label.strip().lower()] = url.strip()
    return urls


def docs_url() -> str | None:
    """The rules reference the project metadata names (``Rules``, else ``Documentation``)."""
    urls = project_urls()
    return urls.get("rules") or urls.get("documentation")


def home_url() -> str | None:
    urls = project_urls()
    return urls.get("homepage") or urls.get("repository") or urls.get("source") or docs_url()
