"""Main text and metadata extraction: pages, pasted text, language, and its evaluation."""

from __future__ import annotations

import base64
import datetime
import gzip
import json
from pathlib import Path

import pytest

from claims.evaluation import extraction as evaluation
from sources.extraction import (
    Candidate,
    choose_main_text,
    clean_pasted_text,
    detect_language,
    extract_html,
    prefers_precise,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED_ARTICLE = SHARED / "demo" / "seed_article.txt"
CLEANEVAL = SHARED / "data" / "extraction" / "cleaneval_dev.jsonl.gz"

CLEAN_ARTICLE = [
    "The city council voted 7 to 2 on Tuesday to expand the harbour ferry service, "
    "adding four sailings a day from May.",
    "Ridership rose 12% last year to 1.4 million trips, according to the transit "
    "authority's annual report. Officials said the new sailings would cost about "
    "$3.2 million a year.",
    "Timetables",
    "Councillor Dana Whitfield, who voted against, said the money should go to buses "
    "first. “We are paying for the view,” she said.",
    "The first extra boat leaves at 6:15 a.m. on May 4.",
]


def _non_empty_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- pasted text ----------------------------------------------------------------------------


def test_it_keeps_the_seed_articles_headline_and_body_and_drops_the_debris() -> None:
    lines = _non_empty_lines(SEED_ARTICLE.read_text(encoding="utf-8"))
    breadcrumb, headline = lines[0], lines[1]
    debris_start = lines.index("Most Popular")
    body, debris = lines[2:debris_start], lines[debris_start:]

    doc = clean_pasted_text(SEED_ARTICLE.read_text(encoding="utf-8"))

    assert doc.title == headline
    assert doc.text.split("\n\n") == body
    assert doc.language == "en"
    for line in [breadcrumb, *debris]:
        assert line not in doc.text.split("\n\n"), line
    for marker in ("Home", "Most Popular", "LEAVE A REPLY", "Please enter", "More from Author"):
        assert marker not in doc.text
    assert "Read Now" not in doc.text and "..." not in doc.text


def test_it_passes_a_clean_article_through_apart_from_whitespace() -> None:
    messy = "\r\n\r\n".join(f"  {p.replace(' ', '  ', 3)}\u00a0 " for p in CLEAN_ARTICLE)

    doc = clean_pasted_text("\n\n" + messy + "\n\n\n")

    assert doc.text == "\n\n".join(CLEAN_ARTICLE)
    assert doc.title == ""


def test_it_drops_a_related_list_at_the_end() -> None:
    pasted = "\n\n".join(
        [
            *CLEAN_ARTICLE,
            "Related",
            "Harbour authority names new chief",
            "Bus fares to rise in autumn",
            "Why the ferry pier is sinking",
        ]
    )

    doc = clean_pasted_text(pasted)

    assert doc.text == "\n\n".join(CLEAN_ARTICLE)


def test_it_keeps_a_single_paragraph_and_a_single_line() -> None:
    paragraph = CLEAN_ARTICLE[1]

    assert clean_pasted_text(paragraph).text == paragraph
    assert clean_pasted_text("Ferry service expanded").text == "Ferry service expanded"


def test_it_takes_headline_and_byline_from_the_top_of_pasted_text() -> None:
    top = [
        "Local news",
        "Council Expands Harbour Ferry Service",
        "By Sam Ortiz, City Desk",
        "Updated March 4, 2025",
    ]
    pasted = "\n\n".join([*top, *CLEAN_ARTICLE])

    doc = clean_pasted_text(pasted)

    assert doc.title == "Council Expands Harbour Ferry Service"
    assert doc.byline == "Sam Ortiz"
    assert doc.published == datetime.date(2025, 3, 4)
    assert doc.text == "\n\n".join(CLEAN_ARTICLE)


def test_it_joins_hard_wrapped_lines_into_paragraphs() -> None:
    wrapped = (
        "The city council voted 7 to 2 on Tuesday to expand the harbour ferry\n"
        "service, adding four sailings a day from May, officials said.\n"
        "\n"
        "Ridership rose 12% last year to 1.4 million trips, according to the\n"
        "transit authority's annual report published on Monday morning.\n"
    )

    doc = clean_pasted_text(wrapped)

    assert doc.text.split("\n\n") == [
        "The city council voted 7 to 2 on Tuesday to expand the harbour ferry service, "
        "adding four sailings a day from May, officials said.",
        "Ridership rose 12% last year to 1.4 million trips, according to the transit "
        "authority's annual report published on Monday morning.",
    ]


def test_it_keeps_an_authors_lists_and_ordinary_sentences_that_look_like_debris() -> None:
    article = [
        "Home prices rose 5% in March, the housing survey found, the steepest rise in a year.",
        "Related",
        "Three changes take effect:",
        "Ferries: four more a day",
        "Buses: no change",
        "Fares: up 10 cents",
        "Comments from residents at the meeting were mostly in favour of the plan.",
        "What changes in May:",
        "- earlier first sailing",
        "- later last sailing",
        "- a new stop at the pier",
        "Reporting by Sam Ortiz; editing by Lee Park",
    ]

    assert clean_pasted_text("\n\n".join(article)).text == "\n\n".join(article)


def test_it_drops_a_comment_form_and_a_repeated_placeholder() -> None:
    placeholder = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod."
    pasted = "\n\n".join(
        [
            *CLEAN_ARTICLE,
            "Leave a comment",
            "Your email address will not be published. Required fields are marked *",
            "Name*",
            "Email*",
            "Website",
            "Save my name, email, and website in this browser for the next time I comment.",
            placeholder,
            placeholder,
            placeholder,
        ]
    )

    assert clean_pasted_text(pasted).text == "\n\n".join(CLEAN_ARTICLE)


def test_it_drops_a_cookie_consent_banner_and_its_buttons_from_pasted_text() -> None:
    pasted = "\n\n".join(
        [
            "We use cookies to personalise content and ads and to analyse our traffic. By continuing "
            "to use this site you agree to our use of cookies.",
            "Accept all cookies",
            "Manage preferences",
            *CLEAN_ARTICLE,
            "We value your privacy",
            "Reject all",
        ]
    )

    assert clean_pasted_text(pasted).text == "\n\n".join(CLEAN_ARTICLE)


def test_it_keeps_an_article_about_cookies_and_sentences_that_only_mention_them() -> None:
    policy = [
        "We use cookies to remember your settings and to count visits to each page.",
        "This site uses cookies from our analytics provider, which keeps them for 13 months.",
        "You can reject all cookies in your browser settings; the site will still work.",
    ]
    news = [
        *CLEAN_ARTICLE[:2],
        "The regulator said the GDPR requires consent before tracking, and that users can change "
        "their privacy settings at any time.",
        "By continuing the talks, both sides agreed to meet again in May.",
    ]

    assert clean_pasted_text("\n\n".join(policy)).text == "\n\n".join(policy)
    assert clean_pasted_text("\n\n".join(news)).text == "\n\n".join(news)


# --- HTML -----------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <title>Council expands harbour ferry service | Harbour Gazette</title>
  <meta property="og:site_name" content="Harbour Gazette">
  <meta property="og:title" content="Council expands harbour ferry service">
  <meta name="author" content="Sam Ortiz">
  <meta property="article:published_time" content="2025-03-04T09:30:00Z">
  <link rel="canonical" href="https://gazette.example/news/ferry-service">
</head>
<body>
  <nav><a href="/">Home</a> <a href="/sport">Sport</a> <a href="/weather">Weather</a></nav>
  <article>
    <h1>Council expands harbour ferry service</h1>
    <p class="byline">By Sam Ortiz</p>
    <p>The city council voted 7 to 2 on Tuesday to expand the harbour ferry service, adding
       four sailings a day from May, after a long debate about the cost of the plan.</p>
    <p>Ridership rose 12% last year to 1.4 million trips, according to the
       <a href="https://transit.example/annual-report-2024">transit authority's annual report</a>.
       Officials said the new sailings would cost about $3.2 million a year.</p>
    <p>Councillor Dana Whitfield, who voted against, said the money should go to buses first,
       pointing to <a href="bus-review">last year's bus review</a> and to the
       <a href="https://transit.example/annual-report-2024#page=4">same report</a>
       (<a href="#comments">comments below</a>).
       Questions can go to <a href="mailto:desk@gazette.example">the news desk</a>
       or <a href="https://[desk]/form">its form</a>.</p>
  </article>
  <section id="comments" class="comments">
    <h3>3 comments</h3>
    <div class="comment"><p>Finally! I have waited years for this ferry expansion to happen.</p></div>
    <div class="comment"><p>What a waste of money, the buses are always late anyway.</p></div>
  </section>
  <footer>Copyright 2025 Harbour Gazette. All rights reserved. <a href="/privacy">Privacy</a>
    <a href="http://[ccpa-preferences]/">Your choices</a></footer>
</body>
</html>"""


def test_it_extracts_main_text_and_metadata_from_a_page() -> None:
    doc = extract_html(PAGE, url="https://gazette.example/news/ferry-service?utm_source=x")

    paragraphs = doc.text.split("\n\n")
    assert paragraphs[0].startswith("The city council voted 7 to 2 on Tuesday")
    assert paragraphs[-1].startswith("Councillor Dana Whitfield")
    assert "Ridership rose 12% last year to 1.4 million trips" in doc.text
    assert "  " not in doc.text and "\n\n\n" not in doc.text
    for debris in ("waited years", "waste of money", "Copyright", "Weather"):
        assert debris not in doc.text
    assert "Council expands harbour ferry service" not in doc.text
    assert doc.title == "Council expands harbour ferry service"
    assert doc.byline == "Sam Ortiz"
    assert doc.published == datetime.date(2025, 3, 4)
    assert doc.site_name == "Harbour Gazette"
    assert doc.canonical_url == "https://gazette.example/news/ferry-service"
    assert doc.language == "en"
    assert doc.links == [
        "https://transit.example/annual-report-2024",
        "https://gazette.example/news/bus-review",
    ]
    assert doc.extractor == "trafilatura"


def test_it_reads_a_page_fragment_without_html_and_body_tags() -> None:
    fragment = "<div>" + "".join(f"<p>{p}</p>" for p in CLEAN_ARTICLE[:2]) + "</div>"

    doc = extract_html(fragment)

    assert doc.text == "\n\n".join(CLEAN_ARTICLE[:2])


@pytest.mark.parametrize("html", ["", "   \n\t ", "<html><body>  </body></html>"])
def test_it_gives_empty_text_for_an_empty_page(html: str) -> None:
    doc = extract_html(html)

    assert doc.text == ""
    assert doc.links == []


ARTICLE_HTML = "".join(f"<p>{p}</p>" for p in CLEAN_ARTICLE)
BANNER = (
    "We use cookies to improve your experience and to show you personalised ads. By continuing "
    "to use this site you agree to our use of cookies."
)


# Paragraphs long enough for jusText to call them good on their own (over 200 characters).
LONG_ARTICLE = [
    "The city council voted 7 to 2 on Tuesday to expand the harbour ferry service, adding four "
    "sailings a day from May, after a long debate about the cost of the plan and about what it would "
    "mean for the buses.",
    "Ridership rose 12% last year to 1.4 million trips, according to the transit authority's annual "
    "report. Officials said that the new sailings would cost about $3.2 million a year, which is more "
    "than the council had set aside.",
    "Councillor Dana Whitfield, who voted against, said the money should go to buses first, and that "
    "the ferry mostly served visitors. The first extra boat leaves at 6:15 a.m. on May 4, the "
    "authority said in a statement.",
]


def test_a_link_list_from_trafilatura_loses_to_the_fallback_that_has_the_article() -> None:
    teasers = "".join(
        f'<p><a href="/news/{i}">Harbour news item number {i} about ferries and buses in the city</a></p>'
        for i in range(12)
    )
    body = "<br><br>".join(LONG_ARTICLE)
    page = f"<html><body><article>{teasers}</article><div class='body'>{body}</div></body></html>"

    doc = extract_html(page, url="https://gazette.example/news/ferry")

    # trafilatura takes the teaser list, readability both: jusText's dense prose is the article.
    assert doc.extractor == "justext"
    assert doc.text.split("\n\n") == LONG_ARTICLE
    assert doc.links == []


def test_a_normal_article_keeps_trafilaturas_text() -> None:
    doc = extract_html(PAGE, url="https://gazette.example/news/ferry-service")

    assert doc.extractor == "trafilatura"


def test_a_consent_banner_in_the_extracted_text_is_dropped_with_its_button() -> None:
    page = (
        "<html><head><title>Ferry service expanded</title></head><body>"
        f"<article><p>{BANNER}</p><p><a href='/consent'>Accept all cookies</a></p>{ARTICLE_HTML}</article>"
        "</body></html>"
    )

    doc = extract_html(page, url="https://gazette.example/news/ferry")

    assert doc.text == "\n\n".join(CLEAN_ARTICLE)


def _candidate(extractor: str, paragraphs: list[str], link_chars: int = 0) -> Candidate:
    return Candidate(extractor, paragraphs, link_chars)


def _no_precise() -> Candidate:
    raise AssertionError("the precision pass is only for a text that passed its checks")


def test_a_consent_banner_from_trafilatura_falls_back_to_readability() -> None:
    banner = _candidate("trafilatura", [BANNER, "Accept all cookies"])
    readable = _candidate("readability", CLEAN_ARTICLE)
    dense = _candidate("justext", CLEAN_ARTICLE[:2])

    assert choose_main_text(banner, [readable, dense], dense, _no_precise) is readable


def test_a_short_text_beside_the_pages_dense_text_falls_back_and_a_fallback_must_pass_its_checks() -> None:
    caption = _candidate("trafilatura", ["Photo: the harbour ferry at dawn."])
    links_only = _candidate("readability", ["Home", "News"], link_chars=8)
    dense = _candidate("justext", CLEAN_ARTICLE)

    assert choose_main_text(caption, [links_only, dense], dense, _no_precise) is dense


def test_a_link_round_up_stays_when_no_fallback_brings_more_text_outside_links() -> None:
    round_up = [
        f"Harbour ferry timetable changes for May, part {i} via the transit authority" for i in range(8)
    ]
    # Two thirds of it is link text, but the fallback has less text outside links than that.
    links = _candidate("trafilatura", round_up, link_chars=sum(len(p) for p in round_up) * 2 // 3)
    snippet = _candidate("readability", ["Harbour ferry timetable changes for May."])
    dense = _candidate("justext", [])

    assert choose_main_text(links, [snippet, dense], dense, _no_precise) is links


def test_nothing_better_keeps_trafilaturas_text_and_empty_everywhere_is_empty() -> None:
    short = _candidate("trafilatura", ["Ferry timetable"])
    nothing = [_candidate("readability", []), _candidate("justext", [])]

    assert choose_main_text(short, nothing, nothing[1], _no_precise) is short
    empty = _candidate("trafilatura", [])
    assert not choose_main_text(empty, nothing, nothing[1], _no_precise).paragraphs


def test_the_precise_pass_wins_when_readability_agrees_unless_it_kept_only_a_fragment() -> None:
    slideshow = ["Slide 1 of 12: the old pier in 1950.", "Slide 2 of 12: the ferry terminal, 1972."]
    normal = _candidate("trafilatura", CLEAN_ARTICLE + slideshow)
    precise = _candidate("trafilatura-precise", CLEAN_ARTICLE)
    referee = _candidate("readability", CLEAN_ARTICLE)
    dense = _candidate("justext", CLEAN_ARTICLE)

    assert prefers_precise(normal, precise, referee)
    assert choose_main_text(normal, [referee, dense], dense, lambda: precise) is precise
    # Readability and the precise pass both locked onto a caption: agreement is no proof.
    caption = ["Photo: the harbour ferry at dawn."]
    assert not prefers_precise(
        normal, _candidate("trafilatura-precise", caption), _candidate("readability", caption)
    )
    # Precise disagreeing more with the referee stays out too.
    assert not prefers_precise(normal, _candidate("trafilatura-precise", slideshow), referee)


# --- language -------------------------------------------------------------------------------


def test_it_detects_french_english_and_too_little_to_tell() -> None:
    french = (
        "Le conseil municipal a voté mardi l'extension du service de traversier dans le port. "
        "Selon le rapport annuel, la fréquentation a augmenté de 12 % l'an dernier, et les "
        "nouveaux départs coûteront environ 3,2 millions de dollars par an."
    )

    assert detect_language(french) == "fr"
    assert (
        detect_language("Городской совет во вторник проголосовал за расширение паромного сообщения.") == "ru"
    )
    assert detect_language("市議会は火曜日、港のフェリーを一日四便増やすことを決めた。") == "ja"
    assert detect_language(" ".join(CLEAN_ARTICLE)) == "en"
    assert detect_language("Harbour ferry") == ""
    assert detect_language("") == ""


# --- evaluation -----------------------------------------------------------------------------


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _stub_systems(monkeypatch: pytest.MonkeyPatch, outputs: dict[str, str]) -> list[str]:
    """Ours answers from `outputs` (keyed by page html), every single extractor with nothing."""
    events: list[str] = []
    add = evaluation.Scorer.add

    def predict(page: evaluation.PageInput) -> str:
        events.append(f"predict {page.html}")
        return outputs[page.html]

    def scored(self: evaluation.Scorer, prediction: str, row: dict) -> None:
        events.append(f"labels {row['html']}")
        add(self, prediction, row)

    monkeypatch.setattr(evaluation, "predict", predict)
    for single in (
        "baseline_predict",
        "trafilatura_no_comments_predict",
        "readability_predict",
        "justext_predict",
    ):
        monkeypatch.setattr(evaluation, single, lambda page: "")
    monkeypatch.setattr(evaluation.Scorer, "add", scored)
    return events


def test_it_scores_gold_text_rows_with_token_overlap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = _stub_systems(monkeypatch, {"<p>1</p>": "a b c d", "<p>2</p>": "x x y"})
    dataset = _write_jsonl(
        tmp_path / "tiny_gold.jsonl",
        [
            {"html": "<p>1</p>", "html_encoding": "utf-8", "gold_text": "A b c e"},
            {"html": "<p>2</p>", "html_encoding": "utf-8", "gold_text": "x y y z"},
        ],
    )
    out = tmp_path / "predictions.jsonl"

    result = evaluation.evaluate(dataset, predictions=out)

    # Page 1: 3 of 4 tokens right both ways. Page 2: overlap {x, y} = 2 of 3 predicted, of 4 gold.
    assert result["dataset"] == "tiny_gold" and result["rows"] == 2
    assert result["metric"].startswith("token bag-of-words")
    assert result["precision"] == pytest.approx((3 / 4 + 2 / 3) / 2, abs=1e-4)
    assert result["recall"] == pytest.approx((3 / 4 + 2 / 4) / 2, abs=1e-4)
    assert result["f1"] == pytest.approx((0.75 + 4 / 7) / 2, abs=1e-4)
    assert result["micro"]["precision"] == pytest.approx(5 / 7, abs=1e-4)
    assert result["baseline"]["name"] == "trafilatura defaults"
    assert result["baseline"]["f1"] == 0.0
    assert [b["name"] for b in result["baselines"]] == [
        "trafilatura defaults",
        "trafilatura comments off",
        "readability-lxml",
        "jusText",
    ]
    assert result["best_single"]["ours_above"] is True
    assert result["ratio_f1_vs_baseline"] is None
    assert [json.loads(line) for line in out.read_text().splitlines()] == [
        {"text": "a b c d"},
        {"text": "x x y"},
    ]
    # Every page is predicted before its labels are looked at (once per system: ours and four).
    assert events == [
        "predict <p>1</p>",
        *["labels <p>1</p>"] * 5,
        "predict <p>2</p>",
        *["labels <p>2</p>"] * 5,
    ]


def test_it_scores_with_without_rows_like_trafilaturas_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stub_systems(monkeypatch, {"<p>1</p>": "alpha  beta\ngamma", "<p>2</p>": ""})
    dataset = _write_jsonl(
        tmp_path / "tiny_snippets.jsonl",
        [
            {"url": "hard::a.html", "html": "<p>1</p>", "with": ["alpha beta", "delta"],
             "without": ["gamma", "omega"]},
            {"url": "hard::b.html", "html": "<p>2</p>", "with": ["x"], "without": ["y"]},
        ],
    )  # fmt: skip

    result = evaluation.evaluate(dataset)

    assert result["counts"] == {"tp": 1, "fn": 2, "fp": 1, "tn": 2}
    assert result["precision"] == 0.5
    assert result["recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["f1"] == pytest.approx(0.4, abs=1e-4)
    assert result["accuracy"] == 0.5


def test_it_evaluates_real_pages_from_a_gzipped_file_with_encoded_html(tmp_path: Path) -> None:
    page = PAGE.replace("Ridership", "Ridership (señal)")
    dataset = tmp_path / "pages.jsonl.gz"
    rows = [
        {"html": page, "html_encoding": "utf-8", "gold_text": "\n".join(CLEAN_ARTICLE[:1])},
        {
            "html_base64": base64.b64encode(page.encode("cp1252")).decode("ascii"),
            "html_encoding": "cp1252",
            "gold_text": "Ridership (señal) rose 12% last year to 1.4 million trips",
        },
    ]
    with gzip.open(dataset, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    out = tmp_path / "predictions.jsonl"

    result = evaluation.evaluate(dataset, predictions=out)

    assert result["dataset"] == "pages" and result["rows"] == 2
    assert result["recall"] == 1.0
    texts = [json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert texts[0] == texts[1] and "Ridership (señal) rose" in texts[1]


@pytest.mark.slow
def test_it_does_at_least_as_well_as_trafilatura_defaults_on_cleaneval() -> None:
    if not CLEANEVAL.exists():
        pytest.skip(f"shared data set not found: {CLEANEVAL.name}")

    result = evaluation.evaluate(CLEANEVAL)

    assert result["rows"] == 58
    assert result["f1"] >= result["baseline"]["f1"] - 0.01
