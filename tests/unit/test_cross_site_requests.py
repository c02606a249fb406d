"""The CSRF rule for cookie-authenticated callers (DESIGN.md section 4), on its own."""

from __future__ import annotations

import pytest

from connections.domain.access import CredentialSource
from connections.domain.errors import Forbidden
from connections.http.cross_site_requests import check_cross_site_request, media_type

ALLOWED = ("https://app.example.com", "http://localhost:3000")
API_HOST = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
COOKIE, HEADER = CredentialSource.COOKIE, CredentialSource.HEADER


def check(method: str, source: CredentialSource = COOKIE, **headers: str) -> None:
    sent = {"host": API_HOST, "x-forwarded-proto": "https"} | {
        name.replace("_", "-"): value for name, value in headers.items()
    }
    check_cross_site_request(method, sent, source, ALLOWED)


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "PUT", "post"])
@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/jsonp",
        "application/json-patch+json",
        "application/vnd.api+json",
        "application/json,text/plain",
    ],
)
def test_cookie_writes_must_be_json(method: str, content_type: str | None) -> None:
    with pytest.raises(Forbidden, match="Content-Type: application/json"):
        if content_type is None:
            check(method)
        else:
            check(method, content_type=content_type)


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8", " application/json "],
)
def test_json_with_parameters_is_json(content_type: str) -> None:
    check("POST", content_type=content_type)
    check("DELETE", content_type=content_type, origin="https://app.example.com")
    assert media_type(content_type) == "application/json"


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "",
        "https://app.example.com.evil.example",
        "http://app.example.com",
        "https://APP.example.com",
        "https://app.example.com/",
        "https://app.example.com:443",
    ],
)
def test_cookie_writes_from_foreign_origins_are_refused(origin: str) -> None:
    with pytest.raises(Forbidden, match="origin"):
        check("POST", content_type="application/json", origin=origin)


def test_allowed_and_own_origins_pass() -> None:
    for origin in (*ALLOWED, f"https://{API_HOST}"):
        check("PATCH", content_type="application/json", origin=origin)
    # The API's own origin counts only as the request reached it.
    with pytest.raises(Forbidden):
        check("PATCH", content_type="application/json", origin=f"http://{API_HOST}")


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
def test_safe_methods_are_not_checked(method: str) -> None:
    check(method, content_type="text/plain", origin="https://evil.example")


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_header_credentials_are_not_checked(method: str) -> None:
    check(method, HEADER, content_type="text/plain", origin="https://evil.example")
    check(method, HEADER)


def test_nothing_allowed_means_same_origin_only() -> None:
    headers = {"host": API_HOST, "content-type": "application/json"}

    check_cross_site_request("POST", headers | {"origin": f"https://{API_HOST}"}, COOKIE, ())
    check_cross_site_request("POST", headers, COOKIE, ())
    with pytest.raises(Forbidden):
        check_cross_site_request("POST", headers | {"origin": "https://app.example.com"}, COOKIE, ())
    with pytest.raises(Forbidden):
        check_cross_site_request(
            "POST", {"content-type": "application/json", "origin": "https://x.example"}, COOKIE, ()
        )
