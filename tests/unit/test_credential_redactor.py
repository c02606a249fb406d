"""The credential redactor: which forms it finds, what it leaves alone, and that it stays linear."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote_plus

import pytest

from connections.domain.credential_redaction import (
    MIN_REDACTED_LENGTH,
    REDACTED,
    CredentialRedactor,
    RedactingSource,
    secret_forms,
)
from connections.domain.credential_shapes import validate_credentials
from connections.domain.deadline import Deadline
from connections.domain.outbound_errors import UpstreamStatusError
from connections.domain.platforms import Platform
from connections.ports.platforms import FetchedPage

SECRET = "p@ss word/Zx81+&Spectrum"
CREDENTIALS = {"username": "acme", "password": SECRET}


def test_the_value_and_its_escaped_and_basic_forms_are_redacted() -> None:
    redactor = CredentialRedactor(CREDENTIALS)
    basic = base64.b64encode(f"acme:{SECRET}".encode()).decode()

    assert redactor.text(f"got {SECRET}!") == f"got {REDACTED}!"
    assert redactor.text(f"password={quote_plus(SECRET)}") == f"password={REDACTED}"
    assert redactor.text(f"Authorization: Basic {basic}") == f"Authorization: Basic {REDACTED}"
    assert redactor.text(json.dumps({"password": 'a"b' + SECRET})) == json.dumps({"password": 'a"b' + REDACTED})


def test_short_identifiers_are_left_alone() -> None:
    assert len("acme") < MIN_REDACTED_LENGTH
    assert CredentialRedactor(CREDENTIALS).text("acme corp buyers") == "acme corp buyers"
    assert not CredentialRedactor({"username": "acme"}).active


def test_short_secret_values_are_refused_at_input() -> None:
    problems = validate_credentials({"token": "short"}, Platform.CUSTOM_API, "bearer")

    assert [(problem.field, problem.message) for problem in problems] == [
        ("credentials.token", f"must be at least {MIN_REDACTED_LENGTH} characters")
    ]
    assert validate_credentials({"username": "ix", "key": "ix-key-42"}, Platform.INDEXEXCHANGE, None) == []


def test_values_are_copied_with_keys_and_nested_strings_redacted() -> None:
    redactor = CredentialRedactor(CREDENTIALS)
    item = {"id": 7, "size": 1.5, "ok": True, "none": None, SECRET: [f"x{SECRET}", {"deep": (SECRET,)}]}

    assert redactor.value(item) == {
        "id": 7,
        "size": 1.5,
        "ok": True,
        "none": None,
        REDACTED: [f"x{REDACTED}", {"deep": [REDACTED]}],
    }
    assert SECRET in json.dumps(item)  # the original is untouched


def test_overlapping_secrets_leave_no_whole_value() -> None:
    redactor = CredentialRedactor({"token": "abcdefgh12", "api_key": "gh12345678"})

    assert redactor.text("<abcdefgh12345678> and abcdefgh12") == f"<{REDACTED}> and {REDACTED}"
    assert redactor.text("abcdefgh12gh12345678") == REDACTED  # adjacent matches are one


def test_deep_values_need_no_stack() -> None:
    deep: object = SECRET
    for _ in range(20_000):
        deep = [deep]

    copied = CredentialRedactor(CREDENTIALS).value(deep)

    for _ in range(20_000):
        assert isinstance(copied, list)
        copied = copied[0]
    assert copied == REDACTED


def test_errors_are_redacted_in_place_with_their_chain() -> None:
    redactor = CredentialRedactor(CREDENTIALS)
    cause = ValueError(f"bad {SECRET}")
    error = UpstreamStatusError(500, f"Platform returned HTTP 500: {SECRET}")
    error.__cause__ = cause

    redactor.error(error)

    assert error.message == f"Platform returned HTTP 500: {REDACTED}"
    assert str(error) == error.message
    assert str(cause) == f"bad {REDACTED}"
    assert error.status == 500


def test_the_number_of_forms_is_bounded_and_matching_is_linear() -> None:
    credentials = {f"key{number}": f"secret-value-{number:04d}" for number in range(10)}
    forms = secret_forms(credentials)
    # 10 values (their escaped spellings are the same) and the 90 ordered Basic pairs.
    assert len(forms) == 10 + 90

    class CountingText(str):
        """Counts the substring searches the redactor makes on it."""

        searches = 0

        def __contains__(self, form: object) -> bool:
            CountingText.searches += 1
            return super().__contains__(form)  # type: ignore[operator]

    text = CountingText("x" * 1_000_000)
    assert CredentialRedactor(credentials).text(text) == text
    # One plain search per form, whatever the length of the text: no per-character work in Python.
    assert CountingText.searches == len(forms)


def test_a_source_is_redacted_and_its_errors_too() -> None:
    class Echoing:
        calls = 0

        def fetch_page(self, page_index: int, page_size: int, deadline: Deadline) -> FetchedPage:
            Echoing.calls += 1
            if Echoing.calls > 1:
                raise UpstreamStatusError(422, f"Platform returned HTTP 422: {SECRET}")
            return FetchedPage([{"name": f"Seen {SECRET}"}], 1)

        def count_items(self, deadline: Deadline) -> int | None:
            return 1

    source = RedactingSource(Echoing(), CredentialRedactor(CREDENTIALS))
    deadline = Deadline.after(5)

    assert source.fetch_page(0, 1, deadline) == FetchedPage([{"name": f"Seen {REDACTED}"}], 1)
    with pytest.raises(UpstreamStatusError) as raised:
        source.fetch_page(1, 1, deadline)
    assert SECRET not in str(raised.value) and SECRET not in raised.value.message
