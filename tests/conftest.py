"""Shared fixtures: named users, a real Celery worker, and the rule that CI never skips.

Unit tests run Celery tasks eagerly in-process; tests marked `integration` get a real worker process
consuming from the real Redis broker and writing to the test database.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from factcheck.celery import app as celery_app

pytest_plugins = ["tests.httpserver", "tests.fakedns", "tests.browser"]

BASE_DIR = Path(__file__).resolve().parent.parent
SHARED_DIR = BASE_DIR.parent / "shared"
IN_CI = bool(os.environ.get("CI"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # pytest hook signature
    """In CI a skipped test is a failed test: nothing that needs a service may silently not run."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"


@pytest.fixture(autouse=True)
def _eager_celery(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("integration"):
        yield
        return
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = False
        celery_app.conf.task_eager_propagates = False


@pytest.fixture(autouse=True)
def _isolated_cache() -> Iterator[None]:
    """Locks and politeness keys from one test must not leak into the next.

    Only this suite's own keys go (`make test` gives them their own prefix): never FLUSHDB, since
    the Redis database may also be a broker that other processes rely on.
    """
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)  # the redis-py client behind Django's RedisCache
    keys = list(client.scan_iter(match=cache.make_key("*"), count=1000))
    if keys:
        client.delete(*keys)
    yield


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED_DIR.exists():
        pytest.fail(f"The shared data folder is missing next to the project ({SHARED_DIR.name}).")
    return SHARED_DIR


@pytest.fixture
def reviewer(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("alice", password="alice-password")
    user.groups.add(Group.objects.get_or_create(name="reviewer")[0])
    return user


@pytest.fixture
def editor(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("bob", password="bob-password")
    user.groups.add(Group.objects.get_or_create(name="editor")[0])
    return user


def test_database_url() -> str:
    """DATABASE_URL pointing at the test database pytest-django created."""
    from django.db import connection

    parts = urlsplit(settings.DATABASE_URL)
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def celery_worker(transactional_db, settings) -> Iterator[subprocess.Popen]:
    """A real `celery worker` process as the Procfile runs it (prefork pool, two children, every
    queue), on the real Redis broker, writing to the test database."""
    env = dict(os.environ, DATABASE_URL=test_database_url(), FETCH_DOMAIN_MIN_INTERVAL="0")
    env["FETCH_ALLOWED_PRIVATE_HOSTS"] = "127.0.0.1"
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    celery_app.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "factcheck", "worker",
            "--queues", "fetch,nlp,default", "--pool", "prefork", "--concurrency", "2",
            "--loglevel", "WARNING", "--hostname", f"test-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle",
        ],
        env=env,
        cwd=BASE_DIR,
        start_new_session=True,  # its own process group: a kill reaches the pool's children too
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not celery_app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            os.killpg(worker.pid, signal.SIGKILL)
            pytest.fail("The Celery worker did not start (is Redis reachable?).")
    try:
        yield worker
    finally:
        worker.terminate()  # warm shutdown: the children finish their task, then exit
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        celery_app.control.purge()  # nothing of this test is left for the next one's worker


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.2) -> bool:
    """Poll until predicate() is truthy; used to wait for a worker's effect in the database."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
