"""Which code of a module runs: its top-level statements and the functions they reach.

A seed call in a function nobody calls seeds nothing, and a loader built in such a function loads
nothing: the reproducibility rules count only code that runs. Code *runs* when it is

- at module level (including ``if __name__ == "__main__":`` blocks);
- in a function that code which runs references: calls it (``main()``, ``self.fit()``), passes it
  (``worker_init_fn=seed_worker``, ``app.run(main)``, ``partial(train, cfg)``), stores it
  (``handlers = {"train": train}``);
- in a function that something outside the file reaches by construction: one that is decorated
  (``@click.command``, ``@hydra.main``, ``@app.route`` register it), listed in ``__all__``, or
  named ``main`` (console-script entry points);
- in a method of a class that runs (referenced by code that runs, decorated, listed in
  ``__all__``, or the base of a same-file class that runs): frameworks call the hooks.

Computed once from the facts (``facts.references``, the same-file calls, decorators), linear in
their size: ``facts.derived(reach_of).runs(scope)``.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .facts import FunctionInfo, ModuleFacts
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


def reach_of(facts: ModuleFacts) -> Reach:
    functions: dict[str, list[FunctionInfo]] = {}
    methods: dict[str, list[FunctionInfo]] = {}
    for info in facts.functions:
        if info.class_name is None:
            functions.setdefault(info.name, []).append(info)
        else:
            methods.setdefault(info.class_name, []).append(info)
    bases: dict[str, list[str]] = {}  # class -> same-file base classes
    for name, cdef in facts.classes.items():
        bases[name] = [last_part(dotted(b)) for b in cdef.bases if last_part(dotted(b)) in facts.classes]
    # what each scope reaches: names it reads, same-file functions it calls
    reads: dict[int | None, list[str]] = {}
    for name, scope in facts.references:
        reads.setdefault(id(scope) if scope is not None else None, []).append(name)
    calls: dict[int | None, list[FunctionInfo]] = {}
    for site in facts.calls:
        func = site.node.func
        if site.local is not None:
            calls.setdefault(id(site.scope) if site.scope is not None else None, []).append(site.local)
        elif isinstance(func, ast.Name) and func.id in facts.classes:  # Net(): the walker reads no name
            reads.setdefault(id(site.scope) if site.scope is not None else None, []).append(func.id)

    reach = Reach()
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
        if name in facts.classes:
            run_class(name)

    for name in exported_names(facts.tree) | ENTRY_NAMES:
        run_name(name)
    for info in facts.functions:
        if info.decorators and info.class_name is None:
            run_function(info)
    for name, cdef in facts.classes.items():
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
