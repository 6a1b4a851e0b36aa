"""The language server: pygls handlers that check documents and answer with diagnostics, quick
fixes and rule pages.

Scheduling: each change of a document (or notebook) cancels that document's pending check and
schedules a new one after a short debounce; checks run one at a time in a worker thread, so the
server keeps reading messages meanwhile; a result is published only if no newer version of the
document has arrived since (a stale result is dropped, never shown). A document that does not
parse keeps its last good diagnostics; so does a notebook cell that does not parse, while the
other cells are checked.
"""
from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..engine import collector_paused
from ..findings import Finding
from ..fixes import allowed
from . import convert
from ..config import Config, Resolver
from .documents import Analysis, Cell, add_noqa, analyse_cells, analyse_text, fix_all, fix_one, fix_title

log = logging.getLogger(__name__)

# Seconds a change waits before it is checked, so that changes an editor sends together (an edit
# made of several messages) are checked once. Keystrokes come 100 ms or more apart, so a longer
# wait would not save checks while typing, only add to every change's latency.
DEBOUNCE = 0.02
CONFIG_FILES = ("pyproject.toml", "setup.cfg", "tox.ini", ".flake8")
FIX_ALL = f"{lsp.CodeActionKind.SourceFixAll.value}.{convert.SOURCE}"
ACTION_KINDS = [lsp.CodeActionKind.QuickFix, FIX_ALL]


class DlpServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "dlp", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            notebook_document_sync=lsp.NotebookDocumentSyncOptions(
                notebook_selector=[lsp.NotebookDocumentFilterWithCells(
                    cells=[lsp.NotebookCellLanguage(language="python")], notebook="*")],
                save=True))
        self.analyses: dict[str, Analysis] = {}  # last good check of each open document or notebook
        self.pending: dict[str, asyncio.Task] = {}
        self.published: dict[str, list[lsp.Diagnostic]] = {}  # by text document or cell uri
        self.notebook_cells: dict[str, list[str]] = {}  # notebook uri -> cell uris last published
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dlp-check")
        # a broken configuration is a warning in the server's log and the editor, never a crash
        self.resolver = Resolver(strict=False, warn=self.config_warning)
        self.warned: set[str] = set()  # configuration warnings already shown

    # -- what to check -------------------------------------------------------------------------
    def project(self, path: str) -> Config:
        """The configuration of ``path``: ``[tool.dlpractice]`` (or flake8's DLP settings) found
        walking up from its folder, as ``dlp check`` finds it."""
        return self.resolver.for_file(path)

    def config_warning(self, message: str) -> None:
        """A broken configuration: a line in the log, and once in the editor (a message window)."""
        sys.stderr.write(f"flake8-dlpractice: warning: {message}\n")
        if message not in self.warned:
            self.warned.add(message)
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Warning, f"flake8-dlpractice: {message}"))

    def watch_configuration(self) -> None:
        """Ask the client to report changes of configuration files (``workspace/didChangeWatchedFiles``),
        when it can register for them dynamically; otherwise a save in the editor is what tells."""
        workspace = self.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        watchers = [lsp.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_FILES]
        self.client_register_capability(lsp.RegistrationParams(registrations=[lsp.Registration(
            id="dlpractice-configuration", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))

    def config_changed(self, uri: str) -> None:
        """A configuration file was saved or changed: read configurations afresh, check again."""
        if uri.rsplit("/", 1)[-1] in CONFIG_FILES:
            self.resolver = Resolver(strict=False, warn=self.config_warning)
            self.warned.clear()
            self.analyses.clear()
            for key in [*self.workspace.notebook_documents,
                        *(uri for uri in self.workspace.text_documents if self.is_python(uri))]:
                self.schedule(key)

    def is_python(self, uri: str) -> bool:
        """A Python text document (a notebook's cells are checked with their notebook)."""
        document = self.workspace.text_documents.get(uri)
        if document is None or self.workspace.get_notebook_document(cell_uri=uri) is not None:
            return False
        return document.language_id == "python" or uri.endswith((".py", ".pyi"))

    def units(self, text: str) -> int:
        return self.workspace.position_codec.client_num_units(text)

    def doc_version(self, key: str) -> int | None:
        notebook = self.workspace.get_notebook_document(notebook_uri=key)
        if notebook is not None:
            return notebook.version
        document = self.workspace.text_documents.get(key)
        return document.version if document is not None else None

    def snapshot(self, key: str):
        """A function that checks the document's current text (run in the worker), or None."""
        path = to_fs_path(key) or key
        project = self.project(path)
        notebook = self.workspace.get_notebook_document(notebook_uri=key)
        if notebook is not None:
            cells = []
            for index, cell in enumerate(notebook.cells):
                document = self.workspace.text_documents.get(cell.document)
                if cell.kind == lsp.NotebookCellKind.Code and document is not None and \
                        document.language_id in (None, "python"):
                    cells.append(Cell(cell.document, index, document.source))
            version = notebook.version
            return lambda: analyse_cells(key, path, cells, version, project)
        document = self.workspace.text_documents.get(key)
        if document is None:
            return None
        text, version = document.source, document.version
        return lambda: analyse_text(key, path, text, version, project)

    # -- checking --------------------------------------------------------------------------------
    def schedule(self, key: str, delay: float = 0.0) -> None:
        old = self.pending.pop(key, None)
        if old is not None:
            old.cancel()
        self.pending[key] = asyncio.ensure_future(self._check_later(key, delay))

    async def _check_later(self, key: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        analysis = await self.check(key)
        if analysis is not None and analysis.version == self.doc_version(key):
            self.publish(analysis)

    async def check(self, key: str) -> Analysis | None:
        """The current version's analysis (None if the document does not parse or is closed)."""
        last = self.analyses.get(key)
        if last is not None and last.version == self.doc_version(key) and last.version is not None:
            return last
        run = self.snapshot(key)
        if run is None:
            return None
        try:
            analysis = await asyncio.get_running_loop().run_in_executor(self.worker, _without_gc, run)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return None  # half-typed: the last good diagnostics stay
        except Exception:  # noqa: BLE001 - a checker bug must not take the editor's server down
            log.exception("flake8-dlpractice: internal error while checking %s", key)
            return None
        if analysis.version == self.doc_version(key):
            self.analyses[key] = analysis
        return analysis

    def publish(self, analysis: Analysis) -> None:
        by_uri: dict[str, list[lsp.Diagnostic]] = {uri: [] for uri in analysis.texts}
        for finding in analysis.findings:
            uri, diagnostic = convert.diagnostic(analysis, finding, self.units)
            by_uri.setdefault(uri, []).append(diagnostic)
        for cell in analysis.source.cells:
            if cell.problem is not None:  # being typed: keep what it showed
                uri = analysis.cell_uris[cell.number]
                by_uri[uri] = self.published.get(uri, [])
        if analysis.cell_uris:
            for gone in set(self.notebook_cells.get(analysis.uri, ())) - set(by_uri):
                by_uri[gone] = []
            self.notebook_cells[analysis.uri] = list(analysis.cell_uris.values())
        for uri, diagnostics in by_uri.items():
            self.published[uri] = diagnostics
            document = self.workspace.text_documents.get(uri)
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                uri=uri, diagnostics=diagnostics, version=document.version if document is not None else None))

    def forget(self, key: str, uris: list[str]) -> None:
        task = self.pending.pop(key, None)
        if task is not None:
            task.cancel()
        self.analyses.pop(key, None)
        for uri in uris + self.notebook_cells.pop(key, []):
            if self.published.pop(uri, None) is not None:
                self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def owner(self, uri: str) -> str:
        """The key a document is checked under: its notebook's uri for a cell, else its own."""
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        return notebook.uri if notebook is not None else uri

    # -- code actions ------------------------------------------------------------------------------
    async def code_actions(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        key = self.owner(uri)
        analysis = await self.check(key)
        if analysis is None:
            return []
        project = self.project(analysis.source.path)
        only = params.context.only
        wanted = (lambda kind: any(kind == k or kind.startswith(f"{k}.") for k in only)) if only else (lambda _: True)
        actions: list[lsp.CodeAction] = []
        if wanted(lsp.CodeActionKind.QuickFix):
            for finding in analysis.findings_at(uri, params.range.start.line, params.range.end.line):
                actions.extend(self._finding_actions(analysis, finding))
        fixable = [f for f in analysis.findings if allowed(f, project.unsafe_fixes)]
        if fixable and (wanted(FIX_ALL) or (not only and actions)):
            actions.append(lsp.CodeAction("Fix all DLP problems", kind=FIX_ALL,
                                          data={"key": key, "version": analysis.version, "all": True}))
        if not self._resolves_edits():
            actions = [self.resolve(action, analysis) for action in actions]
        return actions

    def _finding_actions(self, analysis: Analysis, finding: Finding) -> list[lsp.CodeAction]:
        _, diagnostic = convert.diagnostic(analysis, finding, self.units)
        actions = []
        fix = finding.fix
        if fix is not None:
            unsafe = " (unsafe)" if fix.safety != "safe" else ""
            actions.append(lsp.CodeAction(
                f"Fix {finding.code}: {fix_title(fix)}{unsafe}", kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[diagnostic], is_preferred=fix.safety == "safe",
                data={"key": analysis.uri, "version": analysis.version, "code": finding.code,
                      "line": finding.line, "col": finding.col}))
        actions.append(lsp.CodeAction(
            f"Add noqa: ignore {finding.code} on this line", kind=lsp.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            edit=convert.workspace_edit(analysis, add_noqa(analysis, finding), self.units)))
        return actions

    def _resolves_edits(self) -> bool:
        caps = self.client_capabilities.text_document
        action = caps.code_action if caps is not None else None
        support = action.resolve_support if action is not None else None
        return support is not None and "edit" in support.properties

    def resolve(self, action: lsp.CodeAction, analysis: Analysis | None = None) -> lsp.CodeAction:
        """The action with its edit: one finding's fix, or every fix."""
        data: dict[str, Any] = action.data if isinstance(action.data, dict) else {}
        if action.edit is not None or not data:
            return action
        analysis = analysis or self.analyses.get(data.get("key", ""))
        if analysis is None or analysis.version != data.get("version"):
            action.disabled = lsp.CodeActionDisabled("the document changed; ask again")
            return action
        project = self.project(analysis.source.path)
        if data.get("all"):
            action.edit = convert.workspace_edit(analysis, fix_all(analysis, project), self.units)
            return action
        finding = next((f for f in analysis.findings if (f.code, f.line, f.col) ==
                        (data.get("code"), data.get("line"), data.get("col"))), None)
        result = fix_one(analysis, finding, project) if finding is not None else "the finding is gone"
        if isinstance(result, str):
            action.disabled = lsp.CodeActionDisabled(f"not fixable here: {result}")
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Warning,
                                                           f"{action.title}: not applied, {result}"))
        else:
            action.edit = convert.workspace_edit(analysis, result, self.units)
        return action

    # -- hover ------------------------------------------------------------------------------------------
    def hover(self, params: lsp.HoverParams) -> lsp.Hover | None:
        uri = params.text_document.uri
        analysis = self.analyses.get(self.owner(uri))
        if analysis is None:
            return None
        row = params.position.line
        codes = []
        for finding in analysis.findings_at(uri, row, row):
            _, span = convert.finding_range(analysis, self.units, finding.line, finding.col,
                                            finding.end_line, finding.end_col)
            inside = (span.start.line, span.start.character) <= (row, params.position.character) <= \
                (span.end.line, span.end.character) if span.end != span.start else span.start.line == row
            if inside and finding.code not in codes:
                codes.append(finding.code)
        if not codes:
            return None
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, convert.hover_text(codes)))


def _without_gc(run: Callable[[], Analysis]) -> Analysis:
    """Run a check with the cyclic garbage collector paused: the engine frees its records by
    reference counting (facts release their cycles), so a collection in the middle of a check
    would only scan the check's live objects, adding a tenth to its time on a large file."""
    with collector_paused():
        return run()


def build_server() -> DlpServer:
    server = DlpServer()

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: DlpServer, params: lsp.InitializedParams) -> None:
        ls.watch_configuration()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DlpServer, params: lsp.DidOpenTextDocumentParams) -> None:
        if ls.is_python(params.text_document.uri):
            ls.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DlpServer, params: lsp.DidChangeTextDocumentParams) -> None:
        if ls.is_python(params.text_document.uri):
            ls.schedule(params.text_document.uri, DEBOUNCE)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DlpServer, params: lsp.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri.rsplit("/", 1)[-1] in CONFIG_FILES:
            ls.config_changed(params.text_document.uri)
        elif ls.is_python(params.text_document.uri):
            ls.schedule(params.text_document.uri)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: DlpServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            ls.config_changed(change.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DlpServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri, [params.text_document.uri])

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: DlpServer, params: lsp.DidOpenNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(ls: DlpServer, params: lsp.DidChangeNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, DEBOUNCE)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_save(ls: DlpServer, params: lsp.DidSaveNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(ls: DlpServer, params: lsp.DidCloseNotebookDocumentParams) -> None:
        ls.forget(params.notebook_document.uri, [cell.uri for cell in params.cell_text_documents])

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=ACTION_KINDS, resolve_provider=True))
    async def code_action(ls: DlpServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        return await ls.code_actions(params)

    @server.feature(lsp.CODE_ACTION_RESOLVE)
    def code_action_resolve(ls: DlpServer, action: lsp.CodeAction) -> lsp.CodeAction:
        return ls.resolve(action)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: DlpServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return ls.hover(params)

    return server
