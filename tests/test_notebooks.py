"""Notebooks as sources: cells joined in order, IPython syntax masked in place, fixes written back
into only the cells they change, every other byte of the file kept."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from flake8_dlpractice.engine import check_tree
from flake8_dlpractice.fixes import fix_text, select_rules
from flake8_dlpractice.sources import (NotebookLines, SourceError, load_source, mask_magics, read_source,
                                       _source_spans)

nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
EXPECT = re.compile(r"#\s*expect:\s*(DLP\d{3}(?:\s*,\s*DLP\d{3})*)")
CHECKED = ["crop_yield", "ipython_syntax", "broken_cell", "eval_fix"]


def expected_cells(path: Path) -> set[tuple[int, int, str]]:
    """(cell number, line in cell, code) of every ``# expect:`` marker in the code cells."""
    out = set()
    for number, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"], 1):
        if cell["cell_type"] != "code":
            continue
        for row, line in enumerate("".join(cell["source"]).split("\n"), 1):
            match = EXPECT.search(line)
            if match:
                out.update((number, row, code.strip()) for code in match.group(1).split(","))
    return out


def found_cells(path: Path) -> set[tuple[int, int, str]]:
    source = read_source(str(path))
    found = {(*source.locate(f.line), f.code) for f in check_tree(source.parse(), str(path), lines=source.lines)}
    found.update((*source.locate(p.line), "DLP000") for p in source.problems)
    return found


def test_fixtures_are_what_nbformat_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in module.NOTEBOOKS:
        assert (NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8") == module.render(name), name
        nbformat.validate(nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4))


@pytest.mark.parametrize("name", CHECKED)
def test_findings_point_at_cells_and_lines(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    assert found_cells(path) == expected_cells(path)


def test_messages_name_cells():
    source = read_source(str(NOTEBOOKS / "crop_yield.ipynb"))
    [finding] = check_tree(source.parse(), source.path, lines=source.lines)
    assert finding.render_headline(source.where) == (
        "MinMaxScaler is fitted on 'features' before it is split by train_test_split at cell 6, line 1")
    # columns map 1:1 inside a cell: the finding's column is the cell line's
    cell = json.loads(Path(source.path).read_text())["cells"][4]
    line = "".join(cell["source"]).split("\n")[2]
    assert line[finding.col:finding.end_col] == "minmax.fit_transform(features)"


def test_line_map_names_cells_and_paths():
    source = read_source(str(NOTEBOOKS / "crop_yield.ipynb"))
    where = source.where
    assert isinstance(where, NotebookLines)
    start = where.program_line(5, 1)
    assert source.text.split("\n")[start - 1] == "features = plots[['rain', 'sun']]"
    assert where.locate(start + 2) == (5, 3)
    assert where.line(start + 2) == "cell 5, line 3"
    assert where.lines(start, start + 2) == "cell 5, lines 1-3"
    assert where.lines(start, where.program_line(6, 2)) == "cell 5, line 1 to cell 6, line 2"
    assert where.short(where.program_line(6, 4)) == "C6:L4"


def test_broken_cell_is_reported_and_the_others_checked():
    source = read_source(str(NOTEBOOKS / "broken_cell.ipynb"))
    [problem] = source.problems
    assert source.locate(problem.line) == (2, 1)
    assert problem.message.startswith("syntax error: Missing parentheses in call to 'print'")


@pytest.mark.parametrize("name, reason", [
    ("r_kernel", "not a Python notebook: its kernel language is 'R'"),
    ("not_json", "invalid notebook JSON: Expecting property name enclosed in double quotes"),
])
def test_other_notebooks_are_refused(name, reason):
    with pytest.raises(SourceError, match=re.escape(reason)):
        read_source(str(NOTEBOOKS / f"{name}.ipynb"))


@pytest.mark.parametrize("data, reason", [
    (b'{"nbformat": 3, "worksheets": []}', "a version 3 notebook"),
    (b'[1, 2]', "not a valid notebook: no list of cells"),
    (b'\xff\xfe{}', "not a valid notebook: invalid UTF-8"),
])
def test_not_notebooks(data, reason):
    with pytest.raises(SourceError, match=re.escape(reason)):
        load_source(data, "x.ipynb")


# --- IPython syntax ------------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "%matplotlib inline", "!pip install einops", "model.fit?", "np.*load*??", "?torch.save",
    "files = !ls", "a, b = %sx echo 1", "get_ipython().system('ls')", "%time run()",
])
def test_line_magics_are_masked(line):
    program, masked = mask_magics(f"import os\n{line}\nx = 1")
    assert program[0] == "import os" and program[2] == "x = 1"
    assert program[1].startswith("pass  #") and masked == {1: line}


def test_masking_keeps_blocks_strings_and_continuations():
    text = ("for i in range(3):\n    %time f(i)\ns = '''\n%not magic\n!nor this\n'''\nr = (4\n    % 3)\n"
            "%pip install \\\n    torch\nget_ipython().run_cell_magic(\n    'bash', '', 'ls')\ny = 2")
    program, masked = mask_magics(text)
    assert sorted(masked) == [1, 8, 9, 10, 11]
    assert program[1] == "    pass  #\ue0040:1"
    assert program[2:8] == text.split("\n")[2:8]
    assert program[12] == "y = 2"
    compile("\n".join(program), "cell", "exec")


@pytest.mark.parametrize("magic, body_kept", [
    ("%%time", True), ("%%capture out", True), ("%%bash", False), ("%%writefile m.py", False)])
def test_cell_magics(magic, body_kept):
    program, masked = mask_magics(f"{magic}\nimport torch\nx = torch.ones(2)")
    assert program[0] == "#\ue0040:0"
    assert (program[1:] == ["import torch", "x = torch.ones(2)"]) is body_kept
    assert len(masked) == (1 if body_kept else 3)


def test_nothing_to_mask_is_untouched():
    text = "x = 10 % 3\nprint('why?')\n# is it ok?\n"
    assert mask_magics(text) == (text.split("\n"), {})


# --- fixing and writing back --------------------------------------------------------------------------

def fix_notebook(raw: bytes, name: str = "nb.ipynb", unsafe: bool = False) -> bytes:
    source = load_source(raw, name)
    outcome = fix_text(source.text, name, select_rules(None, None), unsafe, tree=source.parse())
    return source.updated(outcome.text)


def without_sources(text: str) -> str:
    """The notebook text with every cell's "source" value cut out (what must stay byte-identical)."""
    spans = sorted(_source_spans(text).values())
    out, pos = [], 0
    for start, end in spans:
        out.append(text[pos:start])
        pos = end
    return "".join(out) + text[pos:]


def sources_of(text: str) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in json.loads(text)["cells"]]


EVAL_FIXED = ("%%time\nclassifier = nn.Linear(5, 3)\nleaves = torch.randn(40, 5)\nbatches = leaves.split(8)\n"
              "classifier.eval()\nwith torch.no_grad():\n    for leaf in batches:  # expect: DLP302\n"
              "        print(classifier(leaf).argmax(1))")


def test_fix_rewrites_only_the_fixed_cell():
    path = NOTEBOOKS / "eval_fix.ipynb"
    before = path.read_text(encoding="utf-8")
    after = fix_notebook(path.read_bytes()).decode("utf-8")
    old, new = sources_of(before), sources_of(after)
    assert new[2] == EVAL_FIXED
    assert [i for i in range(len(old)) if old[i] != new[i]] == [2]
    assert without_sources(after) == without_sources(before)  # outputs, ids, counts, layout
    nbformat.validate(nbformat.reads(after, as_version=4))
    assert fix_notebook(after.encode("utf-8")) == after.encode("utf-8")  # a second run changes nothing


def test_fix_that_needs_an_import_changes_the_imports_cell():
    nb = nbformat.read(NOTEBOOKS / "eval_fix.ipynb", as_version=4)
    nb.cells[1].source = "from torch import nn\nimport numpy as np"
    nb.cells[2].source = nb.cells[2].source.replace("torch.randn(40, 5)", "nn.init.uniform_(nn.Parameter(np.ones(0)))")
    raw = nbformat.writes(nb) + "\n"
    after = fix_notebook(raw.encode("utf-8")).decode("utf-8")
    old, new = sources_of(raw), sources_of(after)
    assert new[1] == "from torch import nn\nimport numpy as np\nimport torch"
    assert [i for i in range(len(old)) if old[i] != new[i]] == [1, 2]
    assert "with torch.no_grad():" in new[2] and new[2].startswith("%%time\n")


def layouts():
    base = json.loads((NOTEBOOKS / "eval_fix.ipynb").read_text(encoding="utf-8"))
    base["cells"][3]["source"] = "# mesure de l'écart — 测量\n" + "".join(base["cells"][3]["source"])
    as_strings = copy.deepcopy(base)
    for cell in as_strings["cells"]:
        cell["source"] = "".join(cell["source"])
    return {
        "nbformat": json.dumps(base, indent=1, ensure_ascii=False) + "\n",
        "two spaces, ascii, no final newline": json.dumps(base, indent=2, ensure_ascii=True),
        "one line": json.dumps(base, ensure_ascii=False),
        "compact": json.dumps(base, separators=(",", ":"), ensure_ascii=True),
        "tabs, string sources": json.dumps(as_strings, indent="\t", ensure_ascii=False) + "\n",
        "unsorted keys": json.dumps(dict(reversed(list(base.items()))), indent=4, ensure_ascii=False) + "\n",
    }


@pytest.mark.parametrize("layout", list(layouts()))
def test_fix_keeps_the_json_layout(layout):
    raw = layouts()[layout]
    after = fix_notebook(raw.encode("utf-8")).decode("utf-8")
    assert without_sources(after) == without_sources(raw)
    old, new = sources_of(raw), sources_of(after)
    assert new[2] == EVAL_FIXED and new[:2] + new[3:] == old[:2] + old[3:]
    assert after.isascii() == raw.isascii()
    # the rewritten source is written as the old one was: list items on their own lines, or a string
    spans = _source_spans(after)
    value = after[slice(*spans[2])]
    old_value = raw[slice(*_source_spans(raw)[2])]
    assert value.startswith("[") == old_value.startswith("[")
    assert ("\n" in value) == ("\n" in old_value.replace("\\n", ""))
    nbformat.validate(nbformat.reads(after, as_version=4))
    assert fix_notebook(after.encode("utf-8")) == after.encode("utf-8")


def test_fix_keeps_a_byte_order_mark_and_crlf_line_ends():
    raw = (NOTEBOOKS / "eval_fix.ipynb").read_text(encoding="utf-8").replace("\n", "\r\n")
    after = fix_notebook(b"\xef\xbb\xbf" + raw.encode("utf-8"))
    assert after.startswith(b"\xef\xbb\xbf{\r\n")
    text = after[3:].decode("utf-8")
    assert without_sources(text) == without_sources(raw) and sources_of(text)[2] == EVAL_FIXED
    assert "\n" not in text.replace("\r\n", "")


def test_fix_restores_magics_at_their_new_indentation():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import torch\nnet = torch.nn.Linear(2, 2)\nnet.eval()\nbatches = torch.ones(3, 2).split(1)\n"
        "for xb in batches:\n    %time out = net(xb)\n    print(net(xb))\n!nvidia-smi")]
    after = fix_notebook((nbformat.writes(nb) + "\n").encode("utf-8")).decode("utf-8")
    assert sources_of(after)[0] == (
        "import torch\nnet = torch.nn.Linear(2, 2)\nnet.eval()\nbatches = torch.ones(3, 2).split(1)\n"
        "with torch.no_grad():\n    for xb in batches:\n        %time out = net(xb)\n        print(net(xb))\n"
        "!nvidia-smi")


@pytest.mark.parametrize("edit", ["magic to the cell above", "cells swapped", "boundary removed"])
def test_a_fix_across_cells_is_refused(edit):
    source = read_source(str(NOTEBOOKS / "eval_fix.ipynb"))
    lines = source.text.split("\n")
    marker = next(i for i, line in enumerate(lines) if line.startswith("#\ue003 cell 3"))
    if edit == "magic to the cell above":  # the %%time line of cell 3 ends up in cell 2
        lines = lines[:marker - 1] + [lines[marker + 2]] + lines[marker - 1:marker + 2] + lines[marker + 3:]
    elif edit == "cells swapped":
        lines[marker] = "#\ue003 cell 4"
    else:
        del lines[marker:marker + 2]
    with pytest.raises(SourceError, match="across cells"):
        source.updated("\n".join(lines))
    assert source.updated(source.text) == (NOTEBOOKS / "eval_fix.ipynb").read_bytes()


# --- dlp check ------------------------------------------------------------------------------------

def dlp(*args: str, cwd: Path = NOTEBOOKS.parent.parent):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "flake8_dlpractice", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_dlp_check_finds_notebooks_in_folders_and_names_cells():
    done = dlp("check", "-j", "1", "tests/notebooks")
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stdout.splitlines() if ": DLP" in line]
    located = [[where + ":", rest.split(" ", 1)[0]] for where, rest in (line.split(": ", 1) for line in lines)]
    assert located == [
        ["tests/notebooks/broken_cell.ipynb:cell 2:1:1:", "DLP000"],
        ["tests/notebooks/broken_cell.ipynb:cell 3:5:5:", "DLP300"],
        ["tests/notebooks/crop_yield.ipynb:cell 5:3:10:", "DLP102"],
        ["tests/notebooks/eval_fix.ipynb:cell 3:6:1:", "DLP302"],
        ["tests/notebooks/ipython_syntax.ipynb:cell 1:3:1:", "DLP200"],
        ["tests/notebooks/ipython_syntax.ipynb:cell 5:6:5:", "DLP300"],
        ["tests/notebooks/not_json.ipynb:3:1:", "DLP000"],
        ["tests/notebooks/r_kernel.ipynb:1:1:", "DLP000"],
    ]
    assert lines[0].endswith("DLP000 syntax error: Missing parentheses in call to 'print'. Did you mean print(...)?")
    assert lines[-2].endswith("DLP000 invalid notebook JSON: Expecting property name enclosed in double quotes")
    assert lines[-1].endswith("DLP000 not a Python notebook: its kernel language is 'R'")


def test_dlp_check_add_noqa_writes_into_the_cells(tmp_path):
    for name in ("crop_yield", "eval_fix"):
        (tmp_path / f"{name}.ipynb").write_bytes((NOTEBOOKS / f"{name}.ipynb").read_bytes())
    done = dlp("check", "-j", "1", "--add-noqa", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    for name, index, row in (("crop_yield", 4, 2), ("eval_fix", 2, 5)):
        before = (NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8")
        after = (tmp_path / f"{name}.ipynb").read_text(encoding="utf-8")
        assert without_sources(after) == without_sources(before)
        old, new = sources_of(before), sources_of(after)
        assert [i for i in range(len(old)) if old[i] != new[i]] == [index]
        assert new[index].split("\n")[row].endswith("  # noqa: " + ("DLP102" if name == "crop_yield" else "DLP302"))
    assert dlp("check", "-j", "1", str(tmp_path)).returncode == 0


def test_dlp_fix_on_notebooks(tmp_path):
    for name in ("eval_fix", "broken_cell", "ipython_syntax", "not_json"):
        (tmp_path / f"{name}.ipynb").write_bytes((NOTEBOOKS / f"{name}.ipynb").read_bytes())
    check = dlp("fix", "--check", str(tmp_path / "eval_fix.ipynb"))
    assert (check.returncode, check.stdout) == (1, f"Would fix {tmp_path / 'eval_fix.ipynb'} (1 fix: DLP302)\n")
    diff = dlp("fix", "--diff", str(tmp_path / "eval_fix.ipynb")).stdout
    assert diff.startswith(f"--- {tmp_path / 'eval_fix.ipynb'}:cell 3\n+++ {tmp_path / 'eval_fix.ipynb'}:cell 3\n")
    assert "+with torch.no_grad():\n" in diff
    done = dlp("fix", "--unsafe-fixes", str(tmp_path))
    assert done.returncode == 2  # not_json.ipynb is skipped
    assert f"{tmp_path / 'not_json.ipynb'}: skipped: invalid notebook JSON" in done.stderr
    changed = {}
    for name in ("eval_fix", "broken_cell", "ipython_syntax"):
        before = (NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8")
        after = (tmp_path / f"{name}.ipynb").read_text(encoding="utf-8")
        assert without_sources(after) == without_sources(before)
        nbformat.validate(nbformat.reads(after, as_version=4))
        old, new = sources_of(before), sources_of(after)
        changed[name] = [i + 1 for i in range(len(old)) if old[i] != new[i]]
    assert changed == {"eval_fix": [3], "broken_cell": [3], "ipython_syntax": [1, 5]}
    assert "    sgd.zero_grad()\n    loss.backward()" in sources_of((tmp_path / "broken_cell.ipynb").read_text())[2]
    snapshot = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    dlp("fix", "--unsafe-fixes", str(tmp_path))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == snapshot  # a second run changes nothing


def test_flake8_and_pylint_never_report_a_notebook_clean():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "DLP",
                           str(NOTEBOOKS / "eval_fix.ipynb")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout.endswith("eval_fix.ipynb:1:1: DLP000 a Jupyter notebook: the flake8 plugin cannot read "
                                "notebooks; check it with `dlp check`\n")
    done = subprocess.run([sys.executable, "-m", "pylint", "--load-plugins=flake8_dlpractice.pylint_plugin",
                           "--disable=all", "--enable=dlpractice", "--score=n", "--persistent=n",
                           str(NOTEBOOKS / "eval_fix.ipynb")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 4  # a warning
    assert "eval_fix.ipynb:1:0: W8799: DLP000 a Jupyter notebook: the pylint plugin cannot read notebooks; " \
           "check it with `dlp check` (notebook-not-checked)" in done.stdout


def test_notebook_size_limit_counts_code_not_outputs(tmp_path):
    nb = nbformat.read(NOTEBOOKS / "eval_fix.ipynb", as_version=4)
    picture = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo" * 250_000})
    nb.cells[3].outputs.append(picture)  # 2.75 MB of output, a few hundred bytes of code
    path = tmp_path / "big_outputs.ipynb"
    nbformat.write(nb, path)
    assert path.stat().st_size > 2 * 1024 * 1024
    done = dlp("fix", str(path))
    assert done.returncode == 0, done.stderr
    assert "with torch.no_grad():" in sources_of(path.read_text(encoding="utf-8"))[2]


def test_headlines_fit_100_characters_in_notebooks_too():
    """Cell references are longer than line references, and names can be long: the headline every
    editor and CI format shows stays within 100 characters, keeping the defect and its key line."""
    from flake8_dlpractice.findings import MAX_HEADLINE, fit, line_ref
    from flake8_dlpractice.sources import CodeCell, cells_source

    evaluation = ("for batch in loader:\n    print({model}(batch))")
    for model, expected in [
        ("net", "evaluation loop runs 'net' (cell 12, line 2) outside torch.no_grad()"),
        ("pretrained_vision_transformer_with_adapter_layers",
         "evaluation loop runs 'pretrained_vision_transformer_with…' (cell 12, line 2) outside torch.no_grad()"),
    ]:
        cells = [CodeCell(0, "import torch")] + [CodeCell(i, "# notes") for i in range(1, 10)]
        cells += [CodeCell(10, f"{model} = torch.nn.Linear(2, 2)\n{model}.eval()"),
                  CodeCell(11, evaluation.format(model=model))]
        source = cells_source(cells, "eda.ipynb")
        [finding] = [f for f in check_tree(source.parse(), source.path, lines=source.lines) if f.code == "DLP302"]
        if model == "net":  # as a file renders it, it fits whole
            assert finding.render_headline() == (f"evaluation loop runs 'net' (line {finding.line + 1}) outside "
                                                 "torch.no_grad(): each batch keeps an autograd graph")
        assert finding.render_headline(source.where) == expected
        assert len(expected) <= MAX_HEADLINE
    # an explanation that cites a line is kept; then names are shortened, then the end is cut at a word
    cited = "the RNG is never seeded; first use: RandomForestClassifier() without random_state at " + line_ref(8)
    assert fit(cited, limit=80) == "the RNG is never seeded; first use: RandomForestClassifier() without…"
    assert fit("'" + "x" * 120 + "' is fitted", limit=40) == "'" + "x" * 27 + "…' is fitted"  # 40 characters
