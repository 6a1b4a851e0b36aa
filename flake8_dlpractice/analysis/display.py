"""Random draws that only choose what to show (DLP200, DLP202, DLP203).

``idx = np.random.randint(len(images), size=5)`` followed by ``plt.imshow(images[i])`` for each of
them picks which examples a notebook displays: no result of the program depends on it, and
seeding it is noise. A draw is *for display only* when every read of its value is display code
(matplotlib/seaborn/plotly calls, ``imshow``, ``print``, ``display``, a notebook cell's bare
expression, a same-file ``show_*``/``plot_*`` helper that trains nothing) — directly, through the
names bound from it (``sample = df.loc[idx]``, ``colours.append(c)``), indexing with it, or as
the iterable of a loop whose body reads the loop variables only in display code.

The reads of names, and what consumes each, come from the lazy index of :mod:`name_reads`
(``facts.derived(display_reads)``); the queries here follow them with a linear propagation over
the bindings they reach.
"""
from __future__ import annotations

import ast

from .facts import ModuleFacts
from .name_reads import DISPLAY, DROPPED, OTHER, Binding, Into, NameReads, Passed, Via, display_reads
from .records import FunctionInfo, bound_arguments

# estimator methods that judge a model
EVALUATING = frozenset({"predict", "predict_proba", "predict_log_proba", "score", "decision_function"})
# methods of a fitted estimator that map data to a representation of it (``pca.transform(x)``)
REPRESENTING = frozenset({"transform", "inverse_transform"})


def _reads_of(found: NameReads, facts: ModuleFacts, binding: Binding) -> list[tuple[object, tuple | None]]:
    """What consumes the value ``binding`` holds, read by read, each with the lines between which
    the value is live when the read is in a function reading a module-level name (the function's
    callers in that range are the ones that see it). A ("returned", function) in place of a
    binding (a return an ``if`` test decides) is consumed as it stands."""
    if not isinstance(binding, Binding):
        return [(binding, None)]
    key = id(binding.scope) if binding.scope is not None else None
    lines = found.bindings(key, binding.name)
    later = [ln for ln in lines if ln > binding.line]
    stop = binding.end if binding.end is not None else (min(later) if later else None)
    out: list[tuple[object, tuple | None]] = []
    for line, ctx in found.reads(key, binding.name, binding.line):
        if line > binding.line and (stop is None or line <= stop):
            out.append((ctx, None))
    if binding.scope is None:  # functions that read the module-level name while it holds the value
        live = (binding.line, stop)
        out += [(ctx, live) for _, ctx in found.function_reads(binding.name, lambda scope_key: (
            _called_in(facts, found, scope_key, live) and binding.name not in found.locals_of(scope_key)))]
    return out


def _in_range(line: int, live: tuple | None) -> bool:
    return live is None or (line > live[0] and (live[1] is None or line <= live[1]))


def _called_in(facts: ModuleFacts, found: NameReads, scope_key: int, live: tuple) -> bool:
    node = found.functions.get(scope_key)
    info = facts.module_functions.get(node.name) if node is not None else None
    if info is None or info.node is not node:
        return True  # a method or nested function: assume it runs while the value is live
    return any(_in_range(c.line, live) for c in info.callers)


def replaced_unread(facts: ModuleFacts, call: ast.AST, body: list[ast.stmt]) -> bool:
    """The value ``call`` returns is bound to names (``model = RandomForestClassifier()``) that a later
    statement of ``body`` (the statements the binding stands among, not a branch) binds again
    (``model = SVC()``) before anything reads them."""
    found = facts.derived(display_reads)
    first = found.consumer(call)
    if not isinstance(first, list) or not first or not all(isinstance(b, Binding) for b in first):
        return False
    for binding in first:
        key = id(binding.scope) if binding.scope is not None else None
        later = [line for line in found.bindings(key, binding.name) if line > binding.line]
        if not later or not any(stmt.lineno == min(later) and isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == binding.name for t in stmt.targets) for stmt in body):
            return False
    return not any(_reads_of(found, facts, binding) for binding in first)


def shown_only(facts: ModuleFacts, call: ast.AST) -> bool:
    """The value ``call`` returns is read, and only by display code or by names that are then
    displayed or never read again (see the module docstring)."""
    found = facts.derived(display_reads)
    first = found.consumer(call)
    if isinstance(first, list) and not any(_reads_of(found, facts, binding) for binding in first):
        return False  # never read: a fragment (an example), not a choice of what to show
    work: list[tuple[object, tuple | None]] = [(first, None)]
    seen: set[tuple] = set()
    while work:
        ctx, live = work.pop()
        if ctx is DISPLAY:
            continue
        if _represented(ctx):  # pca.transform(x[i]): x[i] represented, judged by what reads the call
            work.append((found.consumer(ctx.call), live))
            continue
        onward = _onward(found, facts, ctx, live, seen)
        if onward is not None:
            work.extend(onward)
            continue
        if ctx is OTHER or not isinstance(ctx, list):
            return False
        if not _follow(found, facts, ctx, live, seen, work):
            return False
    return True


def _represented(ctx: object) -> bool:
    """``ctx`` is the data argument of a fitted estimator's ``transform``/``inverse_transform``."""
    return isinstance(ctx, Via) and not ctx.receiver and ctx.call.func.attr in REPRESENTING


def _onward(found: NameReads, facts: ModuleFacts, ctx: object, live: tuple | None,
            seen: set[tuple]) -> list[tuple[object, tuple | None]] | None:
    """What a value consumed by a same-file function is consumed by next: a value it returns, by
    what its callers do with the call; one given to its parameter, by what the function does with
    the parameter (``hands_on``) and, when it returns it, by the call's consumer; one written into
    the object a parameter names, by the callers' arguments. None for any other ``ctx`` or when the
    function is used beyond that (a method's callers are not known: None)."""
    if isinstance(ctx, Passed):
        handed = hands_on(found, facts, ctx.callee, ctx.param)
        if handed is None:
            return [(OTHER, live)]
        return [(found.consumer(ctx.call), live)] if handed else []
    if isinstance(ctx, tuple):  # returned by a same-file function: what its callers do with it
        info = _module_function(facts, ctx[1])
        if info is None or not info.callers:
            return [(OTHER, live)]
        mark = (id(info.node), live)
        if mark in seen:
            return []
        seen.add(mark)
        return [(found.consumer(c.node), None) for c in info.callers if _in_range(c.line, live)]
    if isinstance(ctx, Into):
        info = _module_function(facts, ctx.callee)
        if info is None or not info.callers:
            return [(OTHER, live)]
        out: list[tuple[object, tuple | None]] = []
        for call in info.callers:
            arg = next((a for p, a in bound_arguments(info, call) if p == ctx.param), None)
            if not isinstance(arg, ast.Name):
                return [(OTHER, live)]
            out.append(([Binding(call.scope.node if call.scope else None, arg.id, call.line)], None))
        return out
    return None


def _read_in_nested(found: NameReads, node: ast.AST, name: str) -> bool:
    """A function defined inside ``node`` reads ``name`` without binding it (a closure over a
    parameter): what it does with the value is not followed."""
    end = node.end_lineno or node.lineno

    def nested(key: int) -> bool:
        inner = found.functions.get(key)
        return inner is not None and inner is not node and node.lineno < inner.lineno <= end \
            and name not in found.locals_of(key)
    return bool(found.function_reads(name, nested))


def _module_function(facts: ModuleFacts, node: ast.AST) -> FunctionInfo | None:
    info = facts.module_functions.get(getattr(node, "name", ""))
    return info if info is not None and info.node is node else None


def hands_on(found: NameReads, facts: ModuleFacts, callee: FunctionInfo, param: str) -> bool | None:
    """What the function ``callee`` does with its parameter ``param``: None when it uses it beyond
    showing it and handing it on to its return value (through names, pure calls, a fitted model's
    ``transform``), else whether the return value holds it. Cached per parameter."""
    key = (id(callee.node), param)
    if key in found.handed:
        return found.handed[key]
    found.handed[key] = None  # recursion: used
    if found.handing >= _MAX_HANDING or _read_in_nested(found, callee.node, param):
        return None  # a chain of helpers deeper than that (generated code) counts as a use
    found.handing += 1
    try:
        return _hands_on(found, facts, callee, param, key)
    finally:
        found.handing -= 1


_MAX_HANDING = 8  # helpers handing a value on to helpers followed at most (each costs Python frames)


def _hands_on(found: NameReads, facts: ModuleFacts, callee: FunctionInfo, param: str,
              key: tuple[int, str]) -> bool | None:
    returned = False
    work: list[tuple[object, tuple | None]] = [([Binding(callee.node, param, callee.node.lineno)], None)]
    seen: set[tuple] = set()
    while work:
        ctx, live = work.pop()
        if ctx is DISPLAY:
            continue
        if isinstance(ctx, tuple) and ctx[1] is callee.node:
            returned = True
            continue
        if _represented(ctx):  # pca.transform(x[i]): x[i] represented, judged by what reads the call
            work.append((found.consumer(ctx.call), live))
            continue
        if isinstance(ctx, Passed):
            work.extend(_onward(found, facts, ctx, live, seen) or ())
            continue
        if not isinstance(ctx, list) or not all(isinstance(b, Binding) for b in ctx) \
                or not _follow(found, facts, ctx, live, seen, work):
            return None
    found.handed[key] = returned
    return returned


def _follow(found: NameReads, facts: ModuleFacts, bindings: list[Binding], live: tuple | None, seen: set[tuple],
            work: list[tuple[object, tuple | None]]) -> bool:
    """Queue what reads each binding's value (once per binding and live range); False once the
    search has grown too large to decide."""
    for binding in bindings:
        mark = (id(binding.scope) if binding.scope is not None else None, binding.name, binding.line, live) \
            if isinstance(binding, Binding) else (binding, live)
        if mark in seen:
            continue
        seen.add(mark)
        if len(seen) > 500:
            return False
        for read, scope_live in _reads_of(found, facts, binding):
            in_function = isinstance(binding, Binding) and binding.scope is not None
            work.append((read, scope_live or (live if in_function else None)))
    return True


# estimators that describe data without labels: their predict/transform give cluster labels or
# coordinates, not a judged prediction
DESCRIBING = frozenset({"KMeans", "MiniBatchKMeans", "BisectingKMeans", "TSNE", "GaussianMixture",
                        "BayesianGaussianMixture", "RandomTreesEmbedding", "BernoulliRBM", "MeanShift",
                        "DBSCAN", "HDBSCAN", "OPTICS", "AgglomerativeClustering", "SpectralClustering", "Birch",
                        "AffinityPropagation", "Isomap", "MDS", "LocallyLinearEmbedding", "SpectralEmbedding"})


def fitted_shown_only(facts: ModuleFacts, call: ast.AST, describing: bool = False) -> bool:
    """The estimator ``call`` builds is fitted only to describe data for display: everything it
    produces — fitted attributes (``km.labels_``, ``forest.feature_importances_``, ``km.inertia_``),
    ``fit_transform``/``fit_predict`` output, transforms — is read only by display code (as in
    ``shown_only``), and it is never evaluated (``predict``, ``score``) or handed to any other call
    (a search, a pipeline, ``joblib.dump``). A clustering coloured into a scatter plot, a t-SNE
    map, an elbow curve of inertias, printed feature importances. ``describing``: an estimator
    without labels (``DESCRIBING``), whose ``predict`` assigns clusters rather than judging a model."""
    if not describing and id(call) in facts.derived(evaluated_estimators):
        return False  # decided from the facts, without indexing the module's reads
    found = facts.derived(display_reads)
    work: list[tuple[object, tuple | None]] = [(found.consumer(call), None)]
    seen: set[tuple] = set()
    shown = False
    while work:
        ctx, live = work.pop()
        if ctx is DISPLAY:
            shown = True
            continue
        if isinstance(ctx, Via):
            method = ctx.call.func.attr
            if not ctx.receiver and method in ("fit", "partial_fit", "set_params", "predict", "score"):
                return False  # the data fits or is judged by another model
            if method in EVALUATING and not (describing and method == "predict"):
                return False
            after = found.consumer(ctx.call)
            if after is DROPPED and ctx.receiver:
                continue  # km.fit(X) on its own line: fits the estimator, which is read on
            work.append((after, live))
            continue
        onward = _onward(found, facts, ctx, live, seen) if describing else None
        if onward is not None:  # cluster labels a helper returns or writes into the frame it is given
            work.extend(onward)
            continue
        if not isinstance(ctx, list):
            return False  # another call, a return value: used beyond display
        if not _follow(found, facts, ctx, live, seen, work):
            return False
    return shown


def evaluated_estimators(facts: ModuleFacts) -> frozenset[int]:
    """Constructor calls whose estimator is scored or asked to predict (``rf.predict(X)``,
    ``rf.score(...)``): fitted for more than display. Use through ``facts.derived``."""
    return frozenset(id(site.recv.call) for site in facts.calls
                     if site.method in EVALUATING and site.recv is not None and site.recv.call is not None)
