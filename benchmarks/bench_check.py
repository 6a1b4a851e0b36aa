"""Benchmark: ``dlp check`` as a whole process against an ``ast.parse``-only process and ruff.

Usage::

    python benchmarks/bench_check.py PATH [PATH ...] [--repeat 5] [--jobs 1]

The files are the ``.py`` files ``dlp check`` finds under the paths (its own discovery and default
excludes). Each of these commands is started ``--repeat`` times in turn, on the same file list
given on the command line, and timed from start to exit (interpreter start-up and imports
included):

- (a) ``python -c <read and ast.parse every file>`` — what any Python linter pays at least;
- (b) ``dlp check -j 1`` (one job, findings written to /dev/null);
- (c) ``ruff check --select ALL --no-cache`` single-threaded (``RAYON_NUM_THREADS=1``), when a
  ``ruff`` executable is on PATH (``pip install ruff``: a yardstick, not a dependency).

The package's bytecode is compiled first, as ``pip install`` does: with
``PYTHONDONTWRITEBYTECODE`` set (some CI images and containers set it) an editable checkout would
otherwise compile every module again in each run of (b).

It prints the median wall time of each, the ratio of the medians (b)/(a), and the median of the
ratios run by run (each round's (b) over the same round's (a)): the commands run in turn, so a
round's ratio cancels a drift of the machine's speed that the ratio of medians does not (on a shared
virtual machine one command's runs vary by 30 % from round to round). Target: the paired ratio at
most 2.5; the script exits 1 above it. A benchmark, not a test: timings depend on the machine and its
load.
"""
from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import flake8_dlpractice  # noqa: E402
from flake8_dlpractice.cli.files import Project  # noqa: E402

TARGET = 2.5
PARSE_ONLY = """\
import ast, sys
for name in sys.argv[1:]:
    with open(name, "rb") as handle:
        data = handle.read()
    try:
        ast.parse(data, filename=name)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        pass
"""


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--jobs", type=int, default=1, help="dlp check -j (default 1)")
    args = parser.parse_args(argv)
    files, errors = Project().files(args.paths, suffixes=(".py",))  # notebooks: no ast.parse twin
    if errors or not files:
        sys.stderr.write("\n".join(errors) or "no Python files found\n")
        return 2
    compileall.compile_dir(Path(flake8_dlpractice.__file__).parent, quiet=1)  # as installed
    commands = {
        "ast.parse only": [sys.executable, "-c", PARSE_ONLY, *files],
        f"dlp check -j {args.jobs}": [sys.executable, "-m", "flake8_dlpractice", "check", "-j", str(args.jobs),
                                      "--exit-zero", "-q", "-o", os.devnull, *files],
    }
    ruff = shutil.which("ruff")
    if ruff:
        commands["ruff --select ALL (1 thread)"] = [ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero",
                                                    "--quiet", *files]
    env = {**os.environ, "RAYON_NUM_THREADS": "1"}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, cmd in commands.items():  # in turn, so a drift of the machine's speed hits all alike
            times[name].append(timed(cmd, env))
    lines = sum(Path(f).read_bytes().count(b"\n") for f in files)
    print(f"{len(files)} files, {lines} lines; median of {args.repeat} whole-process runs:")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"  {name:<30} {median:7.2f} s   (min {min(times[name]):.2f}, max {max(times[name]):.2f})")
    parse, check = medians["ast.parse only"], medians[f"dlp check -j {args.jobs}"]
    rounds = [b / a for a, b in zip(times["ast.parse only"], times[f"dlp check -j {args.jobs}"])]
    ratio = statistics.median(rounds)
    print(f"dlp check / ast.parse: {ratio:.2f}x, median of the {args.repeat} rounds' ratios "
          f"(min {min(rounds):.2f}, max {max(rounds):.2f}; ratio of the medians {check / parse:.2f}x; "
          f"target <= {TARGET}x)")
    if ruff:
        print(f"dlp check / ruff --select ALL: {check / medians['ruff --select ALL (1 thread)']:.2f}x")
    else:
        print("ruff not on PATH: pip install ruff to time it beside")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
