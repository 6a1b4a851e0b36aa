"""Data Preparation: normalisation statistics and class-imbalance resampling (DLP104, DLP105)."""
from __future__ import annotations
