"""flake8-dlpractice: catch deep-learning mistakes (leakage, irreproducibility, training-loop bugs)
statically, through flake8 and pylint, and fix what can be fixed safely with ``dlp-fix``."""

__version__ = "0.1.0"
