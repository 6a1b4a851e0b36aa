"""``dlp lsp``: a language server for editors (diagnostics, quick fixes, rule pages on hover).

Built on pygls, an optional dependency: ``pip install 'flake8-dlpractice[lsp]'``. It speaks the
Language Server Protocol over stdin/stdout, for ``.py`` documents and Jupyter notebook documents
(cells checked together as one program, as ``dlp check`` does with ``.ipynb`` files).
"""
from __future__ import annotations

import gc
import sys

MISSING = ("dlp lsp needs pygls, which is an optional dependency: pip install 'flake8-dlpractice[lsp]'\n")


def main(argv: list[str] | None = None) -> int:
    """Serve over stdio until the client says exit. 2 if pygls is not installed."""
    try:
        from .server import build_server
    except ImportError as exc:
        if getattr(exc, "name", "") and exc.name.split(".")[0] in ("pygls", "lsprotocol", "cattrs"):
            sys.stderr.write(MISSING)
            return 2
        raise
    server = build_server()
    # what the server imported lives as long as it does: the garbage collector need not scan it
    gc.collect()
    gc.freeze()
    server.start_io()
    return 0
