"""How the facts walker evaluates expressions and binds their values to names.

:class:`Evaluation` is the expression half of the walker (``facts._ScopeWalker``, which walks the
statements of one scope in order and provides the state): it evaluates every expression once with the
abstract interpreter (roles, ancestry, identities, kinds, augmentation), records each call as a
:class:`~.records.CallSite`, and binds the values to names, attributes, tuple targets and frame columns.
"""
from __future__ import annotations

import ast
from dataclasses import replace
from typing import Iterable

from ..findings import line_ref
from .dataflow import (DATAFLOW_FUNCS, DATAFLOW_METHODS, PREDICT_METHODS, DataFlow, reads_file, split_roles,
                       stateful_step)
from .names import ROLE_TOKENS, ImportMap, dotted, last_part, name_words, role_from_name
from .provenance import COMPOSITES, TRANSFORMER_MODULES, ColumnStore, Statistic, is_target_name
from .records import CallSite, FunctionInfo, LoopInfo, Store
from .values import EMPTY, NOTHING, SplitInfo, Value, merge_roles, merge_roles_strict, new_value
from .vocabulary import (COMBINE_FUNCS, ESTIMATOR_PACKAGES, METADATA_ATTRS, NON_DATA_METHODS, ROLE_NEUTRAL_BUILTINS,
                         WRAPPER_FUNCS, augmentation_of, dataset_role, key_role)

MAX_EXPR_DEPTH = 48
ROLE_LABEL = {"test": "test", "val": "validation", "train": "training", "full": "unsplit"}

_COMPOSE = frozenset({"Compose", "Sequential", "RandomApply", "RandomChoice", "RandomOrder",
                      "OneOf", "SomeOf", "ReplayCompose"})


class Evaluation(DataFlow):
    """Expressions and binding of the facts walker (a mixin: ``facts._ScopeWalker`` provides the state)."""

    imports: ImportMap
    loops: tuple[LoopInfo, ...]
    comprehension_ids: frozenset[int]
    no_grad: int
    local_names: frozenset[str]

    # -- binding ---------------------------------------------------------------------------------
    def _bind_loop_target(self, target: ast.expr, iter_node: ast.expr, it: Value) -> None:
        # for i, (x, y) in enumerate(loader): the counter gets nothing, the rest the element
        if (isinstance(iter_node, ast.Call) and isinstance(iter_node.func, ast.Name)
                and iter_node.func.id == "enumerate" and isinstance(target, ast.Tuple)
                and len(target.elts) == 2 and iter_node.args):
            self.bind(target.elts[0], NOTHING, iter_node)
            target = target.elts[1]  # enumerate(x) carries x's role
        if it.split is None and it.anc and not it.element and isinstance(target, (ast.Name, ast.Tuple, ast.List)) \
                and not _columns(iter_node):
            it = it.copy_with(element=True)  # for row in rows / for i, row in df.iterrows(): one sample
        self.bind(target, _counted(it, iter_node), iter_node)

    def bind(self, target: ast.expr, value: Value, value_node: ast.expr) -> None:
        kind = type(target)
        if kind is ast.Name:  # most targets
            if type(self.stmt) is ast.Assign:
                value = self.slice_back(value_node, value)
            old = self.env.get(target.id)
            named = self._named(target.id, value, target.lineno, node=value_node)
            self.env[target.id] = named
            if value.anc and self.aggregate(value_node, value):
                self.facts.tables.update(named.idents)
            if value.applied is not None:
                self.note_use(value, value if old is None or value.name != target.id else old,
                              value.name or target.id, None, named.idents)
        elif kind is ast.Tuple or kind is ast.List:
            self._bind_tuple(target, value, value_node)
        elif kind is ast.Attribute:
            self._bind_attribute(target, value, value_node)
        elif kind is ast.Subscript:
            self.ev(target.slice)
            key = target.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                owner = self.imports.qualname(target.value) or dotted(target.value)
                if owner:
                    self.facts.stores.append(Store(f"{owner}[{key.value!r}]", value_node, value,
                                                   self.stmt, self.scope, self.loops))
            self.update_frame(target, value)
        elif kind is ast.Starred:
            self.bind(target.value, value, value_node)

    def _bind_attribute(self, target: ast.Attribute, value: Value, value_node: ast.expr) -> None:
        qn, spelled = self.imports.qualname_and_dotted(target)
        self.facts.stores.append(Store(qn or spelled or "", value_node, value, self.stmt,
                                       self.scope, self.loops))
        if value.applied is not None and isinstance(target.value, ast.Name) and target.value.id != "self":
            self.update_frame(target, value)  # df.age = df.age.fillna(df.age.mean())
        elif spelled:
            old = self.env.get(spelled)
            named = self._named(target.attr, value, target.lineno, spelled, node=value_node)
            self.env[spelled] = named
            self.store_class_attr(target, named)
            if value.applied is not None:  # self.data = self.data.fillna(self.data.median())
                self.note_use(value, value if old is None or value.name != spelled else old, spelled, None,
                              named.idents)
        if target.attr == "transform" and value.aug:
            owner = self.ev(target.value)
            self.facts.aug_assignments.append((self.stmt, owner, value, "assigned as its transform"))

    def _cells_of_concat(self, anc: frozenset[int], frame: frozenset[int]) -> frozenset[int]:
        """``df["k"] = full["k"]``: a named column taken from a concatenation made earlier; the frame's
        rows are still its own, not rows of the concatenation to be split back (``data["all"] =
        pd.concat(...)`` stores the concatenation itself; ``frames[key] = part`` may be a dict entry)."""
        stmt = self.stmt
        return frozenset(i for i in anc if i not in self.facts.concats or i in frame
                         or stmt.lineno <= self.facts.concats[i].node.lineno <= (stmt.end_lineno or stmt.lineno))

    def update_frame(self, target: ast.expr, value: Value) -> None:
        """``df[c] = v``, ``df.loc[m, c] = v``, ``df.c.fillna(v, inplace=True)``: the frame (or array)
        at the root of ``target`` now holds ``v`` in some of its cells."""
        root, column = _frame_root(target)
        spelled = dotted(root) if root is not None else None
        if spelled is None or "()" in spelled:
            return
        old = self.ev(root)
        new_id = self.facts.new_id()
        added = value.anc
        if column is not None and self.facts.concats and not added.isdisjoint(self.facts.concats):
            added = self._cells_of_concat(added, old.anc)
        merged = new_value(role=old.role, origin=old.origin, carried=old.carried, kind=old.kind,
                           call=old.call, anc=old.anc | added | {new_id},
                           idents=frozenset({new_id}), name=spelled, element=old.element, line=target.lineno)
        if old.idents and old.idents <= self.facts.tables:
            self.facts.tables.add(new_id)
        self.env[spelled] = merged
        self.store_class_attr(root, merged)
        if column is not None and value.anc:
            store = ColumnStore(spelled, column, value.anc, old.anc, self.scope, target.lineno)
            self.facts.column_stores.append(store)
        if value.applied is None and value.stat is not None and not value.stat.code \
                and value.stat.source.idents & old.anc:
            # df.loc[df.age.isnull(), "age"] = df.age.mean(): imputed with a statistic of itself;
            # df["fare_mean"] = df.groupby(k)["fare"].transform("mean"): a column derived from one
            masked = isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute)
            # not an array cell (x[i, j] = x.max() marks a position), nor a table of per-group values put
            # beside its keys (users["mean_gap"] = orders.groupby("user")["gap"].mean(): a feature per user)
            if masked or column is not None and not value.stat.per_group:
                value = Value(applied=replace(value.stat, how="imputed" if masked else "derived"))
        if value.applied is not None and not is_target_name(column):
            self.note_use(value, old, spelled, column, merged.idents)

    def _named(self, name: str, value: Value, line: int, spelled: str | None = None,
               node: ast.expr | None = None) -> Value:
        """The value a name holds after ``name = value``: the role precedence of the catalog. A name
        refines a role that comes from a source (a split slot, ``ds["test"]``, a constructor flag)
        but never turns test or validation data into training data, nor data a source calls
        validation (``subset="validation"``, ``pool[:n_val]``; not a split slot's default) into test
        data; the role of data that already has a name is kept whatever the new name says."""
        token = self.name_role(name, value, node)
        role, origin = value.role, value.origin
        if token and token != role and (role is None or not value.carried and not (
                token == "train" and role in ("test", "val")
                or token == "test" and role == "val" and value.piece_of is None)):
            role, origin = token, f"name {spelled or name!r}"
        ident = frozenset({self.facts.new_id()})
        return value.bound(role, origin, value.anc | ident, ident, spelled or name, line,
                           (value.copy_of or value.idents) if type(node) is ast.Name else EMPTY)

    def _bind_tuple(self, target: ast.Tuple | ast.List, value: Value, value_node: ast.expr) -> None:
        elts = target.elts
        if value.split is not None:
            self._bind_split(elts, value.split, value_node)
            return
        nodes = (value_node.elts if isinstance(value_node, (ast.Tuple, ast.List))
                 and len(value_node.elts) == len(elts) else [value_node] * len(elts))
        if value.items is not None and len(value.items) == len(elts):
            for elt, item, node in zip(elts, value.items, nodes):
                self.bind(elt, item, node)
            return
        site = self.facts.local_results.get(id(value_node))
        for index, elt in enumerate(elts):
            anc = value.anc
            if site is not None:  # a, b = helper(x, y): each part carries its own id (summaries.py)
                item = self.facts.new_id()
                site.item_ids += (item,)  # a tuple: most calls have none, and share the empty one
                anc = anc | {item}
            self.bind(elt, new_value(role=value.role, origin=value.origin, carried=bool(value.role),
                                     anc=anc, element=value.element, pred=value.pred, line=value.line), value_node)

    def _bind_split(self, elts: list[ast.expr], split: SplitInfo, value_node: ast.expr) -> None:
        """The parts of a split, by position: ``X_tr, X_te, y_tr, y_te = train_test_split(X, y)``."""
        event = split.event
        folds = event is not None and event.kind == "folds"
        if folds and len(elts) == 2 and isinstance(elts[1], ast.Name) and elts[1].id == "_":
            # for idx, _ in ShuffleSplit(n_splits=steps, train_size=batch).split(X): the held-out part is
            # thrown away; the splitter only samples mini-batches
            self.facts.split_events.remove(event)
            for elt in elts:
                self.bind(elt, Value(anc=split.anc, line=split.line), value_node)
            return
        anc = split.anc | {event.piece_id} if event is not None else split.anc
        where = line_ref(split.line, split.func.rsplit(".", 1)[-1])
        for elt, role in zip(elts, split_roles(split, len(elts))):
            label = ROLE_LABEL.get(role or "", "")
            piece = Value(role=role, origin=f"{label} split of {split.func} at {where}" if role else "",
                          carried=folds and bool(role),  # fold indices are validation data whatever their name
                          anc=anc, is_index=folds or _index_name(elt), piece_of=event, line=split.line)
            if isinstance(elt, (ast.Tuple, ast.List)):  # (x_train, y_train), (x_test, y_test)
                for sub in elt.elts:
                    self.bind(sub, piece, value_node)
            else:
                self.bind(elt, piece, value_node)

    # -- expressions -----------------------------------------------------------------------------
    def ev(self, node: ast.expr | None, depth: int = 0) -> Value:
        if node is None or depth > MAX_EXPR_DEPTH:
            return NOTHING
        depth += 1
        kind = type(node)
        if kind is ast.Constant:
            return NOTHING
        if kind is ast.Name:
            return self._name(node)
        if kind is ast.Call:
            return self._call(node, depth)
        if kind is ast.Attribute:
            return self._attribute(node, depth)
        if kind is ast.Subscript:
            return self._subscript(node, depth)
        if kind is ast.Tuple or kind is ast.List or kind is ast.Set:
            parts = [self.ev(e, depth) for e in node.elts]
            merged = self._combine(parts, strict=True)
            merged.items = tuple(parts)
            return merged
        if kind is ast.BinOp:
            left = self.ev(node.left, depth)
            right = self.ev(node.right, depth)
            code = _sentinel(node, left, right)
            if code is not None:  # df[c].max() + 1: a code no value has; filling with it is not imputing
                return Value(stat=code, anc=left.anc | right.anc, idents=left.idents | right.idents)
            if type(node.op) is ast.Add and left.idents and right.idents and left.stat is None \
                    and right.stat is None:  # train_text + test_text: maybe two lists put together
                self.facts.sums[id(node)] = (left, right)
            return self._combine([left, right], binop=True, strict=isinstance(node.op, ast.Add))
        if kind is ast.Starred:
            return self.ev(node.value, depth)
        if kind is ast.ListComp or kind is ast.SetComp or kind is ast.GeneratorExp or kind is ast.DictComp:
            outer = self.comprehension_ids
            for gen in node.generators:
                it = self.ev(gen.iter, depth)
                it = it.copy_with(element=True) if it.anc and it.split is None else it
                self.bind(gen.target, _counted(it, gen.iter), gen.iter)
                self.comprehension_ids |= bound_ids(gen.target, self.env)
                for cond in gen.ifs:
                    self.ev(cond, depth)
            if kind is ast.DictComp:
                self.ev(node.key, depth)
                result = self.ev(node.value, depth)
            else:
                result = self.ev(node.elt, depth)
            self.comprehension_ids = outer
            return result
        if kind is ast.Lambda:
            return NOTHING
        if kind is ast.NamedExpr:
            value = self.ev(node.value, depth)
            self.bind(node.target, value, node.value)
            return value
        if kind is ast.Compare:
            return self._combine([self.ev(node.left, depth), *(self.ev(c, depth) for c in node.comparators)])
        if kind is ast.BoolOp:
            return self._combine([self.ev(v, depth) for v in node.values])
        if kind is ast.UnaryOp:
            return self.ev(node.operand, depth)
        if kind is ast.JoinedStr:  # f"...{loss:.3f}": the values are evaluated, the string is not data
            for part in node.values:
                if type(part) is ast.FormattedValue:
                    self.ev(part.value, depth)
            return NOTHING
        if kind is ast.Dict:
            for key in node.keys:
                self.ev(key, depth)
            return self._combine([self.ev(v, depth) for v in node.values])
        if kind is ast.IfExp:
            self.ev(node.test, depth)
            return self._combine([self.ev(node.body, depth), self.ev(node.orelse, depth)])
        if kind is ast.Slice:
            return self._combine([self.ev(node.lower, depth), self.ev(node.upper, depth), self.ev(node.step, depth)])
        parts = [self.ev(child, depth) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
        return self._combine(parts)

    def _name(self, node: ast.Name) -> Value:
        if node.id in self.local_names:
            self.facts.references.append((node.id, self.scope, node.lineno))
        value = self.env.get(node.id)
        if value is None:
            value = self.facts.module_env.get(node.id) if self.scope is not None else None
        if value is None:
            if node.id in self.imports.aliases:
                return NOTHING  # a module, function or class imported here: not data
            role = self.name_role(node.id, None, None)
            ident = frozenset({self.facts.new_id()})
            value = Value(role=role, origin=f"name {node.id!r}" if role else "", carried=bool(role), name=node.id,
                          anc=ident, idents=ident, line=node.lineno)
            self.env[node.id] = value
        return value

    def _attribute(self, node: ast.Attribute, depth: int) -> Value:
        spelled = dotted(node)
        if spelled and spelled in self.env:
            return self.env[spelled]
        shared = self.class_attr(node)
        if shared is not None:
            return shared
        base = self.ev(node.value, depth)
        if node.attr in self.facts.changed_columns and not isinstance(self.stmt, ast.Expr):
            self.read_columns(node.value, ast.Constant(node.attr))  # x = df.band
        if node.attr in METADATA_ATTRS:
            return new_value(anc=base.anc, line=node.lineno)
        part = ROLE_TOKENS.get(node.attr) if base.role and base.origin.startswith("name ") else None
        if part and part != base.role:  # env_test.train: the training part of something named test
            return Value(role=part, origin=f"name {spelled or node.attr!r}", carried=True, name=spelled,
                         anc=base.anc, idents=base.idents, line=node.lineno)
        if node.attr in _INDEXERS and base.name:
            spelled = base.name  # X.loc[rows]: rows of X, named as X
        if base.role:
            return Value(role=base.role, origin=base.origin, carried=base.carried, anc=base.anc,
                         idents=base.idents, stat=base.stat, name=spelled or base.name, line=base.line)
        role = self.name_role(node.attr, None, None) if base.anc else None
        if role:
            return Value(role=role, origin=f"name {spelled or node.attr!r}", carried=True, name=spelled,
                         anc=base.anc, idents=base.idents, line=node.lineno)
        return new_value(anc=base.anc, idents=base.idents, stat=base.stat, name=spelled or base.name, pred=base.pred,
                         line=node.lineno)

    def _subscript(self, node: ast.Subscript, depth: int) -> Value:
        base = self.ev(node.value, depth)
        index = self.ev(node.slice, depth)
        key = node.slice
        if self.facts.changed_columns and not isinstance(self.stmt, ast.Expr):
            self.read_columns(node.value, key)
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            role = key_role(key.value)
            if role:
                where = dotted(node.value) or "data"
                return Value(role=role, origin=f"{where}[{key.value!r}]", anc=base.anc,
                             idents=base.idents, kind=base.kind, name=f"{where}[{key.value!r}]", line=node.lineno)
        if index.is_index and index.role and (index.carried or not base.role):
            # rows picked by split indices: fold rows are validation data whatever their name; rows of a
            # holdout of indices are like a split position (a name the user gives refines them)
            rows = self.fold_rows(node, base, index)
            return Value(role=index.role, origin=index.origin, carried=index.carried,
                         anc=base.anc | index.anc | rows, idents=base.idents, kind=base.kind,
                         name=base.name, line=node.lineno)
        # a slice is a manual split (val = pool[:n]): like a split position, a name may refine it
        manual_split = isinstance(key, ast.Slice)
        counted = _validation_count(key) if manual_split and base.role in (None, "full", "train") else None
        if counted:  # pool[:n_val]: the rows counted as the validation part are a validation source
            return Value(role="val", origin=f"rows [:{counted}]", kind=base.kind, anc=base.anc, idents=base.idents,
                         name=base.name, line=node.lineno)
        anc = base.anc
        if type(key) is ast.Name and self.scope is not None and anc:
            anc = self._picked_by_parameter(key, index, anc)
        return new_value(role=base.role, origin=base.origin, carried=base.carried and not manual_split,
                         kind=base.kind, call=base.call, aug=base.aug, anc=anc, idents=base.idents,
                         stat=base.stat, applied=base.applied, name=base.name,
                         element=base.element or (index.position and isinstance(key, ast.Name)),  # band[i]: one row
                         pred=base.pred, line=node.lineno)

    def _picked_by_parameter(self, key: ast.Name, index: Value, anc: frozenset[int]) -> frozenset[int]:
        """``data["band"][i]`` in a function whose parameter ``i`` still holds what it was given: one row
        per call when the caller passes a ``range()`` counter. What derives from the row carries an id
        that says so (``facts.row_picks``: the parameter's id -> that id), so a call with a counter is
        not taken for statistics of the whole argument (summaries.py)."""
        ident = self.scope.param_ids.get(key.id)
        if ident is None or index.idents != frozenset({ident}):
            return anc
        pick = self.facts.row_picks.get(ident)
        if pick is None:
            pick = self.facts.row_picks[ident] = self.facts.new_id()
        return anc | {pick}

    def _combine(self, parts: list[Value], binop: bool = False, strict: bool = False) -> Value:
        """Merge operands. ``strict`` (concatenation, displays): a role survives only when every
        named operand carries it — ``[data, test]`` is not test data. With ``binop``, data combined
        with a statistic is normalised by it (``(X - mu) / sd``)."""
        anc, idents = _union(parts)
        stat = applied = None
        data = []
        data_anc = element = some_pred = False
        all_pred = True  # every operand with ancestry is a prediction
        for p in parts:
            if p.stat is not None:
                stat = stat or p.stat
                continue
            data.append(p)
            applied = applied or p.applied
            element = element or p.element
            some_pred = some_pred or p.pred
            if p.anc:
                data_anc = True
                all_pred = all_pred and p.pred
        if stat is not None and not data_anc:
            return Value(stat=stat, anc=anc, idents=idents)  # statistics only (mu / 2, hi - lo)
        if binop and stat is not None and applied is None:
            applied = stat
        merged = merge_roles_strict(data) if strict else merge_roles(data)
        value = new_value(anc=anc, idents=idents, applied=applied, pred=some_pred and all_pred, element=element)
        if merged is not None:
            value.take_role(merged)
        return value

    def _call(self, node: ast.Call, depth: int) -> Value:
        func = node.func
        qn, spelled = self.imports.qualname_and_dotted(func)
        if type(func) is ast.Attribute:
            method: str | None = func.attr
            recv: Value | None = self.ev(func.value, depth)
        else:
            method = recv = None
            if type(func) is not ast.Name:
                self.ev(func, depth)  # torch.compile(m)(x), handlers[key](x)
        args = [self.ev(a, depth) for a in node.args] if node.args else []  # a call without is common
        kwargs = {}
        inplace = False
        for kw in node.keywords:
            value = self.ev(kw.value, depth)
            if kw.arg:
                kwargs[kw.arg] = value
                inplace = inplace or (kw.arg == "inplace" and isinstance(kw.value, ast.Constant)
                                      and kw.value.value is True)
        site = _call_site(node, qn, spelled, method, recv, args, kwargs, self.scope, self.loops, self.no_grad > 0,
                          self.stmt, self.facts.resolve_local(func, self.scope), self.comprehension_ids, self.guard)
        if site.local is not None and self.facts.concats:  # helper(full.loc[full.is_test == 0]): rows taken back
            for i, arg_node in enumerate(node.args[:len(args)]):
                args[i] = self.slice_back(arg_node, args[i], register=False)
        if qn is None:
            site.callback, _ = self.callback(node, method)
        if site.local is not None or site.callback is not None:
            site.result_id = self.facts.new_id()
            self.facts.local_results[id(node)] = site
        self.facts.calls.append(site)
        if self.scope is not None:
            self.scope.calls.append(site)
        for loop in self.loops:
            loop.calls.append(site)
        result = self._call_result(site, node, qn, method, recv, args, kwargs)
        if method in ("drop", "pop") and recv is not None and self.facts.stat_uses:
            self.drop_columns(node, inplace)
        if inplace and recv is not None:  # df.fillna(df.mean(), inplace=True) changes df
            self.update_frame(func.value, result)
            return NOTHING
        return result

    def _call_result(self, site: CallSite, node: ast.Call, qn: str | None, method: str | None,
                     recv: Value | None, args: list[Value], kwargs: dict[str, Value]) -> Value:
        all_anc, all_idents = _union(args, recv.anc if recv is not None else EMPTY,
                                     recv.idents if recv is not None else EMPTY)
        if kwargs:
            all_anc, all_idents = _union(kwargs.values(), all_anc, all_idents)
        if site.result_id:
            all_anc |= {site.result_id}
        found = None
        if method in DATAFLOW_METHODS or (qn is not None and last_part(qn) in DATAFLOW_FUNCS):
            found = (self.split_call(node, qn, method, recv, args, kwargs, all_anc)
                     or self.statistic_call(node, qn, method, recv, args, kwargs, all_anc, all_idents)
                     or self.resample_call(site, node, qn, method, recv, args, all_anc, all_idents))
        if found is None:
            found = self._constructed(site, node, qn, method, recv, args, kwargs, all_anc, all_idents)
        if found is not None:
            return found
        if method in PREDICT_METHODS and qn is None:
            return self.prediction(site, all_anc, all_idents)
        result = self._flow(site, node, qn, method, recv, args, kwargs, all_anc, all_idents)
        if reads_file(qn, node):  # GetData(folder) reads its frames from the path: they are not the path
            fresh = frozenset({self.facts.new_id()})
            return result.copy_with(anc=fresh, idents=fresh)
        return result

    def _constructed(self, site: CallSite, node: ast.Call, qn: str | None, method: str | None, recv: Value | None,
                     args: list[Value], kwargs: dict[str, Value], all_anc: frozenset[int],
                     all_idents: frozenset[int]) -> Value | None:
        """Objects built by constructors: data sets (and their roles), transforms (and their
        augmentation), Pipelines (and their stateful step)."""
        cls = last_part(qn)
        line = node.lineno
        if method and recv is not None and recv.aug and method in ("flow", "flow_from_directory",
                                                                   "flow_from_dataframe"):
            source = dataset_role(node)
            data = merge_roles(args[:1])
            role_v = (Value(role=source[0], origin=f"{source[1]} at {line_ref(line)}") if source
                      else data)
            result = Value(kind=f"{recv.kind}.{method}", anc=all_anc, aug=recv.aug, line=line)
            stmt = self.stmt
            if isinstance(stmt, ast.Assign) and stmt.value is node and len(stmt.targets) == 1:
                result.name = dotted(stmt.targets[0])
            if role_v is not None and role_v.role:
                result.role, result.origin, result.carried = role_v.role, role_v.origin, role_v.carried
            self.facts.aug_assignments.append((node, result, recv, f"generated by {method}()"))
            return result
        local_class = isinstance(node.func, ast.Name) and node.func.id in self.facts.classes
        source = dataset_role(node) if node.keywords or node.args else None
        if source or local_class or (qn and (cls[:1].isupper() or cls in COMPOSITES
                                             or qn.startswith("datasets.load_dataset"))):
            kind = qn or (f"<local>.{node.func.id}" if local_class else None)
            # a transformer's settings (TfidfVectorizer(vocabulary=words)) are not data it holds: what it
            # outputs derives from what it is fitted on and applied to
            settings_only = qn is not None and qn.startswith(TRANSFORMER_MODULES) and cls not in COMPOSITES
            value = new_value(kind=kind, call=node, anc=EMPTY if settings_only else all_anc, idents=all_idents,
                              line=line, element=bool(args) and args[0].element)  # pd.Series(band[i]): one sample
            aug = augmentation_of(qn, node)
            if aug:
                value.aug = f"{aug} at {line_ref(line)}"
            elif cls in _COMPOSE or cls == "Lambda":
                inner = merge_aug(args)
                if inner:
                    value.aug = inner
            if cls in COMPOSITES and qn.startswith("sklearn."):
                value.steps = stateful_step([*args, *kwargs.values()])
            if source:
                value.role, value.origin = source[0], f"{source[1]} at {line_ref(line)}"
            else:
                carried = merge_roles(args[:2] if cls == "Subset" else
                                      args[:1] + [kwargs[k] for k in ("dataset", "x", "data") if k in kwargs])
                if carried is not None:
                    value.take_role(carried)
            return value
        if site.local is not None and site.local.returns:
            aug = merge_aug(site.local.returns)
            if aug:
                return Value(aug=aug, anc=all_anc, line=line)
        return None

    def _flow(self, site: CallSite, node: ast.Call, qn: str | None, method: str | None, recv: Value | None,
              args: list[Value], kwargs: dict[str, Value], all_anc: frozenset[int],
              all_idents: frozenset[int]) -> Value:
        """Roles through wrappers and methods: ``DataLoader(x)``, ``np.array(x)``, ``x.to(device)``."""
        line = node.lineno
        kind = None
        if recv is not None and method in _DEVICE_MOVES:
            kind = recv.kind
            if recv.role:  # x.to(device): the receiver's data, whatever the device is called
                result = Value(kind=kind, anc=all_anc, idents=all_idents, line=line)
                result.take_role(recv)
                return result
        stat = _only_statistic(args) if args else None
        if stat is not None:  # float(X.mean()), np.sqrt(X.var())
            return Value(stat=stat, anc=all_anc, line=line)
        if method in NON_DATA_METHODS or (type(node.func) is ast.Name and node.func.id in ROLE_NEUTRAL_BUILTINS):
            return new_value(anc=all_anc, line=line)
        result = new_value(kind=kind, anc=all_anc, idents=all_idents, line=line)
        data_args = args + list(kwargs.values()) if kwargs else args
        for a in data_args:
            if a.pred:
                result.pred = all(b.pred for b in data_args if b.anc and b.stat is None)
                break
        # one sample stays one sample through what is done to it (row.values, np.array(band))
        result.element = recv.element if recv is not None and recv.anc else bool(args) and args[0].element
        fname = method or (node.func.id if isinstance(node.func, ast.Name) else last_part(qn))
        if fname in WRAPPER_FUNCS:  # np.array(x), torch.tensor(x), tqdm(x): the first argument's role
            merged = merge_roles(args[:1])
            if args and args[0].split is not None:  # enumerate(kf.split(X)), list(kf.split(X))
                return Value(split=args[0].split, anc=all_anc, line=line)
        elif fname in COMBINE_FUNCS and args:  # np.concatenate([a, b]), pd.concat([a, b]), a.append(b)
            parts = list(args[0].items or args[:1]) + args[1:]
            if method and qn is None and recv is not None and recv.idents:
                parts.insert(0, recv)
            merged = merge_roles_strict(parts)
            concat = self.concatenation(node, fname, method, parts)
            if concat is not None:
                result.anc = all_anc | {concat}
        elif site.local is not None and kwargs:  # to a same-file function, keywords without a role are
            merged = merge_roles_strict(args + [v for v in kwargs.values() if v.role])  # settings (size=IMG_SIZE)
        else:
            merged = merge_roles_strict(data_args)
        if merged is None and method and recv is not None and recv.role and method not in NON_DATA_METHODS \
                and not any(a.role for a in data_args):
            merged = recv  # X_test.reshape(...), test_ds.map(f): the receiver's data
        if merged is not None:
            result.take_role(merged)
            if merged is recv:
                result.kind, result.aug = recv.kind, recv.aug
        if method == "fit" and recv is not None and recv.kind and recv.kind.startswith(ESTIMATOR_PACKAGES):
            result.kind, result.call = recv.kind, recv.call  # forest = RandomForestClassifier().fit(X, y): itself
        return result


_DEVICE_MOVES = frozenset({"to", "cuda", "cpu", "float", "double", "half"})


def _only_statistic(args: list[Value]):
    """The first statistic among the arguments when every argument with ancestry is one, else None."""
    first = None
    for a in args:
        if a.stat is not None:
            if first is None:
                first = a.stat
        elif a.anc:
            return None
    return first


def _union(values: Iterable[Value], anc: frozenset[int] = EMPTY,
           idents: frozenset[int] = EMPTY) -> tuple[frozenset[int], frozenset[int]]:
    """The ancestry and identities of several values together (with ``anc``, ``idents``); a set that
    adds nothing is not copied."""
    for v in values:
        if v.anc:
            anc = anc | v.anc if anc else v.anc
        if v.idents:
            idents = idents | v.idents if idents else v.idents
    return anc, idents


def _columns(iter_node: ast.expr) -> bool:
    """``df.items()``, ``df.iteritems()``: a loop over whole columns, not over samples."""
    return isinstance(iter_node, ast.Call) and isinstance(iter_node.func, ast.Attribute) \
        and iter_node.func.attr in ("items", "iteritems") and not iter_node.args


def _counted(it: Value, iter_node: ast.expr) -> Value:
    """The value a loop variable gets: a counter when the loop runs over ``range(...)``."""
    if isinstance(iter_node, ast.Call) and isinstance(iter_node.func, ast.Name) and iter_node.func.id == "range":
        return it.copy_with(position=True)
    return it


_EXTREMES = frozenset({"max", "min", "amax", "amin", "nanmax", "nanmin"})


def _sentinel(node: ast.BinOp, left: Value, right: Value) -> Statistic | None:
    """``feat_max + 1``, ``df.min() - 1``: the maximum or minimum moved by a constant is a code outside
    the data that marks missing values (the same for every split); filling with it is not imputing."""
    if not isinstance(node.op, (ast.Add, ast.Sub)):
        return None
    for stat_side, other in ((left, node.right), (right, node.left)):
        if stat_side.stat is not None and stat_side.stat.what in _EXTREMES and isinstance(other, ast.Constant) \
                and isinstance(other.value, (int, float)) and not isinstance(other.value, bool):
            return replace(stat_side.stat, code=True)
    return None


def bound_ids(target: ast.expr, env: dict[str, Value]) -> frozenset[int]:
    """The identities a loop's target names hold once bound (``for k, (a, b) in ...``)."""
    ids: frozenset[int] = EMPTY
    stack = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id in env:
            ids |= env[node.id].idents
        elif isinstance(node, (ast.Tuple, ast.List)):
            stack.extend(node.elts)
    return ids


_INDEXERS = frozenset({"loc", "iloc", "ix", "at", "iat"})


def _frame_root(target: ast.expr) -> tuple[ast.expr | None, str | None]:
    """``df["age"]`` -> (df, "age"); ``df.loc[m, "age"]`` -> (df, "age"); ``self.df.age`` -> (self.df,
    "age"); ``X[:, 0]`` -> (X, None)."""
    column = None
    node = target
    for _ in range(8):
        if isinstance(node, ast.Subscript):
            key = node.slice
            last = key.elts[-1] if isinstance(key, ast.Tuple) and key.elts else key
            if column is None and isinstance(last, ast.Constant) and isinstance(last.value, str):
                column = last.value
            node = node.value
        elif isinstance(node, ast.Attribute) and node.attr in ("loc", "iloc", "at", "iat", "ix", "values", "str"):
            node = node.value
        else:
            break
    if node is target and isinstance(node, ast.Attribute) and not isinstance(node.value, ast.Call):
        return node.value, node.attr  # df.age (a column by attribute)
    if isinstance(node, (ast.Name, ast.Attribute)):
        return node, column
    return None, column


def merge_aug(values: list[Value]) -> str | None:
    for v in values:
        if v.aug:
            return v.aug
        if v.items:
            found = merge_aug(list(v.items))
            if found:
                return found
    return None


def _call_site(node: ast.Call, qn: str | None, name: str | None, method: str | None, recv: Value | None,
               args: list[Value], kwargs: dict[str, Value], scope: FunctionInfo | None, loops: tuple[LoopInfo, ...],
               in_no_grad: bool, stmt: ast.stmt, local: FunctionInfo | None, comprehension_ids: frozenset[int],
               guard: tuple[str, str] | None) -> CallSite:
    """``CallSite(...)`` as the walker builds one at every call: a plain function call, cheaper than a
    call of the class (which goes through its ``__init__`` slot)."""
    site = _new(CallSite)
    site.node, site.qn, site.name, site.method, site.recv, site.args = node, qn, name, method, recv, args
    site.kwargs, site.scope, site.loops, site.in_no_grad, site.stmt = kwargs, scope, loops, in_no_grad, stmt
    site.local, site.callback, site.result_id, site.item_ids = local, None, 0, ()
    site.comprehension_ids, site.guard = comprehension_ids, guard
    return site


_new = object.__new__


def _validation_count(key: ast.Slice) -> str | None:
    """The count named as validation size that bounds ``pool[:n_val]`` or ``pool[-n_val:]``."""
    bound = key.upper if key.lower is None else None
    if key.upper is None and isinstance(key.lower, ast.UnaryOp) and isinstance(key.lower.op, ast.USub):
        bound = key.lower.operand
    name = dotted(bound) if bound is not None and key.step is None else None
    return name if name and role_from_name(name.rsplit(".", 1)[-1]) == "val" else None


_INDEX_WORDS = frozenset({"idx", "index", "indices", "ids", "inds", "ix", "indexes"})


def _index_name(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and bool(_INDEX_WORDS & set(name_words(node.id)))
