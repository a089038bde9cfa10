"""Sentence vectors for the evaluations, cached on disk under the project's `.var/cache/embeddings/`.

Embedding the 10k verified claims or WiCE's 40k page sentences takes minutes on two cores; repeated runs
of `evaluate` and the bench should not pay that again. A cache file is keyed by a hash of the model name
and the exact texts, in order, so a changed data set can never be served stale vectors. Vectors are
recomputable at any time: deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from text import embeddings

CACHE_DIR = (
    Path(os.environ.get("FACTCHECK_VAR_DIR", Path(__file__).resolve().parents[2] / ".var"))
    / "cache"
    / "embeddings"
)


def _key(texts: list[str]) -> str:
    digest = hashlib.sha256(f"{embeddings.PACKAGE}/{embeddings.DIMENSIONS}\n".encode())
    for text in texts:
        # Length-prefixed so ["ab", "c"] and ["a", "bc"] cannot collide.
        encoded = text.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)
    return digest.hexdigest()[:32]


def cached_encode(texts: list[str], *, cache_dir: Path | None = None) -> np.ndarray | None:
    """Unit vectors (len(texts), 384) for texts, or None when the embedding model is not installed.

    Duplicate texts (a page's "Skip to content" lines, a claim repeated over its five pairs) are
    encoded once.
    """
    if not embeddings.model_available():
        return None
    if not texts:
        return np.zeros((0, embeddings.DIMENSIONS), dtype=np.float32)
    folder = cache_dir or CACHE_DIR
    path = folder / f"{_key(texts)}.npy"
    if path.is_file():
        try:
            vectors = np.load(path)
            if vectors.shape == (len(texts), embeddings.DIMENSIONS):
                return vectors
        except (OSError, ValueError):
            pass  # a torn or foreign file: recompute and overwrite it
    unique = list(dict.fromkeys(texts))
    position = {text: i for i, text in enumerate(unique)}
    vectors = embeddings.encode(unique)[[position[text] for text in texts]]
    folder.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent run or an interrupted one never leaves a half-written file.
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
        np.save(handle, vectors)
    os.chmod(handle.name, 0o644)  # temporary files are created private; a cache is not secret
    os.replace(handle.name, path)
    return vectors
