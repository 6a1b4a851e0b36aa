"""Notebooks against their ``.py`` exports: same findings, same places, fixes that keep notebooks valid.

Usage::

    python benchmarks/notebook_corpus.py compare FOLDER [--jobs N] [--sample N]
    python benchmarks/notebook_corpus.py fix FOLDER SCRATCH

``compare`` checks every ``.ipynb`` under FOLDER twice: as a notebook (``dlp check``'s path) and
as a script made here independently of ``sources.py`` (code cells joined in order; in a cell that
does not parse, the IPython lines commented out, as a ``pass`` where a statement must stand; the
bodies of non-Python cell magics commented), and compares the findings per (cell, line in cell,
code). It prints the counts, the notebooks that differ and why, and with ``--sample N`` N findings
with their cell line, to be read by hand.

``fix`` copies FOLDER's notebooks to SCRATCH (never in place), runs ``dlp fix --unsafe-fixes`` on
the copies twice and checks that every notebook still validates with nbformat, that only the
"source" of code cells changed and that the second run changed nothing.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
from multiprocessing import Pool
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from flake8_dlpractice.cli.check import analyse  # noqa: E402
from flake8_dlpractice.config import DEFAULT_CONFIG  # noqa: E402
from flake8_dlpractice.findings import UNANALYSABLE  # noqa: E402

MAGIC = re.compile(r"^\s*([%!?]|get_ipython\(\))|\?\s*$|^\s*[A-Za-z_][\w.]*\s*=\s*[!%]")
PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun", "%%debug", "%%memit")


def _parses(lines: list[str]) -> bool:
    try:
        ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return False
    return True


def _commented(line: str) -> str:
    indent = line[:len(line) - len(line.lstrip())]
    return f"{indent}pass  # {line.lstrip()}"


def export_cell(text: str) -> list[str]:
    """A code cell as script lines: IPython lines commented out, decided by trying to parse (a
    ``% x`` continuation line of string formatting is Python, ``%matplotlib inline`` is not)."""
    lines = text.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        if not first.startswith(PYTHON_CELL_MAGICS):
            return ["# " + line for line in lines]
        return ["# " + lines[0], *export_cell("\n".join(lines[1:]))]
    if _parses(lines):
        return lines
    candidates = [i for i, line in enumerate(lines) if MAGIC.search(line) and not line.lstrip().startswith("#")]
    every = [_commented(line) if i in candidates else line for i, line in enumerate(lines)]
    if _parses(every):
        return every
    # only the candidates that do not continue the line before them (an open bracket, a comma)
    alone = {i for i in candidates if i == 0 or not lines[i - 1].rstrip().endswith(tuple(",([{\\+-*/%"))}
    return [_commented(line) if i in alone else line for i, line in enumerate(lines)]


def export(notebook: dict) -> tuple[str, list[tuple[int, int]]]:
    """The script and, per script line (0-based), the (cell number, line in cell) it came from."""
    lines: list[str] = []
    origin: list[tuple[int, int]] = []
    for number, cell in enumerate(notebook.get("cells", []), 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source")
        text = "".join(source) if isinstance(source, list) else source if isinstance(source, str) else ""
        lines.append(f"# In[{number}]:")
        origin.append((number, 0))
        for row, line in enumerate(export_cell(text), 1):
            lines.append(line)
            origin.append((number, row))
    return "\n".join(lines) + "\n", origin


def compare_one(path: str) -> dict:
    data = Path(path).read_bytes()
    out: dict = {"path": path}
    found, source = analyse(data, path, DEFAULT_CONFIG)
    if source is None:
        out["refused"] = found[0].headline if found else "refused"
        return out
    out["notebook"] = sorted({(*source.locate(f.line), f.code) for f in found if f.code != UNANALYSABLE})
    out["problems"] = [source.locate(p.line) for p in source.problems]
    script, origin = export(json.loads(data))
    script_found, _ = analyse(script.encode("utf-8"), path[:-6] + ".py", DEFAULT_CONFIG)
    out["script_unparsed"] = any(f.code == UNANALYSABLE for f in script_found)
    out["script"] = sorted({(*origin[f.line - 1], f.code) for f in script_found if f.code != UNANALYSABLE})
    out["samples"] = [(*source.locate(f.line), f.code, source.lines[f.line - 1].strip()[:100])
                      for f in found if f.code != UNANALYSABLE]
    # every finding's line, read back from the notebook's JSON at (cell, line in cell)
    cells = json.loads(data)["cells"]
    out["misplaced"] = []
    for f in found:
        if f.code == UNANALYSABLE:
            continue
        cell, row = source.locate(f.line)
        cell_source = cells[cell - 1].get("source")
        text = "".join(cell_source) if isinstance(cell_source, list) else cell_source or ""
        if text.split("\n")[row - 1] != source.lines[f.line - 1]:
            out["misplaced"].append((cell, row, f.code))
    return out


def compare(folder: str, jobs: int, sample: int) -> int:
    paths = sorted(str(p) for p in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    with Pool(jobs) as pool:
        results = pool.map(compare_one, paths, chunksize=4)
    refused = [r for r in results if "refused" in r]
    checked = [r for r in results if "refused" not in r]
    same = [r for r in checked if r["notebook"] == r["script"]]
    broken = [r for r in checked if r["notebook"] != r["script"] and r["script_unparsed"]]
    other = [r for r in checked if r["notebook"] != r["script"] and not r["script_unparsed"]]
    total = sum(len(r["notebook"]) for r in checked)
    print(f"{len(paths)} notebooks: {len(refused)} refused, {len(checked)} checked, {total} findings")
    print(f"  same findings as the export: {len(same)}")
    print(f"  differ because the export does not parse (a cell does not; the notebook's other cells "
          f"are still checked): {len(broken)}, {sum(len(r['notebook']) for r in broken)} findings")
    print(f"  differ otherwise: {len(other)}")
    for r in other:
        print(f"    {r['path']}: only in notebook {sorted(set(r['notebook']) - set(r['script']))}, "
              f"only in export {sorted(set(r['script']) - set(r['notebook']))}")
    for r in refused:
        print(f"  refused {r['path']}: {r['refused']}")
    misplaced = [(r["path"], m) for r in checked for m in r["misplaced"]]
    print(f"  findings whose cell line (read back from the JSON) is not the line checked: {len(misplaced)} "
          f"{misplaced[:5]}")
    cells_not_parsing = sum(len(r["problems"]) for r in checked)
    print(f"  code cells that do not parse (DLP000, left out): {cells_not_parsing} in "
          f"{sum(1 for r in checked if r['problems'])} notebooks")
    if sample:
        pool_ = [(r["path"], *s) for r in checked for s in r["samples"]]
        for path, cell, row, code, text in random.Random(10).sample(pool_, min(sample, len(pool_))):
            print(f"  sample {path}:cell {cell}:{row} {code}: {text}")
    return 0 if not other and not misplaced else 1


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _valid(nbformat, path: Path) -> bool:
    try:
        nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))
    except Exception:  # noqa: BLE001 - any validation failure
        return False
    return True


def fix(folder: str, scratch: str) -> int:
    import nbformat

    root = Path(scratch)
    if root.exists():
        shutil.rmtree(root)
    originals = {}
    for path in sorted(Path(folder).rglob("*.ipynb")):
        copy = root / path.relative_to(folder)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        originals[copy] = path
    command = [sys.executable, "-m", "flake8_dlpractice", "fix", "--unsafe-fixes", "-j", "2", str(root)]
    first = subprocess.run(command, capture_output=True, text=True)
    after_first = {p: _digest(p) for p in originals}
    second = subprocess.run(command, capture_output=True, text=True)
    crashed = [line for line in (first.stderr + second.stderr).splitlines() if "internal error" in line
               or "Traceback" in line]
    changed = [p for p in originals if after_first[p] != _digest(originals[p])]
    moved = [p for p in originals if _digest(p) != after_first[p]]
    invalid, outside = [], []
    cells = 0
    for copy in changed:
        old = json.loads(originals[copy].read_text(encoding="utf-8"))
        new = json.loads(copy.read_text(encoding="utf-8"))
        if _valid(nbformat, originals[copy]) and not _valid(nbformat, copy):
            invalid.append(copy)
        for a, b in zip(old["cells"], new["cells"]):
            if a.get("source") != b.get("source"):
                cells += 1
                if a.get("cell_type") != "code":
                    outside.append(copy)
            a.pop("source", None), b.pop("source", None)
        if old != new:
            outside.append(copy)
    print(f"{len(originals)} notebooks copied to {root}; the first run changed {len(changed)} "
          f"({cells} cells), the second run {len(moved)}")
    print(f"  valid nbformat before, not after: {len(invalid)} {invalid[:5]}; changed notebooks that were "
          f"not valid before either: {sum(1 for p in changed if not _valid(nbformat, originals[p]))}")
    print(f"  changed outside code cells' sources: {len(outside)} {outside[:5]}")
    print(f"  internal errors: {len(crashed)} {crashed[:5]}")
    print("  first run's summary: " + (first.stderr.strip().splitlines() or [""])[-1])
    return 0 if not (invalid or outside or moved or crashed) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("compare")
    one.add_argument("folder")
    one.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    one.add_argument("--sample", type=int, default=0)
    two = commands.add_parser("fix")
    two.add_argument("folder")
    two.add_argument("scratch")
    args = parser.parse_args()
    if args.command == "compare":
        return compare(args.folder, args.jobs, args.sample)
    return fix(args.folder, args.scratch)


if __name__ == "__main__":
    sys.exit(main())
