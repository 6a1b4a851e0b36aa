"""Train/eval mode of a model at a point of the code (for DLP301).

A *mode event* is a call that sets a module's mode: ``model.eval()``, ``model.train(False)``,
``model.train()``, a same-file function whose last mode-setting call decides (``evaluate(model)``,
``model, history = train_model(model, ...)`` whose last phase is evaluation), ``from_pretrained``.
:meth:`Modes.before` answers "in which mode is the model when this code starts to run": the
decisive event for its first run, and the one that switches the mode again for later iterations
of an enclosing loop. Callers are followed (a few levels) when the code sits in a helper.

Use through ``facts.derived(Modes)``.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable, Literal

from .facts import ModuleFacts
from .records import CallSite, FunctionInfo, LoopInfo, bound_arguments
from .names import dotted
from .training_facts import TrainingFacts

Mode = Literal["train", "eval"]
MAX_CALLER_DEPTH = 3
MAX_CALLERS = 8


@dataclass(frozen=True)
class ModeEvent:
    site: CallSite
    mode: Mode

    @property
    def line(self) -> int:
        return self.site.line

    @property
    def position(self) -> tuple[int, int]:
        return self.site.line, self.site.node.col_offset


@dataclass(frozen=True)
class ModeBefore:
    """The mode-setting events that decide the mode when a piece of code starts to run."""

    first: ModeEvent | None = None  # decides its first run (None: set nowhere before it)
    later: ModeEvent | None = None  # set after it in an enclosing loop: decides later iterations


@dataclass(frozen=True)
class Region:
    """Lines ``start``-``end`` of ``scope``, inside the loops ``chain`` (innermost first)."""

    start: int
    end: int
    scope: FunctionInfo | None
    chain: tuple[LoopInfo, ...]

    @staticmethod
    def of_loop(loop: LoopInfo) -> Region:
        return Region(loop.line, loop.node.end_lineno or loop.line, loop.scope, loop_chain(loop.parent))

    @staticmethod
    def of_call(site: CallSite) -> Region:
        end = getattr(site.node, "end_lineno", site.line) or site.line
        return Region(site.line, end, site.scope, tuple(reversed(site.loops)))


def loop_chain(loop: LoopInfo | None) -> tuple[LoopInfo, ...]:
    """``loop`` and the loops around it, innermost first."""
    out = []
    while loop is not None:
        out.append(loop)
        loop = loop.parent
    return tuple(out)


def callers_of(facts: ModuleFacts, scope: FunctionInfo) -> list[CallSite]:
    """Same-file callers; for a function redefined later in a notebook (same name, no resolved
    caller), the calls by that name after its definition."""
    if scope.callers or scope.class_name is not None:
        return scope.callers
    end = scope.node.end_lineno or scope.line
    return [c for c in facts.derived(calls_by_name).get(scope.name, ()) if c.line > end and c.scope is not scope]


def calls_by_name(facts: ModuleFacts) -> dict[str, list[CallSite]]:
    """Calls of a plain name (``train(...)``), by that name, in walk order. Use through
    ``facts.derived(calls_by_name)``."""
    out: dict[str, list[CallSite]] = {}
    for site in facts.calls:
        func = site.node.func
        if type(func) is ast.Name:
            out.setdefault(func.id, []).append(site)
    return out


def module_level_calls(facts: ModuleFacts) -> list[CallSite]:
    """Calls written at module level. Use through ``facts.derived(module_level_calls)``."""
    return [c for c in facts.calls if c.scope is None]


def scope_calls(facts: ModuleFacts, scope: FunctionInfo | None) -> list[CallSite]:
    return scope.calls if scope is not None else facts.derived(module_level_calls)


def event_targets(site: CallSite) -> set[str] | None:
    """Dotted names of the objects a mode event is about (None: unknown, matches any model)."""
    func = site.node.func
    if site.local is not None:
        names = set()
        for arg in list(site.node.args) + [k.value for k in site.node.keywords]:
            spelled = dotted(arg.value if isinstance(arg, ast.Starred) else arg)
            if spelled:
                names.add(spelled)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            names.add("self")
        elif isinstance(func, ast.Attribute):
            spelled = dotted(func.value)
            if spelled:
                names.add(spelled)
        names |= _assigned_from(site)  # model, history = train_model(model, ...): the same model
        return names or None
    if site.method == "from_pretrained":
        return _assigned_from(site) or None
    recv = dotted(func.value) if isinstance(func, ast.Attribute) else None
    return {recv} if recv else None


def _assigned_from(site: CallSite) -> set[str]:
    """Names bound to the call's result (tuple targets element by element)."""
    stmt = site.stmt
    if not isinstance(stmt, ast.Assign) or stmt.value is not site.node:
        return set()
    out = set()
    for target in stmt.targets:
        for elt in target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]:
            spelled = dotted(elt)
            if spelled:
                out.add(spelled)
    return out


def _matches(targets: set[str] | None, models: set[str] | None) -> bool:
    if targets is None or models is None:
        return True
    for t in targets:
        for m in models:
            if t == m or t.startswith(m + ".") or m.startswith(t + ".") or (
                    t.rsplit(".", 1)[-1] == m.rsplit(".", 1)[-1] and "." in t + m):
                return True
    return False


def pick(events: list[ModeEvent], wanted: Mode) -> ModeEvent:
    """The decisive event among those before the code: the wanted mode when any path sets it."""
    for event in reversed(events):
        if event.mode == wanted:
            return event
    return events[-1]


def caller_models(models: set[str] | None, scope: FunctionInfo, caller: CallSite) -> set[str] | None:
    """Translate model names of a function into the names its caller passes."""
    if models is None:
        return None
    bound = {p: dotted(a) for p, a in bound_arguments(scope, caller)}
    out = set()
    for m in models:
        root, _, rest = m.partition(".")
        if root in scope.params and root != "self":
            arg = bound.get(root)
            if not arg:
                return None
            out.add(arg + ("." + rest if rest else ""))
        elif root == "self":
            func = caller.node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
                out.add(m)
            elif isinstance(func, ast.Attribute) and dotted(func.value):
                out.add(dotted(func.value) + ("." + rest if rest else ""))
            else:
                return None
        else:
            out.add(m)
    return out


class Modes:
    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.training = facts.derived(TrainingFacts)

    def events(self, calls: Iterable[CallSite], models: set[str] | None,
               outside: tuple[int, int] | None = None) -> list[ModeEvent]:
        """Mode-setting calls about ``models`` in position order, leaving out lines ``outside``."""
        out = []
        for site in calls:
            if outside is not None and outside[0] <= site.line <= outside[1]:
                continue
            mode = self.training.mode_of_call(site)
            if mode and _matches(event_targets(site), models):
                out.append(ModeEvent(site, mode))
        out.sort(key=lambda e: e.position)
        return out

    def before(self, region: Region, wanted: Mode, models: set[str] | None, depth: int = 0) -> ModeBefore:
        """The mode when the code of ``region`` starts to run (through callers for helpers)."""
        span = (region.start, region.end)
        later = None
        for loop in region.chain:
            events = self.events(loop.calls, models, span)
            earlier = [e for e in events if e.line < region.start]
            if earlier:
                return ModeBefore(pick(earlier, wanted), later)
            after = [e for e in events if e.line > region.end]
            if after and later is None:
                later = pick(after, wanted)
        outer_start = region.chain[-1].line if region.chain else region.start
        events = [e for e in self.events(scope_calls(self.facts, region.scope), models, span)
                  if e.line < outer_start]
        if events:
            return ModeBefore(pick(events, wanted), later)
        scope = region.scope
        if scope is None or depth >= MAX_CALLER_DEPTH:
            return ModeBefore(None, later)
        callers = [c for c in callers_of(self.facts, scope)[:MAX_CALLERS] if c.scope is not scope]
        if not callers:
            return ModeBefore(None, later)
        results = [self.before(Region.of_call(c), wanted, caller_models(models, scope, c), depth + 1)
                   for c in callers]
        # the wanted mode must hold for every caller; report the first that breaks it
        for result in results:
            if result.first is None or result.first.mode != wanted:
                return ModeBefore(result.first, result.later or later)
        for result in results:
            if result.later is not None and result.later.mode != wanted:
                return result
        return ModeBefore(results[0].first, results[0].later or later)

    def initial(self, site: CallSite) -> Mode | None:
        """The mode a model is built in: ``Net().eval()``, a loader that calls eval, from_pretrained."""
        training = self.training
        func = site.node.func
        value = None
        scope = site.scope
        if isinstance(func, ast.Name):
            item = training.latest(scope, func.id, site.line)
            if item is not None:
                value = item[1]
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self" \
                and scope is not None:
            value = training.class_attrs(scope.class_name).get(func.attr)
        for _ in range(6):
            if not isinstance(value, ast.Call):
                return None
            f = value.func
            if isinstance(f, ast.Attribute) and f.attr == "eval" and not value.args:
                return "eval"
            if isinstance(f, ast.Attribute) and f.attr == "from_pretrained":
                return "eval"
            qn = self.facts.imports.qualname(f) or ""
            if qn in ("torch.jit.load", "torch.jit.script", "torch.jit.trace", "torch.export.load",
                      "transformers.pipeline"):
                return "eval"  # scripted/traced models are saved for inference; pipelines load in eval mode
            if qn == "torch.compile" and value.args:
                value = value.args[0]
                continue
            if isinstance(f, ast.Attribute) and f.attr == "train":
                return "train"
            local = self.facts.resolve_local(f, None) or (
                self.facts.resolve_local(f, scope) if scope is not None else None)
            if local is None and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                local = self.facts.methods.get((f.value.id, f.attr))
            if local is not None:
                return training.effect(local)
            if isinstance(f, ast.Attribute):
                value = f.value
                continue
            return None
        return None
