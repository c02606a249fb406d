"""The request bodies of the push routes and of POST /api/activations/bulk: pydantic models, apart from
the records in activation.py so that the push service and the status read do not import pydantic (the
activation list's filters are plain: list_filters.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from connections.domain.activation import MAX_BULK_ACTIVATIONS, MAX_SEGMENTS_PER_RUN, ActivationStatus
from connections.domain.currencies import MAX_CPM
from connections.domain.errors import FieldProblem, InvalidInput
from connections.domain.list_cursor import MAX_CURSOR_LENGTH
from connections.domain.list_filters import MAX_PLATFORM_LENGTH
from connections.domain.strict_body import FilterId, StorableFloat, StrictBody

TopicId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class StartPushRequest(StrictBody):
    segmentIds: list[TopicId] = Field(min_length=1, max_length=MAX_SEGMENTS_PER_RUN)
    templateKey: Annotated[str, StringConstraints(max_length=64)] | None = None
    cpm: Annotated[StorableFloat, Field(ge=0, le=MAX_CPM)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None


ActivationId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class BulkAction(StrEnum):
    DEACTIVATE = "deactivate"
    REFRESH = "refresh"


class BulkFilter(StrictBody):
    """Which activations a bulk call goes through, as GET /api/activations filters them."""

    stale: bool | None = None
    connectionId: FilterId | None = None
    platform: Annotated[str, StringConstraints(max_length=MAX_PLATFORM_LENGTH)] | None = None
    status: ActivationStatus | None = None


class BulkActivationRequest(StrictBody):
    """POST /api/activations/bulk: an action on the listed ids, or on the next activations a filter
    finds (``cursor``: where the previous call with that filter stopped)."""

    action: BulkAction
    ids: list[ActivationId] | None = Field(default=None, min_length=1, max_length=MAX_BULK_ACTIVATIONS)
    filter: BulkFilter | None = None
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=MAX_CURSOR_LENGTH)] | None = None

    def check_selection(self) -> None:
        """Exactly one of ids and filter; a filter names at least one field; a cursor goes with a filter.
        A field is given or left out, never null (which of ids and filter was meant would be a guess)."""
        nulls = [name for name in sorted(self.model_fields_set) if getattr(self, name) is None]
        if self.filter is not None:
            nulls += [
                f"filter.{name}" for name in sorted(self.filter.model_fields_set) if getattr(self.filter, name) is None
            ]
        if nulls:
            raise InvalidInput(
                "Invalid request body", [FieldProblem(name, "Leave it out instead of null") for name in nulls]
            )
        if (self.ids is None) == (self.filter is None):
            problem = FieldProblem("ids", "Give either ids or filter")
            raise InvalidInput("Give either ids (1-25 activation ids) or filter", [problem])
        if self.filter is not None and not self.filter.model_fields_set:
            raise InvalidInput("The filter is empty", [FieldProblem("filter", "Name at least one of its fields")])
        if self.cursor is not None and self.filter is None:
            raise InvalidInput("A cursor goes with a filter", [FieldProblem("cursor", "Only with filter")])
