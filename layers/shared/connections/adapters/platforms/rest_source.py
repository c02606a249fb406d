"""The paged REST source every inbound connection pulls from.

``GET {base_url}?{page_param}=...&{page_size_param}=...`` with the connection's extra ``headers``
and auth. Pages are numbered from ``first_page`` (default 1) with ``pagination: page`` (default),
or counted in items with ``pagination: offset``. Items are read at ``items_path`` (the whole
document when unset) and the total at ``count_path`` (none when unset): in the answer of
``count_url`` when the API has a separate count endpoint (``GET {count_url}`` with the same auth
and headers), else in a page's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connections.adapters.platforms.authorized_client import AuthorizedClient
from connections.domain.deadline import Deadline
from connections.domain.field_mapping import count_at, items_at
from connections.ports.platforms import FetchedPage

DEFAULT_PAGE_PARAM = "page"
DEFAULT_OFFSET_PARAM = "offset"
DEFAULT_PAGE_SIZE_PARAM = "page_size"
DEFAULT_FIRST_PAGE = 1
DEFAULT_PAGE_SIZE = 100


def configured_page_size(config: Mapping[str, Any]) -> int:
    """The page size a sync should ask for: ``page_size`` from the config, else DEFAULT_PAGE_SIZE."""
    size = config.get("page_size")
    return size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else DEFAULT_PAGE_SIZE


class RestSegmentSource:
    """A ``SegmentSource`` over one paged JSON endpoint."""

    def __init__(self, client: AuthorizedClient, config: Mapping[str, Any]) -> None:
        self._client = client
        self._base_url = str(config["base_url"])
        self._items_path = config.get("items_path")
        self._count_path = config.get("count_path")
        self._count_url = config.get("count_url")
        self._by_offset = config.get("pagination") == "offset"
        default_param = DEFAULT_OFFSET_PARAM if self._by_offset else DEFAULT_PAGE_PARAM
        self._page_param = config.get("page_param") or default_param
        self._page_size_param = config.get("page_size_param") or DEFAULT_PAGE_SIZE_PARAM
        first_page = config.get("first_page", DEFAULT_FIRST_PAGE)
        self._first_page = first_page if first_page in (0, 1) else DEFAULT_FIRST_PAGE
        self.page_size = configured_page_size(config)

    def page_params(self, page_index: int, page_size: int) -> dict[str, int]:
        """The query parameters that ask for page ``page_index`` (0-based) of ``page_size`` items."""
        position = page_index * page_size if self._by_offset else self._first_page + page_index
        return {self._page_param: position, self._page_size_param: page_size}

    def fetch_page(self, page_index: int, page_size: int, deadline: Deadline) -> FetchedPage:
        """One page of items and the reported total (None without ``count_path``)."""
        if page_index < 0 or page_size < 1:
            raise ValueError("page_index must be >= 0 and page_size >= 1")
        response = self._client.send("GET", self._base_url, deadline, params=self.page_params(page_index, page_size))
        document = response.json()
        # With a count endpoint, count_path names a field of its answer, not of a page's.
        page_count_path = None if self._count_url else self._count_path
        return FetchedPage(items=items_at(document, self._items_path), total=count_at(document, page_count_path))

    def count_items(self, deadline: Deadline) -> int | None:
        """The total at ``count_path``: from ``count_url`` when set, else from a probe page of one item."""
        if not self._count_url:
            return self.fetch_page(0, 1, deadline).total
        response = self._client.send("GET", str(self._count_url), deadline)
        return count_at(response.json(), self._count_path)
