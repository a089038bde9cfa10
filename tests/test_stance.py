"""Stance suggestions and their reasons on hand-written pairs, the shipped model, and the stance evaluation.

Pure functions: no database. The rule tests call `rules` (use_model=False, explicit similarities), so they
test the rules, which are the fallback and the source of every reason line; the model tests run the
shipped weights through the numpy encoder.
"""

import json
import random
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from claims import stance
from claims.evaluation import embedding_cache
from claims.evaluation import stance as stance_evaluation
from claims.stance import LABELS, suggest_stance, suggest_stances
from text import stance_model

rules = partial(suggest_stance, use_model=False)


@pytest.fixture(autouse=True)
def _private_vector_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluations cache vectors on disk; tests keep theirs out of the project's .var/cache."""
    monkeypatch.setattr(embedding_cache, "CACHE_DIR", tmp_path / "vector-cache")


def test_it_says_numbers_agree_when_the_source_states_the_same_figure() -> None:
    label, reason = rules(
        "The city hired 18,000 workers in 2023.",
        "In 2023 the city hired 18,048 workers, records show.",
        similarity=0.8,
    )
    assert (label, reason) == ("supports", "numbers agree: 18,000 vs 18,048")


def test_it_says_numbers_differ_and_refutes() -> None:
    label, reason = rules(
        "Unemployment fell to 3.5% in 2019.", "Unemployment fell to 5.2% in 2019.", similarity=0.9
    )
    assert (label, reason) == ("refutes", "numbers differ: claim says 3.5%, source says 5.2%")


def test_it_names_both_years_when_dates_differ_and_does_not_guess() -> None:
    label, reason = rules("The bridge opened in 2024.", "The bridge opened in 2019.", similarity=0.9)
    assert (label, reason) == ("unclear", "claim says 2024, source says 2019")


def test_it_reports_a_negation_mismatch() -> None:
    label, reason = rules("The vaccine causes autism.", "The vaccine does not cause autism.", similarity=0.85)
    assert (label, reason) == ("refutes", "negation mismatch: source says 'not'")


def test_it_treats_a_double_negative_as_agreement_not_a_mismatch() -> None:
    comparison = stance.compare("Side effects are rare.", "Side effects are not uncommon but never serious.")
    assert comparison.features["negation_mismatch"] == 0.0  # "not" and "never": even on one side


def test_it_calls_an_off_topic_passage_unrelated() -> None:
    label, reason = rules(
        "The vaccine causes autism.", "The mayor opened a new library downtown.", similarity=0.1
    )
    assert label == "unrelated" and reason.startswith("little in common with the claim")


def test_it_prefers_unclear_when_related_but_nothing_settles_it() -> None:
    label, reason = rules(
        "Sales rose sharply last quarter.", "Sales fell sharply last quarter.", similarity=0.9
    )
    assert label == "unclear" and "direction differs" in reason


def test_it_falls_back_to_shared_terms_without_a_similarity() -> None:
    label, reason = rules("The vaccine causes autism.", "The vaccine causes autism, a study says.")
    assert label == "supports" and "similarity" not in reason and "100% of its terms" in reason


requires_model = pytest.mark.skipif(not stance_model.model_available(), reason="stance weights not installed")


@requires_model
def test_the_numpy_forward_pass_gives_the_training_frameworks_logits() -> None:
    """tests/data/stance_reference.json holds torch's logits for a few pairs, written by the fit script
    from the same float16 weights; the numpy encoder must reproduce them."""
    reference = json.loads((Path(__file__).parent / "data" / "stance_reference.json").read_text("utf-8"))
    logits = stance_model.logits([(row["claim"], row["passage"]) for row in reference])
    np.testing.assert_allclose(logits, [row["logits"] for row in reference], atol=2e-4)
    # Batching and padding never change a pair's logits.
    alone = stance_model.logits([(reference[0]["claim"], reference[0]["passage"])])
    np.testing.assert_allclose(alone[0], logits[0], atol=1e-5)


@requires_model
def test_the_model_reads_the_pair_and_the_facts_stand_beside_its_label() -> None:
    (label, reason), (denied, why), (offtopic, _) = suggest_stances(
        [
            (
                "The agency removed about 18,000 people last year.",
                "The agency removed 18,048 people last year.",
                0.9,
            ),
            ("Vaccines cause autism.", "Large studies found no link between vaccines and autism.", 0.7),
            ("Sea levels are rising.", "The city council approved a new budget for parks.", 0.1),
        ]
    )
    assert label == "supports" and reason.startswith("model: supports 0.")
    assert reason.endswith("· numbers agree: 18,000 vs 18,048")
    assert denied == "refutes" and why.startswith("model: refutes"), why
    assert offtopic in {"unrelated", "unclear"}
    probabilities = stance_model.probabilities([("Sea levels are rising.", "Sea levels are rising.")])
    assert probabilities.shape == (1, 3) and abs(float(probabilities.sum()) - 1) < 1e-5


@requires_model
def test_a_clearly_different_figure_refutes_whatever_the_model_read() -> None:
    label, reason = suggest_stance(
        "Unemployment fell to 3.5% in 2019.", "Unemployment fell to 5.2% in 2019.", similarity=0.9
    )
    assert label == "refutes"
    assert reason.startswith("numbers differ: claim says 3.5%, source says 5.2%"), reason
    assert "model: " in reason


def test_only_a_weak_supports_abstains_a_weak_neither_or_refutes_is_shown() -> None:
    """The decision layer alone, on made-up calibrated probabilities (supports, refutes, neither)."""
    pair = stance.compare("The council approved the budget.", "The council met on Tuesday.", similarity=0.7)
    assert stance.model_stance(pair, np.array([0.38, 0.31, 0.31])) == ("unclear", "model: supports 0.38")
    assert stance.model_stance(pair, np.array([0.31, 0.38, 0.31])) == ("refutes", "model: refutes 0.38")
    assert stance.model_stance(pair, np.array([0.31, 0.31, 0.38])) == ("unrelated", "model: neither 0.38")
    assert stance.model_stance(pair, np.array([0.42, 0.29, 0.29]))[0] == "supports"


def test_a_misread_number_neither_overrides_nor_shows_as_a_differing_figure() -> None:
    """ "Hansen's 1988" (a year read as a count) against "CO 2" (a subscript read as 2), and "two ice
    ages" against a count: the rules still see a conflict, the model layer does not act on it."""
    neither = np.array([0.2, 0.1, 0.7])
    for claim, passage in (
        (
            "Hansen's 1988 results show a climate sensitivity of about 3°C for a doubling of CO2.",
            "Climate sensitivity is the warming from a sustained doubling of the atmospheric CO 2 level.",
        ),
        (
            "The last sea-level high occurred between the last two ice ages.",
            "The last glacial period ended 14,500 YBP.",
        ),
    ):
        comparison = stance.compare(claim, passage, similarity=0.7)
        assert comparison.features["numbers_conflict"] and not comparison.figures_conflict
        label, reason = stance.model_stance(comparison, neither)
        assert label == "unrelated" and "numbers differ" not in reason, reason
    # A figure read for sure still overrides, and the reason quotes it.
    comparison = stance.compare(
        "The agency removed 18,000 people.", "The agency removed 12,500 people.", similarity=0.9
    )
    label, reason = stance.model_stance(comparison, neither)
    assert (label, reason) == (
        "refutes",
        "numbers differ: claim says 18,000, source says 12,500 · model: neither 0.70",
    )


HEALTHVER_ROWS = [
    {
        "id": "1",
        "claim": "Vitamin C cures COVID-19.",
        "evidence": "Vitamin C did not cure COVID-19.",
        "label": "Refutes",
    },
    {
        "id": "2",
        "claim": "Masks reduce spread by 50%.",
        "evidence": "Masks cut spread by 50%.",
        "label": "Supports",
    },
    {
        "id": "3",
        "claim": "Garlic prevents infection.",
        "evidence": "Hospitals added 200 beds.",
        "label": "Neutral",
    },
]


def test_it_evaluates_healthver_rows_and_writes_one_label_per_row(tmp_path: Path) -> None:
    dataset = tmp_path / "healthver.jsonl"
    dataset.write_text("".join(json.dumps(row) + "\n" for row in HEALTHVER_ROWS), encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    result = stance_evaluation.evaluate(dataset, predictions=out)
    assert result["rows"] == 3 and result["rows_scored"] == 3
    assert 0.0 <= result["macro_f1"] <= 1.0 and 0.0 <= result["accuracy"] <= 1.0
    assert result["baseline"]["name"].startswith("majority class")
    labels = [json.loads(line)["label"] for line in out.read_text().splitlines()]
    assert len(labels) == 3 and set(labels) <= {*LABELS, "unclear"}
    assert labels[1] == "supports"  # the same 50 %


def test_it_never_reads_labels_before_predicting_climate_fever_pairs(tmp_path: Path) -> None:
    claim = "Arctic sea ice has shrunk by 40% since 1979."
    evidences = [
        "Arctic sea ice extent has declined by about 40% since 1979.",
        "Polar bears hunt seals from the ice.",
        "Some say Arctic ice is not shrinking at all.",
        "The Antarctic has gained ice in places.",
    ]
    labels = ["SUPPORTS", "NOT_ENOUGH_INFO", "REFUTES", "NOT_ENOUGH_INFO"]
    shuffled = labels[:]
    random.Random(5).shuffle(shuffled)
    outputs = []
    for name, order in (("a", labels), ("b", shuffled)):
        rows = [
            {
                "claim_id": "7",
                "claim": claim,
                "evidence": text,
                "evidence_label": label,
                "evidence_id": str(i),
            }
            for i, (text, label) in enumerate(zip(evidences, order, strict=True))
        ]
        dataset = tmp_path / f"{name}.jsonl"
        dataset.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        out = tmp_path / f"{name}.pred.jsonl"
        stance_evaluation.evaluate(dataset, predictions=out)
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) == 4


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SUPPORTS", "supports"),
        ("Refutes", "refutes"),
        ("NOT_ENOUGH_INFO", "unrelated"),
        ("Neutral", "unrelated"),
    ],
)
def test_it_maps_dataset_labels_onto_ours(raw: str, expected: str) -> None:
    assert stance_evaluation.gold_label(raw) == expected


def test_it_counts_unclear_as_wrong_in_strict_scores() -> None:
    scores = stance_evaluation.score(["unclear", "supports"], ["unrelated", "supports"])
    assert scores["accuracy"] == 0.5 and scores["unclear_share"] == 0.5
    assert scores["accuracy_decided"] == 1.0


def test_a_descriptive_failed_is_not_a_negation():
    stance, reason = rules(
        "The CBSA removed about 18,000 people last fiscal year.",
        "The CBSA removed 18,048 people last fiscal year; failed refugee claimants accounted for 81 per cent "
        "of removals.",
    )

    assert "negation" not in reason
    assert stance != "refutes", reason
    denial, why = rules(
        "The agency removed 18,000 people last year.",
        "The agency failed to remove 18,000 people last year, officials said.",
    )
    assert "negation" in why and "failed to" in why


def test_one_matching_figure_does_not_hide_one_that_differs():
    stance, reason = rules(
        "The plant cost $310 million, up from an estimate of $240 million in 2021.",
        "The water treatment plant cost $295 million, against an estimate of $240 million made in 2021.",
    )

    assert stance == "unclear", reason
    assert "claim says $310 million, source says $295 million" in reason
    # A single approximate figure still supports: "about 18,000" is 18,048 rounded.
    stance, reason = rules(
        "The agency removed about 18,000 people last fiscal year.",
        "The agency removed 18,048 people in the last fiscal year.",
    )
    assert stance == "supports" and "18,000 vs 18,048" in reason
