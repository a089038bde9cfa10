"""Settings for bench/api_load.py only: the project's settings plus a bare endpoint and no rate limit.

The per-key throttle still runs (one Redis round trip a request); only its limit is lifted so a load test
measures the API rather than 429 answers.
"""

from factcheck.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
PARTNER_API_RATE = "100000000/min"
