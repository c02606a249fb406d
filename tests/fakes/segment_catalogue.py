"""A data seller's segment catalogue API for inbound syncs: a list of segments served page by page in
the pagination style a connection is configured for (page numbers from 0 or 1, or offsets), with the
items at a nested path and an optional total count."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.http_server import FakeHttpServer, FakeResponse, RecordedRequest

CATALOGUE_PATH = "/v1/segments"
SELLER_NAMES = [
    "In-Market > Autos > SUVs",
    "HHI $100K-$150K",
    "Parents of Toddlers",
    "Frequent Business Travelers",
    "Luxury Shoppers",
    "Sports Fans > Basketball",
    "Pet Owners > Dogs",
    "Home Buyers",
    "Gamers > Mobile",
    "Fitness Enthusiasts",
    "Travel > Beach Vacations",
    "Cooking Enthusiasts",
]


def catalogue_items(count: int, *, duplicate_every: int = 0, bad_every: int = 0) -> tuple[list[dict[str, Any]], dict]:
    """``count`` segments with unique names and ids, some repeating an earlier segment's external id
    (every ``duplicate_every``-th) and some without a name (every ``bad_every``-th).

    Returns the items and the expected counts ``{"unique", "duplicates", "errors"}``.
    """
    items: list[dict[str, Any]] = []
    expected = {"unique": 0, "duplicates": 0, "errors": 0}
    for number in range(1, count + 1):
        if bad_every and number % bad_every == 0 and number > duplicate_every:
            items.append({"id": f"seg-{number}", "description": "A segment whose name is missing"})
            expected["errors"] += 1
        elif duplicate_every and number % duplicate_every == 0 and number > duplicate_every:
            # The external id of one of the first segments (always plain ones), renamed by the seller.
            original = 1 + number // duplicate_every % (duplicate_every - 1)
            items.append({"id": f"seg-{original}", "name": f"Renamed segment {number}"})
            expected["duplicates"] += 1
        else:
            base = SELLER_NAMES[number % len(SELLER_NAMES)]
            items.append(
                {
                    "id": f"seg-{number}",
                    "name": f"{base} #{number}",
                    "description": f"Audience {number}",
                    "size": number,
                }
            )
            expected["unique"] += 1
    return items, expected


@dataclass
class SegmentCatalogue:
    """The fake API's state; change ``items`` or the pagination style between calls as a seller would."""

    server: FakeHttpServer
    items: list[dict[str, Any]] = field(default_factory=list)
    pagination: str = "page"  # page | offset
    first_page: int = 1
    with_total: bool = True

    @property
    def base_url(self) -> str:
        return f"{self.server.url}{CATALOGUE_PATH}"

    def config(self, **overrides: Any) -> dict[str, Any]:
        """A connection config matching this catalogue's style."""
        config: dict[str, Any] = {
            "base_url": self.base_url,
            "items_path": "data.segments",
            "auth_type": "bearer",
            "page_size": 100,
            "pagination": self.pagination,
            "first_page": self.first_page,
        }
        if self.pagination == "offset":
            config |= {"page_param": "offset", "page_size_param": "limit"}
        if self.with_total:
            config["count_path"] = "data.total"
        return config | overrides

    def answer(self, request: RecordedRequest) -> FakeResponse:
        if request.header("authorization") != "Bearer catalogue-token":
            return FakeResponse.json({"error": "unauthorized"}, status=401)
        if self.pagination == "offset":
            start = int(request.query.get("offset", ["0"])[0])
            size = int(request.query.get("limit", ["100"])[0])
        else:
            size = int(request.query.get("page_size", ["100"])[0])
            start = (int(request.query.get("page", [str(self.first_page)])[0]) - self.first_page) * size
        data: dict[str, Any] = {"segments": self.items[start : start + size]}
        if self.with_total:
            data["total"] = len(self.items)
        return FakeResponse.json({"data": data})


CATALOGUE_CREDENTIALS = {"token": "catalogue-token"}


@contextmanager
def segment_catalogue(items: list[dict[str, Any]] | None = None, **style: Any) -> Iterator[SegmentCatalogue]:
    """A running catalogue on 127.0.0.1 (bearer token ``catalogue-token``)."""
    with FakeHttpServer() as server:
        catalogue = SegmentCatalogue(server, items or [], **style)
        server.route("GET", CATALOGUE_PATH, catalogue.answer)
        yield catalogue
