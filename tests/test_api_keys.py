"""API keys: how partners authenticate, what a key may do, and how fast it may do it."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from partners.models import ApiKey, Partner
from partners.services import api_key_revoke
from tests.factories import auth, make_partner

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_it_creates_a_partner_and_prints_its_key_once(client):
    out, err = StringIO(), StringIO()
    call_command("create_partner", "Harbour Gazette", "--scopes", "read,submit", stdout=out, stderr=err)

    raw_key = out.getvalue().strip()
    api_key = ApiKey.objects.get(partner__name="Harbour Gazette")
    assert raw_key.startswith(api_key.prefix + "_")
    assert api_key.scopes == ["read", "submit"]
    # Only the hash is stored: the key itself is nowhere in the row.
    assert api_key.hashed_key == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key not in (api_key.prefix, api_key.hashed_key, api_key.label)
    assert "shown once" in err.getvalue()
    assert client.get("/api/v1/claims/", headers=auth(raw_key)).status_code == 200


def test_it_refuses_an_unknown_scope_and_a_duplicate_partner():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown scope"):
        call_command("create_partner", "Harbour Gazette", "--scopes", "read,admin", stdout=StringIO())
    call_command("create_partner", "Harbour Gazette", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_partner", "harbour gazette", stdout=StringIO(), stderr=StringIO())
    assert Partner.objects.count() == 1


def test_it_answers_401_without_a_key_or_with_a_wrong_one(client):
    _, raw_key = make_partner()

    missing = client.get("/api/v1/claims/")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Api-Key")
    assert _error(missing)["code"] == "not_authenticated"

    tampered = client.get("/api/v1/claims/", headers=auth(raw_key[:-2] + "xx"))
    assert tampered.status_code == 401
    assert _error(tampered)["code"] == "invalid_key"

    for header in ("Api-Key", "Api-Key a b", "Api-Key nonsense", "Bearer " + raw_key):
        response = client.get("/api/v1/claims/", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_it_refuses_revoked_and_expired_keys(client):
    partner, raw_key = make_partner()
    api_key = partner.api_keys.get()
    assert client.get("/api/v1/claims/", headers=auth(raw_key)).status_code == 200

    api_key_revoke(api_key=api_key)
    revoked = client.get("/api/v1/claims/", headers=auth(raw_key))
    assert revoked.status_code == 401
    assert _error(revoked) == {"code": "key_revoked", "message": "This API key was revoked.", "details": {}}

    ApiKey.objects.filter(pk=api_key.pk).update(
        revoked_at=None, expires_at=timezone.now() - timedelta(seconds=1)
    )
    expired = client.get("/api/v1/claims/", headers=auth(raw_key))
    assert expired.status_code == 401
    assert _error(expired)["code"] == "key_expired"

    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() + timedelta(days=1))
    assert client.get("/api/v1/claims/", headers=auth(raw_key)).status_code == 200

    Partner.objects.filter(pk=partner.pk).update(is_active=False)
    assert _error(client.get("/api/v1/claims/", headers=auth(raw_key)))["code"] == "partner_disabled"


def test_it_needs_the_submit_scope_to_submit(client):
    _, read_only = make_partner(scopes=("read",))
    _, submit_only = make_partner("Valley Courier", scopes=("submit",))

    refused = client.post(
        "/api/v1/articles/", {"text": "Some text."}, content_type="application/json", headers=auth(read_only)
    )
    assert refused.status_code == 403
    assert _error(refused)["code"] == "missing_scope"
    assert "'submit' scope" in _error(refused)["message"]
    assert client.get("/api/v1/claims/", headers=auth(submit_only)).status_code == 403
    accepted = client.post(
        "/api/v1/articles/",
        {"text": "Some text."},
        content_type="application/json",
        headers=auth(submit_only),
    )
    assert accepted.status_code == 202


def test_it_notes_the_last_use_at_most_once_a_minute(client, django_assert_num_queries):
    partner, raw_key = make_partner()
    api_key = partner.api_keys.get()
    assert api_key.last_used_at is None

    client.get("/api/v1/claims/", headers=auth(raw_key))
    api_key.refresh_from_db()
    first_use = api_key.last_used_at
    assert first_use is not None

    # Within the minute: the key lookup and the page, and no UPDATE of the key.
    with django_assert_num_queries(2):
        client.get("/api/v1/claims/", headers=auth(raw_key))
    api_key.refresh_from_db()
    assert api_key.last_used_at == first_use

    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=first_use - timedelta(minutes=2))
    client.get("/api/v1/claims/", headers=auth(raw_key))
    api_key.refresh_from_db()
    assert api_key.last_used_at > first_use - timedelta(seconds=1)


def test_it_throttles_each_key_with_retry_after(client, settings):
    settings.PARTNER_API_RATE = "3/min"
    _, first_key = make_partner()
    _, second_key = make_partner("Valley Courier")

    statuses = [client.get("/api/v1/claims/", headers=auth(first_key)).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = client.get("/api/v1/claims/", headers=auth(first_key))
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    error = _error(limited)
    assert error["code"] == "throttled"
    assert error["details"]["retry_after"] == int(limited.headers["Retry-After"])
    # The count is per key: another partner is not slowed down by the first one.
    assert client.get("/api/v1/claims/", headers=auth(second_key)).status_code == 200


def test_it_answers_unknown_api_paths_in_the_error_shape(client):
    _, raw_key = make_partner()
    response = client.get("/api/v1/nothing/here/", headers=auth(raw_key))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert _error(response)["code"] == "not_found"


def test_it_lets_an_editor_create_a_key_in_the_admin_and_shows_it_once(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("carol", password="carol-password")
    partner = Partner.objects.create(name="Harbour Gazette")
    client.force_login(admin_user)

    response = client.post(
        "/admin/partners/apikey/add/",
        {
            "partner": partner.pk,
            "label": "CMS",
            "scopes": "read,submit",
            "expires_at_0": "",
            "expires_at_1": "",
        },
        follow=True,
    )

    assert response.status_code == 200
    api_key = ApiKey.objects.get(partner=partner)
    shown = [str(m) for m in response.context["messages"] if "not shown again" in str(m)]
    assert len(shown) == 1
    raw_key = shown[0].rsplit(" ", 1)[-1]
    assert hashlib.sha256(raw_key.encode()).hexdigest() == api_key.hashed_key
    assert api_key.created_by == admin_user and api_key.scopes == ["read", "submit"]
    # The change page never shows it again.
    page = client.get(f"/admin/partners/apikey/{api_key.pk}/change/").content.decode()
    assert raw_key not in page and api_key.prefix in page


def test_it_shows_partners_keys_webhooks_and_deliveries_to_editors_in_the_admin(client, django_user_model):
    from partners.models import Webhook, WebhookDelivery

    admin_user = django_user_model.objects.create_superuser("carol", password="carol-password")
    partner, _ = make_partner()
    webhook = Webhook.objects.create(
        partner=partner, url="https://hooks.example/", secret="whsec_x", events=[]
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        event="claim.verdict_set",
        event_id="6f1c1c1e-0000-4000-8000-000000000009",
        payload={},
    )
    client.force_login(admin_user)

    for url in (
        "/admin/partners/partner/",
        f"/admin/partners/partner/{partner.pk}/change/",
        "/admin/partners/apikey/",
        "/admin/partners/apikey/add/",
        f"/admin/partners/webhook/{webhook.pk}/change/",
        f"/admin/partners/webhookdelivery/{delivery.pk}/change/",
        "/admin/partners/partnersubmission/",
    ):
        assert client.get(url).status_code == 200, url
    # Revoking from the list is one action.
    client.post(
        "/admin/partners/apikey/",
        {"action": "revoke", "_selected_action": [partner.api_keys.get().pk]},
    )
    assert partner.api_keys.get().revoked_at is not None
