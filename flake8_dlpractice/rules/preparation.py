"""Data Preparation: statistics learnt before the split, foreign normalisation statistics and
class-imbalance resampling (DLP102, DLP104, DLP105)."""
from __future__ import annotations

import ast
import re
from typing import Iterator

from ..analysis.called import called_names
from ..analysis.consumers import Consumers
from ..analysis.facts import ModuleFacts
from ..analysis.records import CallSite, FunctionInfo
from ..analysis.leaks import (Leaks, Learning, concat_origin, describe, expression, first_fitting, group_suffix,
                              quoted, split_clause, split_ref)
from ..analysis.names import dotted, last_part, name_words
from ..analysis.nodes import walk
from ..analysis.provenance import PHRASES, SplitEvent, StatUse
from ..analysis.values import Value
from .base import Finding, Rule, Step, line_ref

# ---------------------------------------------------------------------------------------------
# DLP104

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGENET_MEAN_255 = (123.675, 116.28, 103.53)
IMAGENET_STD_255 = (58.395, 57.12, 57.375)
CAFFE_MEAN_255 = (123.68, 116.779, 103.939)
IMAGENET_VAR = tuple(s * s for s in IMAGENET_STD)

# data sets that are not ImageNet-like (small, grey-scale or low-resolution images)
FOREIGN_DATASETS = {
    "MNIST": "MNIST", "FashionMNIST": "FashionMNIST", "KMNIST": "KMNIST", "EMNIST": "EMNIST",
    "QMNIST": "QMNIST", "CIFAR10": "CIFAR10", "CIFAR100": "CIFAR100", "SVHN": "SVHN",
    "STL10": "STL10", "USPS": "USPS", "SEMEION": "SEMEION", "Omniglot": "Omniglot",
}
KERAS_FOREIGN = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST", "cifar10": "CIFAR10",
                 "cifar100": "CIFAR100"}
# words of a data set name in strings ("../input/Kannada-MNIST/train.csv", load_dataset("cifar10"))
FOREIGN_WORDS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST", "fashionmnist": "FashionMNIST",
                 "kmnist": "KMNIST", "emnist": "EMNIST", "qmnist": "QMNIST", "cifar10": "CIFAR10",
                 "cifar100": "CIFAR100", "cifar": "CIFAR", "svhn": "SVHN", "stl10": "STL10",
                 "usps": "USPS"}
_STRING_WORD = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)?")
DATA_LOADING_CALLS = ("pandas.read_csv", "numpy.load", "numpy.loadtxt", "numpy.genfromtxt",
                      "datasets.load_dataset", "tensorflow_datasets.load", "torch.load",
                      "scipy.io.loadmat", "h5py.File", "pandas.read_parquet", "pandas.read_pickle")
# sources of images that may well be ImageNet-like (or are unknown)
OTHER_SOURCES = frozenset({"ImageFolder", "DatasetFolder", "ImageNet", "image_dataset_from_directory",
                           "flow_from_directory", "flow_from_dataframe", "CelebA", "VOCDetection",
                           "VOCSegmentation", "CocoDetection", "CocoCaptions", "Places365", "Food101",
                           "OxfordIIITPet", "Flowers102", "StanfordCars", "Caltech101", "Caltech256",
                           "INaturalist", "LSUN", "SBDataset", "Cityscapes", "Kitti", "WIDERFace",
                           "FGVCAircraft", "DTD", "EuroSAT", "GTSRB", "Country211", "SUN397",
                           "PCAM", "RenderedSST2", "LFWPeople", "LFWPairs", "ImageNette",
                           "imread", "open", "load_img"})
IMAGE_READERS = ("PIL.Image.open", "cv2.imread", "keras.preprocessing.image.load_img",
                 "keras.utils.load_img", "skimage.io.imread", "imageio.imread", "torchvision.io.read_image")


_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b if b else None, ast.Pow: lambda a, b: a ** b if abs(b) <= 4 else None}


def _number(node: ast.expr, depth: int = 0) -> float | None:
    """A number literal or a small constant expression (``0.229 ** 2``, ``0.485 * 255``)."""
    if depth > 4:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand, depth + 1)
        return -inner if inner is not None else None
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _number(node.left, depth + 1), _number(node.right, depth + 1)
        if left is None or right is None:
            return None
        try:
            return _BINOPS[type(node.op)](left, right)
        except (OverflowError, ZeroDivisionError, ValueError, TypeError):
            return None
    return None


def _numbers(node: ast.expr) -> tuple[float, ...] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and 0 < len(node.elts) <= 4:
        out = []
        for elt in node.elts:
            value = _number(elt)
            if value is None:
                return None
            out.append(value)
        return tuple(out)
    return None


def _close(values: tuple[float, ...], ref: tuple[float, ...], tol: float) -> bool:
    if len(values) != len(ref):
        return False
    return (all(abs(a - b) <= tol for a, b in zip(values, ref))
            or all(abs(a - b) <= tol for a, b in zip(values, reversed(ref))))


def imagenet_stat(values: tuple[float, ...] | None) -> str | None:
    """'mean' / 'std' / 'variance' when the numbers are ImageNet's statistics, else None."""
    if not values:
        return None
    if _close(values, IMAGENET_MEAN, 0.0015) or _close(values, IMAGENET_MEAN_255, 0.4) \
            or _close(values, CAFFE_MEAN_255, 0.05):
        return "mean"
    if _close(values, IMAGENET_STD, 0.0015) or _close(values, IMAGENET_STD_255, 0.4):
        return "std"
    if _close(values, IMAGENET_VAR, 0.0005):
        return "variance"
    return None


class _Resolver:
    """Follows a statistic argument to its numbers: literals, module-level constants, names
    assigned in the same function, ``torch.tensor([...])`` / ``np.array([...])`` / ``.tolist()``."""

    WRAPPERS = frozenset({"tensor", "Tensor", "array", "asarray", "FloatTensor", "list", "tuple",
                          "as_tensor", "constant"})

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.module_assign: dict[str, ast.expr] = {}
        for stmt in facts.tree.body:
            self._collect(stmt, self.module_assign)
        self.function_assign: dict[int, dict[str, ast.expr]] = {}

    @staticmethod
    def _collect(stmt: ast.AST, into: dict[str, ast.expr]) -> None:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                into.setdefault(target.id, stmt.value)
            elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(stmt.value, (ast.Tuple, ast.List)) \
                    and len(target.elts) == len(stmt.value.elts):
                for t, v in zip(target.elts, stmt.value.elts):
                    if isinstance(t, ast.Name):
                        into.setdefault(t.id, v)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            into.setdefault(stmt.target.id, stmt.value)

    def _function(self, scope: FunctionInfo) -> dict[str, ast.expr]:
        found = self.function_assign.get(id(scope))
        if found is None:
            found = {}
            for sub in walk(scope.node):
                if isinstance(sub, (ast.Assign, ast.AnnAssign)):
                    self._collect(sub, found)
            self.function_assign[id(scope)] = found
        return found

    def stat(self, node: ast.expr | None, scope: FunctionInfo | None) -> str | None:
        for _ in range(6):
            if node is None:
                return None
            numbers = _numbers(node)
            if numbers is not None:
                return imagenet_stat(numbers)
            if isinstance(node, (ast.Name, ast.Attribute)):
                spelled = dotted(node) or ""
                words = set(name_words(spelled.replace(".", "_")))
                if "imagenet" in words or "IMAGENET" in spelled.upper().replace("_", ""):
                    if words & {"mean", "avg"}:
                        return "mean"
                    if words & {"std", "stdev"}:
                        return "std"
            if isinstance(node, ast.Name):
                nxt = None
                if scope is not None:
                    nxt = self._function(scope).get(node.id)
                    if nxt is None and node.id in scope.params:
                        return None
                node = nxt if nxt is not None else self.module_assign.get(node.id)
                continue
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr in ("tolist", "float", "numpy", "to",
                                                                     "cuda", "view", "reshape"):
                    node = func.value
                    continue
                fname = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if fname in self.WRAPPERS and node.args:
                    node = node.args[0]
                    continue
            return None
        return None


_NORMALIZE_ENDINGS = ("Normalize", "normalize", "Normalization")


def _normalize_kind(site: CallSite) -> str | None:
    qn = site.qn
    if qn is None or not qn.endswith(_NORMALIZE_ENDINGS):
        return None  # most calls: decided without splitting the name
    cls = last_part(qn)
    if qn.startswith("torchvision.transforms.") and cls == "Normalize":
        return "torchvision"
    if qn == "torchvision.transforms.functional.normalize":
        return "functional"
    if qn.startswith("albumentations.") and cls == "Normalize":
        return "albumentations"
    if qn.startswith("kornia.") and cls == "Normalize":
        return "kornia"
    if qn.startswith("keras.layers") and cls == "Normalization":
        return "keras"
    return None


def _names_in(node: ast.AST) -> set[str]:
    out = set()
    for sub in walk(node):
        if isinstance(sub, ast.Name):
            out.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            spelled = dotted(sub)
            if spelled:
                out.add(spelled)
    return out


def _string_dataset(node: ast.AST) -> str | None:
    for sub in walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and len(sub.value) < 300:
            text = sub.value.lower().replace("-", "_").replace("/", " ").replace(".", " ")
            for word in _STRING_WORD.findall(text):
                for part in (word, *word.split("_")):
                    if part in FOREIGN_WORDS:
                        return FOREIGN_WORDS[part]
    return None


def pretrained_evidence(facts: ModuleFacts) -> str | None:
    """Evidence that ImageNet-pretrained weights are (or may be) loaded in the module."""
    for site in facts.calls:
        qn = site.qn or ""
        name = site.name or ""
        node = site.node
        if site.method == "from_pretrained" or qn.endswith(".from_pretrained"):
            return f"{name}() at {line_ref(site.line)}"
        if last_part(qn) in ("load_state_dict_from_url", "load_url") or qn.startswith("torch.hub.load"):
            return f"{name}() at {line_ref(site.line)}"
        for kw in node.keywords:
            val = kw.value
            if kw.arg in ("pretrained", "use_pretrained", "pretrained_backbone", "imagenet_pretrained"):
                if not (isinstance(val, ast.Constant) and val.value in (False, None, 0, "")):
                    return f"{name}({kw.arg}=...) at {line_ref(site.line)}"
            elif kw.arg in ("weights", "weights_backbone", "encoder_weights"):
                if isinstance(val, ast.Constant) and (val.value is None or not isinstance(val.value, str)):
                    continue
                if isinstance(val, (ast.List, ast.Tuple, ast.Dict)):
                    continue
                if qn.startswith(("torch.utils.data", "numpy.", "sklearn.", "torch.nn.", "pandas.",
                                  "torch.multinomial")):
                    continue
                return f"{name}({kw.arg}=...) at {line_ref(site.line)}"
        if qn.startswith("torchvision.models.") and node.args and isinstance(node.args[0], ast.Constant) \
                and node.args[0].value is True:
            return f"{name}(True) at {line_ref(site.line)}"
        for arg in [*node.args, *(kw.value for kw in node.keywords)]:
            if isinstance(arg, ast.Attribute):
                base = dotted(arg.value) or ""
                if base.endswith("_Weights") or "IMAGENET1K" in arg.attr:
                    return f"{dotted(arg)} at {line_ref(site.line)}"
        if site.method in ("load_weights", "load_state_dict") or qn == "torch.load":
            for sub in walk(node):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str) \
                        and ("imagenet" in sub.value.lower() or "pretrain" in sub.value.lower()):
                    return f"{name}({sub.value!r}) at {line_ref(site.line)}"
    return None


class _Datasets:
    """Where the module's images come from."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.foreign_classes: dict[str, str] = {}
        for cname, cdef in facts.classes.items():
            for base in cdef.bases:
                qn = facts.imports.qualname(base) or ""
                if qn.startswith("torchvision.datasets.") and last_part(qn) in FOREIGN_DATASETS:
                    self.foreign_classes[cname] = FOREIGN_DATASETS[last_part(qn)]
        self.foreign: list[tuple[str, CallSite]] = []
        self.other: list[tuple[str, CallSite]] = []
        self.foreign_ids: dict[int, tuple[str, CallSite]] = {}  # value ids derived from foreign data
        for site in facts.calls:
            label = self.foreign_label(site)
            if label:
                self.foreign.append((label, site))
                stmt = site.stmt
                if site.scope is None and isinstance(stmt, ast.Assign) and stmt.value is site.node:
                    for target in stmt.targets:
                        for sub in walk(target):
                            value = facts.module_env.get(sub.id) if isinstance(sub, ast.Name) else None
                            for ident in value.anc if value is not None else ():
                                self.foreign_ids.setdefault(ident, (label, site))
            elif self.other_label(site):
                self.other.append((self.other_label(site) or "", site))

    def foreign_label(self, site: CallSite) -> str | None:
        qn = site.qn or ""
        cls = last_part(qn)
        if qn.startswith("torchvision.datasets.") and cls in FOREIGN_DATASETS:
            return FOREIGN_DATASETS[cls]
        if isinstance(site.node.func, ast.Name) and site.node.func.id in self.foreign_classes:
            return self.foreign_classes[site.node.func.id]
        if qn.startswith("keras.datasets.") and cls == "load_data":
            return KERAS_FOREIGN.get(qn.split(".")[2])
        if qn in DATA_LOADING_CALLS and site.node.args:
            return _string_dataset(site.node.args[0])
        return None

    def other_label(self, site: CallSite) -> str | None:
        qn = site.qn or ""
        cls = last_part(qn)
        if qn.startswith("torchvision.datasets.") and cls not in FOREIGN_DATASETS:
            return cls
        if qn in IMAGE_READERS:
            return cls
        if site.method in ("flow_from_directory", "flow_from_dataframe"):
            return site.method
        if qn.startswith("keras.") and cls == "image_dataset_from_directory":
            return cls
        if site.local is None and isinstance(site.node.func, ast.Name) \
                and site.node.func.id in self.facts.classes and site.node.func.id not in self.foreign_classes:
            cdef = self.facts.classes[site.node.func.id]
            if any("Dataset" in (dotted(b) or "") for b in cdef.bases):
                return site.node.func.id
        return None

    def consumers(self, holders: set[str], normalize: ast.Call) -> list[tuple[str | None, CallSite]]:
        """Data sets built with the transform (``transform=tf``, or the transform inline)."""
        out: list[tuple[str | None, CallSite]] = []
        for site in self.facts.calls:
            label = self.foreign_label(site)
            other = None if label else self.other_label(site)
            if label is None and other is None:
                continue
            if label is None and self.foreign_ids:  # a custom Dataset over MNIST/CIFAR arrays
                for value in site.args[:1]:
                    hit = next((self.foreign_ids[i] for i in value.anc if i in self.foreign_ids), None)
                    if hit is not None:
                        label = hit[0]
            node = site.node
            args = [*node.args, *(kw.value for kw in node.keywords)]
            hit = False
            for arg in args:
                if holders & _names_in(arg) or any(sub is normalize for sub in walk(arg)):
                    hit = True
                    break
            if hit:
                out.append((label, site))
        return out


def _holders(facts: ModuleFacts, site: CallSite) -> set[str]:
    """Names that hold the Normalize (directly or inside a Compose), up to a few hops."""
    holders: set[str] = set()
    stmt = site.stmt
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            spelled = dotted(target)
            if spelled:
                holders.add(spelled)
            elif isinstance(target, ast.Subscript):
                base = dotted(target.value)
                if base:
                    holders.add(base)
    elif isinstance(stmt, ast.Return) and site.scope is not None:
        holders.add(site.scope.name)
    if not holders:
        return holders
    for _ in range(3):
        added = False
        for other in facts.calls:
            st = other.stmt
            if isinstance(st, ast.Return) and st.value is other.node and other.scope is not None \
                    and other.scope.name not in holders and holders & _names_in(other.node):
                holders.add(other.scope.name)
                added = True
                continue
            if not isinstance(st, ast.Assign) or st.value is not other.node:
                continue
            if holders & _names_in(other.node):
                for target in st.targets:
                    spelled = dotted(target)
                    if spelled and spelled not in holders:
                        holders.add(spelled)
                        added = True
        if not added:
            break
    return holders


class ForeignNormalizationStats(Rule):
    """
    ## What it does
    Flags `Normalize(...)` with ImageNet's channel statistics (mean `0.485, 0.456, 0.406`, std
    `0.229, 0.224, 0.225`, or the same ×255) applied to a data set that is not ImageNet-like —
    MNIST, FashionMNIST, KMNIST, EMNIST, QMNIST, CIFAR10/100, SVHN, STL10, USPS — in a module that
    loads no ImageNet-pretrained weights. Covered: torchvision `transforms.Normalize` (also `v2`)
    and `transforms.functional.normalize`, albumentations `A.Normalize` (whose *default* mean and
    std are ImageNet's, so `A.Normalize()` counts), kornia `Normalize`, Keras
    `Normalization(mean=..., variance=...)`. The statistics may be literals, module-level
    constants (`MEAN = [0.485, ...]`), names assigned in the same function, `torch.tensor([...])`
    / `np.array([...])` wrappers, or names that say so (`IMAGENET_DEFAULT_MEAN`).

    The data set is the one the transform is given to (`CIFAR10(..., transform=tf)`, directly or
    through a `Compose`); when that cannot be followed, the module's only image source. Data sets
    are recognised from torchvision constructors (and subclasses), `keras.datasets.*.load_data`,
    and data set names in loading calls (`load_dataset("cifar10")`,
    `pd.read_csv(".../Kannada-MNIST/train.csv")`).

    Pretrained weights: `weights=...` / `pretrained=...` (anything but `None`/`False`),
    `*_Weights.IMAGENET1K_V1`, `from_pretrained`, `torch.hub.load`, `load_state_dict_from_url`, Keras
    `weights="imagenet"`.

    ## Why is this bad?
    The guide's *Data Preparation* section: normalise inputs with *the dataset's own* mean and
    standard deviation. ImageNet's statistics belong to ImageNet photographs and to networks
    pre-trained on them; on MNIST digits (mostly black, one channel) or CIFAR's small images they
    leave the inputs off-centre and badly scaled, which slows or destabilises training for no
    benefit. The only good reason to use them is to feed an ImageNet-pretrained network, and this
    module loads none.

    ## Example
    ```python
    tf = T.Compose([T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    train_set = torchvision.datasets.CIFAR10("data", train=True, transform=tf)
    model = SmallCNN()
    ```

    ## Use instead
    ```python
    tf = T.Compose([T.ToTensor(), T.Normalize([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616])])
    train_set = torchvision.datasets.CIFAR10("data", train=True, transform=tf)
    ```
    or keep ImageNet statistics and start from ImageNet weights
    (`resnet18(weights=ResNet18_Weights.DEFAULT)`).

    ## Known limits
    A data set read from files without its name in the path (a CSV of digits, `ImageFolder` of
    your own photos) is unknown and never flagged; so are statistics computed at run time or
    imported from another module under a neutral name. Weights loaded from a checkpoint file
    whose name says nothing (`torch.load("model.pth")`) are not recognised as ImageNet weights, so
    a fine-tuning script that loads them this way may be flagged.
    """

    code, name = "DLP104", "foreign-normalization-stats"
    summary = "ImageNet mean/std normalise a non-ImageNet data set without ImageNet-pretrained weights"
    section = "Data Preparation: normalise with the dataset's own statistics"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        if not any(qn.endswith(_NORMALIZE_ENDINGS) for qn in facts.derived(called_names).qualified):
            return  # no normalisation called: decided without testing every call
        sites = [(s, k) for s in facts.calls for k in (_normalize_kind(s),) if k]
        if not sites:
            return
        resolver = _Resolver(facts)
        found = []
        for site, kind in sites:
            evidence = self._imagenet_stats(resolver, site, kind)
            if evidence:
                found.append((site, evidence))
        if not found or pretrained_evidence(facts):
            return
        datasets = _Datasets(facts)
        if not datasets.foreign:
            return
        for site, evidence in found:
            consumers = datasets.consumers(_holders(facts, site), site.node)
            if consumers:
                foreign = [(label, s) for label, s in consumers if label]
                if not foreign:
                    continue
                label, data_site = foreign[0]
            else:
                if datasets.other:
                    continue
                label, data_site = datasets.foreign[0]
            where = line_ref(data_site.line, last_part(data_site.name) or label)
            name = site.name or "Normalize"
            yield self.finding(site.node, first_fitting([
                f"{name}() uses ImageNet's {evidence} on {label} ({where}), and no ImageNet weights are loaded",
                f"{quoted(name, limit=30)[1:-1]}() uses ImageNet's {evidence} on {label} ({where})"]),
                trace=(Step(data_site.line, data_site.node.col_offset, "source", label),
                       Step(site.line, site.node.col_offset, "sink", "ImageNet statistics")))

    @staticmethod
    def _imagenet_stats(resolver: _Resolver, site: CallSite, kind: str) -> str | None:
        node = site.node
        scope = site.scope
        if kind == "functional":
            mean, std = site.kwarg_node("mean"), site.kwarg_node("std")
            mean = mean if mean is not None else (node.args[1] if len(node.args) > 1 else None)
            std = std if std is not None else (node.args[2] if len(node.args) > 2 else None)
        elif kind == "keras":
            mean, std = site.kwarg_node("mean"), site.kwarg_node("variance")
        else:
            mean, std = site.kwarg_node("mean"), site.kwarg_node("std")
            mean = mean if mean is not None else (node.args[0] if node.args else None)
            std = std if std is not None else (node.args[1] if len(node.args) > 1 else None)
        if kind == "albumentations" and mean is None and std is None:
            if any(kw.arg is None for kw in node.keywords):
                return None
            return "mean/std (albumentations' defaults)"
        stats = [resolver.stat(mean, scope), resolver.stat(std, scope)]
        if stats[0] == "mean" and stats[1] in ("std", "variance"):
            return "mean/std"
        if stats[0] == "mean":
            return "mean"
        if stats[1] in ("std", "variance"):
            return "std"
        return None


# ---------------------------------------------------------------------------------------------
# DLP102

_VERBS = {"imputed": "imputes", "normalised": "normalises", "binned": "bins", "transformed": "transforms",
          "derived": "derives a column from"}


class PreprocessingBeforeSplit(Rule):
    """
    ## What it does
    Flags statistics learnt from data that contains the test rows:

    - `fit`/`fit_transform` of a scaler, imputer, feature encoder, PCA, feature selector or
      vectoriser, a `Pipeline`/`ColumnTransformer` with such a step, or `scale()`/`minmax_scale()`/
      `robust_scale()`/`quantile_transform()`/`power_transform()`, on data that is split afterwards
      (`train_test_split`, `random_split`, a K-fold `split`, `cross_val_score`, a grid search);
    - normalising, imputing or binning data with its own statistics (`(X - X.mean()) / X.std()`,
      `df.fillna(df.mean())`, `df["age"].fillna(df["age"].median(), inplace=True)`, `X -= X.mean(0)`,
      `pd.qcut(df.fare, 4)`, group medians) before it is split;
    - the most common competition shape: `full = pd.concat([train, test])`, statistics of `full`,
      then the rows taken back out (`full[:n]`, `full.iloc[n:]`, `full[full.is_test == 1]`,
      `full.loc[train.index]`);
    - statistics of the whole data applied to one of its parts after the split
      (`X_te - X.mean()`, `StandardScaler().fit(X)` then `.transform(X_te)`);
    - preprocessing before fold indices from `kf.split(raw)` (or an old iterable
      `KFold(n, n_folds=5)`) are applied to an array derived from `raw`.

    The split may happen in a same-file function or method that splits or cross-validates its
    argument (or `self.data`), and the statistics may be learnt in one (`df = prepare(df)`, a
    callback applied with `df.apply(f)`). A run of statements that impute or normalise columns of
    one frame before the same split is one finding, on the first statement, whose message counts the
    others; so is a run of transformers of one class refitted on one column of one frame after
    another (`enc.fit_transform(df[["a"]])`, then on `df[["b"]]`, also through arrays such as
    `np.array(df["a"]).reshape(-1, 1)`). All the statistics learnt from all the rows of one
    concatenation of training and test data (imputations, vectorizers, scalers, a decomposition
    of their output), before its rows are taken back out or before a later split of data derived
    from it, are one decision and one finding, on the first of them, whose message counts the
    others; another concatenation is another finding, and so is a statistic of a part taken back
    out of it. Here the test part must be named as test data (by name, source or key), not
    recognised only by its use. Otherwise each fitted
    transformer is its own finding: a different class, another frame, or a whole matrix. Data
    that no name holds is shown as the expression that computes it (`'X.fillna(0)'`), one column
    of a named frame as that column (`orders['basket']` for `orders[["basket"]]`).

    ## Why is this bad?
    The guide's *Data Preparation* section says to normalise with the statistics of the training
    data. Statistics computed on the whole data set contain the test rows: the mean, the variance,
    the vocabulary, the principal components or the selected features have seen the test set, and
    the test score is optimistic (*Common Pitfalls: data leakage*).

    ## Example
    ```python
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    ```

    ## Use instead
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    # or, for cross-validation: make_pipeline(StandardScaler(), model)
    ```

    ## Known limits
    Label encoding, rescaling or imputing of the target alone (`LabelEncoder`, `y = y / y.max()`,
    `SimpleImputer().fit_transform(y_log.values.reshape(-1, 1))`) learns statistics of the labels,
    not of the features, and is not flagged (the target is recognised by its name: `y`, `y_train`,
    `target`, `labels`), nor are encoders and vectorizers that learn only a list of categories or words
    (`CountVectorizer()` without `max_features`/`min_df`/`max_df`, `OneHotEncoder`/`OrdinalEncoder`
    without `min_frequency`/`max_categories`): a category or word seen only in the held-out rows is
    an all-zero column while fitting, so nothing of those rows reaches the model (a
    `TfidfVectorizer`'s document frequencies, frequency cut-offs, target encoders, scalers,
    imputers, PCA and selectors are statistics and are flagged; fitting any of them on the test
    split alone is DLP100), nor are stateless transformers (`PolynomialFeatures`, `Normalizer`,
    `Binarizer`, `FunctionTransformer`, hashing), row-wise work (`x.mean(axis=1)`, `normalize`,
    `Imputer(axis=1)`, `df.apply(f, axis=1)`, a helper applied to each sample), fixed bins
    (`pd.cut(x, [0, 18, 65])`), logs and constants. A fit whose result never reaches the split data
    (an exploratory PCA plotted and thrown away) is not flagged, nor is a column binned or imputed and
    then dropped from its frame before the split (`df = df.drop(["band"], axis=1)`, `inplace=True`,
    `del df["band"]`, `df.pop("band")`) when no assignment read it in between (dummies or another
    column made from it keep it; being a groupby key does not count as a read, and dropping it from
    a copy does not drop it from the frame). A splitter whose held-out part is thrown away (`for
    idx, _ in ShuffleSplit(...).split(X)`) only samples mini-batches and is not a split. A split,
    fit or fold loop in a branch switched off by a module constant (`RUN_FOLDS = False` bound once
    and never again, then `if RUN_FOLDS:`; `N_FOLDS = 1`, then `if N_FOLDS > 1:`; `if False:`)
    never runs and counts for nothing, and a split inside a same-file function that reads the
    module's data (`def rmse_cv(model): return cross_val_score(model, X_train, y)`) happens where
    the function is called: calls made only before the statistics were learnt are no evidence (a
    method, a decorated function or one passed rather than called may run at any time). A function
    defined twice at module level (a notebook cell run again with changes) runs, for a top-level
    call, the definition written before the call. A fill of
    a column that has no missing values is a no-op the analysis cannot see and is still flagged. A
    preprocessor fitted on training data before a plain train/validation holdout of it is not
    flagged when a separate labelled test set is scored in the module and stayed out of the
    statistics; before cross-validation or a grid search on it, it is — the folds' scores are
    optimistic; use a `Pipeline`. Concatenations are recognised when one part is test or validation
    data (by name, source or use); `pd.get_dummies` and label encoding on a concatenation are not
    statistics. A loop over `[train, test]` that imputes each frame is not followed (each pass is a
    different frame). Data flow through same-file functions is followed by what they do to each
    parameter: a helper that takes several data sets and returns them as one tuple mixes their
    ancestry (only the parts it unpacks into separate names are told apart, also when the helper
    returns what another same-file helper returns: `return attach(a, b)`), branches are told apart
    only by a test on a parameter (`if scaled:`), and what a helper reads from a path it is given
    (`pd.read_csv(folder + "train.csv")`) is not the argument, nor followed back out of the helper.
    A helper that learns statistics from its argument and then splits or K-folds it itself is
    reported inside, once; its call is not paired again with the caller's later splits. A
    transformer fitted again (`vec.fit(titles)` then `vec.fit(summaries)`) forgets what the first
    fit learnt. Rows put back together from cross-validation folds are not test rows, and a column
    selection (`train.columns[1:-1]`) or a filter of values by themselves (`skew[abs(skew) > 0.75]`)
    is not a split back, nor is a filter by a feature's value (`full[full.pclass == 3]`: a mask
    splits back only when a marker column, name or value says train or test, `full.is_test == 1`,
    `full["src"] == "train"`, or it tests for missing values, `full.Survived.notnull()`), nor a
    frame that only got a named column copied from the concatenation (`df["k"] = full["k"]`), nor
    are the top rows of an aggregate of the concatenation
    (`full.street.value_counts()[:100]`, a groupby table sorted and sliced, or a table built only
    from such aggregates); rows taken out of it by a mask and handed straight to a same-file helper
    (`encode(full.loc[full.is_test == 0], ...)`) are a part, so what the helper learns from them is
    not a statistic of the whole, nor is a statistic of the leading rows of a concatenation that
    starts with training data (`full.fillna(full[:len(train)].mean())`: the training part; its later
    cross-validation is still reported). Leading rows of a concatenation whose first part has no
    training role, and trailing rows (`full[n_train:]`), are the whole. A column derived from a
    group statistic of the whole data (`df["mean_by_town"] =
    df.groupby("town")["price"].transform("mean")`) and a global `x / x.max()` are statistics,
    also when the maximum is known to be a constant such as 255. Window statistics
    (`s.rolling(7).mean()`, `.ewm(...)`, `.expanding()`), random projections
    (`GaussianRandomProjection`, `SparseRandomProjection`, `RBFSampler`) and statistics of one
    sample picked by a `range()` counter learn nothing across rows and are not flagged, also inside
    a same-file helper given the whole data and the counter (`[rescale(df, i) for i in
    range(len(df))]` with `def rescale(table, row): x = table["scan"][row]; return x / x.max()`);
    a helper given all the row numbers at once, or one that learns from more than the row it picks,
    is flagged. Per-group
    aggregates put beside their keys as features (`users["mean_gap"] =
    orders.groupby("user")["gap"].mean()`, `.agg("mean")`: one value per user, from that user's own
    history) are feature engineering, not statistics of the split rows, and are not flagged; a group
    statistic broadcast back onto the rows it was computed from (`.transform("mean")`) or filling
    their gaps is. What a transformer learnt and
    then handed to a new transformer as a setting (`TfidfVectorizer(vocabulary=words)` with words from
    an earlier fit) does not link the earlier fit to the new one's output: only data that derives
    from a fit's output (or is transformed by the fitted object) carries its statistics.

    Statistics that reach a split but nothing learnt from its held-out rows are not flagged. A
    per-feature monotone rescale (`StandardScaler`, `MinMaxScaler`, `MaxAbsScaler`, `RobustScaler`,
    `scale()`, `minmax_scale()`, `maxabs_scale()`, `robust_scale()`, or by hand `(x - x.mean()) /
    x.std()`, `x / x.max()`) is silent when every model evaluated through that split is a tree model
    (`DecisionTree*`, `RandomForest*`, `ExtraTrees*`, `GradientBoosting*`, `HistGradientBoosting*`,
    `XGB*`, `LGBM*`, `CatBoost*`, `lgb.train`/`xgb.train`, and scikit-learn's `Voting*`, `Stacking*`,
    `Bagging*` and `AdaBoost*` ensembles whose every member is one: their `estimators`, a bagging or
    AdaBoost `estimator` (a decision tree by default), and with `passthrough=True` a stacking
    ensemble's `final_estimator` too): splits on a feature do not change when it
    is rescaled monotonically, so the held-out predictions are the same. The models judged are those
    fitted on the split's parts (for cross-validation or a search, its estimator; for a same-file
    helper, the models it fits, an estimator it is given being the caller's argument; for a model
    taken in turn from a list display, `for clf in [forest, boosted]: clf.fit(...)`, `for name,
    clf in [("rf", forest), ...]` or `for name, clf in zip(names, models)`, every element of the
    list; a list grown in place, `models.append(m)`, is of unknown kinds); a linear
    model, a network, KNN, an SVM, a model of unknown kind or built by a same-file function, no model
    at all, a transformer or a model's predictions that learn from the rescaled data on the way (PCA,
    a selector, a clustering's labels as a feature), or `booster="gblinear"`/`linear_tree` anywhere in
    the file keep the finding. Imputers, encoders, PCA, selectors, vectorizers, quantile and power
    transforms, squares and absolute values are not monotone rescales. A column binned with its own
    bins (`pd.cut(df.age, 10)`, `pd.qcut`) that is read only as a split's `stratify=` (or a
    splitter's `y`), as a `groupby`/`drop`/`sort_values` key or in a statement that only shows it
    stratifies the split and is no feature (a frame handed whole to a model, bins column included,
    is not seen). Statistics that reach only the split's labels (named as the target: `y`,
    `target`, `labels`), or only columns of a frame that its features leave out (`df.loc[:,
    "segment"] = KMeans().fit_predict(scaled)`, then `train_test_split(df[cols], df["segment"])`
    with `cols` a literal list of other columns), are not flagged, nor are later splits of those
    parts. Adversarial validation is not flagged: when the split's labels say which data set a row
    comes from — runs of constants (`np.hstack([np.ones(len(a)), np.zeros(len(b))])`, `[0] * len(a)
    + [1] * len(b)`, also held in names first and shifted or scaled by a number: `is_a =
    np.zeros(n) + 1`, then `np.vstack((is_a, is_b))`), or a column set to a different constant on
    each data set before they are put together (`a["is_test"] = 0`; `b["is_test"] = 1`) — the
    second data set is a class of that task, not held-out data, and statistics over both are the
    point. The shape alone decides: an ordinary two-class task built the same way (healthy and
    diseased samples loaded from two files, labelled by two runs of constants, scaled together
    before the split) looks the same and is not flagged either — a missed leak; telling the two
    apart would need to know that one source is the held-out set, which a name such as `sub` or
    `incoming` does not say.
    """

    code, name = "DLP102", "preprocessing-before-split"
    summary = "statistics are learnt from data that contains the test rows (before the split, or from all of it)"
    section = "Data Preparation: normalise with the training data's statistics"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        leaks = facts.derived(Leaks)
        groups: dict[tuple, list[tuple[Learning, SplitEvent, StatUse | None]]] = {}
        for learning in leaks.learnings:
            if learning.fit is not None and learning.fit.vocabulary:
                continue  # a category or word list learnt on all rows is not a statistic of them
            after: StatUse | None = None
            split = leaks.split_after(learning)
            if split is None:
                found = leaks.split_before(learning)
                if found is None:
                    continue
                split, after = found
            key = _group_key(facts, learning, split, after)
            concat = _concatenation(leaks, learning, split) if after is None else None
            if concat is not None:
                # statistics of all the rows of one train+test concatenation: one decision, one finding
                groups.setdefault(("concat", concat), []).append((learning, split, after, key))
            elif key is not None:
                groups.setdefault(key, []).append((learning, split, after, key))
            else:
                yield self._finding(learning, split, after)
        for members in groups.values():
            members.sort(key=lambda m: (m[0].line, m[0].node.col_offset))
            learning, split, after, key = members[0]
            others = sorted({m[0].line for m in members[1:]} - {learning.line})
            columns = (key is not None and all(m[3] == key for m in members)
                       and all(m[0].use is None or m[0].use.column for m in members))
            yield self._finding(learning, split, after, others, columns)

    def _finding(self, learning: Learning, split: SplitEvent, after: StatUse | None,
                 others: list[int] = (), columns: bool = False) -> Finding:
        grouped = bool(others)
        subject, data = _subject(learning, whole=after is not None, grouped=grouped)
        short, _ = _subject(learning, whole=after is not None, grouped=True)
        suffix = group_suffix(list(others), columns)
        if after is None:
            clause, compact = split_clause(split), split_clause(split, short=True)
            tight = compact if split.kind == "back" else f" before the split at {line_ref(split.line)}"
            options = [f"{subject}{clause}{suffix}", f"{subject}{compact}{suffix}"]
            if suffix:  # the count of the others matters more than the splitter's name
                options += [f"{subject}{tight}{suffix}", f"{short}{tight}{suffix}",
                            f"{short}{tight}{group_suffix(list(others), False)}",
                            f"{short}{tight}{group_suffix(list(others), columns, where=False)}"]
            options += [f"{subject}{clause}", f"{short}{clause}", f"{short}{compact}"]
            if split.kind == "back" and split.concat is not None:
                origin, _ = _subject(learning, grouped=grouped, origin=concat_origin(split.concat))
                options[-3:-3] = [f"{origin}{clause}"]
                options.insert(0, f"{origin}{clause}{suffix}")
        else:
            where = (f"split back at {split_ref(split)}" if split.kind == "back"
                     else f"split by {split_ref(split)}")
            short_where = f"split at {line_ref(split.line)}"
            target = quoted(after.target.name)
            if learning.fit is not None:
                options = [f"{subject} ({where}) and applied to its part {target}",
                           f"{subject} ({where}) and applied to {target}",
                           f"{subject} ({short_where}) and applied to {target}",
                           f"{subject} ({short_where})"]
            else:
                options = [f"{subject} ({where}){suffix}", f"{subject} ({short_where}){suffix}",
                           f"{subject} ({where})", f"{subject} ({short_where})"]
        return self.finding(learning.node, first_fitting(options), trace=_trace(learning, split, after, data))


def _concatenation(leaks: Leaks, learning: Learning, split: SplitEvent) -> int | None:
    """The train+test concatenation whose rows, all of them, the statistics were learnt from (the
    one the split takes rows back out of, or one the data derives from whole: not a part of it taken
    back out or split off)."""
    if split.kind == "back":
        return split.concat.ident if split.concat is not None else None
    anc = learning.source.anc
    found = [ident for ident, concat in leaks.facts.concats.items() if ident in anc and leaks.concat_has_test(concat)
             and any(part.role in ("test", "val") for part in concat.parts)]  # a named test part, not one by use
    if not found or any(event.piece_id in anc for event in leaks.splits if event.anc & set(found)):
        return None
    return min(found)


def _group_key(facts: ModuleFacts, learning: Learning, split: SplitEvent, after: StatUse | None) -> tuple | None:
    """What makes statements one defect: a run of columns of one frame imputed before the same split
    (by the same helper); the parts of a split normalised with the same statistics of the whole; one
    column of a frame after another fitted by transformers of one class before the same split."""
    use = learning.use
    if use is not None and use.frame:
        return ((id(learning.scope), use.frame, id(split), id(use.via)) if after is None else
                (id(learning.scope), use.stat.source.idents, id(split), "after"))
    column = facts.derived(Consumers).column_fitted(learning) if after is None else None
    if column is None:
        return None
    return id(learning.scope), column[0], id(split), learning.what


def _subject(learning: Learning, whole: bool = False, grouped: bool = False, origin: str = "") -> tuple[str, str]:
    """What learnt the statistics, as the headline's subject (``origin`` said of the data), and a
    few words for the data path."""
    source = learning.source
    fit, use = learning.fit, learning.use
    of_all = "all of " if whole else ""
    origin = f" ({origin})" if origin else ""
    if fit is not None:
        data = _data_text(source, _argument_node(learning), grouped)
        if fit.via is not None:
            return (f"{fit.via.shown}() fits {learning.what} on {of_all}{data}{origin}",
                    f"{fit.via.shown}() fits {learning.what}")
        return f"{learning.what} is fitted on {of_all}{data}{origin}", f"{learning.what} fitted"
    assert use is not None
    stat = use.stat.what
    if use.via is not None:
        verb = _VERBS.get(use.how, use.how)
        return (f"{use.via.shown}() {verb} {quoted(source.name)}{origin} with its own {stat}"
                if use.how != "derived" else f"{use.via.shown}() {verb} the {stat} of {quoted(source.name)}{origin}",
                f"{use.via.shown}()")
    target = quoted(use.frame or use.target.name)
    if use.column and use.frame and not grouped:
        target = f"{quoted(use.frame, limit=16)[1:-1]}[{quoted(use.column, limit=16)}]"
    phrase = PHRASES.get(use.how, f"is {use.how} with")
    if whole:
        return (f"{target} {phrase} the {stat} of all of {quoted(source.name)}", f"{use.how} with the {stat} of all")
    own = bool(source.idents & (use.target.anc | use.target.idents))
    what = f"its own {stat}" if own else f"the {stat} of {quoted(source.name)}"
    return f"{target}{origin} {phrase} {what}", f"{use.how} with its {stat}"


def _data_text(source: Value, node: ast.expr | None, grouped: bool) -> str:
    """The data a fit learnt from, as the headline says it: one column of a named frame like a
    column imputation says it (``orders['basket']`` for ``orders[["basket"]]``, unless the finding
    counts other columns), else its name or the expression that computes it."""
    key = node.slice if isinstance(node, ast.Subscript) and not grouped and source.name else None
    column = key.elts[0] if isinstance(key, ast.List) and len(key.elts) == 1 else key
    if isinstance(column, ast.Constant) and isinstance(column.value, str) and dotted(node.value) == source.name:
        return f"{quoted(source.name, limit=16)[1:-1]}[{quoted(column.value, limit=16)}]"
    return expression(source, node)


def _argument_node(learning: Learning) -> ast.expr | None:
    """The expression of the data a fit learnt from: the first argument, or for a same-file helper's
    fit the argument given to the parameter it fits on (``embed(rows, np.load(path))``)."""
    node = learning.node
    if not isinstance(node, ast.Call):
        return None
    via = learning.fit.via if learning.fit is not None else None
    for site in via.callers if via is not None else ():
        if site.node is node:
            given = [*zip(node.args, site.args), *((kw.value, site.kwargs.get(kw.arg)) for kw in node.keywords)]
            return next((arg for arg, value in given if value is learning.source), None)
    return node.args[0] if node.args else None


def _trace(learning: Learning, split: SplitEvent, after: StatUse | None, done: str) -> tuple[Step, ...]:
    steps = []
    concat = split.concat if split.kind == "back" else None
    if after is not None:
        steps.append(Step(split.line, 0, "source", "split" if split.kind != "back" else "split back"))
    elif concat is not None:
        steps.append(Step(concat.line, concat.node.col_offset, "source", "concat"))
    steps.append(Step(learning.line, learning.node.col_offset, "step", done))
    if after is not None:
        steps.append(Step(after.line, after.node.col_offset, "sink", f"applied to {quoted(after.target.name)}"))
    else:
        sink = "split back" if split.kind == "back" else split.func
        if split.kind == "folds" and getattr(split.node, "lineno", split.line) != split.line:
            steps.append(Step(split.node.lineno, split.node.col_offset, "sink", f"folds of {split.func}"))
        else:
            steps.append(Step(split.line, getattr(split.node, "col_offset", 0), "sink", sink))
    return tuple(steps)


# ---------------------------------------------------------------------------------------------
# DLP105


class ResamplingEvalData(Rule):
    """
    ## What it does
    Flags over- and under-sampling applied to data that is split afterwards, or to the validation
    or test split:

    - imbalanced-learn samplers (`SMOTE`, `ADASYN`, `BorderlineSMOTE`, `RandomOverSampler`,
      `RandomUnderSampler`, `NearMiss`, `TomekLinks`, ...) through `.fit_resample(X, y)` (or the
      old `fit_sample`);
    - manual over-sampling: `sklearn.utils.resample(minority, replace=True, ...)` (replacement is
      its default), `df.sample(n, replace=True)` or `df.sample(frac=3)`, and concatenating the same
      rows more than once (`pd.concat([df, minority, minority])`, `pd.concat([df] + [minority] * 4)`).

    "Split afterwards" covers `train_test_split`, `random_split`, K-fold splits, `cross_val_score`
    and searches, slicing back out of a concatenation, and same-file functions that split their
    argument. Test data includes data of unknown role that is only ever predicted on.
    imbalanced-learn's `Pipeline([... SMOTE(), clf])` resamples only while fitting and is the
    correct way to combine resampling with cross-validation: it is not flagged.

    ## Why is this bad?
    The guide's *Data Preparation* section recommends over/undersampling such as SMOTE for
    class imbalance, but only on the training split, and never to touch the test set. SMOTE
    creates synthetic points by interpolating between neighbours, and over-sampling duplicates
    rows: resampled before the split, copies of training points end up in the test set and
    inflate the score; resampled evaluation data no longer has the real class balance, so
    precision, recall and accuracy describe a distribution the model will never see.

    ## Example
    ```python
    X_res, y_res = SMOTE().fit_resample(X, y)
    X_train, X_test, y_train, y_test = train_test_split(X_res, y_res, test_size=0.2)
    ```

    ## Use instead
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y)
    X_train, y_train = SMOTE().fit_resample(X_train, y_train)
    ```

    ## Known limits
    A data set whose role is unknown and is never split in the file is not flagged. `df.sample`
    without replacement (shuffling, sub-sampling) and `resample(..., replace=False)` are not
    over-sampling. Duplicated rows are recognised when the same name is concatenated twice or a
    list of it is multiplied; rows repeated by index (`df.loc[idx.repeat(3)]`) are not.
    """

    code, name = "DLP105", "resampling-eval-data"
    summary = "over/undersampling is applied before the split or to validation/test data"
    section = "Data Preparation: handle class imbalance on the training split only"

    def check(self, facts: ModuleFacts) -> Iterator[Finding]:
        leaks = facts.derived(Leaks)
        for event in facts.resample_events:
            if not leaks.runs(event.node):
                continue
            data = event.data
            how = _resampler(event.node, event.how) if event.via is None else f"{event.via.shown}()"
            verb = "resamples" if event.how in ("fit_resample", "fit_sample") or event.via else "oversamples"
            if data.role in ("val", "test") or leaks.test_by_use(data):
                role = "validation" if data.role == "val" else "test"
                origin = describe(data) if data.role else f"{quoted(data.name)} (only ever predicted on)"
                yield self.finding(event.node, first_fitting([f"{how} {verb} {role} data {origin}",
                                                              f"{how} {verb} {role} data {quoted(data.name)}"]))
                continue
            split = leaks.split_after(Learning(event.node, how, data, event.products, event.scope), nested=False)
            if split is not None:
                yield self.finding(event.node, first_fitting([
                    f"{how} {verb} {quoted(data.name)}{split_clause(split)}",
                    f"{how} {verb} {quoted(data.name, limit=12)}{split_clause(split)}"]),
                    trace=(Step(event.line, event.node.col_offset, "step", verb),
                           Step(split.line, getattr(split.node, "col_offset", 0), "sink", split.func)))


def _resampler(node: ast.AST, how: str) -> str:
    """``SMOTE().fit_resample()``, ``sm.fit_resample()``, ``resample(replace=True)``, ``concat(...)``."""
    if how not in ("fit_resample", "fit_sample") or not isinstance(node, ast.Call):
        return how if not how.startswith("concatenating") else "pd.concat()"
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        sampler = f"{last_part(dotted(func.value.func) or '') or 'sampler'}()"
    else:
        sampler = (dotted(func.value) if isinstance(func, ast.Attribute) else None) or "the sampler"
    return f"{sampler}.{how}()"
