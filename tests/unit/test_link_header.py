"""The Link header of a bare-array listing: the request's own path and query, the position replaced by
the next cursor, every value percent-encoded so nothing a caller sent can end the target early."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from connections.http.link_header import next_page_link
from tests.support.link_pages import next_query


def test_the_next_link_keeps_the_filters_and_goes_on_by_cursor_only() -> None:
    link = next_page_link("/api/activations", {"status": "active", "page": "3", "cursor": "old", "limit": "10"}, "c1")

    assert link == '</api/activations?status=active&limit=10&cursor=c1>; rel="next"'
    assert next_query({"Link": link}) == {"status": "active", "limit": "10", "cursor": "c1"}


def test_values_cannot_break_out_of_the_target() -> None:
    link = next_page_link("/api/activations", {"platform": 'x>; rel="prev", <http://evil/'}, "c=1&d")

    target = link.removeprefix("<").removesuffix('>; rel="next"')
    assert "<" not in target and ">" not in target and ";" not in target
    assert parse_qs(urlsplit(target).query) == {"platform": ['x>; rel="prev", <http://evil/'], "cursor": ["c=1&d"]}


def test_a_listing_without_a_query_gets_one() -> None:
    assert next_page_link("/prod/api/activations", None, "c") == '</prod/api/activations?cursor=c>; rel="next"'
