"""The language server, driven over stdio by a real client: diagnostics on open, change and save,
quick fixes applied and gone, notebooks, half-typed buffers, stale versions, hover, shutdown."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsp_client import Client, apply_edits  # noqa: E402

from flake8_dlpractice.findings import Finding, Fix, Step, line_ref  # noqa: E402
from flake8_dlpractice.config import DEFAULT_CONFIG  # noqa: E402
from flake8_dlpractice.lsp.documents import Cell, analyse_cells, analyse_text  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"

LEAKY = """\
import numpy as np
import torch
from sklearn.preprocessing import StandardScaler
from sklearn.model_selection import train_test_split

torch.manual_seed(0)
np.random.seed(0)
samples = np.random.rand(64, 3)
labels = samples.sum(axis=1)
scaled = StandardScaler().fit_transform(samples)
tr_x, te_x, tr_y, te_y = train_test_split(scaled, labels, random_state=0)

model = torch.nn.Linear(3, 1)
model.eval()
batches = torch.tensor(te_x, dtype=torch.float32).split(8)
for chunk in batches:
    print(model(chunk).mean().item())
label = "精度😀"; out = torch.log(torch.softmax(model(batches[0]), 1))
"""


@pytest.fixture(scope="module")
def client():
    session = Client()
    session.initialize()
    yield session
    assert session.close() == 0
    session.errors.close()


def open_doc(client: Client, uri: str, text: str, version: int = 1) -> list[dict]:
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                            "version": version, "text": text}})
    return client.diagnostics(uri, version=version)


def change(client: Client, uri: str, text: str, version: int) -> None:
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                             "contentChanges": [{"text": text}]})


def actions_for(client: Client, uri: str, code: str) -> list[dict]:
    """Open LEAKY as ``uri`` and ask for the code actions of its ``code`` diagnostic."""
    target = next(d for d in open_doc(client, uri, LEAKY) if d["code"] == code)
    return client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": target["range"], "context": {"diagnostics": [target]}})


def summary(diagnostics: list[dict]) -> list[tuple]:
    return sorted((d["range"]["start"]["line"], d["range"]["start"]["character"], d["range"]["end"]["line"],
                   d["range"]["end"]["character"], d["code"], d["severity"]) for d in diagnostics)


def test_initialize_advertises_what_the_server_does():
    session = Client()
    try:
        caps = session.initialize()["capabilities"]
        assert caps["positionEncoding"] == "utf-16"
        assert caps["textDocumentSync"] == {"openClose": True, "change": 2, "save": True}
        selector = caps["notebookDocumentSync"]["notebookSelector"]
        assert selector == [{"cells": [{"language": "python"}], "notebook": "*"}]
        assert caps["codeActionProvider"] == {"codeActionKinds": ["quickfix", "source.fixAll.dlpractice"],
                                              "resolveProvider": True}
        assert caps["hoverProvider"] is True
    finally:
        assert session.close() == 0
        session.errors.close()


def test_diagnostics_on_open(client):
    diagnostics = open_doc(client, "file:///work/leaky_open.py", LEAKY)
    assert summary(diagnostics) == [
        (9, 9, 9, 48, "DLP102", 1),
        (15, 0, 16, 37, "DLP302", 1),
        (17, 22, 17, 68, "DLP304", 1),  # "😀" is one character, two UTF-16 code units
    ]
    by_code = {d["code"]: d for d in diagnostics}
    assert by_code["DLP302"]["message"] == ("evaluation loop runs 'model' (line 17) outside torch.no_grad(): each "
                                            "batch keeps an autograd graph")
    for diagnostic in diagnostics:
        assert diagnostic["source"] == "dlpractice"
        # linked only to a documentation URL of the package metadata (this checkout names none)
        assert "codeDescription" not in diagnostic
    assert by_code["DLP302"]["data"] == {"fix": "safe"} and by_code["DLP102"]["data"] == {"fix": None}


def test_quick_fix_applied_and_the_diagnostic_gone(client):
    uri = "file:///work/leaky_fix.py"
    actions = actions_for(client, uri, "DLP302")
    titles = [a["title"] for a in actions]
    assert titles == ["Fix DLP302: wrap the evaluation loop in torch.no_grad()",
                      "Add noqa: ignore DLP302 on this line", "Fix all DLP problems"]
    fix = client.request("codeAction/resolve", actions[0])
    edits = fix["edit"]["changes"][uri]
    assert edits == [{"range": {"start": {"line": 15, "character": 0}, "end": {"line": 17, "character": 0}},
                      "newText": "with torch.no_grad():\n    for chunk in batches:\n"
                                 "        print(model(chunk).mean().item())\n"}]
    fixed = apply_edits(LEAKY, edits)
    change(client, uri, fixed, 2)
    assert [d["code"] for d in client.diagnostics(uri, version=2)] == ["DLP102", "DLP304"]


def test_add_noqa_and_fix_all(client):
    uri = "file:///work/leaky_noqa.py"
    actions = actions_for(client, uri, "DLP102")
    noqa = next(a for a in actions if a["title"].startswith("Add noqa"))
    text = apply_edits(LEAKY, noqa["edit"]["changes"][uri])
    assert text.split("\n")[9] == "scaled = StandardScaler().fit_transform(samples)  # noqa: DLP102"
    change(client, uri, text, 2)
    assert [d["code"] for d in client.diagnostics(uri, version=2)] == ["DLP302", "DLP304"]
    everything = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "context": {"diagnostics": [], "only": ["source.fixAll"]}})
    assert [a["title"] for a in everything] == ["Fix all DLP problems"]
    resolved = client.request("codeAction/resolve", everything[0])
    change(client, uri, apply_edits(text, resolved["edit"]["changes"][uri]), 3)
    assert [d["code"] for d in client.diagnostics(uri, version=3)] == []


def test_hover_shows_the_rule_page(client):
    uri = "file:///work/leaky_hover.py"
    open_doc(client, uri, LEAKY)
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": {"line": 16, "character": 10}})
    assert hover["contents"]["kind"] == "markdown"
    assert hover["contents"]["value"].startswith("## DLP302 ")
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                 "position": {"line": 2, "character": 1}}) is None


def test_half_typed_buffer_keeps_the_last_good_diagnostics(client):
    uri = "file:///work/leaky_typing.py"
    good = open_doc(client, uri, LEAKY)
    change(client, uri, LEAKY.replace("for chunk in batches:", "for chunk in batches"), 2)
    change(client, uri, LEAKY.replace("print(model(chunk)", "print(model(chunk"), 3)
    # the server keeps answering, and publishes nothing for the broken versions
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": {"line": 16, "character": 10}})
    assert hover["contents"]["value"].startswith("## DLP302 ")
    change(client, uri, LEAKY + "\n", 4)
    assert summary(client.diagnostics(uri, version=4)) == summary(good)
    published = [m["params"]["version"] for m in client.notifications
                 if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri]
    assert published == [1, 4]


def test_stale_versions_are_never_published(client):
    uri = "file:///work/leaky_stale.py"
    open_doc(client, uri, LEAKY)
    for version in range(2, 7):  # typing faster than the debounce
        change(client, uri, LEAKY + "#" * version + "\n", version)
    client.diagnostics(uri, version=6)
    published = [m["params"]["version"] for m in client.notifications
                 if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri]
    assert published == [1, 6]


def test_project_configuration_is_honoured(client, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.dlpractice]\nignore = ["DLP302"]\n', encoding="utf-8")
    uri = (tmp_path / "train.py").as_uri()
    assert [d["code"] for d in open_doc(client, uri, LEAKY)] == ["DLP102", "DLP304"]
    config = (tmp_path / "pyproject.toml")
    config.write_text('[tool.dlpractice]\nignore = ["DLP1"]\n', encoding="utf-8")
    client.notify("textDocument/didOpen", {"textDocument": {"uri": config.as_uri(), "languageId": "toml",
                                                            "version": 1, "text": config.read_text()}})
    client.notify("textDocument/didSave", {"textDocument": {"uri": config.as_uri()}})
    assert [d["code"] for d in client.diagnostics(uri)] == ["DLP302", "DLP304"]


def test_incremental_change_and_save(client):
    uri = "file:///work/leaky_incremental.py"
    open_doc(client, uri, LEAKY)
    # type the missing context manager in two keystroke-sized edits
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": 11, "character": 0}, "end": {"line": 11, "character": 0}}, "text": "#"}]})
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    assert [d["code"] for d in client.diagnostics(uri, version=2)] == ["DLP102", "DLP302", "DLP304"]
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    # closing clears the document's diagnostics (a publish for the save may come first)
    client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
                and m["params"]["diagnostics"] == [])


# --- notebooks ---------------------------------------------------------------------------------------

def notebook_params(path: Path, uri: str) -> tuple[dict, dict[str, str]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells, documents, texts = [], [], {}
    for index, cell in enumerate(notebook["cells"]):
        cell_uri = f"vscode-notebook-cell:{uri[7:]}#C{index}"
        kind = 2 if cell["cell_type"] == "code" else 1
        cells.append({"kind": kind, "document": cell_uri})
        text = "".join(cell["source"])
        documents.append({"uri": cell_uri, "languageId": "python" if kind == 2 else "markdown", "version": 1,
                          "text": text})
        texts[cell_uri] = text
    return {"notebookDocument": {"uri": uri, "notebookType": "jupyter-notebook", "version": 1, "cells": cells},
            "cellTextDocuments": documents}, texts


def test_notebook_document_sync_and_fix(client):
    uri = "file:///work/crop_yield.ipynb"
    params, texts = notebook_params(NOTEBOOKS / "crop_yield.ipynb", uri)
    client.notify("notebookDocument/didOpen", params)
    scale = f"vscode-notebook-cell:{uri[7:]}#C4"
    diagnostics = client.diagnostics(scale)
    assert summary(diagnostics) == [(2, 9, 2, 39, "DLP102", 1)]
    assert diagnostics[0]["message"].startswith("MinMaxScaler is fitted on 'features' before it is split by "
                                                "train_test_split at cell 6, line 1")
    # the finding is silenced in the cell: the diagnostic goes
    fixed = texts[scale].replace("# expect: DLP102", "# noqa: DLP102")
    client.notify("notebookDocument/didChange", {
        "notebookDocument": {"uri": uri, "version": 2},
        "change": {"cells": {"textContent": [
            {"document": {"uri": scale, "version": 2}, "changes": [{"text": fixed}]}]}}})
    assert client.diagnostics(scale, version=2) == []
    client.notify("notebookDocument/didSave", {"notebookDocument": {"uri": uri}})
    assert client.diagnostics(scale, version=2) == []  # checked again on save
    client.notify("notebookDocument/didClose", {"notebookDocument": {"uri": uri},
                                                "cellTextDocuments": [{"uri": u} for u in texts]})


def test_notebook_quick_fix_edits_the_cell(client):
    uri = "file:///work/eval_fix.ipynb"
    params, texts = notebook_params(NOTEBOOKS / "eval_fix.ipynb", uri)
    client.notify("notebookDocument/didOpen", params)
    cell = f"vscode-notebook-cell:{uri[7:]}#C2"
    [diagnostic] = client.diagnostics(cell)
    assert (diagnostic["code"], diagnostic["range"]["start"]) == ("DLP302", {"line": 5, "character": 0})
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": cell}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}})
    resolved = client.request("codeAction/resolve", actions[0])
    assert list(resolved["edit"]["changes"]) == [cell]
    fixed = apply_edits(texts[cell], resolved["edit"]["changes"][cell])
    assert fixed.startswith("%%time\n") and "with torch.no_grad():\n    for leaf in batches:" in fixed
    # a cell that does not parse while typed keeps its diagnostics; the others are checked
    client.notify("notebookDocument/didChange", {
        "notebookDocument": {"uri": uri, "version": 2},
        "change": {"cells": {"textContent": [
            {"document": {"uri": cell, "version": 2}, "changes": [{"text": texts[cell] + "\nfor x in"}]}]}}})
    assert summary(client.diagnostics(cell, version=2)) == summary([diagnostic])
    client.notify("notebookDocument/didChange", {
        "notebookDocument": {"uri": uri, "version": 3},
        "change": {"cells": {"textContent": [
            {"document": {"uri": cell, "version": 3}, "changes": [{"text": fixed}]}]}}})
    assert client.diagnostics(cell, version=3) == []


def test_server_without_pygls_says_how_to_install_it():
    code = ("import sys; sys.modules['pygls'] = None\n"
            "from flake8_dlpractice.lsp import main\nsys.exit(main([]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "dlp lsp needs pygls, which is an optional dependency: pip install 'flake8-dlpractice[lsp]'\n"


# --- pure parts ----------------------------------------------------------------------------------

def test_related_information_is_the_data_path():
    from flake8_dlpractice.lsp import convert

    analysis = analyse_text("file:///x.py", "x.py", "a = 1\nb = 'é' + a\nc = b\n", 1, DEFAULT_CONFIG)
    trace = (Step(1, 0, "source", "split at " + line_ref(1), 1, 5), Step(2, 10, "step", "concat"),
             Step(3, 0, "sink", "fit"))
    finding = Finding(3, 0, "DLP102", f"b fitted, split at {line_ref(1)}", None, 3, 5, trace)
    uri, diagnostic = convert.diagnostic(analysis, finding, lambda s: len(s.encode("utf-16-le")) // 2)
    assert uri == "file:///x.py" and diagnostic.message == "b fitted, split at line 1"
    related = [(r.location.range.start.line, r.location.range.start.character, r.message)
               for r in diagnostic.related_information]
    assert related == [(0, 0, "source: split at line 1"), (1, 10, "step: concat"), (2, 0, "sink: fit")]
    assert diagnostic.severity == 1


def test_notebook_findings_are_placed_in_their_cells():
    cells = [Cell("cell:a", 0, "import torch\nnet = torch.nn.Linear(2, 2)"), Cell("cell:b", 2, "net.eval()\n"
             "batches = torch.ones(4, 2).split(2)\nfor b in batches:\n    print(net(b))")]
    analysis = analyse_cells("nb:1", "nb.ipynb", cells, 1, DEFAULT_CONFIG)
    [finding] = analysis.findings
    assert (finding.code, analysis.place(finding.line)) == ("DLP302", ("cell:b", 2))
    assert analysis.program_line("cell:b", 2) == finding.line
    assert finding.render_headline(analysis.source.where).startswith("evaluation loop runs 'net' (cell 3, line 4)")


def test_fix_titles_name_the_edit():
    from flake8_dlpractice.lsp.documents import fix_title

    assert fix_title(Fix("safe", "wrap-with", (1, 0, 1, 1), (("context", "torch.no_grad()"),),
                         title="wrap the evaluation loop in torch.no_grad()")) == \
        "wrap the evaluation loop in torch.no_grad()"
    assert fix_title(Fix("unsafe", "add-keyword", (1, 0, 1, 1), (("keyword", "random_state"), ("value", "0")))) == \
        "add random_state=0"
    assert fix_title(Fix("safe", "replace-expression", (1, 0, 1, 1), (("template", "torch.log_softmax({}, 1)"),))) \
        == "replace with `torch.log_softmax(…, 1)`"


def test_startup_is_quick():
    started = time.perf_counter()
    session = Client()
    try:
        session.initialize()
        assert time.perf_counter() - started < 10
    finally:
        assert session.close() == 0
        session.errors.close()


def test_editor_docs_examples_are_valid():
    import re as regex

    doc = (Path(__file__).resolve().parent.parent / "docs" / "editors.md").read_text(encoding="utf-8")
    blocks = [json.loads(block) for block in regex.findall(r"```json\n(.*?)```", doc, regex.S)]
    assert len(blocks) == 4
    vscode, flake8_settings, pylint_settings, jupyter = blocks
    assert [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]] == ["dlp", "lsp"]
    assert jupyter["LanguageServerManager"]["language_servers"]["flake8-dlpractice"]["argv"] == ["dlp", "lsp"]
    from flake8_dlpractice.pylint_plugin import message_id
    from flake8_dlpractice.rules import ALL_RULES, RULES_BY_CODE

    # the flake8 severity map covers every rule with the rule's own severity
    names = {"error": "Error", "warning": "Warning", "info": "Information"}
    for rule in ALL_RULES:
        assert flake8_settings["flake8.severity"][rule.code[:4]] == names[rule.severity], rule.code
    assert all(name in {r.name for r in ALL_RULES} for name in pylint_settings["pylint.severity"])
    assert message_id("DLP100").startswith("W") and RULES_BY_CODE["DLP100"].name == "test-data-in-fitting"
    assert "--load-plugins=flake8_dlpractice.pylint_plugin" in pylint_settings["pylint.args"]
    assert 'cmd = { "dlp", "lsp" }' in doc


def test_notebook_cells_added_and_removed(client):
    uri = "file:///work/crop_yield_structure.ipynb"
    params, texts = notebook_params(NOTEBOOKS / "crop_yield.ipynb", uri)
    client.notify("notebookDocument/didOpen", params)
    scale = f"vscode-notebook-cell:{uri[7:]}#C4"
    assert "at cell 6, line 1" in client.diagnostics(scale)[0]["message"]
    new_cell = f"vscode-notebook-cell:{uri[7:]}#new"
    client.notify("notebookDocument/didChange", {
        "notebookDocument": {"uri": uri, "version": 2},
        "change": {"cells": {"structure": {
            "array": {"start": 5, "deleteCount": 0, "cells": [{"kind": 2, "document": new_cell}]},
            "didOpen": [{"uri": new_cell, "languageId": "python", "version": 1, "text": "print(scaled.shape)"}]}}}})
    [diagnostic] = client.diagnostics(scale)  # published with the cell document's version (unchanged)
    assert "at cell 7, line 1" in diagnostic["message"]  # the split's cell moved down by one
    assert client.diagnostics(new_cell) == []
    client.notify("notebookDocument/didChange", {
        "notebookDocument": {"uri": uri, "version": 3},
        "change": {"cells": {"structure": {"array": {"start": 4, "deleteCount": 1},
                                           "didClose": [{"uri": scale}]}}}})
    assert client.diagnostics(scale) == []  # the removed cell's diagnostics are cleared


def test_clients_without_resolve_get_edits_at_once():
    session = Client()
    try:
        session.initialize(capabilities={})
        uri = "file:///work/leaky_eager.py"
        target = next(d for d in open_doc(session, uri, LEAKY) if d["code"] == "DLP302")
        actions = session.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": target["range"], "context": {"diagnostics": [target]}})
        assert all("edit" in action for action in actions)
        fixed = apply_edits(LEAKY, actions[0]["edit"]["changes"][uri])
        assert "with torch.no_grad():\n    for chunk in batches:" in fixed
    finally:
        assert session.close() == 0
        session.errors.close()


def test_checks_pause_the_garbage_collector_and_keep_no_tree():
    import gc

    from flake8_dlpractice.lsp.server import _without_gc

    def failing():
        assert not gc.isenabled()
        raise SyntaxError("half-typed")

    assert gc.isenabled()
    with pytest.raises(SyntaxError):
        _without_gc(failing)
    assert gc.isenabled()
    analysis = _without_gc(lambda: analyse_text("file:///x.py", "x.py", LEAKY, 1, DEFAULT_CONFIG))
    assert gc.isenabled() and analysis.source._tree is None
    assert [f.code for f in analysis.findings] == ["DLP102", "DLP302", "DLP304"]


def test_rule_links_only_to_the_documentation_the_metadata_names(monkeypatch):
    from flake8_dlpractice.lsp import convert
    from flake8_dlpractice.report import rules as report_rules

    analysis = analyse_text("file:///x.py", "x.py", LEAKY, 1, DEFAULT_CONFIG)
    finding = next(f for f in analysis.findings if f.code == "DLP302")
    monkeypatch.setattr(report_rules, "project_urls", lambda: {})
    assert convert.diagnostic(analysis, finding, len)[1].code_description is None
    monkeypatch.setattr(report_rules, "project_urls", lambda: {"documentation": "https://example.org/dlp/rules.html"})
    described = convert.diagnostic(analysis, finding, len)[1].code_description
    assert described.href == "https://example.org/dlp/rules.html#dlp302-eval-without-no-grad"


def test_rule_pages_are_never_written_to_the_temporary_folder(tmp_path, monkeypatch):
    """A shared temporary folder is no place for pages: a planted symlink there must not be followed."""
    import tempfile

    from flake8_dlpractice import __version__
    from flake8_dlpractice.lsp import convert
    from flake8_dlpractice.rules import ALL_RULES

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "DLP302.md").write_text("mine\n", encoding="utf-8")
    (tmp_path / f"flake8-dlpractice-{__version__}-rules").symlink_to(victim)
    analysis = analyse_text("file:///x.py", "x.py", LEAKY, 1, DEFAULT_CONFIG)
    for finding in analysis.findings:
        convert.diagnostic(analysis, finding, len)
    assert all(convert.rule_href(rule.code) is None for rule in ALL_RULES)
    assert sorted(p.name for p in victim.iterdir()) == ["DLP302.md"]
    assert (victim / "DLP302.md").read_text(encoding="utf-8") == "mine\n"


def test_configuration_files_are_watched_and_a_broken_one_is_shown(tmp_path):
    """A client that can register file watchers is asked to report configuration changes (edits made
    outside the editor reach the server); a broken configuration is shown once, checks go on."""
    session = Client()
    try:
        caps = {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}},
                "textDocument": {"publishDiagnostics": {"versionSupport": True}}}
        session.initialize(caps)
        request = session.wait(lambda m: m.get("method") == "client/registerCapability")
        [registration] = request["params"]["registrations"]
        assert registration["method"] == "workspace/didChangeWatchedFiles"
        assert [w["globPattern"] for w in registration["registerOptions"]["watchers"]] == [
            "**/pyproject.toml", "**/setup.cfg", "**/tox.ini", "**/.flake8"]
        config = tmp_path / "pyproject.toml"
        config.write_text('[tool.dlpractice]\nignroe = ["DLP302"]\n', encoding="utf-8")
        first, second = (tmp_path / "a.py").as_uri(), (tmp_path / "b.py").as_uri()
        assert [d["code"] for d in open_doc(session, first, LEAKY)] == ["DLP102", "DLP302", "DLP304"]
        assert [d["code"] for d in open_doc(session, second, LEAKY)] == ["DLP102", "DLP302", "DLP304"]
        shown = [m["params"] for m in session.notifications if m["method"] == "window/showMessage"]
        assert len(shown) == 1 and shown[0]["type"] == 2
        assert "unknown option 'ignroe'" in shown[0]["message"] and "using the defaults" in shown[0]["message"]
        config.write_text('[tool.dlpractice]\nignore = ["DLP302"]\n', encoding="utf-8")  # fixed outside the editor
        session.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": config.as_uri(), "type": 2}]})
        assert [d["code"] for d in session.diagnostics(first)] == ["DLP102", "DLP304"]
    finally:
        assert session.close() == 0
        session.errors.close()


def test_no_watchers_without_dynamic_registration(client):
    open_doc(client, "file:///work/leaky_watch.py", LEAKY)
    assert not any(m.get("method") == "client/registerCapability" for _, m in client.transcript)
