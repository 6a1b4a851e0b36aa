"""Which files a ``dlp`` command works on, and the configuration of each.

With no path a command works on the project the configuration belongs to (the folder of the
``pyproject.toml`` with ``[tool.dlpractice]``, or of the flake8 configuration; the current folder
when there is none), as ruff does. Folders are walked recursively for Python files and notebooks, skipping what
the configuration excludes; files named on the command line are always taken unless
``force_exclude`` (pre-commit passes every staged file by name).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Sequence

from ..config import Config, Resolver, check_selectors, split_codes

SUFFIXES = (".py", ".ipynb")  # Python files and Jupyter notebooks


@dataclass
class Project:
    """The command line's configuration choices applied on top of every file's configuration."""

    resolver: Resolver = field(default_factory=Resolver)
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None
    _configs: dict[int, Config] = field(default_factory=dict)

    @classmethod
    def from_options(cls, select: Sequence[str] | None = None, extend_select: Sequence[str] | None = None,
                     ignore: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
                     unsafe_fixes: bool | None = None) -> Project:
        """From command-line values (comma-separated, repeatable); ConfigError for an unknown code."""
        return cls(select=None if select is None else check_selectors(split_codes(select), "--select"),
                   extend_select=check_selectors(split_codes(extend_select or ()), "--extend-select"),
                   ignore=check_selectors(split_codes(ignore or ()), "--ignore"),
                   exclude=tuple(p for v in exclude or () for p in v.split(",") if p.strip()),
                   unsafe_fixes=unsafe_fixes)

    def _apply(self, config: Config) -> Config:
        key = id(config)
        if key not in self._configs:
            self._configs[key] = config.overridden(self.select, self.extend_select, self.ignore,
                                                   self.exclude, self.unsafe_fixes)
        return self._configs[key]

    def config_of(self, path: str) -> Config:
        """The configuration of a file (command-line options applied)."""
        return self._apply(self.resolver.for_file(path))

    def folder_config(self, folder: str) -> Config:
        return self._apply(self.resolver.for_folder(folder))

    def root(self) -> str:
        """The project root: the folder of the current folder's configuration, else the current folder."""
        config = self.resolver.for_folder(os.getcwd())
        return str(config.root) if config.root is not None else os.getcwd()

    def default_paths(self) -> list[str]:
        """With no path given: the project root of the current folder's configuration."""
        config = self.resolver.for_folder(os.getcwd())
        return [display(str(config.root))] if config.root is not None else ["."]

    def files(self, paths: Sequence[str], force_exclude: bool = False,
              suffixes: Sequence[str] = SUFFIXES) -> tuple[list[str], list[str]]:
        """(files to work on, error messages for paths that do not exist or cannot be walked)."""
        files: list[str] = []
        errors: list[str] = []
        seen: set[str] = set()

        def add(path: str) -> None:
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                files.append(os.path.normpath(path))

        def walk_error(exc: OSError) -> None:
            errors.append(f"{exc.filename}: {exc.strerror}")

        for path in paths:
            if os.path.isdir(path):
                if force_exclude and self.folder_config(path).excludes_file(path, defaults=True):
                    continue
                for root, dirs, names in os.walk(path, onerror=walk_error):
                    config = self.folder_config(root)
                    dirs[:] = sorted(d for d in dirs if not config.excluded(os.path.join(root, d)))
                    for name in sorted(names):
                        full = os.path.join(root, name)
                        if name.endswith(tuple(suffixes)) and not config.excluded(full) and os.path.isfile(full):
                            add(full)
            elif os.path.isfile(path):
                config = self.config_of(path)  # read here: a configuration error stops the command early
                if not (force_exclude and config.excludes_file(path, defaults=True)):
                    add(path)
            else:
                errors.append(f"{path}: no such file or directory")
        return files, errors


def display(path: str) -> str:
    """``path`` as shown to the user: relative to the current folder when it is inside it."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith(os.pardir) else path
