"""Benchmark: DLP checking (parse included) against ``ast.parse`` alone.

Usage::

    python benchmarks/bench.py                  # the interpreter's stdlib and site-packages
    python benchmarks/bench.py PATH [PATH ...]  # any files or directories
    python benchmarks/bench.py --repeat 1 --no-scaling /work/realcode

Every ``.py`` file is read once (as bytes, so encoding cookies are honoured exactly as
``ast.parse`` does); files that ``ast.parse`` rejects are counted and left out of both timings.
Then, in one run, the best of ``--repeat`` passes of (a) ``ast.parse`` of every file and (b)
``flake8_dlpractice.engine.check_source`` (parse + facts + every rule, opt-in ones included) on
the same bytes are printed with their ratio. Target: ratio <= 1.5.

A second part generates training-like modules (default 5,000 and 50,000 lines) and prints
microseconds per line for both, to show the cost per line does not grow with file size.

``--breakdown`` times ``ast.parse``, ``build_facts`` and each rule separately (one pass);
``--profile N`` runs the DLP pass once under cProfile and prints the N most expensive functions
(cumulative and own time).
"""
from __future__ import annotations

import argparse
import ast
import gc
import io
import os
import sys
import sysconfig
import time
from contextlib import redirect_stderr
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from flake8_dlpractice.engine import check_source  # noqa: E402
from flake8_dlpractice.rules import ALL_RULES  # noqa: E402

TARGET = 1.5
SKIP_DIRS = {".git", ".hg", ".svn", ".tox", ".nox", "__pycache__", "node_modules"}


def default_roots() -> list[str]:
    """The running interpreter's stdlib and its purelib/platlib (site-packages)."""
    paths = sysconfig.get_paths()
    roots = []
    for key in ("stdlib", "purelib", "platlib"):
        path = os.path.realpath(paths[key])
        if os.path.isdir(path) and path not in roots:
            roots.append(path)
    return roots


def python_files(roots: list[str], default: bool = False) -> list[str]:
    """Every ``.py`` file under roots. With ``default``, a ``site-packages`` directory inside the
    stdlib that is not one of the roots (a virtualenv's base interpreter) is not walked: those
    packages are not installed for the running interpreter."""
    found: set[str] = set()
    for root in roots:
        if os.path.isfile(root):
            found.add(os.path.realpath(root))
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [
                d for d in dirnames
                if d not in SKIP_DIRS and not (
                    default and d in ("site-packages", "dist-packages")
                    and os.path.realpath(os.path.join(dirpath, d)) not in roots)]
            for name in filenames:
                if name.endswith(".py"):
                    found.add(os.path.realpath(os.path.join(dirpath, name)))
    return sorted(found)


def load(files: list[str]) -> tuple[list[tuple[str, bytes]], int]:
    sources, rejected = [], 0
    for path in files:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            rejected += 1
            continue
        try:
            ast.parse(data, filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            rejected += 1
            continue
        sources.append((path, data))
    return sources, rejected


def pass_parse(sources: list[tuple[str, bytes]]) -> None:
    for path, data in sources:
        ast.parse(data, filename=path)


def pass_check(sources: list[tuple[str, bytes]]) -> int:
    findings = 0
    for path, data in sources:
        findings += len(check_source(data, path, rules=ALL_RULES))
    return findings


def best_of(repeat: int, func, *args) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = func(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def corpus(roots: list[str], repeat: int, default: bool = False) -> float:
    files = python_files(roots, default)
    sources, rejected = load(files)
    lines = sum(data.count(b"\n") for _, data in sources)
    size = sum(len(data) for _, data in sources)
    print(f"corpus: {', '.join(roots)}")
    print(f"  {len(sources):,} files, {lines:,} lines, {size / 1e6:.1f} MB "
          f"({rejected} more files do not parse and are left out of both timings)")
    errors = io.StringIO()
    t_parse, _ = best_of(repeat, pass_parse, sources)
    with redirect_stderr(errors):
        t_check, findings = best_of(repeat, pass_check, sources)
    ratio = t_check / t_parse if t_parse else float("nan")
    print(f"  ast.parse          : {t_parse:8.2f} s  ({t_parse / max(lines, 1) * 1e6:.2f} us/line)")
    print(f"  DLP check (+parse) : {t_check:8.2f} s  ({t_check / max(lines, 1) * 1e6:.2f} us/line), "
          f"{findings} findings, all {len(ALL_RULES)} rules")
    verdict = "OK" if ratio <= TARGET else "OVER TARGET"
    print(f"  ratio              : {ratio:8.2f} x  (best of {repeat}; target <= {TARGET}) {verdict}")
    internal = [line for line in errors.getvalue().splitlines() if "internal error" in line]
    if internal:
        print(f"  {len(internal)} internal errors reported on stderr, e.g.: {internal[0]}")
    return ratio


BLOCK = '''
def train_{i}(model, train_loader, val_loader, epochs={i}):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        for inputs_{i}, labels_{i} in train_loader:
            inputs_{i}, labels_{i} = inputs_{i}.to(device), labels_{i}.to(device)
            optimizer.zero_grad()
            loss = criterion(model(inputs_{i}), labels_{i})
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        scheduler.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(1) == y).sum().item() for x, y in val_loader)
        print(f"epoch {{epoch}}: val acc {{correct}}")
    return model


X_{i} = np.random.rand(1000, 20)
y_{i} = (X_{i}.sum(axis=1) > 10).astype(int)
X_train_{i}, X_test_{i}, y_train_{i}, y_test_{i} = train_test_split(X_{i}, y_{i}, test_size=0.2)
scaler_{i} = StandardScaler().fit(X_train_{i})
X_train_{i} = scaler_{i}.transform(X_train_{i})
X_test_{i} = scaler_{i}.transform(X_test_{i})
clf_{i} = RandomForestClassifier(n_estimators=10).fit(X_train_{i}, y_train_{i})
print(clf_{i}.score(X_test_{i}, y_test_{i}))
train_set_{i} = TensorDataset(torch.tensor(X_train_{i}), torch.tensor(y_train_{i}))
loader_{i} = DataLoader(train_set_{i}, batch_size=32, shuffle=True)
net_{i} = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 2)).to(device)
train_{i}(net_{i}, loader_{i}, loader_{i})
'''

HEADER = '''import numpy as np
import torch
import torch.nn as nn
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
'''


def generated(lines: int) -> str:
    parts, count, i = [HEADER], HEADER.count("\n"), 0
    block_lines = BLOCK.count("\n")
    while count + block_lines <= lines:
        parts.append(BLOCK.format(i=i))
        count += block_lines
        i += 1
    return "".join(parts)


def scaling(sizes: list[int], repeat: int) -> None:
    print("generated training-like modules (cost per line must not grow with size):")
    print(f"  {'lines':>9}  {'ast.parse':>12}  {'DLP check':>12}  ratio")
    for size in sizes:
        source = generated(size).encode()
        lines = source.count(b"\n")
        reps = repeat if size <= 100_000 else 1
        sources = [(f"<generated {size}>", source)]
        t_parse, _ = best_of(reps, pass_parse, sources)
        t_check, _ = best_of(reps, pass_check, sources)
        print(f"  {lines:>9,}  {t_parse / lines * 1e6:8.2f} us/l  {t_check / lines * 1e6:8.2f} us/l"
              f"  {t_check / t_parse:.2f}x")


def breakdown(roots: list[str], default: bool = False) -> None:
    """One pass: time parse, build_facts and each rule separately, summed over all files."""
    from flake8_dlpractice.analysis.facts import build_facts

    sources, _ = load(python_files(roots, default))
    spent: dict[str, float] = {"ast.parse": 0.0, "build_facts": 0.0}
    clock = time.perf_counter
    relevant = 0
    with redirect_stderr(io.StringIO()):
        for path, data in sources:
            start = clock()
            tree = ast.parse(data, filename=path)
            middle = clock()
            facts = build_facts(tree)
            spent["ast.parse"] += middle - start
            spent["build_facts"] += clock() - middle
            if not facts.relevant:
                continue
            relevant += 1
            for rule in ALL_RULES:
                start = clock()
                try:
                    list(rule.check(facts))
                except Exception:  # noqa: BLE001 - a benchmark measures, the tests report
                    pass
                spent[rule.code] = spent.get(rule.code, 0.0) + clock() - start
    print(f"breakdown over {len(sources):,} files ({relevant:,} import an ML framework):")
    base = spent["ast.parse"] or 1.0
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:12} {seconds:8.2f} s  {seconds / base:6.1%} of ast.parse")


def profile(roots: list[str], top: int, default: bool = False) -> None:
    import cProfile
    import pstats

    sources, _ = load(python_files(roots, default))
    profiler = cProfile.Profile()
    with redirect_stderr(io.StringIO()):
        profiler.runcall(pass_check, sources)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="files or directories (default: stdlib + site-packages)")
    parser.add_argument("--repeat", type=int, default=3, help="passes per measurement; the best counts")
    parser.add_argument("--sizes", default="5000,50000",
                        help="line counts of the generated modules (comma-separated)")
    parser.add_argument("--no-scaling", action="store_true", help="skip the generated modules")
    parser.add_argument("--no-corpus", action="store_true", help="only the generated modules")
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile the DLP pass, print top N")
    parser.add_argument("--breakdown", action="store_true",
                        help="time ast.parse, build_facts and every rule separately")
    args = parser.parse_args(argv)
    default = not args.paths
    roots = [os.path.realpath(p) for p in args.paths] or default_roots()
    print(f"Python {sys.version.split()[0]} on {sys.platform}, {len(ALL_RULES)} rules "
          f"({sum(not r.default for r in ALL_RULES)} opt-in) all enabled")
    if args.profile:
        profile(roots, args.profile, default)
        return 0
    if args.breakdown:
        breakdown(roots, default)
        return 0
    ratio = 0.0
    if not args.no_corpus:
        ratio = corpus(roots, args.repeat, default)
    if not args.no_scaling:
        scaling([int(s) for s in args.sizes.split(",") if s.strip()], args.repeat)
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
