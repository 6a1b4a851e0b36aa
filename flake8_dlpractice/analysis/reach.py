"""Which code of a module runs: its top-level statements and the functions they reach.

A seed call in a function nobody calls seeds nothing, and a loader built in such a function loads
nothing: the reproducibility rules count only code that runs. Code *runs* when it is

- at module level (including ``if __name__ == "__main__":`` blocks);
- in a function that code which runs references: calls it (``main()``, ``self.fit()``), passes it
  (``worker_init_fn=seed_worker``, ``app.run(main)``, ``partial(train, cfg)``), stores it
  (``handlers = {"train": train}``);
- in a function that something outside the file reaches by construction: one that is decorated
  by a decorator that registers it (``@click.command``, ``@hydra.main``, ``@app.route``; not
  ``@torch.no_grad()``, ``@functools.lru_cache``, ``@staticmethod``), listed in ``__all__``, or
  named ``main`` (console-script entry points);
- in a method of a class that runs (referenced by code that runs, decorated, listed in
  ``__all__``, or the base of a same-file class that runs): frameworks call the hooks.

Computed once from the facts (``facts.references``, the same-file calls, decorators), linear in
their size: ``facts.derived(reach_of).runs(scope)``.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .facts import CallSite, FunctionInfo, ModuleFacts
from .names import dotted, last_part

ENTRY_NAMES = frozenset({"main"})


@dataclass(eq=False)
class Reach:
    running: set[int] = field(default_factory=set)  # ids of the functions that run

    def runs(self, scope: FunctionInfo | None) -> bool:
        """Code directly in ``scope`` (None: the module level) runs."""
        return scope is None or id(scope) in self.running


def exported_names(tree: ast.Module) -> set[str]:
    """The strings of a top-level ``__all__ = [...]`` (or ``+=``) display."""
    out: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
            targets, value = [stmt.target], stmt.value
        else:
            continue
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            out.update(e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return out


def running_calls(facts: ModuleFacts) -> list[CallSite]:
    """The calls written in code that runs, in walk order. Use through ``facts.derived(running_calls)``."""
    reach = facts.derived(reach_of)
    if not reach.running:
        return [site for site in facts.calls if site.scope is None]
    running = reach.running
    return [site for site in facts.calls if site.scope is None or id(site.scope) in running]


# Decorators that wrap a function without registering it anywhere: the function runs only if called.
NON_REGISTERING = ("torch.", "functools.", "typing.", "abc.", "contextlib.", "numba.", "jax.", "staticmethod",
                   "classmethod", "property", "dataclass", "dataclasses.", "cache", "lru_cache", "wraps",
                   "overload", "abstractmethod", "tf.function", "tensorflow.function")


def registers(decorator: str) -> bool:
    return bool(decorator) and not decorator.startswith(NON_REGISTERING)


def reach_of(facts: ModuleFacts) -> Reach:
    """Use through ``facts.derived(reach_of)``."""
    reach = Reach()
    if not facts.functions:
        return reach
    functions: dict[str, list[FunctionInfo]] = {}
    methods: dict[str, list[FunctionInfo]] = {}
    for info in facts.functions:
        if info.class_name is None:
            functions.setdefault(info.name, []).append(info)
        else:
            methods.setdefault(info.class_name, []).append(info)
    classes = facts.classes
    bases: dict[str, list[str]] = {}  # class -> same-file base classes
    for name, cdef in classes.items():
        bases[name] = [last_part(dotted(b)) for b in cdef.bases if last_part(dotted(b)) in classes]
    # what each scope reaches: names it reads, same-file functions it calls
    reads: dict[int | None, list[str]] = {}
    for name, scope in facts.references:
        reads.setdefault(id(scope) if scope is not None else None, []).append(name)
    calls: dict[int | None, list[FunctionInfo]] = {}
    for info in facts.functions:
        for caller in info.callers:
            calls.setdefault(id(caller.scope) if caller.scope is not None else None, []).append(info)
    if classes:
        for site in facts.calls:  # Net(): the walker reads no name for a called class
            if site.local is None and site.name in classes:
                reads.setdefault(id(site.scope) if site.scope is not None else None, []).append(site.name)

    classes_run: set[str] = set()
    work: list[FunctionInfo | None] = [None]

    def run_function(info: FunctionInfo) -> None:
        if id(info) not in reach.running:
            reach.running.add(id(info))
            work.append(info)

    def run_class(name: str) -> None:
        stack = [name]
        while stack:
            cls = stack.pop()
            if cls in classes_run:
                continue
            classes_run.add(cls)
            for info in methods.get(cls, ()):
                run_function(info)
            stack.extend(bases.get(cls, ()))

    def run_name(name: str) -> None:
        for info in functions.get(name, ()):
            run_function(info)
        if name in classes:
            run_class(name)

    roots = set(ENTRY_NAMES)
    if "__all__" in facts.module_env:
        roots |= exported_names(facts.tree)
    for name in roots:
        run_name(name)
    for info in facts.functions:
        if info.class_name is None and any(registers(d) for d in info.decorators):
            run_function(info)
    for name, cdef in classes.items():
        if cdef.decorator_list:
            run_class(name)
    while work:
        scope = work.pop()
        key = id(scope) if scope is not None else None
        for name in reads.get(key, ()):
            run_name(name)
        for callee in calls.get(key, ()):
            run_function(callee)
    return reach
