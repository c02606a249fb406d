"""Turn request bodies and query strings into validated models, or into 400/413 errors with details.

pydantic is imported where a model is validated: by then the model's own module has loaded it, and a
function that validates none (a GET by id, the authorizer) never loads it at all."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from connections.domain.errors import FieldProblem, InvalidInput, PayloadTooLarge

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

MAX_BODY_BYTES = 1024 * 1024

ModelT = TypeVar("ModelT", bound="BaseModel")

_FRIENDLY_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "is required",
    "model_type": "must be a JSON object",
    "dict_type": "must be an object",
    "string_type": "must be a string",
}


def _field_name(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


def problems_from(error: ValidationError) -> list[FieldProblem]:
    """Field problems from a pydantic error, without ever echoing the input (it may hold secrets)."""
    return [
        FieldProblem(_field_name(item["loc"]), _FRIENDLY_MESSAGES.get(item["type"], item["msg"]))
        for item in error.errors(include_input=False, include_url=False)
    ]


def raw_body(event_body: str | None, is_base64: bool) -> bytes:
    """The request body bytes, refusing anything over 1 MB."""
    if not event_body:
        return b""
    if is_base64:
        try:
            data = base64.b64decode(event_body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("Request body is not valid base64") from None
    else:
        data = event_body.encode()
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"Request body is larger than {MAX_BODY_BYTES} bytes")
    return data


def parse_body(model: type[ModelT], data: bytes) -> ModelT:
    """Validate a JSON body against ``model`` (strict types, unknown fields refused)."""
    from pydantic import ValidationError

    if not data.strip():
        raise InvalidInput("Request body must be a JSON object")
    try:
        return model.model_validate_json(data)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors(include_input=False)):
            raise InvalidInput("Request body is not valid JSON") from None
        raise InvalidInput("Invalid request body", problems_from(error)) from None


def parse_query(model: type[ModelT], parameters: Mapping[str, str] | None) -> ModelT:
    """Validate query string parameters against ``model`` (unknown parameters refused)."""
    from pydantic import ValidationError

    try:
        return model.model_validate_strings(dict(parameters or {}))
    except ValidationError as error:
        raise InvalidInput("Invalid query parameters", problems_from(error)) from None


def refuse_query_parameters(parameters: Mapping[str, str] | None) -> None:
    """For routes that take no query parameters: any is a 400 naming it, as unknown fields are."""
    if parameters:
        problems = [FieldProblem(name, "unknown query parameter") for name in sorted(parameters)]
        raise InvalidInput("Invalid query parameters", problems)
