"""`/healthz`: is the database reachable, is Redis reachable, is at least one worker answering."""

import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extname FROM pg_extension")
            extensions = {row[0] for row in cursor.fetchall()}
    except Exception as exc:  # any failure means "down"; the message says why
        return {"ok": False, "error": str(exc)[:200]}
    return {
        "ok": True,
        "vendor": connection.vendor,
        "pgvector": "vector" in extensions,
        "retrieval": "hybrid" if "vector" in extensions else "full-text only (no pgvector)",
    }


def _check_redis() -> dict:
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}
    return {"ok": True}


def _check_workers() -> dict:
    try:
        replies = celery_app.control.inspect(timeout=1.0).active_queues() or {}
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200], "workers": {}}
    workers = {name: sorted(q["name"] for q in queues) for name, queues in replies.items()}
    return {"ok": bool(workers), "workers": workers}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database, redis_state = _check_database(), _check_redis()
    # Asking workers goes through Redis: pointless (and slow) when Redis is down.
    workers = _check_workers() if redis_state["ok"] else {"ok": False, "workers": {}}
    ok = database["ok"] and redis_state["ok"] and workers["ok"]
    body = {
        "status": "ok" if ok else "degraded",
        "database": database,
        "redis": redis_state,
        "workers": workers,
    }
    if not _may_see_detail(request):
        # Error texts and worker host names tell an outsider about the deployment: up or down only.
        body = {
            "status": body["status"],
            "database": {"ok": database["ok"], "retrieval": database.get("retrieval")},
            "redis": {"ok": redis_state["ok"]},
            "workers": {"ok": workers["ok"], "count": len(workers.get("workers", {}))},
        }
    return JsonResponse(body, status=200 if ok else 503)


def _may_see_detail(request: HttpRequest) -> bool:
    token = settings.HEALTH_TOKEN
    if token and hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        return True
    try:
        return bool(request.user.is_staff)
    except Exception:  # the session lives in the database, which may be what is down
        return False
