"""The one lock idiom (factcheck/locks.py), on the real Redis: renewed while held, released only by
its holder."""

import time

import pytest

from factcheck.locks import LockBusy, is_locked, renewed_lock


def test_a_held_lock_outlives_its_ttl_while_renewed_and_refuses_a_second_holder():
    with renewed_lock("test-lock:renewed", ttl=1, renew_every=0.2):
        time.sleep(1.5)  # longer than the TTL: only the renewal keeps it
        assert is_locked("test-lock:renewed")
        with pytest.raises(LockBusy):
            with renewed_lock("test-lock:renewed"):
                pass
    assert not is_locked("test-lock:renewed")


def test_a_holder_whose_lock_expired_never_releases_the_next_holders():
    with renewed_lock("test-lock:taken-over", ttl=1, renew_every=60):  # a holder that stopped renewing
        time.sleep(1.3)
        assert not is_locked("test-lock:taken-over")
        with renewed_lock("test-lock:taken-over", ttl=30):
            pass  # the next holder came and went
        second = renewed_lock("test-lock:taken-over", ttl=30)
        second.__enter__()
    assert is_locked("test-lock:taken-over"), "the first holder's exit left the second one's lock alone"
    second.__exit__(None, None, None)
    assert not is_locked("test-lock:taken-over")
