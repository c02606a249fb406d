"""Platform access tokens, cached per container until shortly before they expire.

Entries are keyed by a SHA-256 digest of (platform, token URL, credentials), so the cache never
holds a credential in its keys and two connections with the same login share one token. One lock
per key makes concurrent callers wait for a single token request instead of each sending one; the
wait is bounded by the caller's deadline.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from connections.domain.deadline import Deadline, MonotonicClock
from connections.domain.outbound_errors import DeadlineExceeded

# A token is dropped this long before the platform says it expires (less for very short lifetimes),
# so a request never leaves with a token that dies on the way.
EXPIRY_MARGIN_SECONDS = 60.0
MAX_ENTRIES = 1024


@dataclass(frozen=True)
class IssuedToken:
    """A token as a platform issued it: its value and lifetime in seconds."""

    value: str
    expires_in: float


@dataclass(frozen=True)
class _Entry:
    value: str
    usable_until: float


def token_cache_key(platform: str, token_url: str, credentials: Mapping[str, str]) -> str:
    """The cache key of one login: a digest, so no credential is kept in the clear as a key."""
    material = json.dumps([platform, token_url, sorted(credentials.items())], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


class TokenCache:
    """Thread-safe map of login -> token, each usable until ``expires_in`` minus a margin."""

    def __init__(
        self,
        *,
        clock: MonotonicClock = time.monotonic,
        margin_seconds: float = EXPIRY_MARGIN_SECONDS,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._clock = clock
        self._margin = margin_seconds
        self._max_entries = max_entries
        self._entries: dict[str, _Entry] = {}
        self._key_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        """The cached token of ``key`` while it is still usable."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.usable_until <= self._clock():
                del self._entries[key]
                return None
            return entry.value

    def put(self, key: str, token: IssuedToken) -> None:
        """Keep ``token`` until shortly before it expires (not at all when it is already too old)."""
        lifetime = max(0.0, token.expires_in)
        usable_for = lifetime - min(self._margin, lifetime / 2)
        if usable_for <= 0:
            return
        with self._lock:
            if len(self._entries) >= self._max_entries and key not in self._entries:
                self._evict()
            self._entries[key] = _Entry(token.value, self._clock() + usable_for)

    def invalidate(self, key: str, rejected: str) -> None:
        """Forget the token of ``key`` if it is still ``rejected`` (a newer one is kept)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.value == rejected:
                del self._entries[key]

    def get_or_issue(self, key: str, issue: Callable[[], IssuedToken], deadline: Deadline) -> tuple[str, bool]:
        """The token of ``key``, issuing one when none is cached; also whether it was issued by this call."""
        cached = self.get(key)
        if cached is not None:
            return cached, False
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        if not key_lock.acquire(timeout=deadline.remaining()):
            raise DeadlineExceeded(deadline.budget_seconds)
        try:
            cached = self.get(key)  # another caller may have fetched it while this one waited
            if cached is not None:
                return cached, False
            issued = issue()
            self.put(key, issued)
            return issued.value, True
        finally:
            key_lock.release()

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._entries.clear()

    def _evict(self) -> None:
        now = self._clock()
        for key in [key for key, entry in self._entries.items() if entry.usable_until <= now]:
            del self._entries[key]
        if len(self._entries) >= self._max_entries:
            soonest = min(self._entries, key=lambda key: self._entries[key].usable_until)
            del self._entries[soonest]


_shared = TokenCache()


def shared_token_cache() -> TokenCache:
    """The container's token cache: tokens outlive one invocation, as the platforms intend."""
    return _shared
