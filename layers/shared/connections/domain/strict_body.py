"""The base of every request body and query model: strict types, unknown fields refused; and the
strict integer and storable number types those models use (as_integer itself, which plain domain
rules use too, lives in json_numbers.py, without pydantic)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from connections.domain.list_filters import MAX_FILTER_ID_LENGTH, MAX_LIST_PAGE
from connections.domain.storage_limits import number_fits


class StrictBody(BaseModel):
    # strict: "2.5" is not a number and "true" is not a boolean; extra="forbid": unknown fields are a 400.
    # defer_build: a model's validator is built on its first use, not when its module is imported, so
    # a function pays at init only for the models it validates (each costs milliseconds to build).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


def _integral(value: Any) -> Any:
    # Only an integral float is converted; anything else reaches the strict int check unchanged and
    # is refused there ("Input should be a valid integer").
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _storable(value: float) -> float:
    if not number_fits(value):
        raise PydanticCustomError(
            "number_not_storable", "must be 0 or at least 1e-130, with at most 38 significant digits"
        )
    return value


# An integer in a JSON body: 3 or 3.0 (stored and echoed as 3), never true, "3" or 3.5. Query models
# keep plain ``int``: their values arrive as strings and are parsed as such.
StrictInt = Annotated[int, BeforeValidator(_integral)]
# A number DynamoDB stores exactly (1e-300 underflows there; bounds such as le=10000 are added by the field).
StorableFloat = Annotated[float, AfterValidator(_storable)]

# A listing's page number (query models): far past any library's or activation list's end, and small
# enough that the offset stays an int; and an id a listing is filtered by.
PageNumber = Annotated[int, Field(ge=1, le=MAX_LIST_PAGE)]
FilterId = Annotated[str, StringConstraints(max_length=MAX_FILTER_ID_LENGTH)]
