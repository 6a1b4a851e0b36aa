"""libcst editing: turn the Fix objects of one round into one transformation of a module.

Imported only for files that have a fixable finding. Every action of the vocabulary in
``rules.base.Fix`` is implemented here, generically:

- the node is located by its span: ``ast`` byte columns are converted to characters and compared
  with libcst's ``PositionProvider`` (which, like ``ast``, excludes parentheses and starts a
  decorated ``def`` at the ``def`` line); expressions must match the whole span, statements
  (small or compound) their start;
- edits are keyed by the identity of the original libcst nodes and applied bottom-up in one
  transformer pass, so everything else (comments, blank lines, quotes, line endings) is
  reproduced by libcst exactly;
- fixes whose regions overlap are not applied together: the later ones are *deferred* to the
  next round (the driver re-checks the edited source and applies them then).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Callable, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from ..rules.base import Finding, Fix
from .text import Lines, lines_with_ends

ACTIONS = ("replace-expression", "replace-with-argument", "insert-before", "insert-after", "wrap-with",
           "remove-statement", "add-keyword", "move-after")

Span = tuple[int, int, int, int]


class FixError(Exception):
    """This fix cannot be applied to this code (the reason is the message)."""


class CstParseError(Exception):
    """libcst cannot parse a module CPython accepts (e.g. mixed tab/space indentation)."""


@dataclass
class RoundResult:
    text: str
    applied: list[Finding] = field(default_factory=list)
    errors: list[tuple[Finding, str]] = field(default_factory=list)
    deferred: list[Finding] = field(default_factory=list)


@dataclass
class _BlockOp:
    before: list[cst.BaseStatement] = field(default_factory=list)
    after: list[cst.BaseStatement] = field(default_factory=list)
    wrap: list[cst.BaseExpression] = field(default_factory=list)
    remove: bool = False


@dataclass
class _InlineOp:
    before: list[cst.BaseSmallStatement] = field(default_factory=list)
    after: list[cst.BaseSmallStatement] = field(default_factory=list)
    remove: bool = False


# expressions that never need parentheses wherever an expression may stand
_ATOMIC = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.SimpleString, cst.ConcatenatedString,
           cst.FormattedString, cst.Integer, cst.Float, cst.Imaginary, cst.List, cst.Dict, cst.Set,
           cst.ListComp, cst.SetComp, cst.DictComp, cst.Ellipsis)
# parents in which any ordinary (non-tuple) expression may stand unparenthesised
_LOOSE_PARENTS = (cst.Expr, cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return, cst.Arg, cst.Element,
                  cst.DictElement, cst.Index, cst.Param, cst.WithItem, cst.AssignTarget)
_STATEMENT_PARENTS = (cst.Expr, cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return)


def parse_module(text: str) -> cst.Module:
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CstParseError(f"libcst cannot parse it (line {exc.raw_line}: {message})") from None
    except Exception as exc:  # noqa: BLE001 - libcst internals (recursion, tokenizer)
        raise CstParseError(f"libcst cannot parse it ({type(exc).__name__}: {exc})") from None
    return module


def parse_statements(code: str) -> list[cst.BaseStatement]:
    if not code.strip():
        raise FixError("the fix has no code to insert")
    try:
        return list(cst.parse_module(code if code.endswith("\n") else code + "\n").body)
    except cst.ParserSyntaxError as exc:
        raise FixError(f"the fix's code does not parse: {exc.message}") from None


def parse_expression(code: str) -> cst.BaseExpression:
    try:
        return cst.parse_expression(code)
    except cst.ParserSyntaxError as exc:
        raise FixError(f"the fix's expression {code!r} does not parse: {exc.message}") from None


def _smalls(stmts: Sequence[cst.BaseStatement]) -> list[cst.BaseSmallStatement] | None:
    """The small statements of ``stmts`` if they are all simple (fit on a ';' line)."""
    out: list[cst.BaseSmallStatement] = []
    for stmt in stmts:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return None
        out.extend(s.with_changes(semicolon=cst.MaybeSentinel.DEFAULT) for s in stmt.body)
    return out


def _blank(line: cst.EmptyLine) -> bool:
    return line.comment is None


def _split_leading(lines: Sequence[cst.EmptyLine]) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """(lines up to the last blank line, comment lines directly above the statement)."""
    lines = list(lines)
    last_blank = max((i for i, line in enumerate(lines) if _blank(line)), default=-1)
    return lines[:last_blank + 1], lines[last_blank + 1:]


def _merge_leading(carried: list[cst.EmptyLine], own: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    own = list(own)
    if carried and _blank(carried[-1]):
        while own and _blank(own[0]):
            own.pop(0)
    return [*carried, *own]


def _needs_parens(new: cst.BaseExpression, parent: cst.CSTNode | None) -> bool:
    if getattr(new, "lpar", None):
        return False
    if isinstance(new, _ATOMIC):
        return False
    if isinstance(new, cst.NamedExpr):
        return True
    if isinstance(new, (cst.Tuple, cst.Yield, cst.GeneratorExp)):
        return not isinstance(parent, _STATEMENT_PARENTS)
    return not isinstance(parent, _LOOSE_PARENTS)


def _substitute(original: cst.BaseExpression, new: cst.BaseExpression,
                parent: cst.CSTNode | None) -> cst.BaseExpression:
    if original.lpar and not getattr(new, "lpar", None):
        return new.with_changes(lpar=original.lpar, rpar=original.rpar)
    if _needs_parens(new, parent):
        return new.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return new


def _keyword_of(fix: Fix) -> tuple[str, str]:
    name = fix.get("keyword") or fix.get("name") or fix.get("arg")
    value = fix.get("value")
    if name and value is None and "=" in name:
        name, value = name.split("=", 1)
    if not name or value is None:
        raise FixError("add-keyword needs 'keyword' and 'value'")
    name = name.strip()
    if not name.isidentifier():
        raise FixError(f"add-keyword: {name!r} is not a keyword name")
    return name, value.strip()


def _add_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            raise FixError(f"the call already passes {name}=")
    new = cst.Arg(value=value, keyword=cst.Name(name),
                  equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                        whitespace_after=cst.SimpleWhitespace("")))
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # trailing comma: the new argument goes on its own "slot"
        if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
            separator = args[-2].comma.whitespace_after
        else:
            separator = call.whitespace_before_args
        if isinstance(separator, cst.SimpleWhitespace) and not separator.value:
            separator = cst.SimpleWhitespace(" ")
        closing = last.comma.whitespace_after  # what led to ")"
        if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(separator, cst.ParenthesizedWhitespace):
            # one argument per line: the last argument keeps its own end-of-line comment and
            # blank lines, the new line is indented like the others, ")" stays where it was
            after_last = closing.with_changes(indent=separator.indent, last_line=separator.last_line)
            after_new = cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), indent=closing.indent,
                                                    last_line=closing.last_line)
        else:
            after_last, after_new = separator, closing
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=after_last))
        new = new.with_changes(comma=last.comma.with_changes(whitespace_after=after_new))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
                                     whitespace_after_arg=cst.SimpleWhitespace(""))
        new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)
    return call.with_changes(args=[*args, new])


def _codegen_positions(root: cst.CSTNode, module: cst.Module):
    """Syntactic positions and parents of ``root``'s subtree, and its code, from one
    position-tracking codegen (what ``PositionProvider`` does, plus parents: the parent visit of
    ``ParentNodeProvider`` rebuilds every node and costs more than this). None if libcst's
    internals ever change (the caller then uses the public API)."""
    try:
        from libcst.metadata.position_provider import PositionProvidingCodegenState

        parents: dict = {}
        stack: list = []

        class State(PositionProvidingCodegenState):
            __slots__ = ()

            def before_codegen(self, node):
                if stack:
                    parents[node] = stack[-1]
                stack.append(node)
                super().before_codegen(node)

            def after_codegen(self, node):
                stack.pop()
                super().after_codegen(node)

        provider = PositionProvider()
        state = State(default_indent=module.default_indent, default_newline=module.default_newline,
                      provider=provider)
        root._codegen(state)
        positions = provider._computed
        if positions:
            return positions, parents, "".join(state.tokens)
    except RecursionError:
        raise
    except Exception:  # noqa: BLE001 - internals moved: use the public (slower) way
        pass
    return None


def _positions_and_parents(module: cst.Module):
    found = _codegen_positions(module, module)
    if found is not None:
        return found
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    return wrapper.resolve(PositionProvider), wrapper.resolve(ParentNodeProvider), module.code


def _top_level_lines(module: cst.Module, tree) -> list[tuple[int, int]] | None:
    """(first, last) ``ast`` line of each top-level libcst statement, pairing the two bodies
    (a ';' line is one libcst statement and several ``ast`` ones); None if they do not pair."""
    out: list[tuple[int, int]] = []
    body = tree.body
    index = 0
    for stmt in module.body:
        count = len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
        group = body[index:index + count]
        index += count
        if len(group) != count:
            return None
        out.append((group[0].lineno, max(node.end_lineno or node.lineno for node in group)))
    return out if index == len(body) else None


def _syntactic_ends(stmt: cst.CSTNode) -> tuple[cst.CSTNode, cst.CSTNode]:
    if isinstance(stmt, cst.SimpleStatementLine):
        return stmt.body[0], stmt.body[-1]
    return stmt, stmt


class _Regions:
    """Source regions claimed by the fixes of a round: disjoint (start, end) positions kept in
    order, so that an overlap test is one bisection (a test against every claimed region made a
    round quadratic in its number of fixes)."""

    def __init__(self) -> None:
        self.starts: list[tuple[int, int]] = []
        self.ends: list[tuple[int, int]] = []

    def overlaps(self, span: Span) -> bool:
        index = bisect.bisect_left(self.starts, span[2:]) - 1  # the last region starting before span's end
        return index >= 0 and self.ends[index] > span[:2]

    def add(self, span: Span) -> None:
        start, end = span[:2], span[2:]
        stop = bisect.bisect_left(self.starts, end)
        first = stop
        while first > 0 and self.ends[first - 1] > start:  # overlapping neighbours merge into one
            first -= 1
            start, end = min(start, self.starts[first]), max(end, self.ends[first])
        self.starts[first:stop] = [start]
        self.ends[first:stop] = [end]


class _Plan:
    """The edits of one round, keyed by the identity of original libcst nodes."""

    def __init__(self, module: cst.Module, text: str, tree=None, lines: Sequence[int] = ()) -> None:
        self.module = module
        self.lines = Lines(text)
        self.text = text
        self.newline = module.default_newline
        self.marked: list[cst.CSTNode] = []  # nodes whose leave must run (edits and their blocks)
        self.exprs: dict[Span, list[cst.CSTNode]] = {}
        self.stmts: dict[tuple[int, int], list[cst.CSTNode]] = {}
        self.parents: dict = {}
        self.regions: list[tuple[int, int]] | None = None  # text lines (0-based, end excl.) of indexed statements
        self.import_after: int = 1 << 62  # text lines before the first inserted import
        self.ranges: list[tuple[int, int]] | None = None
        try:
            if not (tree is not None and lines and self._index_statements(tree, lines)):
                positions, self.parents, code = _positions_and_parents(module)
                if code != text:
                    raise CstParseError("libcst does not reproduce it exactly")
                self._index(positions, 0)
        except RecursionError:
            raise CstParseError("too deeply nested for libcst") from None
        self.expr_ops: dict[int, Callable[[cst.CSTNode], cst.CSTNode]] = {}
        self.block_ops: dict[int, _BlockOp] = {}
        self.inline_ops: dict[int, _InlineOp] = {}
        self.convert: set[int] = set()  # one-line suites that become indented blocks
        self.imports: list[str] = []
        self.claimed_nodes: set[int] = set()
        self.claimed_regions = _Regions()

    def _index(self, positions, offset: int) -> None:
        for node, rng in positions.items():
            if isinstance(node, cst.BaseExpression):
                key = (rng.start.line + offset, rng.start.column, rng.end.line + offset, rng.end.column)
                self.exprs.setdefault(key, []).append(node)
            elif isinstance(node, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
                self.stmts.setdefault((rng.start.line + offset, rng.start.column), []).append(node)

    def _index_statements(self, tree, lines: Sequence[int]) -> bool:
        """Positions for the top-level statements holding ``lines`` only (a big file's other
        statements are not generated): each one's code must reproduce its lines of the text."""
        ranges = _top_level_lines(self.module, tree)
        if ranges is None:
            return False
        self.ranges = ranges
        starts = [first for first, _ in ranges]
        wanted: set[int] = set()
        for line in lines:
            index = bisect.bisect_right(starts, line) - 1
            if index < 0 or not ranges[index][0] <= line <= ranges[index][1]:
                return False
            wanted.add(index)
        text_lines = lines_with_ends(self.text)
        regions = []
        for index in sorted(wanted):
            stmt = self.module.body[index]
            found = _codegen_positions(stmt, self.module)
            if found is None:
                return False
            positions, parents, code = found
            first, last = _syntactic_ends(stmt)
            offset = ranges[index][0] - positions[first].start.line
            if positions[first].start.column != 0 or positions[last].end.line + offset != ranges[index][1]:
                return False
            count = len(lines_with_ends(code))
            if index == len(self.module.body) - 1 and not self.module.has_trailing_newline:
                code = code[:-len(self.newline)] if code.endswith(self.newline) else code
            if offset < 0 or "".join(text_lines[offset:offset + count]) != code:
                raise CstParseError("libcst does not reproduce it exactly")
            parents[stmt] = self.module
            self.parents.update(parents)
            self._index(positions, offset)
            regions.append((offset, offset + count))
        self.regions = regions
        return True

    def lines_through(self, original: cst.Module, stmt: cst.CSTNode) -> int:
        """Text lines up to the end of ``stmt`` if it is an original top-level statement, else 0."""
        if self.ranges is not None:
            for index, node in enumerate(original.body):
                if node is stmt:
                    return self.ranges[index][1]
        return 0

    def check_output(self, output: str) -> None:
        """Outside the regenerated statements the output must be the input, line for line."""
        if self.regions is None:
            return
        old, new = lines_with_ends(self.text), lines_with_ends(output)
        head = min(self.regions[0][0], self.import_after)
        tail = len(old) - self.regions[-1][1]
        if old[:head] != new[:head] or (tail and old[-tail:] != new[-tail:]) or len(new) < head + tail:
            raise CstParseError("libcst does not reproduce it exactly")

    # -- locating -------------------------------------------------------------------------
    def char_span(self, span: Sequence[int]) -> Span:
        try:
            return self.lines.char_span(tuple(int(v) for v in span))  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:
            raise FixError(f"bad span {tuple(span)}: {exc}") from None

    def expression(self, span: Span) -> cst.BaseExpression:
        found = self.exprs.get(span)
        if not found:
            raise FixError(f"no expression at {span[0]}:{span[1]}-{span[2]}:{span[3]}")
        return found[0]  # type: ignore[return-value]

    def statement(self, span: Span) -> cst.CSTNode:
        found = self.stmts.get(span[:2])
        if not found:
            raise FixError(f"no statement starts at line {span[0]}, column {span[1]}")
        if len(found) > 1:  # cannot happen for valid code; refuse rather than guess
            raise FixError(f"several statements start at line {span[0]}, column {span[1]}")
        return found[0]

    def container(self, node: cst.CSTNode) -> cst.CSTNode:
        return self.parents.get(node)  # type: ignore[return-value]

    # -- conflicts --------------------------------------------------------------------------
    def free(self, regions: Sequence[Span], nodes: Sequence[cst.CSTNode]) -> bool:
        return (not any(self.claimed_regions.overlaps(region) for region in regions)
                and not any(id(n) in self.claimed_nodes for n in nodes))

    def claim(self, regions: Sequence[Span], nodes: Sequence[cst.CSTNode]) -> None:
        for region in regions:
            self.claimed_regions.add(region)
        self.claimed_nodes.update(id(n) for n in nodes)

    def touched(self, stmt: cst.CSTNode) -> list[cst.CSTNode]:
        """Nodes a statement edit works on: the statement and its line or suite."""
        parent = self.container(stmt)
        if isinstance(parent, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return [stmt, parent]
        return [stmt]

    # -- statement edits ------------------------------------------------------------------------
    def block(self, key: cst.CSTNode) -> _BlockOp:
        self.marked.append(key)
        return self.block_ops.setdefault(id(key), _BlockOp())

    def inline(self, key: cst.CSTNode) -> _InlineOp:
        self.marked.append(key)
        return self.inline_ops.setdefault(id(key), _InlineOp())

    def on_path(self) -> set[int]:
        """Ids of the edited nodes and all their ancestors: the only subtrees the editor visits."""
        out: set[int] = set()
        for node in self.marked:
            while node is not None and id(node) not in out:
                out.add(id(node))
                node = self.parents.get(node)
        return out

    def insert(self, anchor: cst.CSTNode, stmts: list[cst.BaseStatement], where: str) -> Callable[[], None]:
        """Check that the insertion can be done; return the thunk that plans it."""
        if isinstance(anchor, cst.BaseCompoundStatement):
            return lambda: getattr(self.block(anchor), where).extend(stmts)
        parent = self.container(anchor)
        if isinstance(parent, cst.SimpleStatementLine):
            body = parent.body
            at_edge = (where == "before" and body[0] is anchor) or (where == "after" and body[-1] is anchor)
            if len(body) == 1 or at_edge:
                return lambda: getattr(self.block(parent), where).extend(stmts)
            smalls = _smalls(stmts)
            if smalls is None:
                raise FixError("cannot insert a compound statement in the middle of a ';'-separated line")
            return lambda: getattr(self.inline(anchor), where).extend(smalls)
        if isinstance(parent, cst.SimpleStatementSuite):
            smalls = _smalls(stmts)
            if smalls is not None:
                return lambda: getattr(self.inline(anchor), where).extend(smalls)
            if len(parent.body) == 1:
                def convert() -> None:
                    self.convert.add(id(parent))
                    self.marked.append(parent)
                    getattr(self.block(anchor), where).extend(stmts)
                return convert
            raise FixError("cannot insert a compound statement into a one-line body with several statements")
        raise FixError("the anchor is not in a statement block")

    def wrap(self, anchor: cst.CSTNode, context: cst.BaseExpression) -> Callable[[], None]:
        if isinstance(anchor, cst.BaseCompoundStatement):
            return lambda: self.block(anchor).wrap.append(context)
        parent = self.container(anchor)
        if isinstance(parent, cst.SimpleStatementLine) and len(parent.body) == 1:
            return lambda: self.block(parent).wrap.append(context)
        if isinstance(parent, cst.SimpleStatementSuite) and len(parent.body) == 1:
            def convert() -> None:
                self.convert.add(id(parent))
                self.marked.append(parent)
                self.block(anchor).wrap.append(context)
            return convert
        raise FixError("cannot wrap a statement that shares its line with others (';')")

    def remove(self, anchor: cst.CSTNode) -> Callable[[], None]:
        if isinstance(anchor, cst.BaseCompoundStatement):
            return lambda: setattr(self.block(anchor), "remove", True)
        parent = self.container(anchor)
        if isinstance(parent, cst.SimpleStatementLine) and len(parent.body) == 1:
            return lambda: setattr(self.block(parent), "remove", True)
        if isinstance(parent, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return lambda: setattr(self.inline(anchor), "remove", True)
        raise FixError("the statement is not in a statement block")

    def movable(self, node: cst.CSTNode) -> cst.BaseStatement:
        if isinstance(node, cst.BaseCompoundStatement):
            return node.with_changes(leading_lines=[])
        parent = self.container(node)
        if isinstance(parent, cst.SimpleStatementLine) and len(parent.body) == 1:
            return parent.with_changes(leading_lines=[])
        return cst.SimpleStatementLine(body=[node.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])

    # -- one fix ----------------------------------------------------------------------------------
    def add(self, finding: Finding) -> bool:
        """Plan the finding's fix; False when it overlaps an edit already planned (deferred)."""
        fix = finding.fix
        assert fix is not None
        action = fix.action
        if action not in ACTIONS:
            raise FixError(f"unknown fix action {action!r}")
        span = self.char_span(fix.span)
        if action in ("replace-expression", "replace-with-argument", "add-keyword"):
            node = self.expression(span)
            if not self.free([span], [node]):
                return False
            parent = self.container(node)
            if action == "replace-expression":
                replacement, template = fix.get("replacement"), fix.get("template")
                if replacement is not None:
                    new = parse_expression(replacement)
                elif template is not None:
                    new = parse_expression(template.replace("{}", self.lines.text_of(span, self.newline)))
                else:
                    raise FixError("replace-expression needs 'replacement' or 'template'")
                self.expr_ops[id(node)] = lambda updated, new=new, parent=parent: _substitute(
                    updated, new, parent)
            elif action == "replace-with-argument":
                if not isinstance(node, cst.Call):
                    raise FixError("replace-with-argument: the node at the span is not a call")
                try:
                    index = int(fix.get("argument", "0") or 0)
                except ValueError:
                    raise FixError(f"replace-with-argument: bad argument index {fix.get('argument')!r}") \
                        from None
                leading = node.args[:index + 1]
                if not 0 <= index < len(node.args) or any(a.keyword is not None or a.star for a in leading):
                    raise FixError(f"the call has no plain positional argument {index}")

                def unwrap(updated, index=index, parent=parent):
                    return _substitute(updated, updated.args[index].value, parent)
                self.expr_ops[id(node)] = unwrap
            else:
                if not isinstance(node, cst.Call):
                    raise FixError("add-keyword: the node at the span is not a call")
                name, value_code = _keyword_of(fix)
                value = parse_expression(value_code)
                _add_keyword(node, name, value)  # raises now if it cannot be done
                self.expr_ops[id(node)] = lambda updated, name=name, value=value: _add_keyword(
                    updated, name, value)
            self.marked.append(node)
            self.claim([span], [node])
        else:
            anchor = self.statement(span)
            regions, nodes = [span], self.touched(anchor)
            moved = None
            if action == "move-after":
                after = fix.get("after")
                if not after:
                    raise FixError("move-after needs 'after'")
                try:
                    after_span = self.char_span(tuple(int(p) for p in after.split(",")))
                except ValueError:
                    raise FixError(f"move-after: bad span {after!r}") from None
                moved, anchor = anchor, self.statement(after_span)
                if moved is anchor:
                    raise FixError("move-after: a statement cannot move after itself")
                regions.append(after_span)
                nodes = nodes + self.touched(anchor)
            if not self.free(regions, nodes):
                return False
            if action in ("insert-before", "insert-after"):
                code = fix.get("code")
                if not code:
                    raise FixError(f"{action} needs 'code'")
                code = code.replace("\r\n", "\n")
                thunks = [self.insert(anchor, parse_statements(code), action.split("-")[1])]
            elif action == "wrap-with":
                context = fix.get("context")
                if not context:
                    raise FixError("wrap-with needs 'context'")
                thunks = [self.wrap(anchor, parse_expression(context))]
            elif action == "remove-statement":
                thunks = [self.remove(anchor)]
            else:  # move-after
                thunks = [self.remove(moved), self.insert(anchor, [self.movable(moved)], "after")]
            for thunk in thunks:  # only once every part is known to be possible
                thunk()
            self.claim(regions, nodes)
        for name in (fix.get("imports") or "").split(","):
            name = " ".join(name.split())
            if name and name not in self.imports:
                self.imports.append(name)
        return True


class _Editor(cst.CSTTransformer):
    def __init__(self, plan: _Plan) -> None:
        super().__init__()
        self.plan = plan
        self.path = plan.on_path()

    def on_visit(self, node):
        # subtrees without edits are kept as they are (and not rebuilt): much faster on big files
        return id(node) in self.path and super().on_visit(node)

    def on_leave(self, original_node, updated_node):
        result = super().on_leave(original_node, updated_node)
        op = self.plan.expr_ops.get(id(original_node))
        return op(result) if op is not None else result

    # statements of a block ------------------------------------------------------------------
    def _block(self, keys: Sequence[int], stmts: Sequence[cst.BaseStatement]):
        ops = self.plan.block_ops
        out: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        for key, stmt in zip(keys, stmts):
            op = ops.get(key)
            lead = _merge_leading(carried, stmt.leading_lines)
            carried = []
            if op is None:
                changed = lead != list(stmt.leading_lines)
                out.append(stmt.with_changes(leading_lines=lead) if changed else stmt)
                continue
            if op.remove:
                carried = lead
                out.extend(op.after)
                continue
            stmt = stmt.with_changes(leading_lines=[])
            for context in op.wrap:
                stmt = cst.With(items=[cst.WithItem(item=context)], body=cst.IndentedBlock(body=[stmt]))
            if op.before:
                blank, comments = _split_leading(lead)
                first = op.before[0]
                out.append(first.with_changes(leading_lines=[*blank, *first.leading_lines]))
                out.extend(op.before[1:])
                lead = comments
            out.append(stmt.with_changes(leading_lines=lead))
            out.extend(op.after)
        return out, carried

    def leave_IndentedBlock(self, original_node, updated_node):
        keys = [id(s) for s in original_node.body]
        if not any(k in self.plan.block_ops for k in keys):
            return updated_node
        body, carried = self._block(keys, updated_node.body)
        if not body:
            body = [cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=carried)]
            carried = []
        return updated_node.with_changes(body=body, footer=[*carried, *updated_node.footer])

    def leave_Module(self, original_node, updated_node):
        keys = [id(s) for s in original_node.body]
        module = updated_node
        if any(k in self.plan.block_ops for k in keys):
            body, carried = self._block(keys, updated_node.body)
            module = updated_node.with_changes(body=body, footer=[*carried, *updated_node.footer])
        module, position = _add_imports(module, self.plan.imports)
        if position is not None:
            self.plan.import_after = self.plan.lines_through(original_node, module.body[position - 1]) \
                if position else 0
        return module

    # small statements of a line ----------------------------------------------------------------
    def _inline(self, originals, updateds) -> list[cst.BaseSmallStatement]:
        ops = self.plan.inline_ops
        out: list[cst.BaseSmallStatement] = []
        for original, updated in zip(originals, updateds):
            op = ops.get(id(original))
            if op is None:
                out.append(updated)
                continue
            out.extend(op.before)
            if not op.remove:
                out.append(updated)
            out.extend(op.after)
        if out and (out[-1] is not updateds[-1]) and isinstance(out[-1].semicolon, cst.Semicolon):
            out[-1] = out[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return out

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if not any(id(s) in self.plan.inline_ops for s in original_node.body):
            return updated_node
        return updated_node.with_changes(body=self._inline(original_node.body, updated_node.body))

    def leave_SimpleStatementSuite(self, original_node, updated_node):
        node = updated_node
        if any(id(s) in self.plan.inline_ops for s in original_node.body):
            node = node.with_changes(body=self._inline(original_node.body, node.body) or [cst.Pass()])
        if id(original_node) not in self.plan.convert:
            return node
        # `if x: stmt` -> an indented block, so that compound code can go in
        lines = [cst.SimpleStatementLine(body=[s.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])
                 for s in node.body]
        body, carried = self._block([id(s) for s in original_node.body], lines)
        return cst.IndentedBlock(body=body or [cst.SimpleStatementLine(body=[cst.Pass()])],
                                 header=node.trailing_whitespace, footer=carried)


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Expr)
            and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


def _import_block(stmt: cst.CSTNode) -> bool:
    """``try: import x / except ImportError: ...`` and similar guarded imports."""
    if isinstance(stmt, (cst.Try, cst.If)) and isinstance(stmt.body, cst.IndentedBlock):
        return all(_is_import_line(s) for s in stmt.body.body)
    return False


def _bound_names(module: cst.Module) -> set[str]:
    names: set[str] = set()
    todo = list(module.body)
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import):
                    for alias in small.names:
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                            names.add(f"{_dotted(alias.name)} as {alias.asname.name.value}")
                            names.add(f"as {alias.asname.name.value}")
                        else:
                            dotted = _dotted(alias.name)
                            names.add(dotted.split(".")[0])
                            names.add(dotted)
        elif isinstance(stmt, (cst.If, cst.Try, cst.With)):
            for suite in (stmt.body, getattr(stmt, "orelse", None), *getattr(stmt, "handlers", ())):
                inner = getattr(suite, "body", None)
                if isinstance(inner, cst.IndentedBlock):
                    todo.extend(inner.body)
                elif isinstance(inner, (list, tuple)):
                    todo.extend(inner)
    return names


def _dotted(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _add_imports(module: cst.Module, imports: Sequence[str]) -> tuple[cst.Module, int | None]:
    """The module with the missing imports, and the body index they went to (None: none added)."""
    if not imports:
        return module, None
    bound = _bound_names(module)
    missing = []
    for entry in imports:
        if " as " in entry:
            alias = entry.split(" as ", 1)[1].strip()
            if f"as {alias}" in bound or alias in bound:
                continue
        elif entry.split(".")[0] in bound and (entry in bound or "." not in entry):
            continue
        missing.append(entry)
    if not missing:
        return module, None
    body = list(module.body)
    position = 0
    for index, stmt in enumerate(body):
        if index == 0 and _is_docstring(stmt):
            position = 1
        elif _is_import_line(stmt) or _import_block(stmt):
            position = index + 1
        else:
            break
    new = [cst.parse_statement(f"import {entry}\n") for entry in missing]
    return module.with_changes(body=[*body[:position], *new, *body[position:]]), position


def _lines_of(findings: Sequence[Finding]) -> list[int]:
    lines: list[int] = []
    for finding in findings:
        fix = finding.fix
        if fix is None or len(fix.span) != 4:
            return []
        lines.extend((int(fix.span[0]), int(fix.span[2])))
        after = fix.get("after")
        if after:
            try:
                parts = [int(p) for p in after.split(",")]
            except ValueError:
                return []
            if len(parts) != 4:
                return []
            lines.extend((parts[0], parts[2]))
    return lines


def apply_round(text: str, findings: Sequence[Finding], module: cst.Module | None = None,
                tree=None) -> RoundResult:
    """Apply as many of the findings' fixes as do not overlap; the others are deferred.

    With the ``ast`` tree of ``text``, only the top-level statements the fixes touch are
    position-indexed (and checked to reproduce their text); without it, the whole module.
    """
    module = module if module is not None else parse_module(text)
    plan = _Plan(module, text, tree, _lines_of(findings) if tree is not None else ())
    result = RoundResult(text)
    for finding in findings:
        try:
            if plan.add(finding):
                result.applied.append(finding)
            else:
                result.deferred.append(finding)
        except FixError as exc:
            result.errors.append((finding, str(exc)))
    if result.applied:
        result.text = module.visit(_Editor(plan)).code
        plan.check_output(result.text)
    return result
