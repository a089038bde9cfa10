"""The one lock idiom: a Redis key that only its holder may release, renewed while its work lives.

Used wherever one piece of work must not run twice at once across workers (an article's pipeline
run, a source's fetch). The key lives `ttl` seconds unless a thread of the holder renews it every
`renew_every`: a worker killed mid-run frees what it held within `ttl`. A holder only ever deletes
its own token, so an expired lock that another worker took over is never released from under it.
With Redis away at the end, the work already done stands and the key simply expires.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 30
DEFAULT_RENEW_SECONDS = 10


class LockBusy(Exception):
    """Someone else holds this lock right now."""


@contextmanager
def renewed_lock(
    key: str, *, ttl: int = DEFAULT_TTL_SECONDS, renew_every: int = DEFAULT_RENEW_SECONDS
) -> Iterator[None]:
    token = uuid4().hex
    if not cache.add(key, token, timeout=ttl):
        raise LockBusy(key)
    stop = threading.Event()
    renewer = threading.Thread(target=_renew, args=(key, token, ttl, renew_every, stop), daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join(timeout=5)
        _release(key, token, ttl)


def is_locked(key: str) -> bool:
    return cache.get(key) is not None


def _renew(key: str, token: str, ttl: int, every: int, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            if cache.get(key) != token:
                return  # expired and taken over: the new holder owns it now
            cache.touch(key, ttl)
        except (RedisConnectionError, RedisTimeoutError):
            continue  # Redis away for a moment: try again on the next beat


def _release(key: str, token: str, ttl: int) -> None:
    try:
        if cache.get(key) == token:
            cache.delete(key)
    except (RedisConnectionError, RedisTimeoutError):
        logger.warning("could not release %s (Redis unreachable); it expires within %s s", key, ttl)
