"""Write the notebook fixtures of this folder with nbformat (real nbformat 4 JSON).

    python tests/notebooks/make_notebooks.py

Each flagged line carries ``# expect: DLPnnn`` as in the .py fixtures; lines are counted within
their cell. test_notebooks.py checks that the committed files are what this script writes.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

HERE = Path(__file__).resolve().parent
PYTHON = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
          "language_info": {"name": "python", "version": "3.11.7"}}


def cell(source: str, count: int | None = None, outputs=(), cell_id: str | None = None):
    made = new_code_cell(source, execution_count=count, outputs=list(outputs))
    if cell_id:
        made["id"] = cell_id
    return made


def stream(text: str):
    return new_output("stream", name="stdout", text=text)


def crop_yield() -> nbformat.NotebookNode:
    """Cross-cell leakage: the scaler is fitted in one cell, the data split two cells later."""
    nb = new_notebook(metadata=PYTHON)
    nb.cells = [
        new_markdown_cell("# Crop yield regression\nScale the plot measurements, then split."),
        cell("%matplotlib inline\nimport numpy as np\nimport pandas as pd\n"
             "from sklearn.preprocessing import MinMaxScaler\nfrom sklearn.model_selection import train_test_split\n"
             "from sklearn.linear_model import Ridge", 1, cell_id="imports"),
        cell("!pip install --quiet openpyxl\nplots = pd.DataFrame({'rain': np.arange(60.0), 'sun': np.arange(60.0) % 7,"
             "\n                      'yield_t': np.arange(60.0) * 0.3})\nplots.describe()", 2,
             [new_output("execute_result", data={"text/plain": "       rain   sun  yield_t"}, execution_count=2)],
             cell_id="load"),
        new_markdown_cell("Scale every column to [0, 1]."),
        cell("features = plots[['rain', 'sun']]\nminmax = MinMaxScaler()\n"
             "scaled = minmax.fit_transform(features)  # expect: DLP102", 3, cell_id="scale"),
        cell("x_fit, x_hold, y_fit, y_hold = train_test_split(scaled, plots['yield_t'], random_state=3)\n"
             "ridge = Ridge(alpha=0.5)\nridge.fit(x_fit, y_fit)\nprint(ridge.score(x_hold, y_hold))", 4,
             [stream("0.91\n")], cell_id="fit"),
    ]
    return nb


def ipython_syntax() -> nbformat.NotebookNode:
    """Every kind of IPython syntax next to real findings; nothing inside magics is reported."""
    nb = new_notebook(metadata=PYTHON)
    nb.cells = [
        cell("%load_ext autoreload\n%autoreload 2\nimport torch  # expect: DLP200\nfrom torch import nn"),
        cell("torch.nn.Linear?\nnn.Conv2d??\n?torch.manual_seed\nlisting = !ls -1 data\n"
             "get_ipython().run_line_magic('env', 'CUDA_VISIBLE_DEVICES=0')\n%pip install \\\n    einops"),
        cell("%%bash\necho 'for batch in loader: model(batch)'\nls -l"),
        cell("%%writefile helper.py\nimport torch\nmodel = torch.nn.Linear(3, 1)\nfor xb in range(3):\n"
             "    model(torch.zeros(xb))"),
        cell("%%time\nnet = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2))\n"
             "opt = torch.optim.SGD(net.parameters(), lr=0.1)\nfor step in range(5):  # generated data\n"
             "    %time loss = net(torch.randn(16, 8)).pow(2).mean()\n    loss.backward()  # expect: DLP300\n"
             "    opt.step()"),
        cell("text = '''\n%not a magic inside a string\n!nor this\n'''\nratio = (4\n    % 3)\n"
             "print(text, ratio)"),
        new_raw_cell("%%raw cells are never code"),
    ]
    return nb


def broken_cell() -> nbformat.NotebookNode:
    """One cell in Python 2 syntax: reported, left out, and the other cells are still checked."""
    nb = new_notebook(metadata=PYTHON)
    nb.cells = [
        cell("import torch\nfrom torch import nn\ntorch.manual_seed(7)"),
        cell("print 'legacy cell'  # expect: DLP000\nseen = 1"),
        cell("mlp = nn.Linear(6, 2)\nsgd = torch.optim.Adam(mlp.parameters())\n"
             "for epoch in range(3):\n"
             "    loss = mlp(torch.ones(4, 6)).sum()\n    loss.backward()  # expect: DLP300\n    sgd.step()\n"
             "    print(epoch, loss.item())"),
    ]
    return nb


def r_kernel() -> nbformat.NotebookNode:
    nb = new_notebook(metadata={"kernelspec": {"display_name": "R", "language": "R", "name": "ir"},
                                "language_info": {"name": "R"}})
    nb.cells = [cell("library(ggplot2)\nsummary(cars)")]
    return nb


def eval_fix() -> nbformat.NotebookNode:
    """Fixable findings in two cells; the torch import the fix needs is in a third one."""
    nb = new_notebook(metadata=PYTHON)
    nb.cells = [
        new_markdown_cell("Evaluate a tiny classifier on held-out leaves."),
        cell("import torch\nfrom torch import nn", 1, cell_id="imp"),
        cell("%%time\nclassifier = nn.Linear(5, 3)\nleaves = torch.randn(40, 5)\nbatches = leaves.split(8)\n"
             "classifier.eval()\nfor leaf in batches:  # expect: DLP302\n    print(classifier(leaf).argmax(1))", 2,
             [stream("tensor([0, 2, 1, 1, 0, 2, 2, 1])\n")], cell_id="ev"),
        cell("scores = [classifier(b).softmax(1) for b in batches]\nprint(len(scores))", 3,
             [stream("5\n")], cell_id="sc"),
    ]
    return nb


NOTEBOOKS = {"crop_yield": crop_yield, "ipython_syntax": ipython_syntax, "broken_cell": broken_cell,
             "r_kernel": r_kernel, "eval_fix": eval_fix}


def render(name: str) -> str:
    nb = NOTEBOOKS[name]()
    for number, made in enumerate(nb.cells, 1):  # fixed ids: the files are reproducible
        if len(made["id"]) == 8 and made["id"] not in ("imports", "load", "scale", "fit", "imp", "ev", "sc"):
            made["id"] = f"{name[:12]}-{number}"
    return nbformat.writes(nb, version=4) + "\n"


def main() -> int:
    for name in NOTEBOOKS:
        (HERE / f"{name}.ipynb").write_text(render(name), encoding="utf-8")
    (HERE / "not_json.ipynb").write_text('{"cells": [\n  {"cell_type": "code",\n', encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
