"""``python -m flake8_dlpractice.lsp``: the language server over stdio (as ``dlp lsp``)."""
import sys

from . import main

sys.exit(main(sys.argv[1:]))
