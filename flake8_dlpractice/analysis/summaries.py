"""Same-file function summaries, computed once per module after the walk, in linear time.

A summary says what a function does to its parameters: trains on them (a training loop over it,
``fit``), evaluates them, validates them every epoch; splits or cross-validates them, learns
statistics from them, normalises them with their own statistics, resamples them
(:class:`~provenance.DataSummary`). A call of the function then does the same to its arguments:
the data events are repeated at every call site (a split of the argument, a fit on it), so the
rules pair a fit in the module body with a split inside a helper, a ``self.data`` normalised in
one method with a split in another, a callback applied with ``df.apply(f)``.

What a function does through the functions it calls is part of its summary, so summaries are
computed callees first: the functions are
ordered by the strongly connected components of the call graph (Tarjan's algorithm, iterative),
each component once, in reverse topological order. Only functions that call each other (a
component of several functions, or a function calling itself) are iterated to a fixpoint, and
then only over their own call sites. A chain of helpers calling each other costs one visit per
call site, not one pass over the module per link.
"""
from __future__ import annotations

import ast
from typing import Iterable, Iterator

from .names import name_words
from .facts import ModuleFacts
from .records import (FIT_METHODS, CallSite, FunctionInfo, bound_arguments, bound_slots, guard_may_hold, is_data_loop,
                      is_model_call, training_ancestor, training_guards, trains_directly)
from .values import Value
from .vocabulary import root_name
from .provenance import DataSummary, FitEvent, ResampleEvent, SplitEvent, Statistic, StatUse


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
    data_sites: dict[int, list[tuple[CallSite, FunctionInfo]]] = {}
    for site in facts.calls:
        if site.local is not None:
            site.local.callers.append(site)
        callee = callee_of(facts, site)
        if callee is not None:
            data_sites.setdefault(id(callee), []).append((site, callee))
            if site.scope is not None:
                callees.setdefault(id(site.scope), []).append(callee)
    data = _DataEvents(facts)
    for component in components(facts.functions, callees):
        members = {id(info) for info in component}
        recursive = len(component) > 1 or any(id(c) in members for c in callees.get(id(component[0]), ()))
        _trains(component, members)
        for info in component:
            _loops(info.loops)
            info.guards = training_guards(info)
            _direct_params(info)
        _propagate_params(component, members, recursive)
        for info in component:
            info.data = data.summary(info)
        if recursive:  # calls inside the component first, then the summaries once more
            for info in component:
                for site, callee in data_sites.get(id(info), ()):
                    if site.scope is not None and id(site.scope) in members:
                        data.repeat_at(site, callee)
            for info in component:
                info.data = data.summary(info)
        for info in component:
            for site, callee in data_sites.get(id(info), ()):
                if not (recursive and site.scope is not None and id(site.scope) in members):
                    data.repeat_at(site, callee)
    _loops([loop for loop in facts.loops if loop.scope is None])


def callee_of(facts: ModuleFacts, site: CallSite) -> FunctionInfo | None:
    """The same-file function a call runs: ``helper(x)``, ``self.method(x)``, a callback
    (``df.apply(f)``), a local class's ``__init__`` (``Model(df)``) or method (``model.run(df)``)."""
    if site.local is not None:
        return site.local
    if site.callback is not None:
        return site.callback
    # the site's spelling of the callee, not its node (cold by now): only a plain name is spelled without a dot
    if site.name in facts.classes:
        return facts.methods.get((site.name, "__init__"))
    kind = site.recv.kind if site.recv is not None else None
    if kind and kind.startswith("<local>.") and site.method:
        return facts.methods.get((kind[len("<local>."):], site.method))
    return None


def bound_values(facts: ModuleFacts, site: CallSite, callee: FunctionInfo) -> Iterator[tuple[str, Value]]:
    """(parameter, argument value) pairs of a call of a same-file function; a callback's first
    parameter gets the data it is applied to."""
    if site.callback is callee and site.local is None:
        params = [p for p in callee.params if p not in ("self", "cls")]
        data = (site.recv if isinstance(site.node.func, ast.Attribute)
                else site.args[1] if len(site.args) > 1 else None)
        if params and data is not None:
            if data.items and not isinstance(site.node.func, ast.Attribute):
                for item in data.items:  # map(clean, [train, test]): each frame in turn
                    yield params[0], item
            else:
                yield params[0], data
        return
    for param, slot, _ in bound_slots(callee, site):
        if isinstance(slot, int):
            if slot < len(site.args):
                yield param, site.args[slot]
        elif slot in site.kwargs:
            yield param, site.kwargs[slot]


class _DataEvents:
    """The data events of the module indexed by the parameters they involve, so a function's data
    summary is read off without scanning every event; events repeated at call sites are indexed
    as they are made (for the callers' summaries, computed later)."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.owner: dict[int, str] = {}
        for info in facts.functions:
            for param, ident in info.param_ids.items():
                self.owner[ident] = param
        self.params = frozenset(self.owner)
        self.touching: dict[int, list[object]] = {}
        self.scope_splits: dict[int, list[SplitEvent]] = {}  # by id of the function they are in
        for split in facts.split_events:
            self._index(split, split.anc)
            self.scope_splits.setdefault(id(split.scope), []).append(split)
        for fit in facts.fit_events:
            self._index(fit, fit.source.anc)
        for use in facts.stat_uses:
            if use.stat.fit is None and use.how != "transformed":
                self._index(use, use.stat.source.anc & use.target.anc)
        for resample in facts.resample_events:
            self._index(resample, resample.data.anc)

    def _index(self, event: object, anc: frozenset[int]) -> None:
        if self.params:
            for ident in anc & self.params:
                self.touching.setdefault(ident, []).append(event)

    def summary(self, info: FunctionInfo) -> DataSummary | None:
        found = DataSummary()
        for param, ident in info.param_ids.items():
            for event in self.touching.get(ident, ()):
                if isinstance(event, SplitEvent):
                    if event.kind != "back":  # rows put back as they were taken: not a split of the parameter
                        found.splits.setdefault(param, event)
                elif isinstance(event, FitEvent):
                    self._keep(found.fits, param, event, info)
                elif isinstance(event, StatUse):
                    self._keep(found.normalises, param, event, info)
                elif isinstance(event, ResampleEvent):
                    self._keep(found.resamples, param, event, info)
        return found or None

    def _keep(self, events: dict[str, object], param: str, event, info: FunctionInfo) -> None:
        """The first event learning from ``param``, unless it learns only from rows picked by another
        parameter (``data[i]``) and a later one learns from more."""
        first = events.get(param)
        if first is None or self._row_keys(first, info) and not self._row_keys(event, info):
            events[param] = event

    def _row_keys(self, event, callee: FunctionInfo) -> list[str]:
        """The parameters of ``callee`` that picked the rows ``event`` learns from (``data[i]``)."""
        if not self.facts.row_picks:
            return []
        anc = _learnt_anc(event)
        return [param for param, ident in callee.param_ids.items() if self.facts.row_picks.get(ident, 0) in anc]

    def _one_sample(self, event, callee: FunctionInfo, site: CallSite) -> bool:
        """What ``event`` learns comes from rows picked by a parameter that this call gives a ``range()``
        counter: ``[normalise(frame, i) for i in range(len(frame))]`` works on one sample at a time."""
        keys = self._row_keys(event, callee)
        if not keys:
            return False
        given = dict(bound_values(self.facts, site, callee))
        return any(given[key].position for key in keys if key in given)

    def repeat_at(self, site: CallSite, callee: FunctionInfo) -> None:
        """The callee's data events, repeated at a call site for the arguments it passes."""
        summary = callee.data
        if summary is None or site.scope is callee:
            return
        guarded = bool(callee.guards) and site.local is callee and not any(
            guard_may_hold(callee, site, g) for g in callee.guards)
        parts = _returned_parts(self.facts, callee, len(site.item_ids)) if site.item_ids else None
        for param, value in bound_values(self.facts, site, callee):
            if not value.anc or _names_a_path(value.name):
                continue  # GetData(data_dir): what the callee reads from a path is not the argument
            products = _products(site, parts, param)
            split = summary.splits.get(param)
            if split is not None and self._holds(split, callee, site):
                self._split_at(site, callee, value, split, products)
            if guarded or value.element:
                continue
            for event in (summary.fits.get(param), summary.normalises.get(param), summary.resamples.get(param)):
                if event is not None and self._holds(event, callee, site) \
                        and not self._split_inside(event, callee, summary) \
                        and not self._one_sample(event, callee, site):
                    self._learning_at(site, callee, value, event, products)

    def _split_inside(self, event, callee: FunctionInfo, summary: DataSummary) -> bool:
        """Whether what the callee learns reaches a split the callee makes itself afterwards
        (``do_cv(X)`` fits a vectorizer on X, then K-folds it): that pairing is reported inside the
        callee, and the call is not a second fit whose products meet the caller's later splits. A fit
        on several parameters at once (``vec.fit(known + other)``) is judged as one."""
        if event.scope is not callee:
            return False
        line = event.node.lineno
        products = event.products
        if getattr(event, "mixed", False):
            for other in (*summary.fits.values(), *summary.normalises.values(), *summary.resamples.values()):
                if other.node is event.node:
                    products = products | other.products
        return any(split.kind != "back" and split.node.lineno >= line and products & split.anc
                   for split in self.scope_splits.get(id(callee), ()))

    def _holds(self, event, callee: FunctionInfo, site: CallSite) -> bool:
        """Whether the ``if <parameter test>:`` around the event may hold for this call."""
        guard = event.guard
        return guard is None or event.scope is not callee or site.local is not callee or \
            guard_may_hold(callee, site, guard)

    def _split_at(self, site: CallSite, callee: FunctionInfo, value: Value, split: SplitEvent,
                  products: frozenset[int]) -> None:
        name = callee.class_name if callee.name == "__init__" and callee.class_name else callee.name
        event = SplitEvent(site.node, value.anc, f"{name}()", site.scope, value.role, "helper",
                           min(products), inputs=(value,), via=callee, via_line=split.line)
        self.facts.split_events.append(event)
        self._index(event, value.anc)
        self.scope_splits.setdefault(id(site.scope), []).append(event)

    def _learning_at(self, site: CallSite, callee: FunctionInfo, value: Value, inner, products: frozenset[int]) -> None:
        facts = self.facts
        mixed = self._mixed(inner, callee)
        if isinstance(inner, FitEvent):
            event = FitEvent(site.node, inner.what, value, site.scope, products, callee, inner.line, mixed=mixed,
                             vocabulary=inner.vocabulary)
            facts.fit_events.append(event)
        elif isinstance(inner, StatUse):
            stat = Statistic(inner.stat.what, value, site.line, how=inner.how)
            event = StatUse(site.node, stat, value, inner.how, site.scope, products, value.name, None, callee,
                            mixed=mixed)
            facts.stat_uses.append(event)
        else:
            event = ResampleEvent(site.node, value, f"{callee.name}()", site.scope, products, callee)
            facts.resample_events.append(event)
        self._index(event, value.anc)

    def _mixed(self, inner, callee: FunctionInfo) -> bool:
        """An event inside the callee learning from several of its parameters at once (a concat)."""
        if getattr(inner, "mixed", False):
            return True
        anc = _learnt_anc(inner)
        return sum(1 for ident in callee.param_ids.values() if ident in anc) > 1


def _learnt_anc(event) -> frozenset[int]:
    """The ancestry of the data a fit, a statistic or a resampling learns from."""
    return event.source.anc if isinstance(event, FitEvent) else (
        event.stat.source.anc if isinstance(event, StatUse) else event.data.anc)


_PATH_WORDS = frozenset({"path", "paths", "dir", "directory", "folder", "file", "filename", "fname", "url", "root"})


def _names_a_path(name: str | None) -> bool:
    return bool(name) and bool(_PATH_WORDS & set(name_words(name.rsplit(".", 1)[-1])))


def _returned_parts(facts: ModuleFacts, callee: FunctionInfo, count: int,
                    depth: int = 3) -> list[frozenset[str]] | None:
    """``return a, b``: the parameters each of the ``count`` returned parts derives from (the call
    unpacks them); also through ``return other(a, b)``, a same-file function that returns such a
    tuple (each part of its, through the arguments it is given)."""
    for value in callee.returns:
        if value.items is not None and len(value.items) == count:
            return [frozenset(p for p, ident in callee.param_ids.items() if ident in item.anc) for item in value.items]
    for inner in callee.calls if depth else ():
        if inner.local is None or inner.local is callee or type(inner.stmt) is not ast.Return \
                or inner.stmt.value is not inner.node:
            continue
        parts = _returned_parts(facts, inner.local, count, depth - 1)
        if parts is not None:
            given = dict(bound_values(facts, inner, inner.local))
            return [frozenset(p for p, ident in callee.param_ids.items()
                              if any(q in given and ident in given[q].anc for q in part)) for part in parts]
    return None


def _products(site: CallSite, parts: list[frozenset[str]] | None, param: str) -> frozenset[int]:
    """The ids that carry what the callee did to ``param`` on: the unpacked parts derived from it
    (``x_tr, x_te = prepare(x_tr, x_te)``), or the whole result."""
    if parts is not None:
        items = frozenset(item for item, params in zip(site.item_ids, parts) if param in params)
        if items:
            return items
    return frozenset({site.result_id}) if site.result_id else frozenset({0})


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
    transformed = {site.name.rsplit(".", 1)[0] for site in info.calls
                   if site.method == "transform" and site.name and "." in site.name}
    for site in info.calls:
        if site.method in FIT_METHODS and site.args:
            if site.name and site.name.rsplit(".", 1)[0] in transformed:
                continue  # fe.fit(data); fe.transform(data): a transformer (DLP100 knows which learn statistics)
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
