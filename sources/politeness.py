"""Per-domain politeness: at most one request to a host per interval, across every worker process.

The shared Django cache (Redis in production) holds, per host, the wall-clock time of the last
request that was let through. Reading and updating that time happens under a short lock taken with
`cache.add`, which is atomic (SET NX on Redis). The interval itself is compared against stored
timestamps rather than left to key expiry, because Django's Redis backend truncates timeouts to
whole seconds and a 0.3 s interval would otherwise become no interval at all.
"""

import random
import time
import uuid

from django.core.cache import cache

# Long enough never to expire while held (the critical section is two cache calls), short enough
# that a worker killed while holding it blocks its domain only briefly.
_LOCK_SECONDS = 5
_LOCK_RETRY_SECONDS = 0.02


def _keys(host: str) -> tuple[str, str]:
    return f"fetch:polite:last:{host}", f"fetch:polite:lock:{host}"


def wait_for_turn(host: str, *, interval: float, max_wait: float) -> bool:
    """Block until a request to `host` is allowed; False if that would take longer than `max_wait`.

    Wall-clock time (not monotonic) is stored because it is compared across processes and machines;
    clock skew between workers only shortens or lengthens the gap by that skew.
    """
    if interval <= 0:
        return True
    last_key, lock_key = _keys(host.lower())
    give_up_at = time.monotonic() + max_wait
    token = uuid.uuid4().hex
    while True:
        wait = _LOCK_RETRY_SECONDS * (1 + random.random())  # jitter: waiters don't poll in step
        if cache.add(lock_key, token, timeout=_LOCK_SECONDS):
            try:
                now = time.time()
                last = cache.get(last_key)
                due = 0.0 if last is None else float(last) + interval - now
                if due <= 0:
                    # Kept a little longer than the interval so a slow reader still sees it.
                    cache.set(last_key, now, timeout=int(interval) + 2)
                    return True
                wait = due
            finally:
                # Only release our own lock (it may have expired and been taken by another worker).
                if cache.get(lock_key) == token:
                    cache.delete(lock_key)
        if time.monotonic() + wait > give_up_at:
            return False
        time.sleep(wait)
