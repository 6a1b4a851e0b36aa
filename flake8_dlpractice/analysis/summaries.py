"""Same-file function summaries, computed once per module after the walk, in linear time.

A summary says what a function does to its parameters: trains on them (a training loop over it,
``fit``), evaluates them, validates them every epoch. What a function does through the functions
it calls is part of its summary, so summaries are computed callees first: the functions are
ordered by the strongly connected components of the call graph (Tarjan's algorithm, iterative),
each component once, in reverse topological order. Only functions that call each other (a
component of several functions, or a function calling itself) are iterated to a fixpoint, and
then only over their own call sites. A chain of helpers calling each other costs one visit per
call site, not one pass over the module per link.
"""
from __future__ import annotations

from typing import Iterable

from .facts import (FIT_METHODS, CallSite, FunctionInfo, ModuleFacts, bound_arguments, is_data_loop,
                    is_model_call, root_name, training_ancestor, trains_directly, training_guards)


def components(functions: list[FunctionInfo], callees: dict[int, list[FunctionInfo]]) -> list[list[FunctionInfo]]:
    """The strongly connected components of the call graph, callees' components first.

    ``callees[id(f)]`` lists what ``f`` calls. Iterative (no recursion proportional to the depth
    of the call graph); roots are taken in definition order.
    """
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[FunctionInfo] = []
    out: list[list[FunctionInfo]] = []
    counter = 0
    for root in functions:
        if id(root) in index:
            continue
        index[id(root)] = low[id(root)] = counter
        counter += 1
        stack.append(root)
        on_stack.add(id(root))
        work: list[tuple[FunctionInfo, Iterable[FunctionInfo]]] = [(root, iter(callees.get(id(root), ())))]
        while work:
            node, pending = work[-1]
            descended = False
            for nxt in pending:
                key = id(nxt)
                if key not in index:
                    index[key] = low[key] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(key)
                    work.append((nxt, iter(callees.get(key, ()))))
                    descended = True
                    break
                if key in on_stack:
                    low[id(node)] = min(low[id(node)], index[key])
            if descended:
                continue
            work.pop()
            if work:
                parent = id(work[-1][0])
                low[parent] = min(low[parent], low[id(node)])
            if low[id(node)] == index[id(node)]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(id(member))
                    component.append(member)
                    if member is node:
                        break
                out.append(component)
    return out


def summarize(facts: ModuleFacts) -> None:
    """Fill in callers, which functions and loops train or evaluate, and parameter summaries."""
    callees: dict[int, list[FunctionInfo]] = {}
    for site in facts.calls:
        if site.local is not None:
            site.local.callers.append(site)
            if site.scope is not None:
                callees.setdefault(id(site.scope), []).append(site.local)
    for component in components(facts.functions, callees):
        members = {id(info) for info in component}
        recursive = len(component) > 1 or any(id(c) in members for c in callees.get(id(component[0]), ()))
        _trains(component, members)
        for info in component:
            _loops(info.loops)
            info.guards = training_guards(info)
            _direct_params(info)
        _propagate_params(component, members, recursive)
    _loops([loop for loop in facts.loops if loop.scope is None])


def _trains(component: list[FunctionInfo], members: set[int]) -> None:
    """Which functions of a component train; inside a recursive component, training spreads to
    callers through a worklist (each function is queued again only when it starts training)."""
    for info in component:
        info.trains = any(trains_directly(c) or (c.local is not None and c.local.trains) for c in info.calls)
    pending = [info for info in component if info.trains]
    while pending:
        callee = pending.pop()
        for site in callee.callers:
            caller = site.scope
            if caller is not None and id(caller) in members and not caller.trains:
                caller.trains = True
                pending.append(caller)


def _loops(loops) -> None:
    for loop in loops:
        loop.trains = any(trains_directly(c) or (c.local is not None and c.local.trains) for c in loop.calls)
    for loop in loops:
        loop.evaluates = (not loop.trains and loop.iter is not None and is_data_loop(loop)
                          and any(is_model_call(c) for c in loop.calls))


def _direct_params(info: FunctionInfo) -> None:
    """Parameters trained on / evaluated / validated each epoch by the function's own code."""
    params = set(info.params)
    for loop in info.loops:
        root = loop.iter_root
        if root in params:
            if loop.trains:
                info.trained_params.setdefault(root, loop.line)
            elif loop.evaluates:
                info.evaluated_params.setdefault(root, loop.line)
                if training_ancestor(loop.parent) is not None:
                    info.validated_params.setdefault(root, loop.line)
    for site in info.calls:
        if site.method in FIT_METHODS and site.args:
            root = root_name(site.node.args[0])
            if root in params:
                info.trained_params.setdefault(root, site.line)


def _propagate_params(component: list[FunctionInfo], members: set[int], recursive: bool) -> None:
    """What the callees do to their parameters, the caller does to the arguments it passes.
    Inside a recursive component a function is queued again only when a callee's summary grew."""
    for info in component:
        _from_callees(info, info.calls)
    if not recursive:
        return
    pending = list(component)
    while pending:
        callee = pending.pop()
        for site in callee.callers:
            caller = site.scope
            if caller is not None and id(caller) in members and _from_callees(caller, [site]):
                pending.append(caller)


def _from_callees(info: FunctionInfo, sites: list[CallSite]) -> bool:
    params = set(info.params)
    changed = False
    for site in sites:
        callee = site.local
        if callee is None or callee is info:
            continue
        for param, arg_node in bound_arguments(callee, site):
            root = root_name(arg_node)
            if root not in params:
                continue
            for src, dst in ((callee.trained_params, info.trained_params),
                             (callee.evaluated_params, info.evaluated_params)):
                if param in src and root not in dst:
                    dst[root] = site.line
                    changed = True
            if (param in callee.evaluated_params and any(loop.trains for loop in site.loops)
                    and root not in info.validated_params):
                info.validated_params[root] = site.line
                changed = True
            if param in callee.validated_params and root not in info.validated_params:
                info.validated_params[root] = site.line
                changed = True
    return changed
