"""Benchmark: time from a change to its diagnostics in ``dlp lsp``, on large files.

Usage::

    python benchmarks/lsp_latency.py                 # both generated 5,000-line modules (below)
    python benchmarks/lsp_latency.py --lines 2000
    python benchmarks/lsp_latency.py --file PATH     # any Python file

Two generated modules of ``--lines`` lines are measured by default:

- *realistic*: a model zoo as real projects write it (``ml_module.py``: blocks, models, factory
  functions, datasets, training and evaluation helpers, a command line; a few real mistakes);
- *repeated*: one 40-line script (split, scale, fit, a training loop) repeated at module level
  (``bench.py``'s scaling module), a worst case: every block's data flows through the module scope.

A real client (tests/lsp_client.py) starts the server over stdio, opens the file, then makes
``--changes`` edits one at a time (each one changes a line in the middle of the file, as typing
does) and measures, per edit, the wall time from sending ``textDocument/didChange`` to receiving
the ``publishDiagnostics`` of that version. Prints the median and the slowest, next to the time
the engine alone takes on the same text (``check_source``), so the protocol's share is visible.
The server's debounce (``DEBOUNCE``) is part of every measurement. Target: median under 300 ms.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from bench import generated  # noqa: E402
from ml_module import ml_module  # noqa: E402
from lsp_client import Client  # noqa: E402

from flake8_dlpractice.engine import check_source  # noqa: E402
from flake8_dlpractice.lsp.server import DEBOUNCE  # noqa: E402

TARGET = 0.300


def measure(label: str, text: str, changes: int) -> float:
    """Print the figures of one file; the median change -> diagnostics time (seconds)."""
    lines = text.split("\n")
    middle = len(lines) // 2
    engine = []
    for _ in range(3):
        started = time.perf_counter()
        found = check_source(text)
        engine.append(time.perf_counter() - started)
    client = Client()
    try:
        client.initialize()
        uri = "file:///benchmark/large_module.py"
        started = time.perf_counter()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                                "text": text}})
        diagnostics = client.diagnostics(uri, version=1, timeout=120)
        opened = time.perf_counter() - started
        timings = []
        for version in range(2, changes + 2):
            lines[middle] = lines[middle].rstrip() + "  # edited" if version % 2 == 0 else \
                lines[middle].replace("  # edited", "")
            change = {"range": {"start": {"line": middle, "character": 0}, "end": {"line": middle + 1, "character": 0}},
                      "text": lines[middle] + "\n"}
            started = time.perf_counter()
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [change]})
            client.diagnostics(uri, version=version, timeout=120)
            timings.append(time.perf_counter() - started)
    finally:
        client.close()
        client.errors.close()
    median = statistics.median(timings)
    print(f"{label}: {len(lines):,} lines, {len(diagnostics)} diagnostics ({len(found)} findings from the engine)")
    print(f"  engine alone (check_source, best of 3): {min(engine) * 1000:.0f} ms")
    print(f"  open -> diagnostics: {opened * 1000:.0f} ms")
    print(f"  change -> diagnostics over {len(timings)} changes: median {median * 1000:.0f} ms, "
          f"slowest {max(timings) * 1000:.0f} ms (debounce {DEBOUNCE * 1000:.0f} ms included); "
          f"target {TARGET * 1000:.0f} ms: {'met' if median < TARGET else 'NOT met'}")
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--file")
    parser.add_argument("--changes", type=int, default=21)
    args = parser.parse_args()
    if args.file:
        measure(args.file, Path(args.file).read_text(encoding="utf-8"), args.changes)
        return 0
    measure("realistic (ml_module.py)", ml_module(args.lines), args.changes)
    measure("repeated script (bench.py's scaling module)", generated(args.lines), args.changes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
