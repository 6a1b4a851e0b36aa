"""Rule facts the output formats show: name, severity, fix safety, description, docs page and URL.

Catalog rules come from their ``Rule`` class. ``DLP000`` (a file that cannot be analysed) is
reserved in the catalog but is no rule class: the command reports it, so its facts live here.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from ..findings import Severity
from ..rules import ALL_RULES, RULES_BY_CODE
from ..rules.base import Rule

# The families of the catalog (the code's hundreds digit), as tags for code scanning filters.
FAMILY_TAGS = {"0": "analysis", "1": "leakage", "2": "reproducibility", "3": "training-loop",
               "4": "monitoring", "5": "optimization"}

UNANALYSABLE_PAGE = """\
## DLP000 unanalysable-file

- **Default:** on (reported by `dlp check` only; flake8 and pylint report such files as E999 /
  syntax-error)
- **Fix:** none

### What it does
Reports a file that `dlp check` could not analyse: a syntax error, bytes that are not valid in
the file's encoding, or a notebook that is not valid notebook JSON. The finding is at the
error's position and says what went wrong; the other files are still checked.

### Why is this bad?
A file that is not analysed is not checked: without this finding a broken file would pass the
gate unnoticed.

### Use instead
Fix the error the message names, or exclude the file in `[tool.dlpractice]`.
"""


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
    def page() -> str:
        from ..docs import rule_page  # imports pylint: only for the formats that show pages

        return rule_page(rule)
    return page


def _from_rule(rule: Rule) -> RuleInfo:
    doc = inspect.cleandoc(type(rule).__doc__ or "")
    return RuleInfo(rule.code, rule.name, rule.summary, rule.severity, rule.fix,
                    _what_it_does(doc) or rule.summary, _rule_page(rule))


UNANALYSABLE = RuleInfo(
    "DLP000", "unanalysable-file", "the file could not be analysed (syntax error, undecodable bytes, invalid notebook)",
    "error", "none", _what_it_does(UNANALYSABLE_PAGE), lambda: UNANALYSABLE_PAGE)


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
