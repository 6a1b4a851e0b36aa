"""The text format (one line per finding, then a summary) and ``--statistics``.

    src/train.py:12:5: DLP100 [*] test split X_te fitted by fit at line 12
    analysis.ipynb:cell 4:2:1: DLP302 evaluation loop runs without torch.no_grad()

Columns are 1-based characters. ``[*]`` marks a finding ``dlp fix`` fixes (unsafe fixes count
only with ``--unsafe-fixes``).
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Sequence

from ..findings import Finding
from ..fixes import allowed as fixable
from .model import FileReport
from .rules import rule_info

FIX_MARK = "[*]"


def position(report: FileReport, finding: Finding) -> str:
    """``path:line:col`` or ``path:cell N:line:col`` (1-based columns)."""
    where = report.location(finding)
    cell = f"cell {where.cell}:" if where.cell is not None else ""
    return f"{report.display_path}:{cell}{where.line}:{where.col + 1}"


def render_text(reports: Sequence[FileReport], unsafe_fixes: bool = False, with_summary: bool = True,
                fix_command: str = "dlp fix") -> str:
    lines = []
    for report in reports:
        for finding in report.ordered:
            mark = f" {FIX_MARK}" if fixable(finding, unsafe_fixes) else ""
            lines.append(f"{position(report, finding)}: {finding.code}{mark} {report.one_line(finding)}")
    if with_summary:
        lines.extend([""] * bool(lines) + summary(reports, unsafe_fixes, fix_command))
    return "".join(line + "\n" for line in lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(reports: Sequence[FileReport], unsafe_fixes: bool, fix_command: str = "dlp fix") -> list[str]:
    """The closing lines; ``fix_command`` is what applies the fixes counted as fixable (``dlp fix
    --unsafe-fixes`` when only ``dlp check --unsafe-fixes`` counted the unsafe ones)."""
    findings = [finding for report in reports for finding in report.findings]
    if not reports:
        return ["No files checked."]
    if not findings:
        return [f"All checks passed ({_plural(len(reports), 'file')})."]
    files = sum(1 for report in reports if report.findings)
    out = [f"Found {_plural(len(findings), 'finding')} in {_plural(files, 'file')}."]
    fixes = sum(1 for finding in findings if fixable(finding, unsafe_fixes))
    hidden = sum(1 for finding in findings if finding.fix is not None and not fixable(finding, unsafe_fixes))
    more = f" ({hidden} more with `dlp fix --unsafe-fixes`)" if hidden else ""
    if fixes:
        out.append(f"{FIX_MARK} {fixes} fixable with `{fix_command}`{more}.")
    elif hidden:
        out.append(f"No safe fixes available ({hidden} with `dlp fix --unsafe-fixes`).")
    return out


# -- --statistics ---------------------------------------------------------------------------------

def _counts(reports: Sequence[FileReport], unsafe_fixes: bool) -> list[tuple[str, int, int]]:
    """(code, findings, fixable findings), most frequent first."""
    total: Counter[str] = Counter()
    fixes: Counter[str] = Counter()
    for report in reports:
        for finding in report.findings:
            total[finding.code] += 1
            fixes[finding.code] += fixable(finding, unsafe_fixes)
    return [(code, count, fixes[code]) for code, count in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))]


def render_statistics(reports: Sequence[FileReport], unsafe_fixes: bool = False) -> str:
    """Counts per code with the rule name; ``[*]`` where ``dlp fix`` fixes some of them."""
    counts = _counts(reports, unsafe_fixes)
    if not counts:
        return "\n".join(summary(reports, unsafe_fixes)) + "\n"
    width = len(str(counts[0][1]))
    rows = [f"{count:>{width}}  {code}  {FIX_MARK if fixes else '   '}  {rule_info(code).name}"
            for code, count, fixes in counts]
    return "\n".join(rows) + "\n"


def render_statistics_json(reports: Sequence[FileReport], unsafe_fixes: bool = False) -> str:
    rows = [{"code": code, "name": rule_info(code).name, "count": count, "fixable": fixes}
            for code, count, fixes in _counts(reports, unsafe_fixes)]
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
