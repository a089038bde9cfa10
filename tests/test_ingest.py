"""`manage.py ingest`: from pasted text or a URL to scored, explained claims — and every bad input."""

import gzip
import io
import json

import pytest
from django.core.management import CommandError, call_command

from claims.models import Article, Claim
from text.sentences import split_sentences

SEED = "demo/seed_article.txt"

NEWS_HTML = """<!doctype html><html lang="en"><head><title>Port of Eastholm reports record year</title>
<meta name="author" content="Jo Rivers"><link rel="canonical" href="https://news.example/port">
</head><body><nav><a href="/">Home</a> | <a href="/sport">Sport</a></nav>
<article><h1>Port of Eastholm reports record year</h1>
<p>The Port of Eastholm handled 2.4 million containers in 2025, up 12 per cent from 2024, the port
authority said in its annual report published on Tuesday.</p>
<p>Revenue rose from $310 million to $355 million, according to the report, the highest figure
since the port opened in 1961.</p>
<p>"We are proud of our staff," said the chief executive. Will the growth last? Nobody knows.</p>
<p>See the <a href="https://stats.example/ports/2025">national statistics</a> for comparison.</p>
</article><footer>Copyright Example News. <a href="/privacy">Privacy</a></footer></body></html>"""


@pytest.fixture
def local_fetching(settings):
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.FETCH_DOMAIN_MIN_INTERVAL = 0
    settings.PIPELINE_MAX_LINKS_PER_ARTICLE = 0  # these tests are about the article itself
    return settings


def ingest(*args: str) -> dict:
    out = io.StringIO()
    call_command("ingest", *args, "--wait", "--json", stdout=out)
    return json.loads(out.getvalue())


def ingest_failure(*args: str) -> tuple[str, Article]:
    with pytest.raises(CommandError) as raised:
        call_command("ingest", *args, "--wait", "--json", stdout=io.StringIO())
    return str(raised.value), Article.objects.order_by("-pk").first()


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_finds_the_factual_claims_of_the_seed_article_and_none_of_its_debris(shared_dir):
    result = ingest("--text-file", str(shared_dir / SEED))

    article, claims = result["article"], result["claims"]
    assert article["status"] == "done"
    assert article["title"].startswith("Canada, U.S. Coordinate on Migrant Deportations")
    for debris in ("Most Popular", "LEAVE A REPLY", "Please enter your comment", "More from Author"):
        assert debris not in article["text"]
    texts = [claim["text"] for claim in claims]
    body_sentences = [s for s in split_sentences(article["text"]) if len(s.text.split()) > 6]
    assert len(texts) <= 8 < len(body_sentences), "at most about half the sentences become claims"
    expected = ["18,000", "decade high in 2024", "succeeded in March by Mark Carney", "Somali national"]
    for fragment in expected:
        assert any(fragment in text for text in texts), fragment
    cbsa = next(claim for claim in claims if "18,000" in claim["text"])
    roles = {(q["text"], q["role"]) for q in cbsa["quantities"]}
    assert {("18,000", "from"), ("20,000", "to")} <= roles
    assert cbsa["reasons"], "each claim says why it was picked"
    for claim in claims:  # offsets point into the stored text
        assert article["text"][claim["start"] : claim["end"]] == claim["text"]


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_ingests_a_url_served_by_a_local_server(local_server, local_fetching):
    local_server.route("/port", body=NEWS_HTML)

    result = ingest("--url", local_server.url("/port"))

    assert result["article"]["status"] == "done"
    assert result["article"]["title"] == "Port of Eastholm reports record year"
    texts = " ".join(claim["text"] for claim in result["claims"])
    assert "2.4 million containers" in texts
    assert "Will the growth last?" not in texts
    assert "Privacy" not in result["article"]["text"]


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_is_idempotent_when_the_pipeline_is_run_again(shared_dir):
    from claims.pipeline import article_analyse

    result = ingest("--text-file", str(shared_dir / SEED))
    article_id = result["article"]["id"]
    before = Claim.objects.filter(article_id=article_id).count()
    Article.objects.filter(pk=article_id).update(status=Article.Status.SCORING)
    article_analyse(article_id)
    assert Claim.objects.filter(article_id=article_id).count() == before


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_refuses_empty_text(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("   \n\n  \t ")
    with pytest.raises(CommandError, match="empty"):
        call_command("ingest", "--text-file", str(path), "--wait", stdout=io.StringIO())
    assert not Article.objects.exists()


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_refuses_a_binary_file(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(CommandError, match="binary"):
        call_command("ingest", "--text-file", str(path), "--wait", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_reads_non_utf8_text_in_its_own_encoding(tmp_path):
    path = tmp_path / "latin1.txt"
    text = (
        "Café prices in Montréal rose 8 per cent in 2024, according to Statistics Canada.\n\n"
        "The agency said the average price of a coffee reached $4.10 in December."
    )
    path.write_bytes(text.encode("cp1252"))
    result = ingest("--text-file", str(path))
    assert "Café prices in Montréal" in result["article"]["text"]
    assert result["claims"]


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_stores_a_clear_error_for_a_404(local_server, local_fetching):
    local_server.route("/gone", status=404, body="not here")
    message, article = ingest_failure("--url", local_server.url("/gone"))
    assert article.status == Article.Status.FAILED
    assert "404" in article.error and "Could not fetch" in article.error
    assert article.error in message


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_refuses_a_private_address(settings):
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = []
    _, article = ingest_failure("--url", "http://127.0.0.1:9/admin")
    assert article.status == Article.Status.FAILED
    assert "private" in article.error.lower() or "loopback" in article.error.lower()


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_stores_a_clear_error_for_unsupported_content(local_server, local_fetching):
    local_server.route("/photo", body=b"\x89PNG\r\n\x1a\n" + bytes(2000), content_type="image/png")
    _, article = ingest_failure("--url", local_server.url("/photo"))
    assert "image/png" in article.error


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_refuses_a_page_over_the_size_cap(local_server, local_fetching):
    local_fetching.FETCH_MAX_BYTES = 50_000
    local_server.route("/huge", body="<p>" + "word " * 40_000 + "</p>")
    _, article = ingest_failure("--url", local_server.url("/huge"))
    assert "larger than 50,000 bytes" in article.error


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_refuses_a_gzip_bomb(local_server, local_fetching):
    bomb = gzip.compress(b"<p>" + b"A" * 30_000_000)
    local_server.route("/bomb", body=bomb, headers={"Content-Encoding": "gzip"})
    _, article = ingest_failure("--url", local_server.url("/bomb"))
    assert article.status == Article.Status.FAILED
    assert "larger than" in article.error


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_stores_a_clear_error_on_a_timeout(local_server, local_fetching):
    local_fetching.FETCH_READ_TIMEOUT = 0.3
    local_server.route("/slow", body=NEWS_HTML, delay=2.0)
    _, article = ingest_failure("--url", local_server.url("/slow"))
    assert "time" in article.error.lower()


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_keeps_a_non_english_page_and_says_scoring_is_english_only(local_server, local_fetching):
    html = (
        "<html lang='fr'><head><title>Le port de Brest</title></head><body><article>"
        "<p>Le port de Brest a traité 2,4 millions de conteneurs en 2025, selon le rapport annuel "
        "publié mardi par les autorités portuaires de la ville.</p>"
        "<p>Les recettes ont augmenté de 12 pour cent par rapport à l'année précédente, et la "
        "direction prévoit de nouveaux investissements dans les quais.</p></article></body></html>"
    )
    local_server.route("/fr", body=html)
    result = ingest("--url", local_server.url("/fr"))
    assert result["article"]["status"] == "done"
    assert result["article"]["language"] == "fr"
    assert "English-only" in result["article"]["progress"][-1]["message"]
    assert result["claims"] == []


@pytest.mark.django_db(transaction=True)  # `ingest --wait` commits, as it does in use
def test_it_fails_an_html_page_with_no_text(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><head><title>x</title><script>var a = 1;</script></head><body> </body></html>")
    _, article = ingest_failure("--file", str(path))
    assert article.status == Article.Status.FAILED
    assert "No article text" in article.error
