"""Small helpers the benchmark scripts share: the machine they ran on, database URLs, COPY plumbing."""

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def required_extras(conn, table: str, given: list[str]) -> list[tuple[str, object]]:
    """NOT NULL columns without a database default that `given` leaves out, with a neutral value.

    Django sets defaults in Python, not in the schema, and the models grow: fill whatever else the
    table requires so the benchmarks' COPY loaders keep working.
    """
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO' "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    now = datetime.now(UTC)
    neutral = {
        "text": "", "character varying": "", "boolean": False, "integer": 0, "bigint": 0, "smallint": 0,
        "double precision": 0.0, "real": 0.0, "numeric": 0, "jsonb": "{}", "json": "{}", "ARRAY": "{}",
        "timestamp with time zone": now, "date": now.date(), "bytea": b"",
    }  # fmt: skip
    return [(name, neutral.get(kind, "")) for name, kind in rows if name not in given]
