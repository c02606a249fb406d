"""Opaque list cursors: where the next page of a listing starts, bound to the listing it came from.

A cursor is base64url of a small JSON document: the position (the id of the last record the page
covered), a digest of the listing's scope (the organisation and the filters) and a check digest.
A cursor carries no authority: every read is keyed by the caller's own organisation, so a cursor
can never reach another organisation's records. Its scope only turns a cursor used with other
filters, or by another organisation, into a clear 400 instead of a page that silently makes no sense;
the check digest does the same for a cursor that was cut or edited.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from connections.domain.errors import FieldProblem, InvalidInput
from connections.domain.identifiers import is_valid_id

MAX_CURSOR_LENGTH = 512


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(position: str, scope: str) -> str:
    """The cursor of a listing ``scope`` that goes on after ``position``."""
    body = {"p": position, "s": _digest(scope)}
    body["c"] = _digest(json.dumps(body, sort_keys=True))
    return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, scope: str) -> str:
    """The position a cursor of listing ``scope`` goes on after; InvalidInput (400) for any other text."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("is not a cursor this API returned") from None
    if not isinstance(body, dict) or set(body) != {"p", "s", "c"} or not all(isinstance(v, str) for v in body.values()):
        raise _invalid("is not a cursor this API returned")
    check = body.pop("c")
    if check != _digest(json.dumps(body, sort_keys=True)):
        raise _invalid("is not a cursor this API returned")
    if body["s"] != _digest(scope):
        raise _invalid("belongs to another listing: repeat the request's filters (or start without a cursor)")
    return str(body["p"])


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(f"Invalid cursor: it {message}", [FieldProblem("cursor", f"It {message}")])


def list_position(
    cursor: str | None,
    page: int,
    page_size: int,
    *,
    scope: str,
    id_prefix: str,
    noun: str,
    bounded_by: str | None,
    max_offset: int,
    follow: str = "nextCursor",
) -> tuple[str | None, int]:
    """Where a listing's page starts: the id after which it goes on (from ``cursor``) and how many
    items it skips (from ``page``). ``bounded_by`` names the filters given that are read with a bounded
    scan, whose pages can be short, so page numbers would count wrongly: such listings page by cursor
    only. Page numbers reach the first ``max_offset`` items (a page number reads every item it skips).
    ``follow`` names where the listing hands out its next cursor, for the messages."""
    after = decode_cursor(cursor, scope) if cursor is not None else None
    if after is not None and not is_valid_id(after, id_prefix):
        raise InvalidInput("Invalid cursor", [FieldProblem("cursor", "It is not a cursor this API returned")])
    if cursor is not None and page != 1:
        raise InvalidInput("Give either page or cursor", [FieldProblem("page", "Not allowed with cursor")])
    skip = (page - 1) * page_size
    if skip and bounded_by:
        raise InvalidInput(
            f"With {bounded_by}, follow {follow} instead of page numbers",
            [FieldProblem("page", f"Use cursor with {bounded_by}")],
        )
    if skip > max_offset:
        raise InvalidInput(
            f"Page numbers reach the first {max_offset:,} {noun}; follow {follow} beyond",
            [FieldProblem("page", f"page x pageSize may skip at most {max_offset} {noun}")],
        )
    return after, skip
