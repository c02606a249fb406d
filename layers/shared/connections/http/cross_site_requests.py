"""The CSRF rule of DESIGN.md section 4, for callers whose credential came from the session cookie.

A browser attaches the ``__session`` cookie to requests any site makes, and an HTML form or a
``no-cors`` fetch can POST ``text/plain`` without asking the API first. Requiring
``Content-Type: application/json`` on every unsafe request makes a cross-site request need a CORS
preflight, which API Gateway grants only to the configured origins; checking ``Origin`` refuses what
a browser says came from elsewhere. An ``Authorization`` header is never attached by a browser on its
own, so callers that send one are not affected.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from connections.domain.access import CredentialSource
from connections.domain.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON_MEDIA_TYPE = "application/json"


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type value without its parameters, lower-case ("" when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def own_origin(headers: Mapping[str, str]) -> str | None:
    """The API's own origin as the request reached it (API Gateway sets Host and X-Forwarded-Proto)."""
    host = headers.get("host")
    return f"{headers.get('x-forwarded-proto') or 'https'}://{host}" if host else None


def check_cross_site_request(
    method: str, headers: Mapping[str, str], source: CredentialSource, allowed_origins: Collection[str]
) -> None:
    """Raise Forbidden for an unsafe cookie-authenticated request that is not JSON or comes from an
    origin other than ``allowed_origins`` and the API's own; ``headers`` have lower-case names."""
    if source is not CredentialSource.COOKIE or method.upper() in SAFE_METHODS:
        return
    # A bodiless DELETE or cancel needs the header too: the rule is about the request, not its body.
    if media_type(headers.get("content-type")) != JSON_MEDIA_TYPE:
        raise Forbidden(
            "Requests signed in with the session cookie that change data must be sent with "
            "Content-Type: application/json"
        )
    origin = headers.get("origin")
    if origin is not None and origin not in allowed_origins and origin != own_origin(headers):
        raise Forbidden("Requests signed in with the session cookie are not accepted from this origin")
