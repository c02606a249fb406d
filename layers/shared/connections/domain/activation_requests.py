"""The push routes' request body and the activation list's filters: pydantic models, apart from the
records in activation.py so that the push service and the status read do not import pydantic."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from connections.domain.activation import MAX_SEGMENTS_PER_RUN, ActivationStatus
from connections.domain.currencies import MAX_CPM
from connections.domain.strict_body import FilterId, PageNumber, StorableFloat, StrictBody

TopicId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class StartPushRequest(StrictBody):
    segmentIds: list[TopicId] = Field(min_length=1, max_length=MAX_SEGMENTS_PER_RUN)
    templateKey: Annotated[str, StringConstraints(max_length=64)] | None = None
    cpm: Annotated[StorableFloat, Field(ge=0, le=MAX_CPM)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None


class ActivationFilters(StrictBody):
    connectionId: FilterId | None = None
    platform: Annotated[str, StringConstraints(max_length=32)] | None = None
    status: ActivationStatus | None = None
    stale: bool | None = None
    page: PageNumber = 1
    pageSize: Annotated[int, Field(ge=1, le=100)] = 50
