"""docs/output-formats.md shows the real output of ``dlp check`` for its example.

Each ``<!-- output: ARGS -->`` block is what ``dlp ARGS`` prints in a folder holding the
``<!-- example: NAME -->`` file; a ``<!-- sarif-result: ARGS -->`` block is the first SARIF result.
When findings change on purpose, regenerate the blocks with
``DLP_UPDATE_DOCS=1 python -m pytest tests/test_output_docs.py``.
"""
from __future__ import annotations

import json
import os
import re

from conftest import ROOT
from flake8_dlpractice.cli import main

DOC = ROOT / "docs" / "output-formats.md"
BLOCK = re.compile(r"<!-- (example|output|sarif-result): ([^>]*?) -->\n```\w*\n(.*?)```\n", re.S)


def run(args: str, folder, capsys) -> str:
    here = os.getcwd()
    os.chdir(folder)
    try:
        main(args.split())
    finally:
        os.chdir(here)
    return capsys.readouterr().out


def test_output_formats_page_shows_the_real_output(tmp_path, capsys):
    text = DOC.read_text(encoding="utf-8")
    blocks = BLOCK.findall(text)
    examples = [(name, body) for kind, name, body in blocks if kind == "example"]
    assert examples, "the page has no example"
    for name, body in examples:
        (tmp_path / name).write_text(body, encoding="utf-8")
    wrong = []

    def actual(match: re.Match) -> str:
        kind, args, body = match.groups()
        if kind == "example":
            return match.group(0)
        out = run(args, tmp_path, capsys)
        if kind == "sarif-result":
            out = json.dumps(json.loads(out)["runs"][0]["results"][0], indent=2, ensure_ascii=False) + "\n"
        if out != body:
            wrong.append(args)
        return match.group(0).replace(body, out)

    updated = BLOCK.sub(actual, text)
    if wrong and os.environ.get("DLP_UPDATE_DOCS"):
        DOC.write_text(updated, encoding="utf-8")
        return
    assert len(blocks) - len(examples) >= 7
    assert wrong == [], (f"docs/output-formats.md is stale for {wrong}: regenerate it with "
                         "DLP_UPDATE_DOCS=1 python -m pytest tests/test_output_docs.py")
