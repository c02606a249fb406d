"""The topic routes' request body: a pydantic model, apart from the records in topic.py so that syncs
and status reads do not import pydantic. The library's query parameters are in list_filters.py."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from connections.domain.currencies import MAX_CPM
from connections.domain.strict_body import StorableFloat, StrictBody, StrictInt
from connections.domain.topic import (
    MAX_AUDIENCE_SIZE,
    MAX_KEYWORD_LENGTH,
    MAX_KEYWORDS,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
)

TopicName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT_LENGTH)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_KEYWORD_LENGTH)]


class CreateTopicRequest(StrictBody):
    topic_name: TopicName
    description: ShortText | None = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=MAX_KEYWORDS)
    category: ShortText | None = None
    taxonomy_path: ShortText | None = None
    audience_size: Annotated[StrictInt, Field(ge=0, le=MAX_AUDIENCE_SIZE)] | None = None
    cpm: Annotated[StorableFloat, Field(ge=0, le=MAX_CPM)] | None = None
