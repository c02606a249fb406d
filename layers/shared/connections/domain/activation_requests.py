"""The push routes' request body: a pydantic model, apart from the records in activation.py so that the
push service and the status read do not import pydantic (the activation list's filters are plain:
list_filters.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from connections.domain.activation import MAX_SEGMENTS_PER_RUN
from connections.domain.currencies import MAX_CPM
from connections.domain.strict_body import StorableFloat, StrictBody

TopicId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class StartPushRequest(StrictBody):
    segmentIds: list[TopicId] = Field(min_length=1, max_length=MAX_SEGMENTS_PER_RUN)
    templateKey: Annotated[str, StringConstraints(max_length=64)] | None = None
    cpm: Annotated[StorableFloat, Field(ge=0, le=MAX_CPM)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
