"""The OpenAPI schema is the contract: schemathesis drives every operation from it, and the docs load."""

import re
from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from claims.models import Claim
from partners.serializers import HTTP_URL
from tests.factories import auth, make_article, make_claim, make_evidence, make_partner, submitted_by


@pytest.fixture
def wsgi_requests_in_test_transaction(db, settings) -> Iterator[None]:
    """Let requests go straight into Django's WSGI app and still see the test's data.

    Django closes the connection at the end of a WSGI request made inside a transaction, which would
    lose the test's transaction; Django's own test client disconnects the same receiver.
    """
    settings.PARTNER_API_RATE = "100000/min"
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def partner_world(db) -> dict:
    """A partner with an article, claims with and without verdicts, evidence, and a webhook."""
    partner, key = make_partner()
    article = submitted_by(partner, make_article(url="https://harbour.example/b"))
    verdict = make_claim(article, "Ferry fares rose by 12% last year.", status=Claim.Status.VERIFIED)
    make_evidence(verdict, confirmed=True)
    open_claim = make_claim(article, "The harbour budget doubled in 2024.")
    return {"key": key, "ids": [article.pk, verdict.pk, open_claim.pk]}


# Loaded when the module is collected (no database needed for the schema). schemathesis' lazy
# `from_fixture` loader would wait for a fixture, but it touches a Node attribute pytest 9 removed.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@schema.parametrize()
@hypothesis_settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,  # no .hypothesis folder in the work tree
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@pytest.mark.usefixtures("wsgi_requests_in_test_transaction")
def test_it_conforms_to_its_openapi_schema(case, partner_world):
    # Half of the generated ids are swapped for real ones, so 200 answers are checked, not only 404s.
    path = case.path_parameters or {}
    if isinstance(path.get("id"), int) and path["id"] % 2 == 0:
        path["id"] = partner_world["ids"][path["id"] % len(partner_world["ids"])]
    if isinstance(case.query, dict):
        # A cursor is opaque and only the server makes them: a made-up one is the client's mistake
        # (400, tested in test_api_claims), whatever string the schema allows.
        case.query.pop("cursor", None)
    url = case.body.get("url") if case.path.endswith("/webhooks/") and isinstance(case.body, dict) else None
    if isinstance(url, str) and len(url) <= 2000 and re.match(HTTP_URL, url):
        # Registering resolves a valid URL's host: keep generated names out of DNS (still a valid URL).
        case.body["url"] = "http://127.0.0.1:9/hook"
    case.call_and_validate(headers=auth(partner_world["key"]))


def test_it_serves_the_schema_as_json_without_a_key(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    spec = response.json()
    assert {"/api/v1/claims/{id}/claimreview/", "/api/v1/claims/search/", "/api/v1/articles/"} <= set(
        spec["paths"]
    )
    assert spec["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Api-Key <key>`, as printed by `manage.py create_partner`.",
    }
    claim_detail = spec["paths"]["/api/v1/claims/{id}/"]["get"]["responses"]
    assert {"200", "304", "401", "404", "429"} <= set(claim_detail)


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_it_serves_the_docs_offline_with_their_own_csp(client, path):
    page = client.get(path)

    assert page.status_code == 200
    html = page.content.decode()
    csp = page.headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in csp and "script-src 'self';" in csp
    assert "https://" not in html.replace("https://schema.org", "")  # nothing from a CDN or font host
    for asset in ("swagger-ui-bundle.js", "redoc.standalone.js"):
        if asset in html:
            url = html.split(asset)[0].rsplit('"', 1)[-1] + asset
            assert client.get(url).status_code == 200, url


def test_it_serves_swagger_uis_init_script_as_a_file(client):
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()
