"""Every DLP2xx-DLP5xx page's Example is reported by its rule, and its "Use instead" is not.

Examples are snippets: the imports they use are added in front of them (only those they use, since
an import alone may change a rule's verdict: torchvision in a module means images to DLP504)."""
from __future__ import annotations

import inspect
import re

import pytest

from flake8_dlpractice.engine import check_source
from flake8_dlpractice.rules import ALL_RULES

IMPORTS = {
    "np.": "import numpy as np", "pd.": "import pandas as pd",
    "nn.": "import torch.nn as nn", "F.": "import torch.nn.functional as F", "torchvision": "import torchvision",
    "timm.": "import timm", "wandb.": "import wandb", "mlflow.": "import mlflow", "random.": "import random",
    "DataLoader": "from torch.utils.data import DataLoader",
    "random_split": "from torch.utils.data import random_split",
    "SummaryWriter": "from torch.utils.tensorboard import SummaryWriter",
    "train_test_split": "from sklearn.model_selection import train_test_split",
    "tf.": "import tensorflow as tf", "keras": "from tensorflow import keras",
}
RULES = [rule for rule in ALL_RULES if rule.code[3] in "2345"]


def snippet(rule, heading: str) -> str:
    doc = inspect.cleandoc(type(rule).__doc__ or "")
    match = re.search(rf"## {heading}\n```python\n(.*?)```", doc, re.S)
    assert match, f"{rule.code} has no {heading} block"
    code = match.group(1)
    header = ["import torch"]  # a module without an ML import is not checked at all
    header += [line for key, line in IMPORTS.items() if key in code and line not in code]
    return "\n".join(dict.fromkeys(header)) + "\n" + code


def codes(source: str, rule) -> set[str]:
    return {f.code for f in check_source(source, "example.py", opt_in={rule.code})}


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_example_is_reported_and_use_instead_is_not(rule):
    assert rule.code in codes(snippet(rule, "Example"), rule)
    assert rule.code not in codes(snippet(rule, "Use instead"), rule)
