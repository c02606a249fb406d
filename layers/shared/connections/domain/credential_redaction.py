"""Keeping stored credential values out of everything a platform sends back (DESIGN.md section 7).

A platform may echo what it was sent: the ``Authorization`` header inside an item, the API key in an
error body, the login in a segment id. Whatever comes back through a connection's source or
destination passes one ``CredentialRedactor`` built from that connection's decrypted credentials, so
sample items, mapped items, warnings, item and page errors, ``lastError`` of runs and activations and
stored topics never hold a credential value.

Matching is plain substring search (``str.__contains__`` and ``str.replace``, linear in the text) over
a handful of forms per credential: the value itself, its URL- and JSON-escaped spellings and the
HTTP Basic ``base64(a:b)`` token of every pair of values. A value shorter than
``MIN_REDACTED_LENGTH`` is not searched for: redacting every "acme" in a catalogue would destroy the
data, and such values are identifiers rather than secrets (secret values that short are refused at
input, see ``credential_shapes.MIN_SECRET_LENGTH``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from itertools import permutations
from typing import Any
from urllib.parse import quote, quote_plus

from connections.domain.credential_shapes import IDENTIFIER_CREDENTIAL_KEYS, MIN_SECRET_LENGTH
from connections.domain.deadline import Deadline
from connections.domain.errors import DomainError
from connections.ports.platforms import (
    FetchedPage,
    PushedSegment,
    SegmentDestination,
    SegmentSource,
    SegmentSpec,
)

MIN_REDACTED_LENGTH = MIN_SECRET_LENGTH
REDACTED = "[redacted]"
# Exceptions chained through __cause__/__context__ are redacted too (tracebacks print them), up to this many.
_MAX_CHAINED_ERRORS = 16


def _spellings(value: str) -> set[str]:
    """``value`` as it may appear in a URL, a form body or a JSON string."""
    return {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}


def secret_forms(credentials: Mapping[str, str]) -> tuple[str, ...]:
    """Every string whose presence in a platform's answer would reveal a credential, longest first.

    Account ids kept among the credentials (``IDENTIFIER_CREDENTIAL_KEYS``) are not secrets: platforms
    echo them in every element they list, and masking them would rewrite that data."""
    credentials = {key: value for key, value in credentials.items() if key not in IDENTIFIER_CREDENTIAL_KEYS}
    values = {value for value in credentials.values() if isinstance(value, str) and len(value) >= MIN_REDACTED_LENGTH}
    everything = [value for value in credentials.values() if isinstance(value, str) and value]
    forms: set[str] = set()
    for value in values:
        forms |= _spellings(value)
    # HTTP Basic: any two values may be the user and password of some platform's scheme.
    for user, password in permutations(everything, 2):
        if len(user) + len(password) + 1 >= MIN_REDACTED_LENGTH:
            forms.add(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))
    return tuple(sorted((form for form in forms if len(form) >= MIN_REDACTED_LENGTH), key=len, reverse=True))


class CredentialRedactor:
    """Replaces each occurrence of a connection's credential values in text and JSON-like values."""

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._forms = secret_forms(credentials)

    @property
    def active(self) -> bool:
        """False when there is nothing to look for (no credentials, or only short identifiers)."""
        return bool(self._forms)

    def text(self, text: str) -> str:
        """``text`` with every credential form replaced by ``[redacted]``."""
        present = [form for form in self._forms if form in text]
        if not present:
            return text
        # Where each form occurs in the original text; overlapping matches (of two values that share
        # characters) are merged, so no fragment of either is left beside the marker.
        spans: list[tuple[int, int]] = []
        for form in present:
            start = text.find(form)
            while start != -1:
                spans.append((start, start + len(form)))
                start = text.find(form, start + len(form))
        spans.sort()
        pieces: list[str] = []
        kept_from = 0
        end = -1
        for start, stop in spans:
            if start > end:
                if end >= 0:
                    pieces.append(REDACTED)
                pieces.append(text[kept_from:start])
            end = max(end, stop)
            kept_from = end
        pieces += [REDACTED, text[kept_from:]]
        redacted = "".join(pieces)
        # The marker next to kept text cannot spell a value out again, but a check is cheap.
        return REDACTED if any(form in redacted for form in present) else redacted

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like value (dicts, lists, strings, numbers) with every string redacted,
        keys included. Iterative, so depth costs no stack."""
        if not self._forms:
            return value
        if not isinstance(value, dict | list | tuple):
            return self.text(value) if isinstance(value, str) else value
        root: Any = {} if isinstance(value, dict) else []
        pending: list[tuple[Any, Any]] = [(value, root)]
        while pending:
            source, target = pending.pop()
            pairs: Iterable[tuple[Any, Any]] = source.items() if isinstance(source, dict) else enumerate(source)
            for key, child in pairs:
                if isinstance(child, dict | list | tuple):
                    copied: Any = {} if isinstance(child, dict) else []
                    pending.append((child, copied))
                elif isinstance(child, str):
                    copied = self.text(child)
                else:
                    copied = child
                if isinstance(target, dict):
                    target[self.text(key) if isinstance(key, str) else key] = copied
                else:
                    target.append(copied)
        return root

    def error(self, error: BaseException) -> None:
        """Redact an exception's message in place (and those of the exceptions chained to it)."""
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen and len(seen) < _MAX_CHAINED_ERRORS:
            seen.add(id(current))
            if isinstance(current, DomainError):
                current.message = self.text(current.message)
            current.args = tuple(self.text(arg) if isinstance(arg, str) else arg for arg in current.args)
            current = current.__cause__ or current.__context__


class RedactingSource:
    """A ``SegmentSource`` whose pages and errors carry no credential value."""

    def __init__(self, source: SegmentSource, redactor: CredentialRedactor) -> None:
        self._source = source
        self._redactor = redactor

    def fetch_page(self, page_index: int, page_size: int, deadline: Deadline) -> FetchedPage:
        """The wrapped source's page, every item redacted (the total is a number)."""
        try:
            page = self._source.fetch_page(page_index, page_size, deadline)
        except Exception as error:
            self._redactor.error(error)
            raise
        return FetchedPage(self._redactor.value(page.items), page.total)

    def count_items(self, deadline: Deadline) -> int | None:
        """The wrapped source's total (a number); its errors redacted."""
        try:
            return self._source.count_items(deadline)
        except Exception as error:
            self._redactor.error(error)
            raise


class RedactingDestination:
    """A ``SegmentDestination`` whose answers and errors carry no credential value."""

    def __init__(self, destination: SegmentDestination, redactor: CredentialRedactor) -> None:
        self._destination = destination
        self._redactor = redactor
        self.display_name = destination.display_name

    def test(self, deadline: Deadline) -> str:
        """The wrapped destination's test message, redacted."""
        try:
            return self._redactor.text(self._destination.test(deadline))
        except Exception as error:
            self._redactor.error(error)
            raise

    def create_segment(self, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        """Create through the wrapped destination; the platform's id comes back redacted."""
        try:
            return self._pushed(self._destination.create_segment(segment, deadline))
        except Exception as error:
            self._redactor.error(error)
            raise

    def update_segment(self, platform_segment_id: str, segment: SegmentSpec, deadline: Deadline) -> PushedSegment:
        """Update through the wrapped destination; the platform's id comes back redacted."""
        try:
            return self._pushed(self._destination.update_segment(platform_segment_id, segment, deadline))
        except Exception as error:
            self._redactor.error(error)
            raise

    def deactivate_segment(self, platform_segment_id: str, deadline: Deadline) -> None:
        """Deactivate through the wrapped destination; its errors come back redacted."""
        try:
            self._destination.deactivate_segment(platform_segment_id, deadline)
        except Exception as error:
            self._redactor.error(error)
            raise

    def _pushed(self, pushed: PushedSegment) -> PushedSegment:
        return PushedSegment(self._redactor.text(pushed.platform_segment_id))


def redacting_source(source: SegmentSource, credentials: Mapping[str, str]) -> SegmentSource:
    """``source`` behind a redactor of ``credentials`` (itself when there is nothing to redact)."""
    redactor = CredentialRedactor(credentials)
    return RedactingSource(source, redactor) if redactor.active else source


def redacting_destination(destination: SegmentDestination, credentials: Mapping[str, str]) -> SegmentDestination:
    """``destination`` behind a redactor of ``credentials`` (itself when there is nothing to redact)."""
    redactor = CredentialRedactor(credentials)
    return RedactingDestination(destination, redactor) if redactor.active else destination
