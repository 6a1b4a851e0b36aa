"""Output formats of ``dlp check --output-format``: pure functions of findings.

The command checks files and hands each over as a :class:`FileReport`; :func:`render` turns them
into the text of one format. Nothing here reads files or analyses code: every format shows the
same findings, translating only positions (cells, character or UTF-16 columns) and layout.

- ``text``: ``path:line:col: CODE [*] message`` and a summary (``path.ipynb:cell N:line:col``);
- ``json``: one object per finding (code, name, severity, message, positions, fix, trace);
- ``sarif``: SARIF 2.1.0 for GitHub code scanning (rules with help, code flows, fingerprints);
- ``github``: GitHub Actions annotations (``::error file=…,line=…::message``);
- ``gitlab``: a GitLab Code Quality report;
- ``junit``: JUnit XML, a failing test case per finding.

``statistics=True`` replaces the findings by counts per code (a JSON list with ``json``, a table
otherwise).
"""
from __future__ import annotations

from typing import Sequence

from .. import __version__
from .github import render_github
from .gitlab import render_gitlab
from .json_format import render_json
from .junit import render_junit
from .model import FileReport, Location, repository_root, sorted_reports
from .rules import UNANALYSABLE, RuleInfo, rule_info
from .sarif import render_sarif
from .text import render_statistics, render_statistics_json, render_text

__all__ = ["FORMATS", "FileReport", "Location", "RuleInfo", "UNANALYSABLE", "render", "repository_root", "rule_info"]

FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit")


def render(fmt: str, reports: Sequence[FileReport], *, root: str | None = None, tool_version: str = __version__,
           statistics: bool = False, unsafe_fixes: bool = False, summary: bool = True,
           fix_command: str = "dlp fix") -> str:
    """The output of ``dlp check --output-format fmt`` for ``reports`` (files sorted by path).

    ``root`` is the folder that SARIF, GitHub and GitLab paths are relative to (the repository's
    root, where code scanning and annotations resolve them); the other formats show paths as given.
    ``unsafe_fixes`` says whether ``dlp fix`` applies unsafe fixes (they are then marked fixable);
    ``summary=False`` leaves the text format's closing summary out (``--quiet``); ``fix_command`` is
    the command the text summary names for applying the fixable findings.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; choose from {', '.join(FORMATS)}")
    files = sorted_reports(reports)
    if statistics:
        return render_statistics_json(files, unsafe_fixes) if fmt == "json" else render_statistics(files, unsafe_fixes)
    if fmt == "text":
        return render_text(files, unsafe_fixes, summary, fix_command)
    if fmt == "json":
        return render_json(files, unsafe_fixes)
    if fmt == "sarif":
        return render_sarif(files, tool_version, root)
    if fmt == "github":
        return render_github(files, root)
    if fmt == "gitlab":
        return render_gitlab(files, root)
    return render_junit(files)
