"""One configuration for every front end, resolved once per project and handed on as a value.

Where it comes from, for a checked file (the first found wins):

1. ``[tool.dlpractice]`` in the nearest ``pyproject.toml`` walking up from the file's folder;
2. otherwise the DLP codes of flake8's own configuration (``select``, ``ignore``, ``extend-select``,
   ``extend-ignore``, ``per-file-ignores``, ``exclude``, ``extend-exclude`` in the ``[flake8]``
   section of the nearest ``setup.cfg``, ``tox.ini`` or ``.flake8``) as ``flake8 --select DLP``
   applies them, so ``dlp fix`` never fixes what that does not report: selectors that start with
   ``DLP`` count, a shorter prefix (``extend-ignore = D``) or a ``select`` naming no DLP code does
   not silence the DLP rules;
3. otherwise the defaults: every default rule.

Codes are selected the way flake8 decides (``Selection``): selectors are codes or prefixes; when a
code is both selected and ignored explicitly the longer selector wins (a tie ignores); an explicit
``ignore`` beats the implicit default selection, so ``ignore = ["D"]`` silences every DLP rule
unless ``extend-select = ["DLP"]`` names them. Opt-in rules run only when a selector names their
full code. ``DLP000`` (a file that cannot be analysed, reported by ``dlp check`` only) is selected
like any default code.

Nothing else in the package reads configuration files: front ends ask a :class:`Resolver` for a
file's :class:`Config` and hand ``Config.rules_for(path)`` (the rules with their settings) to the
engine.
"""
from __future__ import annotations

import configparser
import fnmatch
import os
import re
import sys
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .settings import RuleSet, RuleSettings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9/3.10
    import tomli as tomllib

UNANALYSABLE = "DLP000"  # reserved: a file that cannot be analysed (dlp check only)
DEFAULT_SELECT = ("DLP",)
SELECTOR = re.compile(r"^[A-Z]+[0-9]*$")
DOTTED_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
NAME_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
FLAKE8_FILES = ("setup.cfg", "tox.ini", ".flake8")
DEFAULT_EXCLUDE = (".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".tox", ".nox", ".eggs", "*.egg-info",
                   "build", "dist", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
                   "node_modules", "site-packages", "__pypackages__", ".ipynb_checkpoints")


class ConfigError(Exception):
    """A configuration the ``dlp`` commands refuse (exit 2) and the plugins warn about."""


@dataclass(frozen=True)
class Option:
    """One ``[tool.dlpractice]`` option: its TOML name, value kind, default and meaning."""

    name: str
    kind: str  # codes | globs | names | tokens | bool | table
    default: Any
    help: str

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")


OPTIONS: tuple[Option, ...] = (
    Option("select", "codes", list(DEFAULT_SELECT),
           "codes or prefixes to check; replaces the default (every default rule)"),
    Option("extend-select", "codes", [], "codes or prefixes added to `select` (opt-in rules by full code)"),
    Option("ignore", "codes", [], "codes or prefixes not to report"),
    Option("per-file-ignores", "table", {},
           "glob -> codes not to report in matching files (a glob without `/` matches the file name, "
           "one with `/` the path from the project root)"),
    Option("exclude", "globs", [],
           "files and folders `dlp check`/`dlp fix` skip when walking folders (and the plugins skip), "
           "added to the built-in list (.git, .venv, build, dist, __pycache__, ...)"),
    Option("unsafe-fixes", "bool", False, "`dlp fix` also applies unsafe fixes"),
    Option("test-names", "tokens", [], "extra whole-word name tokens that mark test data (`holdout2`, `ood`)"),
    Option("validation-names", "tokens", [], "extra whole-word name tokens that mark validation data"),
    Option("train-names", "tokens", [], "extra whole-word name tokens that mark training data"),
    Option("seed-functions", "names", [],
           "your own functions that seed every RNG (`seed_all`, `utils.set_seed`)"),
    Option("logging-functions", "names", [],
           "your own functions that record metrics (`log_metrics`, `tracker.log`)"),
)
OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}


# -- which codes run -------------------------------------------------------------------------------

def _longest(code: str, selectors: Iterable[str]) -> str | None:
    return max((s for s in selectors if code.startswith(s)), key=len, default=None)


@dataclass(frozen=True)
class Selection:
    """Which codes are reported, decided as flake8 decides (see the module docstring).

    ``select`` None means the default: every default rule (flake8's implicit selection).
    """

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @property
    def explicit(self) -> tuple[str, ...]:
        return (*(self.select or ()), *self.extend_select)

    def decides(self, code: str) -> bool:
        """flake8's decision for ``code`` under these selectors (opt-in status aside)."""
        explicit = _longest(code, self.explicit)
        implicit = self.select is None and code.startswith(DEFAULT_SELECT)
        ignored = _longest(code, self.ignore)
        if explicit is None and not implicit:
            return False
        if ignored is None:
            return True
        if explicit is None:
            return False  # an explicit ignore beats the implicit default selection
        return len(explicit) > len(ignored)

    def enabled(self, code: str, default: bool = True) -> bool:
        """Whether a rule runs: selected, and for an opt-in rule named by its full code."""
        return self.decides(code) and (default or code in self.explicit)

    def ignoring(self, codes: Iterable[str]) -> Selection:
        return replace(self, ignore=(*self.ignore, *codes))


@lru_cache(maxsize=256)
def rules_of(selection: Selection) -> tuple:
    from .rules import ALL_RULES

    return tuple(rule for rule in ALL_RULES if selection.enabled(rule.code, rule.default))


@lru_cache(maxsize=256)
def _rule_set(selection: Selection, settings: RuleSettings) -> RuleSet:
    return RuleSet(rules_of(selection), settings)


def known_codes() -> tuple[str, ...]:
    from .rules import ALL_RULES

    return (UNANALYSABLE, *(rule.code for rule in ALL_RULES))


def check_selectors(values: Iterable[str], where: str) -> tuple[str, ...]:
    """Upper-cased selectors; ConfigError for one that is no code or prefix of a DLP rule."""
    out = []
    codes = known_codes()
    for value in values:
        code = value.strip().upper()
        if not code:
            continue
        if not SELECTOR.match(code) or not any(c.startswith(code) for c in codes):
            raise ConfigError(f"{where}: {value!r} is not a flake8-dlpractice rule code or prefix "
                              f"(e.g. DLP, DLP1, DLP100; `dlp rules` lists them)")
        out.append(code)
    return tuple(out)


def split_codes(values: Iterable[str]) -> list[str]:
    """Comma- or space-separated selectors (command-line and flake8 style) as a flat list."""
    out: list[str] = []
    for value in values:
        out.extend(v for v in re.split(r"[\s,]+", value) if v)
    return out


# -- the configuration -----------------------------------------------------------------------------

@dataclass(frozen=True)
class PerFileIgnore:
    pattern: str  # absolute when it names a path (contains '/'), else matched against the file name
    codes: tuple[str, ...]


def _matches(path: str, patterns: Iterable[str]) -> bool:
    """flake8's file matching: the file name, or the absolute path (``*`` also matches ``/``)."""
    name = os.path.basename(path)
    absolute = os.path.abspath(path)
    return any(fnmatch.fnmatch(name, p) if "/" not in p else fnmatch.fnmatch(absolute, p) for p in patterns)


def _anchor(pattern: str, root: Path | None) -> str:
    pattern = pattern.strip().rstrip("/")
    if "/" not in pattern or root is None:
        return pattern
    return pattern if os.path.isabs(pattern) else os.path.normpath(os.path.join(root, pattern))


@dataclass(frozen=True)
class Config:
    """A resolved configuration: where it came from, what to check, and the rule settings."""

    root: Path | None = None  # the project folder (where the configuration file is); None: defaults
    source: str = "defaults"  # for messages: "pyproject.toml [tool.dlpractice]", "setup.cfg [flake8]"
    selection: Selection = Selection()
    per_file_ignores: tuple[PerFileIgnore, ...] = ()
    exclude: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    settings: RuleSettings = RuleSettings()

    def selection_for(self, path: str) -> Selection:
        extra = tuple(code for entry in self.per_file_ignores if _matches(path, (entry.pattern,))
                      for code in entry.codes)
        return self.selection.ignoring(extra) if extra else self.selection

    def rules_for(self, path: str) -> RuleSet:
        """The rules that run on ``path`` (its per-file ignores applied), with the settings."""
        return _rule_set(self.selection_for(path), self.settings)

    def reports(self, code: str, path: str) -> bool:
        """Whether a finding with ``code`` (e.g. DLP000) is reported for ``path``."""
        return self.selection_for(path).enabled(code)

    def excluded(self, path: str) -> bool:
        """Whether a file or folder met while walking folders is skipped."""
        return _matches(path, (*DEFAULT_EXCLUDE, *self.exclude))

    def excludes_file(self, path: str, defaults: bool = False) -> bool:
        """Whether ``exclude`` (with ``defaults``, the built-in list too) covers ``path`` or a folder
        above it inside the project: what the plugins, handed single files, and ``--force-exclude``
        skip."""
        patterns = (*DEFAULT_EXCLUDE, *self.exclude) if defaults else self.exclude
        if not patterns:
            return False
        current = os.path.abspath(path)
        top = str(self.root) if self.root is not None else os.path.dirname(current)
        while True:
            if _matches(current, patterns):
                return True
            parent = os.path.dirname(current)
            if parent == current or current == top or not parent.startswith(top):
                return False
            current = parent

    def overridden(self, select: Sequence[str] | None = None, extend_select: Sequence[str] = (),
                   ignore: Sequence[str] = (), exclude: Sequence[str] = (),
                   unsafe_fixes: bool | None = None) -> Config:
        """This configuration with command-line options on top: ``--select`` replaces ``select``
        (and ``extend-select``), the others add to it."""
        selection = self.selection
        if select is not None:
            selection = Selection(tuple(select), (), selection.ignore)
        selection = replace(selection, extend_select=(*selection.extend_select, *extend_select),
                            ignore=(*selection.ignore, *ignore))
        return replace(self, selection=selection,
                       exclude=(*self.exclude, *(_anchor(p, Path.cwd()) for p in exclude)),
                       unsafe_fixes=self.unsafe_fixes if unsafe_fixes is None else unsafe_fixes)


DEFAULT_CONFIG = Config()


# -- reading [tool.dlpractice] --------------------------------------------------------------------

def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return value


def _names(value: Any, where: str, pattern: re.Pattern, what: str) -> tuple[str, ...]:
    out = []
    for item in _string_list(value, where):
        if not pattern.match(item):
            raise ConfigError(f"{where}: {item!r} is not {what}")
        out.append(item)
    return tuple(out)


def _per_file(value: Any, where: str, root: Path) -> tuple[PerFileIgnore, ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of glob = [codes], got {value!r}")
    return tuple(PerFileIgnore(_anchor(glob, root), check_selectors(_string_list(codes, f"{where}.{glob}"),
                                                                    f"{where}.{glob}"))
                 for glob, codes in value.items())


def from_table(table: dict, root: Path, source: str) -> Config:
    """A configuration from the ``[tool.dlpractice]`` table of ``root/pyproject.toml``."""
    unknown = sorted(set(table) - set(OPTIONS_BY_NAME))
    if unknown:
        raise ConfigError(f"{source}: unknown option {unknown[0]!r} (options: {', '.join(OPTIONS_BY_NAME)})")
    values: dict[str, Any] = {}
    for name, value in table.items():
        where = f"{source} {name}"
        kind = OPTIONS_BY_NAME[name].kind
        if kind == "codes":
            values[name] = check_selectors(_string_list(value, where), where)
        elif kind == "globs":
            values[name] = tuple(_anchor(p, root) for p in _string_list(value, where))
        elif kind == "tokens":
            values[name] = _names(value, where, NAME_TOKEN, "a name token (letters and digits)")
        elif kind == "names":
            values[name] = _names(value, where, DOTTED_NAME, "a function name (`seed_all`, `utils.set_seed`)")
        elif kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: expected true or false, got {value!r}")
            values[name] = value
        else:
            values[name] = _per_file(value, where, root)
    selection = Selection(values.get("select"), values.get("extend-select", ()), values.get("ignore", ()))
    settings = RuleSettings(test_names=values.get("test-names", ()),
                            validation_names=values.get("validation-names", ()),
                            train_names=values.get("train-names", ()),
                            seed_functions=values.get("seed-functions", ()),
                            logging_functions=values.get("logging-functions", ()))
    return Config(root, source, selection, values.get("per-file-ignores", ()), values.get("exclude", ()),
                  values.get("unsafe-fixes", False), settings)


def read_pyproject(folder: Path) -> Config | None:
    """``[tool.dlpractice]`` of ``folder/pyproject.toml``; None when the file or table is absent."""
    path = folder / "pyproject.toml"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"dlpractice" not in data:
        return None
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    table = document.get("tool", {}).get("dlpractice")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.dlpractice] must be a table")
    return from_table(table, folder, f"{path} [tool.dlpractice]")


# -- reading flake8's configuration ---------------------------------------------------------------

def _dlp_selectors(values: Iterable[str], where: str) -> tuple[str, ...]:
    """The selectors that name DLP codes (``DLP``, ``DLP1``, ``DLP302``), as ``flake8 --select DLP``
    applies them: a shorter prefix (``D``, ``DL``: pydocstyle's codes) loses to that ``--select DLP``
    and other codes are flake8's business."""
    relevant = [v.upper() for v in values if v.upper().startswith("DLP")]
    return check_selectors(relevant, where)


def parse_per_file_ignores(value: str) -> list[tuple[list[str], list[str]]]:
    """flake8's ``per-file-ignores`` syntax: ``glob[, glob]: CODES`` groups separated by whitespace."""
    groups: list[tuple[list[str], list[str]]] = []
    files: list[str] = []
    codes: list[str] = []
    after_colon = False
    for token in re.findall(r"[^\s,:]+|:", value):
        if token == ":":
            after_colon = True
        elif after_colon and SELECTOR.match(token.upper()):
            codes.append(token.upper())
        else:
            if after_colon:
                groups.append((files, codes))
                files, codes, after_colon = [], [], False
            files.append(token)
    if files:
        groups.append((files, codes))
    return groups


def read_flake8(folder: Path) -> Config | None:
    """The DLP part of the ``[flake8]`` section of the first flake8 configuration file in ``folder``."""
    for name in FLAKE8_FILES:
        path = folder / name
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read: {exc}") from None
        if not parser.has_section("flake8"):
            continue
        section = {key.replace("_", "-"): value for key, value in parser.items("flake8")}
        source = f"{path} [flake8]"

        def codes(key: str) -> tuple[str, ...]:
            return _dlp_selectors(split_codes([section.get(key, "")]), f"{source} {key}")

        # `--select DLP` replaces a `select` that names no DLP code (`select = E,F,W`)
        select = codes("select") or None
        selection = Selection(select, codes("extend-select") + codes("enable-extensions"),
                              codes("ignore") + codes("extend-ignore"))
        per_file = tuple(PerFileIgnore(_anchor(glob, folder), found)
                         for files, group in parse_per_file_ignores(section.get("per-file-ignores", ""))
                         for found in [_dlp_selectors(group, f"{source} per-file-ignores")] if found
                         for glob in files)
        exclude = tuple(_anchor(p, folder) for key in ("exclude", "extend-exclude")
                        for p in re.split(r"[\s,]+", section.get(key, "")) if p)
        return Config(folder, source, selection, per_file, exclude)
    return None


# -- finding the configuration of a file ----------------------------------------------------------

def _warn_on_stderr(message: str) -> None:
    sys.stderr.write(f"flake8-dlpractice: warning: {message}\n")


class Resolver:
    """Finds and caches the configuration of each folder (each file is read once per process).

    ``strict`` resolvers raise :class:`ConfigError` (the ``dlp`` commands: exit 2); the others
    (the flake8 and pylint plugins, which must not crash their host; the language server) print a
    one-line warning on stderr (or hand it to ``warn``) once per broken file and use the defaults
    there. The plugins do not read flake8's
    configuration (``flake8_config=False``): flake8 applies it itself, and pylint has its own.
    """

    def __init__(self, strict: bool = True, flake8_config: bool = True,
                 warn: Callable[[str], None] | None = None) -> None:
        self.strict = strict
        self.flake8_config = flake8_config
        self.warn = warn or _warn_on_stderr  # how a non-strict resolver says a configuration is broken
        self._pyproject: dict[Path, Config | None] = {}
        self._flake8: dict[Path, Config | None] = {}
        self._resolved: dict[Path, Config] = {}
        self._by_folder_name: dict[str, Config] = {}  # for_file's folder as spelled: no Path built per file

    def _read(self, reader, folder: Path) -> Config | None:
        try:
            return reader(folder)
        except ConfigError as exc:
            if self.strict:
                raise
            self.warn(f"{exc}; using the defaults there")
            return DEFAULT_CONFIG

    def _nearest(self, folder: Path, cache: dict, reader) -> Config | None:
        chain = []
        found = None
        for candidate in (folder, *folder.parents):
            if candidate in cache:
                found = cache[candidate]
                break
            chain.append(candidate)
            found = self._read(reader, candidate)
            if found is not None:
                break
        for candidate in chain:
            cache[candidate] = found
        return found

    def for_folder(self, folder: str | os.PathLike) -> Config:
        """The configuration of the files in ``folder``."""
        folder = Path(os.path.abspath(folder))
        config = self._resolved.get(folder)
        if config is None:
            config = self._nearest(folder, self._pyproject, read_pyproject)
            if config is None and self.flake8_config:
                config = self._nearest(folder, self._flake8, read_flake8)
            config = config or DEFAULT_CONFIG
            self._resolved[folder] = config
        return config

    def for_file(self, path: str | os.PathLike) -> Config:
        folder = os.path.dirname(os.path.abspath(path))
        config = self._by_folder_name.get(folder)
        if config is None:
            config = self._by_folder_name[folder] = self.for_folder(folder)
        return config
