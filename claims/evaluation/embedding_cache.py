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
from collections.abc import Callable
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
    folder = cache_dir or CACHE_DIR
    path = folder / f"{_key(texts)}.npy"
    cached = _load(path, len(texts))
    if cached is not None:
        return cached
    vectors = _spread(texts, lambda unique: (embeddings.encode(unique),))[0]
    _store(path, vectors)
    return vectors


def cached_encode_with_middle(
    texts: list[str], *, cache_dir: Path | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """`embeddings.encode_with_middle` for texts, cached like cached_encode (whose file it shares for
    the last layer's vectors), or None when the embedding model is not installed."""
    if not embeddings.model_available():
        return None
    folder = cache_dir or CACHE_DIR
    key = _key(texts)
    paths = (folder / f"{key}.npy", folder / f"{key}-layer{embeddings.MIDDLE_LAYER}.npy")
    cached = [_load(path, len(texts)) for path in paths]
    if cached[0] is not None and cached[1] is not None:
        return cached[0], cached[1]
    final, middle = _spread(texts, embeddings.encode_with_middle)
    _store(paths[0], final)
    _store(paths[1], middle)
    return final, middle


Encoder = Callable[[list[str]], tuple[np.ndarray, ...]]


def _spread(texts: list[str], encode: Encoder) -> tuple[np.ndarray, ...]:
    """Encode each distinct text once and spread the rows back over texts, in order (the encoders
    return (0, 384) blocks for no texts)."""
    unique = list(dict.fromkeys(texts))
    position = {text: i for i, text in enumerate(unique)}
    rows = [position[text] for text in texts]
    return tuple(block[rows] for block in encode(unique))


def _load(path: Path, rows: int) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        vectors = np.load(path)
    except (OSError, ValueError):
        return None  # a torn or foreign file: recompute and overwrite it
    return vectors if vectors.shape == (rows, embeddings.DIMENSIONS) else None


def _store(path: Path, vectors: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent run or an interrupted one never leaves a half-written file.
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        np.save(handle, vectors)
    os.chmod(handle.name, 0o644)  # temporary files are created private; a cache is not secret
    os.replace(handle.name, path)
