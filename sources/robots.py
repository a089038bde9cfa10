"""robots.txt as RFC 9309 defines it: the rules, and a per-origin cache (sources/fetching.py fetches).

The standard library's `urllib.robotparser` applies the first matching rule and reads `*` and `$`
literally, so `Disallow: /*?` would never match. RFC 9309 (and every large crawler) uses the longest
matching rule, lets `allow` win a tie, and supports both wildcards, which is what this module does.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.cache import cache

_TTL = 3600
# A robots.txt that answered 5xx is asked again sooner: the outage is probably short.
_UNAVAILABLE_TTL = 300


@dataclass(frozen=True)
class _Rule:
    allow: bool
    pattern: str
    regex: re.Pattern[str]


def _compile(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(piece) for piece in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""))


def product_token(user_agent: str) -> str:
    """The name robots.txt groups address: "FactcheckWorkbench" of "FactcheckWorkbench/0.1 (+…)"."""
    return re.split(r"[/\s]", user_agent.strip(), maxsplit=1)[0].lower()


@dataclass
class RobotsRules:
    """The parsed groups of one robots.txt, keyed by lower-cased user-agent token."""

    groups: dict[str, list[_Rule]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> "RobotsRules":
        rules = cls()
        agents: list[str] = []
        seen_rule = False
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip()
            name, sep, value = line.partition(":")
            if not sep:
                continue
            name, value = name.strip().lower(), value.strip()
            if name == "user-agent":
                # Consecutive user-agent lines share a group; one after rules starts a new group.
                if seen_rule:
                    agents, seen_rule = [], False
                token = product_token(value) or "*"
                agents.append(token)
                rules.groups.setdefault(token, [])
            elif name in ("allow", "disallow") and agents:
                seen_rule = True
                if not value:  # "Disallow:" with no path allows everything: no rule to add.
                    continue
                rule = _Rule(allow=name == "allow", pattern=value, regex=_compile(value))
                # RFC 9309 §2.2.1: groups naming the same agent are merged.
                for agent in agents:
                    rules.groups[agent].append(rule)
        return rules

    def allows(self, user_agent: str, path: str) -> bool:
        """Whether `path` (path plus query, as sent on the wire) may be fetched by `user_agent`."""
        if path == "/robots.txt":
            return True
        token = product_token(user_agent)
        group = self.groups.get(token)
        if group is None:
            group = self.groups.get("*", [])
        best: _Rule | None = None
        for rule in group:
            if not rule.regex.match(path):
                continue
            # The most specific (longest) pattern wins; on a tie the allow rule wins.
            if (
                best is None
                or len(rule.pattern) > len(best.pattern)
                or (len(rule.pattern) == len(best.pattern) and rule.allow and not best.allow)
            ):
                best = rule
        return best is None or best.allow


@dataclass(frozen=True)
class RobotsFile:
    """What an origin's robots.txt said: its text ("" when there is none), or a server error."""

    text: str = ""
    unavailable_status: int | None = None


def cached_robots_file(origin: str, load: Callable[[], RobotsFile]) -> RobotsFile:
    """The robots.txt of `origin` ("https://example.org"), calling `load` at most once an hour."""
    key = f"fetch:robots:v1:{origin}"
    robots: RobotsFile | None = cache.get(key)
    if robots is None:
        robots = load()
        cache.set(key, robots, _UNAVAILABLE_TTL if robots.unavailable_status else _TTL)
    return robots
