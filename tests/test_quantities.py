"""Quantities, dates and entities pulled from claims, with exact spans."""

from pathlib import Path

import pytest

from text.quantities import extract_dates, extract_entities, extract_quantities

SEED = Path(__file__).resolve().parents[2] / "shared" / "demo" / "seed_article.txt"
CBSA = (
    "The CBSA aims to increase deportations from 18,000 last fiscal year to 20,000 annually "
    "over the next two years."
)


def _assert_exact(text: str, items: list[dict]) -> None:
    for item in items:
        assert text[item["start"] : item["end"]] == item["text"], item


def _one(items: list[dict], text: str) -> dict:
    matches = [item for item in items if item["text"] == text]
    assert len(matches) == 1, (text, items)
    return matches[0]


def test_it_reads_a_from_to_range_and_a_duration() -> None:
    items = extract_quantities(CBSA)
    _assert_exact(CBSA, items)
    counts = [q for q in items if q["kind"] == "count"]
    assert [(q["text"], q["value"], q["role"]) for q in counts] == [
        ("18,000", 18000.0, "from"),
        ("20,000", 20000.0, "to"),
    ]
    duration = _one(items, "next two years")
    assert (duration["kind"], duration["value"], duration["unit"]) == ("duration", 2.0, "year")


def test_it_reads_money_with_symbols_and_magnitudes() -> None:
    text = "The plan costs £3bn, against $4.5 million last year, €20 a head and US$1.2 billion."
    items = extract_quantities(text)
    _assert_exact(text, items)
    assert all(q["kind"] == "money" for q in items)
    assert [(q["text"], q["value"], q["unit"]) for q in items] == [
        ("£3bn", 3e9, "GBP"),
        ("$4.5 million", 4.5e6, "USD"),
        ("€20", 20.0, "EUR"),
        ("US$1.2 billion", 1.2e9, "USD"),
    ]


def test_it_reads_percentages_written_either_way() -> None:
    text = "Inflation hit 12 per cent, up from 8.5% and 3.5 percentage points above target."
    items = extract_quantities(text)
    _assert_exact(text, items)
    assert [(q["text"], q["value"], q["unit"]) for q in items] == [
        ("12 per cent", 12.0, "%"),
        ("8.5%", 8.5, "%"),
        ("3.5 percentage points", 3.5, "pp"),
    ]
    assert {q["kind"] for q in items} == {"percent"}
    assert _one(items, "8.5%")["role"] == "from"


def test_it_tells_years_from_counts() -> None:
    text = "Deportations hit a decade high in 2024, when 2,000 jobs went and a further 2000 homes were lost."
    items = extract_quantities(text)
    assert _one(items, "2024")["kind"] == "year"
    assert _one(items, "2,000")["kind"] == "count"
    assert _one(items, "2000")["kind"] == "count"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("between 5 and 10 people", [(5.0, "count", "from"), (10.0, "count", "to")]),
        ("rates of 5-10% a year", [(5.0, "percent", "from"), (10.0, "percent", "to")]),
        ("a $5-10 million grant", [(5e6, "money", "from"), (1e7, "money", "to")]),
        ("unemployment rose to 7.2%", [(7.2, "percent", "to")]),
    ],
)
def test_it_reads_ranges_and_changes(text: str, expected: list[tuple]) -> None:
    items = extract_quantities(text)
    _assert_exact(text, items)
    assert [(q["value"], q["kind"], q["role"]) for q in items] == expected


def test_it_reads_number_words() -> None:
    text = "Two million people, a dozen cases, twenty-five sites and half a million dollars."
    items = extract_quantities(text)
    _assert_exact(text, items)
    values = {q["text"]: (q["value"], q["kind"]) for q in items}
    assert values["Two million"] == (2e6, "count")
    assert values["a dozen"] == (12.0, "count")
    assert values["twenty-five"] == (25.0, "count")
    assert values["half a million dollars"] == (5e5, "money")


def test_it_ignores_numbers_that_are_labels_or_days() -> None:
    text = "COVID-19 and Bill C-51 came up on March 3, 2024 at 10:30, the 21st item under Article 5."
    items = extract_quantities(text)
    assert [(q["text"], q["kind"]) for q in items] == [("2024", "year")]


def test_it_extracts_dates_of_every_kind() -> None:
    text = (
        "Trump began his second term in January; on March 3, 2024 the CBSA counted 18,000 removals "
        "for fiscal 2023-24, twice the 1990s level, and it expects more over the next two years."
    )
    items = extract_dates(text)
    _assert_exact(text, items)
    got = {(d["text"], d["kind"], d["value"]) for d in items}
    assert got == {
        ("January", "month", "--01"),
        ("March 3, 2024", "date", "2024-03-03"),
        ("fiscal 2023-24", "year", "2023/2024"),
        ("1990s", "year", "1990s"),
        ("the next two years", "relative", "next two years"),
    }


def test_it_reads_may_as_a_month_only_in_context() -> None:
    assert [d["value"] for d in extract_dates("The vote was held in May.")] == ["--05"]
    assert extract_dates("Officials May resign. They may not.") == []


def test_it_extracts_entities_from_the_seed_article() -> None:
    text = SEED.read_text(encoding="utf-8")
    items = extract_entities(text)
    _assert_exact(text, items)
    kinds = {(e["text"], e["kind"]) for e in items}
    assert ("Canada’s Border Services Agency", "org") in kinds
    assert ("CBSA", "acronym") in kinds
    assert ("Mark Carney", "person") in kinds
    assert ("Justin Trudeau", "person") in kinds
    assert ("Donald Trump", "person") in kinds
    assert ("Trump", "person") in kinds  # the bare surname, resolved from "Donald Trump"
    assert ("Somalia", "place") in kinds
    assert ("U.S.", "place") in kinds
    # Sentence-initial common words are not names.
    assert not {"Officials", "Immigration", "Refugee", "The CBSA"} & {e["text"] for e in items}


def test_it_strips_titles_from_people() -> None:
    text = "Prime Minister Justin Trudeau met Dr. Jane Doe of the Bank of Canada in Ottawa."
    items = extract_entities(text)
    _assert_exact(text, items)
    assert [(e["text"], e["kind"]) for e in items] == [
        ("Justin Trudeau", "person"),
        ("Jane Doe", "person"),
        ("Bank of Canada", "org"),
        ("Ottawa", "place"),
    ]


def test_it_keeps_spans_exact_over_a_whole_article() -> None:
    text = SEED.read_text(encoding="utf-8")
    for extract in (extract_quantities, extract_dates, extract_entities):
        items = extract(text)
        assert items
        _assert_exact(text, items)
        starts = [item["start"] for item in items]
        assert starts == sorted(starts)


def test_it_finds_nothing_in_empty_or_plain_text() -> None:
    for extract in (extract_quantities, extract_dates, extract_entities):
        assert extract("") == []
        assert extract("nothing to see here at all") == []
