"""The per-container token cache: lifetimes, invalidation, one token request for concurrent callers."""

from __future__ import annotations

import threading
import time

import pytest

from connections.adapters.platforms.token_cache import IssuedToken, TokenCache, token_cache_key
from connections.domain.deadline import Deadline
from connections.domain.outbound_errors import DeadlineExceeded


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_token_is_kept_until_shortly_before_it_expires(clock: FakeClock) -> None:
    cache = TokenCache(clock=clock, margin_seconds=60)
    cache.put("k", IssuedToken("t1", 600))

    clock.now += 539
    assert cache.get("k") == "t1"
    clock.now += 2  # 541 s: inside the 60 s margin
    assert cache.get("k") is None


def test_a_short_lived_token_keeps_half_its_life(clock: FakeClock) -> None:
    cache = TokenCache(clock=clock, margin_seconds=60)
    cache.put("k", IssuedToken("t1", 10))

    clock.now += 4.9
    assert cache.get("k") == "t1"
    clock.now += 0.2
    assert cache.get("k") is None


def test_an_expired_or_lifeless_token_is_not_kept(clock: FakeClock) -> None:
    cache = TokenCache(clock=clock)
    cache.put("k", IssuedToken("t1", 0))
    assert cache.get("k") is None


def test_invalidate_forgets_only_the_rejected_token(clock: FakeClock) -> None:
    cache = TokenCache(clock=clock)
    cache.put("k", IssuedToken("newer", 600))

    cache.invalidate("k", "older")
    assert cache.get("k") == "newer"
    cache.invalidate("k", "newer")
    assert cache.get("k") is None


def test_get_or_issue_issues_once_then_serves_the_cache(clock: FakeClock) -> None:
    cache = TokenCache(clock=clock)
    issued: list[str] = []

    def issue() -> IssuedToken:
        issued.append("x")
        return IssuedToken(f"t{len(issued)}", 600)

    first = cache.get_or_issue("k", issue, Deadline.after(5))
    second = cache.get_or_issue("k", issue, Deadline.after(5))

    assert first == ("t1", True)
    assert second == ("t1", False)
    assert len(issued) == 1


def test_concurrent_callers_share_one_token_request() -> None:
    cache = TokenCache()
    calls: list[int] = []
    start = threading.Barrier(8)
    results: list[str] = []

    def issue() -> IssuedToken:
        calls.append(1)
        time.sleep(0.05)  # long enough for every other caller to be waiting on the key
        return IssuedToken("shared", 600)

    def caller() -> None:
        start.wait()
        results.append(cache.get_or_issue("k", issue, Deadline.after(5))[0])

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(calls) == 1
    assert results == ["shared"] * 8


def test_waiting_for_another_callers_token_request_respects_the_deadline() -> None:
    cache = TokenCache()
    release = threading.Event()
    entered = threading.Event()

    def slow_issue() -> IssuedToken:
        entered.set()
        release.wait(5)
        return IssuedToken("late", 600)

    holder = threading.Thread(target=lambda: cache.get_or_issue("k", slow_issue, Deadline.after(5)))
    holder.start()
    entered.wait(5)
    try:
        with pytest.raises(DeadlineExceeded):
            cache.get_or_issue("k", slow_issue, Deadline.after(0.05))
    finally:
        release.set()
        holder.join()


def test_cache_keys_separate_logins_and_hold_no_credential() -> None:
    one = token_cache_key("liveramp", "https://a/token", {"username": "u", "password": "secret-one"})
    two = token_cache_key("liveramp", "https://a/token", {"username": "u", "password": "secret-two"})
    elsewhere = token_cache_key("liveramp", "https://b/token", {"username": "u", "password": "secret-one"})

    assert len({one, two, elsewhere}) == 3
    assert "secret" not in one


def test_the_cache_stays_bounded(clock: FakeClock) -> None:
    cache = TokenCache(clock=clock, max_entries=3)
    for number in range(5):
        cache.put(f"k{number}", IssuedToken(f"t{number}", 600 + number))

    kept = [key for key in (f"k{n}" for n in range(5)) if cache.get(key) is not None]
    assert len(kept) == 3
    assert "k4" in kept
