"""Deterministic splits of the in-domain stance sets, grouped by claim.

The stance model (text/stance_model.py, fitted by bench/fit_stance_model.py) trains on the "train" part of
HealthVer dev and Climate-FEVER dev pairs, picks its epoch, temperature and abstention threshold on
"calibration", and `manage.py evaluate stance` scores it on "test" only. Every pair of one claim falls in
the same part (a claim is the group), so no claim is seen in training and scored in test. The part comes
from a hash of the claim's group key, not from a random seed, so the fit script and the evaluation always
agree without sharing a file.
"""

from __future__ import annotations

import hashlib
from typing import Literal

Split = Literal["train", "calibration", "test"]


def claim_split(group: str) -> Split:
    """20 % test, 10 % calibration, 70 % train, by the SHA-1 of the claim's group key."""
    bucket = int(hashlib.sha1(group.strip().lower().encode("utf-8")).hexdigest()[:8], 16) % 10
    if bucket < 2:
        return "test"
    if bucket == 2:
        return "calibration"
    return "train"


def claim_group(row: dict) -> str:
    """The group key of a pair row: Climate-FEVER's claim_id when present, else the claim text."""
    if row.get("claim_id") is not None:
        return f"climate-fever:{row['claim_id']}"
    return str(row["claim"])
