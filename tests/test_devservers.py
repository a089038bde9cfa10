"""The fresh-machine path: embedded PostgreSQL and Redis start, take the migrations, and stop.

This runs in CI too (where DATABASE_URL points at the machine's server) so the path `make run`
takes on a new laptop cannot rot unnoticed.
"""

import re
import shutil
import subprocess
import sys

import psycopg
import pytest
import redis

from factcheck import devservers

from .conftest import BASE_DIR


@pytest.fixture
def var_dir():
    # Inside the project's own .var/: the embedded server opens its parent folders for reading.
    path = BASE_DIR / ".var" / "test-bootstrap"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    devservers.stop_redis(path)
    devservers.stop_redis(path, name="redis-test")
    devservers.stop_postgres(path)
    shutil.rmtree(path, ignore_errors=True)


def test_it_starts_migrates_and_stops_the_embedded_postgres(var_dir):
    url = devservers.start_postgres(var_dir, database="bootstrap_check")
    env = {"DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:1/0", "FACTCHECK_DEV": "true"}
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=BASE_DIR,
        env={**_base_env(), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]

    with psycopg.connect(_libpq(url)) as conn:
        extensions = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
        columns = {
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'sources_passage'"
            )
        }
    # The embedded server ships pgvector, so the embedding column exists there.
    assert {"pg_trgm", "vector"} <= extensions
    assert "embedding" in columns

    devservers.stop_postgres(var_dir)
    assert not (var_dir / "pgdata" / "postmaster.pid").exists()
    # A second start reuses the data directory.
    assert devservers.start_postgres(var_dir, database="bootstrap_check") == url


def readme_snippet(containing: str) -> str:
    """The README's shell block that holds `containing`, exactly as a newcomer would paste it."""
    blocks = re.findall(r"```sh\n(.*?)```", (BASE_DIR / "README.md").read_text(), flags=re.S)
    [block] = [block for block in blocks if containing in block]
    return block


def test_the_readmes_key_snippet_runs_as_pasted_against_the_embedded_servers(var_dir):
    env = {**_base_env(), "FACTCHECK_VAR_DIR": str(var_dir)}
    env.pop("FACTCHECK_DEV", None)  # the snippet must not need anything the README does not say
    env.pop("CACHE_KEY_PREFIX", None)
    migrate = (
        'eval "$(.venv/bin/python -m factcheck.devservers start)" && .venv/bin/python manage.py migrate -v0'
    )
    prepared = subprocess.run(["bash", "-c", migrate], cwd=BASE_DIR, env=env, capture_output=True, text=True)
    assert prepared.returncode == 0, prepared.stderr[-2000:]  # what `make run` would have done first

    snippet = readme_snippet("KEY=$(")
    check = (
        '\n.venv/bin/python manage.py shell -c "from partners.services import api_key_authenticate; '
        "print(api_key_authenticate(raw_key='$KEY').partner.name)\""
    )
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", snippet + check],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "Harbour Gazette"


def test_it_starts_prints_only_exports_on_stdout(var_dir):
    env = {**_base_env(), "FACTCHECK_VAR_DIR": str(var_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "factcheck.devservers", "start"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines and all(line.startswith("export ") for line in lines), result.stdout
    assert "starting the embedded" in result.stderr  # progress still reaches the person


def test_it_never_stops_servers_it_did_not_start(var_dir, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)  # the fresh-machine case: embedded servers
    monkeypatch.delenv("REDIS_URL", raising=False)
    devservers.start_postgres(var_dir)
    devservers.start_redis(var_dir)  # as a `make run` that is up would have left them

    services = devservers.ensure_services(var_dir)
    devservers.stop_services(services, var_dir)

    assert devservers.postgres_running(var_dir)
    assert redis.Redis.from_url(devservers.start_redis(var_dir)).ping()
    # `make test` takes a Redis of its own, and stops only that one.
    own = devservers.ensure_services(var_dir, redis_name="redis-test")
    assert own.started == ["redis"] and own.redis_url != devservers.start_redis(var_dir)
    devservers.stop_services(own, var_dir)
    assert redis.Redis.from_url(devservers.start_redis(var_dir)).ping()
    devservers.stop_redis(var_dir, name="redis-test")


def test_it_starts_and_stops_the_embedded_redis(var_dir):
    url = devservers.start_redis(var_dir)
    client = redis.Redis.from_url(url)
    assert client.ping()
    assert devservers.start_redis(var_dir) == url  # reused, not a second server
    devservers.stop_redis(var_dir)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}


def _libpq(url: str) -> str:
    """psycopg wants the socket directory as a host parameter, not a percent-encoded netloc."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    host = unquote(parts.netloc.rsplit("@", 1)[-1])  # .hostname would lower-case the path
    return f"dbname={parts.path.lstrip('/')} user={parts.username} host={host}"
