"""Import resolution and the naming conventions the analysis relies on.

Everything here works on the stdlib ``ast`` and never imports the code it looks at.
"""
from __future__ import annotations

import ast
import re
from functools import lru_cache, update_wrapper
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def memoised(limit: int) -> Callable[[F], F]:
    """Cache a pure function of strings (names, qualified names) for the whole process, emptied once
    it has stored ``limit`` results (an outside ``cache_clear()`` empties it too). A hit is one
    dictionary probe at C speed: a bounded ``lru_cache`` also relinks its recency list on every hit,
    which touches cold memory once it holds thousands of names (several times slower for the
    walker, which asks at every name and call)."""
    def decorate(function: F) -> F:
        stored = 0  # results stored since the cache was last emptied here (at least as many as it holds)

        def miss(*args, **kwargs):
            nonlocal stored
            if stored >= limit:
                cached.cache_clear()
                stored = 0
            stored += 1
            return function(*args, **kwargs)
        cached = lru_cache(maxsize=None)(miss)
        return update_wrapper(cached, function)  # type: ignore[return-value]
    return decorate


# Package aliases that mean the same API: qualified names are reported in their canonical form so
# rules need one spelling only.
_CANONICAL_PREFIXES = (
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("pytorch_lightning.", "lightning.pytorch."),
    ("lightning.pytorch.", "lightning.pytorch."),
    ("torchvision.transforms.v2.", "torchvision.transforms."),
    ("torchvision.transforms.transforms.", "torchvision.transforms."),
    ("keras.src.", "keras."),
)

# Modules whose presence means "this file does machine learning": a file importing none of them is
# skipped almost for free.
ML_ROOTS = frozenset({
    "torch", "torchvision", "torchaudio", "torchtext", "tensorflow", "keras", "tf_keras", "sklearn",
    "imblearn", "lightning", "pytorch_lightning", "transformers", "timm", "xgboost", "lightgbm",
    "catboost", "albumentations", "datasets", "accelerate", "kornia", "monai", "fastai", "jax",
    "flax", "optax",
})


@memoised(1 << 14)
def canonical(qualname: str) -> str:
    """Map equivalent package spellings onto one (``tf.keras.layers.X`` -> ``keras.layers.X``)."""
    dotted = qualname + "."
    for prefix, repl in _CANONICAL_PREFIXES:
        if dotted.startswith(prefix):
            return (repl + dotted[len(prefix):])[:-1]
    return qualname


class ImportMap:
    """Local name -> fully qualified name, from every import statement of a module.

    Imports inside functions are included too (scripts often import lazily); a name bound by
    several imports keeps the first one, which is what the module mostly means.
    """

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.roots: set[str] = set()
        self.first_import_line: dict[str, int] = {}

    def add(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                self._root(root, node.lineno)
                if alias.asname:
                    self.aliases.setdefault(alias.asname, alias.name)
                else:
                    self.aliases.setdefault(root, root)
        elif node.module and not node.level:
            self._root(node.module.split(".")[0], node.lineno)
            for alias in node.names:
                if alias.name == "*":
                    continue
                self.aliases.setdefault(alias.asname or alias.name, f"{node.module}.{alias.name}")

    def _root(self, root: str, line: int) -> None:
        self.roots.add(root)
        self.first_import_line.setdefault(root, line)

    def uses_ml(self) -> bool:
        return not ML_ROOTS.isdisjoint(self.roots)

    def qualname(self, node: ast.AST) -> str | None:
        """The canonical qualified name of a Name/Attribute chain, or None when it is not imported."""
        if type(node) is ast.Name:
            base = self.aliases.get(node.id)
            return canonical(base) if base is not None else None
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.aliases.get(node.id)
        if base is None:
            return None
        parts.append(base)
        return canonical(".".join(reversed(parts)))

    def qualname_and_dotted(self, node: ast.AST) -> tuple[str | None, str | None]:
        """``(self.qualname(node), dotted(node))`` in one walk of the chain (a call's callee)."""
        kind = type(node)
        if kind is ast.Name:  # a third of all callees (``print``, ``DataLoader``): nothing to join
            base = self.aliases.get(node.id)
            return (canonical(base) if base is not None else None), node.id
        parts: list[str] = []
        while kind is ast.Attribute:
            parts.append(node.attr)
            node = node.value
            kind = type(node)
        if kind is ast.Name:
            parts.reverse()
            tail = ".".join(parts)  # joined once for both spellings
            base = self.aliases.get(node.id)
            return (canonical(f"{base}.{tail}") if base is not None else None), f"{node.id}.{tail}"
        if kind is ast.Call:
            parts.append("()")
            return None, ".".join(reversed(parts))
        return None, None


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain (``self.model.fit`` -> "self.model.fit"), else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # super().forward, Model().fit: keep the method part only
        parts.append("()")
        return ".".join(reversed(parts))
    return None


@memoised(1 << 14)  # asked of the same few qualified names at every call the walker meets
def last_part(qualname: str | None) -> str:
    return qualname[qualname.rfind(".") + 1:] if qualname else ""


# ---------------------------------------------------------------------------------------------
# Split-role tokens in names. A name is split into words at underscores, digits and camelCase
# humps; a word equal to a token gives the name its role.
ROLE_TOKENS = {
    "test": "test", "tst": "test", "holdout": "test", "testing": "test", "tests": "test",
    "val": "val", "valid": "val", "validation": "val", "dev": "val", "eval": "val", "vali": "val",
    "train": "train", "trn": "train", "training": "train",
}
# Glued words (``testloader``, ``xtrain``, ``valset``): a token followed or preceded by one of these.
_GLUE_SUFFIXES = frozenset({
    "loader", "loaders", "set", "sets", "data", "dataset", "datasets", "ds", "dl", "x", "y", "gen",
    "generator", "iter", "images", "imgs", "img", "labels", "label", "targets", "target", "loss",
    "losses", "acc", "accuracy", "features", "feats", "df", "batch", "batches", "split", "samples",
    "inputs", "input", "transform", "transforms", "aug", "files", "paths", "path", "dir", "metric",
    "metrics", "score", "scores", "preds", "idx", "index", "indices", "ids", "text", "texts",
})
_GLUE_PREFIXES = frozenset({"x", "y", "data", "ds", "df", "my", "full"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


@memoised(1 << 16)  # a large project has tens of thousands of distinct names
def name_words(name: str) -> tuple[str, ...]:
    return tuple(map(str.lower, _WORD.findall(name)))


# f_test, chi2_test, t_test: names of statistical tests, not of test data
_STATISTICAL_TESTS = frozenset({"f", "p", "t", "z", "ks", "chi", "anova"})
# Abbreviations that mark a role only as a whole word of a data value's name, words being split
# at underscores and digits (``X_te``, ``va_paths``, ``X_tr2``; not ``teX``, not ``tree``).
ABBREVIATIONS = {"tr": "train", "te": "test", "va": "val", "vl": "val"}
_ABBREVIATION = re.compile(r"(?<![^\W\d_])(tr|te|va|vl)(?![^\W\d_])", re.IGNORECASE)


@memoised(1 << 16)
def role_from_name(name: str, abbreviations: bool = False) -> str | None:
    """Role token of an identifier: ``X_test`` -> test, ``valLoader`` -> val, ``x`` -> None.

    With ``abbreviations`` (names of data values), ``X_te`` -> test and ``y_va`` -> val too.
    When a name carries two tokens (``train_val_split``, ``test_on_train``), it is ambiguous and
    has no role.
    """
    if len(name) > 80:
        return None
    if not _EXTRA_TOKENS and _ROLE_HINT.search(name.lower()) is None:
        return None  # most names: no token, glued or abbreviated, anywhere in them (no need to split them)
    words = name_words(name)
    if len(words) == 2 and words[1] == "test" and words[0] in _STATISTICAL_TESTS:
        return None  # f_test, p_test: a statistical test's result, not test data
    roles = set()
    for word in words:
        role = ROLE_TOKENS.get(word) or _EXTRA_TOKENS.get(word) or _glued_role(word)
        if role:
            roles.add(role)
    if abbreviations:
        for word in _ABBREVIATION.findall(name):
            roles.add(ABBREVIATIONS[word.lower()])
    if len(roles) == 1:
        return roles.pop()
    return None


@memoised(1 << 16)
def data_role(name: str) -> str | None:
    """The role a data value's name gives it: role tokens, and the abbreviations ``tr``/``te``/``va``/
    ``vl`` when they stand as whole words (``X_te``, ``va_paths``)."""
    return role_from_name(name, True)


_EXTRA_TOKENS: dict[str, str] = {}


def use_extra_tokens(tokens: dict[str, str]) -> None:
    """Add a project's own role tokens (``[tool.dlpractice] test-names``); cheap when unchanged."""
    global _EXTRA_TOKENS
    tokens = {word.lower(): role for word, role in tokens.items()}
    if tokens != _EXTRA_TOKENS:
        _EXTRA_TOKENS = tokens
        role_from_name.cache_clear()
        data_role.cache_clear()


_GLUED_TOKENS = ("train", "test", "valid", "val", "eval", "dev", "holdout", "trn", "tst")
_GLUED = re.compile("(?P<head>{tokens})(?:{suffixes})|(?:{prefixes})(?P<tail>{tokens})".format(
    tokens="|".join(_GLUED_TOKENS), suffixes="|".join(sorted(_GLUE_SUFFIXES, key=len, reverse=True)),
    prefixes="|".join(sorted(_GLUE_PREFIXES, key=len, reverse=True))))

# every spelling a role can come from, as a part of a name: a name none of them is part of has no role
_ROLE_HINT = re.compile("|".join(sorted({*ROLE_TOKENS, *_GLUED_TOKENS, *ABBREVIATIONS}, key=len, reverse=True)))


def _glued_role(word: str) -> str | None:
    """``testloader`` -> test, ``xtrain`` -> train: a token glued to a common data word."""
    match = _GLUED.fullmatch(word)
    if match is None:
        return None
    return ROLE_TOKENS[match.group("head") or match.group("tail")]


# Path components in string literals: ``"data/val"``, ``os.path.join(root, "test")``.
PATH_ROLES = {
    "test": "test", "testing": "test", "holdout": "test", "test_set": "test", "testset": "test",
    "val": "val", "valid": "val", "validation": "val", "dev": "val", "val_set": "val",
    "train": "train", "training": "train", "train_set": "train", "trainset": "train",
}
