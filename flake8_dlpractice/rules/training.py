"""Rules of this guide section (see docs/rules.md)."""
from __future__ import annotations
