"""The BERT encoder of all-MiniLM-L6-v2 as a numpy forward pass: shared by the sentence embeddings
(text.embeddings, one segment, mean-pooled and normalised) and the stance cross-encoder
(text.stance_model, two segments with their token type ids, mean-pooled into a small head).

Weights are a mapping of the Hugging Face tensor names (as safetensors stores them) to arrays; any float
dtype is widened to float32 once, at load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

HIDDEN = 384
LAYERS = 6
_HEADS = 12
_HEAD_DIM = HIDDEN // _HEADS
_LAYER_NORM_EPS = 1e-12
# Added to the attention scores of padding so softmax gives it exactly zero weight; finite (unlike
# float32's minimum, which transformers uses) so the addition cannot overflow to -inf with a warning.
_MASKED = np.float32(-1e9)


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


def _f32(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float32)


class Encoder:
    """Six BERT layers over token ids, token type ids and a padding mask -> hidden states."""

    def __init__(self, w: Mapping[str, np.ndarray]) -> None:
        from scipy.special import erf  # scipy comes with scikit-learn; numpy has no erf

        self.erf = erf
        # Linear weights are stored (out, in) as torch keeps them; transpose once so the hot path is x @ W.
        self.word = _f32(w["embeddings.word_embeddings.weight"])
        self.position = _f32(w["embeddings.position_embeddings.weight"])
        self.token_type = _f32(w["embeddings.token_type_embeddings.weight"])
        self.emb_ln_g = _f32(w["embeddings.LayerNorm.weight"])
        self.emb_ln_b = _f32(w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            qkv = [w[f"{p}attention.self.{name}.weight"] for name in ("query", "key", "value")]
            self.layers.append(
                _Layer(
                    qkv_w=_f32(np.concatenate(qkv).T),
                    qkv_b=_f32(
                        np.concatenate([w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")])
                    ),
                    out_w=_f32(w[f"{p}attention.output.dense.weight"].T),
                    out_b=_f32(w[f"{p}attention.output.dense.bias"]),
                    ln1_g=_f32(w[f"{p}attention.output.LayerNorm.weight"]),
                    ln1_b=_f32(w[f"{p}attention.output.LayerNorm.bias"]),
                    ffn_in_w=_f32(w[f"{p}intermediate.dense.weight"].T),
                    ffn_in_b=_f32(w[f"{p}intermediate.dense.bias"]),
                    ffn_out_w=_f32(w[f"{p}output.dense.weight"].T),
                    ffn_out_b=_f32(w[f"{p}output.dense.bias"]),
                    ln2_g=_f32(w[f"{p}output.LayerNorm.weight"]),
                    ln2_b=_f32(w[f"{p}output.LayerNorm.bias"]),
                )
            )

    def hidden_states(
        self, ids: np.ndarray, mask: np.ndarray, type_ids: np.ndarray | None = None
    ) -> np.ndarray:
        """(batch, length) ids, mask and optional token type ids -> (batch, length, 384) hidden states."""
        return self.layer_states(ids, mask, type_ids)[-1]

    def layer_states(
        self, ids: np.ndarray, mask: np.ndarray, type_ids: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """The (batch, length, 384) output of every layer, first to last, from one forward pass."""
        batch, length = ids.shape
        token_type = self.token_type[0] if type_ids is None else self.token_type[type_ids]
        x = self.word[ids] + self.position[:length] + token_type
        # Dense layers run on (batch * length, 384) so each is one BLAS call rather than one per sentence.
        x = _layer_norm(x.reshape(batch * length, HIDDEN), self.emb_ln_g, self.emb_ln_b)
        bias = np.where(mask, np.float32(0), _MASKED).astype(np.float32)[:, None, None, :]
        scale = np.float32(1 / np.sqrt(_HEAD_DIM))
        outputs = []
        for layer in self.layers:
            qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(batch, length, 3, _HEADS, _HEAD_DIM)
            q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # each (batch, heads, length, head_dim)
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, HIDDEN)
            x = _layer_norm(x + context @ layer.out_w + layer.out_b, layer.ln1_g, layer.ln1_b)
            h = x @ layer.ffn_in_w + layer.ffn_in_b
            h = h * np.float32(0.5) * (np.float32(1) + self.erf(h * np.float32(1 / np.sqrt(2))))  # exact GELU
            x = _layer_norm(x + h @ layer.ffn_out_w + layer.ffn_out_b, layer.ln2_g, layer.ln2_b)
            outputs.append(x.reshape(batch, length, HIDDEN))
        return outputs


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over real tokens only, so padding never changes a text's vector."""
    weights = mask.astype(np.float32)[:, :, None]
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), np.float32(1e-9))


def padded(sequences: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-padded (batch, longest) int64 array (0 is [PAD]) and its boolean mask."""
    length = max(len(sequence) for sequence in sequences)
    ids = np.zeros((len(sequences), length), dtype=np.int64)
    mask = np.zeros((len(sequences), length), dtype=bool)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = True
    return ids, mask


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + np.float32(_LAYER_NORM_EPS)) * gamma + beta
