"""Sentence splitting, check-worthiness scoring and its evaluation task (no database needed)."""

import json
import random
from pathlib import Path

from claims.checkworthiness import (
    CLAIM_THRESHOLD,
    FEATURES,
    MODEL_PATH,
    claims_to_pick,
    load_model,
    score_one,
    score_sentences,
    triage_priority,
)
from claims.evaluation.checkworthiness import evaluate, out_of_fold_scores
from claims.evaluation.scoring import average_precision, mean_average_precision
from text.claim_types import claim_types
from text.figures import claim_figures
from text.quantities import extract_dates, extract_quantities
from text.sentences import split_sentences

SEED = Path(__file__).resolve().parents[2] / "shared" / "demo" / "seed_article.txt"
CBSA = (
    "The CBSA aims to increase deportations from 18,000 last fiscal year to 20,000 annually "
    "over the next two years."
)
OPINION = "I think this is a great day for all of us."
QUESTION = "What are we going to do about it?"


def _seed_body() -> str:
    text = SEED.read_text(encoding="utf-8")
    return text[: text.index("Most Popular")]


def test_it_splits_with_exact_offsets_and_keeps_abbreviations() -> None:
    text = (
        "Mr. Smith flew to the U.S. on Jan. 5 to meet Dr. Jones.  He paid $4.5 million.\n\n"
        "A new paragraph without a full stop\nNext line, a heading."
    )
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "Mr. Smith flew to the U.S. on Jan. 5 to meet Dr. Jones.",
        "He paid $4.5 million.",
        "A new paragraph without a full stop",
        "Next line, a heading.",
    ]
    for span in spans:
        assert text[span.start : span.end] == span.text
        assert span.text == span.text.strip()


def test_it_never_merges_paragraphs_of_the_seed_article() -> None:
    text = SEED.read_text(encoding="utf-8")
    spans = split_sentences(text)
    assert len(spans) > 20
    for span in spans:
        assert text[span.start : span.end] == span.text
        assert "\n\n" not in span.text
    assert any(s.text == CBSA for s in spans)
    offsets = [(s.start, s.end) for s in spans]
    assert offsets == sorted(offsets)
    assert all(a[1] <= b[0] for a, b in zip(offsets, offsets[1:], strict=False))


def test_it_joins_hard_wrapped_lines_but_nothing_else() -> None:
    text = "The agency said the number of removals\nrose sharply last year. Then it stopped."
    assert [s.text for s in split_sentences(text)] == [
        "The agency said the number of removals\nrose sharply last year.",
        "Then it stopped.",
    ]
    assert split_sentences("") == []
    assert split_sentences("  \n\n \n") == []


def test_it_ranks_a_factual_claim_above_opinion_and_questions() -> None:
    claim, opinion, question = score_sentences([CBSA, OPINION, QUESTION])
    assert claim.score > opinion.score
    assert claim.score > question.score
    assert claim.score >= CLAIM_THRESHOLD > max(opinion.score, question.score)
    assert 0.0 <= question.score <= 1.0


def test_it_explains_each_score_with_named_features_and_reasons() -> None:
    claim, opinion, question = score_sentences([CBSA, OPINION, QUESTION])
    assert list(claim.features) == list(FEATURES)
    assert claim.features["has_number"] == 1.0
    assert claim.features["acronym"] == 1.0
    assert claim.features["opinion_marker"] == 0.0
    assert "has a number" in claim.reasons
    assert opinion.features["opinion_marker"] == 1.0
    assert "reads as opinion" in opinion.reasons
    assert question.features["question"] == 1.0
    assert "a question" in question.reasons


def test_it_puts_the_seed_articles_key_figures_first_and_picks_at_most_half() -> None:
    body = _seed_body()
    spans = split_sentences(body)
    results = score_sentences([s.text for s in spans])
    pairs = sorted(
        zip(spans, results, strict=True), key=lambda sr: -triage_priority(sr[1].score, sr[1].features)
    )
    ranked = [span.text for span, _ in pairs]
    top_three = " ".join(ranked[:3])
    assert "from 18,000 last fiscal year" in top_three and "decade high in 2024" in top_three, ranked[:3]
    scores = dict(zip([s.text for s in spans], results, strict=True))
    over = [text for text in ranked if scores[text].score >= CLAIM_THRESHOLD][: claims_to_pick(len(spans))]
    assert 3 <= len(over) <= 8, over
    assert any("succeeded in March by Mark Carney" in text for text in over)
    (generic,) = [text for text in scores if text.startswith("The policy shift coincides")]
    assert generic not in over


def test_it_ships_a_json_model_that_agrees_with_the_threshold() -> None:
    assert MODEL_PATH.suffix == ".json"
    assert MODEL_PATH.stat().st_size < 4_000_000
    raw = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert abs(raw["threshold"] - CLAIM_THRESHOLD) < 1e-9
    full, lexical = raw["variants"]["with_embeddings"], raw["variants"]["without_embeddings"]
    assert abs(full["threshold"] - CLAIM_THRESHOLD) < 1e-9
    for variant in (full, lexical):
        assert set(variant["hand_weights"]) == set(FEATURES)
        for block in ("lexical", "characters"):
            assert len(variant[block]["vocabulary"]) == len(variant[block]["coef"]) > 1000
    assert len(full["embedding"]["coef"]) == len(full["embedding"]["middle_coef"]) == 384
    assert "embedding" not in lexical
    assert raw["recipe"] == full["recipe"]
    assert load_model() is load_model()  # loaded once per process


def test_the_lexical_variant_still_ranks_when_the_embedding_model_is_missing() -> None:
    models = load_model()
    claim = score_one(models.without_embeddings, CBSA)
    opinion = score_one(models.without_embeddings, OPINION)
    assert claim.score > models.without_embeddings.threshold > opinion.score


def test_every_reason_is_a_phrase_a_reviewer_reads() -> None:
    body = _seed_body()
    for result in score_sentences([s.text for s in split_sentences(body)]):
        for reason in result.reasons:
            assert "claim-like wording" not in reason and "seldom" not in reason, reason
            assert reason[0].islower() and len(reason.split()) <= 12, reason
    cbsa = score_sentences([CBSA])[0]
    assert cbsa.reasons[:2] == ["a quantity: from 18,000 to 20,000", "a prediction or target (“aims to”)"]


def test_it_names_claim_types_with_the_words_that_show_them() -> None:
    def names(sentence: str) -> list[str]:
        return [t.name for t in claim_types(sentence)]

    assert names("Unemployment fell to 4.1% in March.") == ["quantity"]
    assert names("Deportations hit a decade high in 2024.") == ["quantity"]
    assert names("The bank forecasts that inflation will ease next year.") == ["prediction"]
    assert names("Critics link rising migration to housing shortages.") == ["cause"]
    assert names("It is illegal to deport minors.") == ["rule"]
    assert names("When I was a child my father worked in a mill.") == ["personal"]
    assert names("The policy shift coincides with heightened political tensions.") == []


def test_it_lists_a_claims_figures_once_each_with_their_role() -> None:
    figures = claim_figures(extract_quantities(CBSA), extract_dates(CBSA))
    assert [f.label for f in figures] == [
        "from 18,000",
        "when: last fiscal year",
        "to 20,000",
        "period: next two years",
    ]
    for figure in figures:
        assert CBSA[figure.start : figure.end] == figure.text
    assert claim_figures([{"text": "x"}], [None]) == []  # malformed stored items are skipped


def test_out_of_fold_scores_never_read_the_labels_of_the_scored_debate(tmp_path: Path) -> None:
    places = ["Eastholm", "Westport", "Northvale", "Southbay", "Midtown"]
    rows = [
        {**row, "debate_id": place, "text": f"{row['text']} {place} {i}."}
        for place in places
        for i, row in enumerate(_debate_rows()[:7])
    ]
    flipped = [{**row, "label": 1 - row["label"]} if row["debate_id"] == "Eastholm" else row for row in rows]
    first = out_of_fold_scores(_write(tmp_path / "a.jsonl", rows), debates=True, pooled_with=None)
    second = out_of_fold_scores(_write(tmp_path / "b.jsonl", flipped), debates=True, pooled_with=None)
    own = [i for i, row in enumerate(rows) if row["debate_id"] == "Eastholm"]
    others = [i for i in range(len(rows)) if i not in own]
    assert [first[i] for i in own] == [second[i] for i in own]  # its own labels were never read
    assert any(abs(first[i] - second[i]) > 1e-6 for i in others)  # they trained the other folds


def test_it_computes_average_precision_per_debate() -> None:
    groups = ["a", "a", "a", "b", "b", "c"]
    labels = [1, 0, 0, 0, 1, 0]
    scores = [0.9, 0.5, 0.1, 0.9, 0.1, 0.7]
    assert average_precision([0, 1], [0.9, 0.1]) == 0.5
    value, debates = mean_average_precision(groups, labels, scores)
    assert debates == 2  # "c" has no positive line and is left out, as in CLEF's scorer
    assert value == (1.0 + 0.5) / 2
    assert average_precision(labels, scores) != value  # pooled AP is a different number


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _debate_rows() -> list[dict]:
    facts = [
        "Unemployment fell to 4.1 percent in 2019, the lowest in fifty years.",
        "We lost 700,000 jobs last year according to the Labor Department.",
        "The deficit doubled from $500 billion to $1 trillion since 2008.",
    ]
    chatter = [
        "Thank you very much.",
        "I think that is a great question.",
        "Well, let me say this.",
        "What are you going to do?",
        "We will do it together.",
    ]
    rows = []
    for d in range(3):
        lines = [(facts[d], 1), (facts[(d + 1) % 3], 0), *((c, 0) for c in chatter)]
        for n, (text, label) in enumerate(lines, start=1):
            rows.append(
                {"debate_id": f"debate_{d}", "line_number": n, "speaker": "X", "text": text, "label": label}
            )
    return rows


def test_it_evaluates_debates_with_map_and_a_baseline(tmp_path: Path) -> None:
    rows = _debate_rows()
    dataset = _write(tmp_path / "debates.jsonl", rows)
    out = tmp_path / "predictions.jsonl"
    result = evaluate(dataset, predictions=out)
    assert result["task"] == "checkworthiness"
    assert result["rows"] == len(rows)
    assert result["threshold"] == CLAIM_THRESHOLD
    assert result["trained_on_this_data"] is False
    for key in ("f1", "precision", "recall", "average_precision", "map", "seconds"):
        assert isinstance(result[key], float | int), key
    assert result["debates"] == 3
    assert set(result["baseline"]) >= {"f1", "map", "model"}
    assert set(result["ratio"]) == {"f1", "average_precision", "map"}
    predicted = [json.loads(line)["score"] for line in out.read_text().splitlines()]
    assert len(predicted) == len(rows)
    expected, _ = mean_average_precision(
        [r["debate_id"] for r in rows], [r["label"] for r in rows], predicted
    )
    assert result["map"] == round(expected, 4)
    json.dumps(result)  # JSON-able as the management command prints it


def test_it_predicts_without_looking_at_labels(tmp_path: Path) -> None:
    rows = _debate_rows()
    shuffled = [dict(r) for r in rows]
    labels = [r["label"] for r in rows]
    random.Random(7).shuffle(labels)
    for row, label in zip(shuffled, labels, strict=True):
        row["label"] = label
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    evaluate(_write(tmp_path / "one.jsonl", rows), predictions=first)
    evaluate(_write(tmp_path / "two.jsonl", shuffled), predictions=second)
    assert first.read_text() == second.read_text()


def test_it_reads_claimbuster_and_tweet_rows(tmp_path: Path) -> None:
    sentences = [
        ("The deficit doubled from $500 billion to $1 trillion since 2008.", 1),
        ("Unemployment fell to 4.1 percent in 2019.", 1),
        ("Thank you very much.", 0),
        ("I think that is a great question.", 0),
    ] * 3
    cb = [{"sentence_id": i, "text": t, "label": y} for i, (t, y) in enumerate(sentences)]
    # Named like a training file, but not its content: scored by the shipped model.
    result = evaluate(_write(tmp_path / "claimbuster_2.5xNCS.jsonl", cb))
    assert result["map"] is None
    assert result["trained_on_this_data"] is False
    assert result["scored_by"] == "the shipped model"
    tweets = [{"tweet_text": t, "claim": y, "check_worthiness": y} for t, y in sentences]
    result = evaluate(_write(tmp_path / "tweets.jsonl", tweets))
    assert result["rows"] == len(tweets)
    assert result["recall"] > 0.0
