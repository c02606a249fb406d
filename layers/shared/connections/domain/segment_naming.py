"""How a topic is named and described on a platform: output templates with ``{{field}}`` placeholders,
chosen by ``templateKey`` (request) or the connection's ``template_key``, then fitted to the platform's
length limit and character rules.

Built-in templates (``TEMPLATES``) and the default per platform (its profile's ``default_template``):

- ``name``: ``{{name}}``
- ``iab_path``: ``{{tier_path}} > {{name}}``  (LiveRamp, The Trade Desk)
- ``iab_code``: ``{{name}} (IAB {{iab_code}})``  (Index Exchange)
- ``provider``: ``{{tier1}} > {{name}}``

Fields: name, description, iab_code, tier1, tier_path (" > " joined), segment_type, category,
keywords (comma joined), external_id, topic_id, audience_size, cpm, currency, engine_version.
Unknown fields render empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connections.domain.errors import InvalidInput
from connections.domain.platforms import Platform
from connections.domain.topic import Topic
from connections.profiles.registry import profile_of

TEMPLATES: Mapping[str, str] = {
    "name": "{{name}}",
    "iab_path": "{{tier_path}} > {{name}}",
    "iab_code": "{{name}} (IAB {{iab_code}})",
    "provider": "{{tier1}} > {{name}}",
}
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")
_SPACES = re.compile(r"\s+")
# Separators left at either end by empty fields, and an empty "(IAB )". This was
# "^(\s*>\s*)+|(\s*>\s*)+$|...": the trailing "(\s*>\s*)+$" could share the blanks between ">"s among
# its repetitions in exponentially many ways before failing (a name of 30 " >" took minutes). Now a run
# of blanks and ">" is taken whole and possessively ("[\s>]*+"), the trailing form is only tried where such
# a run begins ("(?<![\s>])") and holds a ">" ("(?=\s*+>)"), so each run is scanned a bounded number of
# times; it removes the same text as before.
_EMPTY_SEPARATORS = re.compile(r"^\s*+>[\s>]*+|(?<![\s>])(?=\s*+>)[\s>]*+\Z|\(\s*+(?:IAB\s*+)?\)")


def template_for(platform: Platform, template_key: str | None) -> str:
    """The template text for a key (or the platform's default); an unknown key is a 400."""
    key = template_key if template_key is not None else profile_of(platform).default_template
    if key not in TEMPLATES:
        raise InvalidInput(f"Unknown template '{key}'; known templates: {', '.join(sorted(TEMPLATES))}")
    return TEMPLATES[key]


def topic_fields(topic: Topic, cpm: float | None = None, currency: str | None = None) -> dict[str, Any]:
    """The values placeholders can use."""
    classification = topic.classification
    return {
        "name": topic.name,
        "description": topic.description,
        "iab_code": classification.iab_code if classification else None,
        "tier1": classification.tier1 if classification else None,
        "tier_path": " > ".join(classification.tier_path) if classification else None,
        "segment_type": classification.segment_type if classification else None,
        "engine_version": classification.engine_version if classification else None,
        "category": topic.category,
        "keywords": ", ".join(topic.keywords) or None,
        "external_id": topic.external_id,
        "topic_id": topic.id,
        "audience_size": topic.audience_size,
        "cpm": cpm if cpm is not None else topic.cpm,
        "currency": currency,
    }


def render(template: str, fields: Mapping[str, Any]) -> str:
    """Fill placeholders; unknown or empty fields render empty, and separators left dangling go."""
    text = _PLACEHOLDER.sub(lambda match: _text(fields.get(match.group(1))), template)
    text = _EMPTY_SEPARATORS.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fit(text: str, limit: int, refused: re.Pattern[str]) -> str:
    """Remove refused characters and cut to ``limit`` on a word boundary where one is near."""
    text = _SPACES.sub(" ", refused.sub(" ", text)).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.6 else cut).rstrip(" >-,") + "…"


def segment_name(topic: Topic, platform: Platform, template_key: str | None) -> str:
    """The name a topic gets on a platform now."""
    rules = profile_of(platform).name_rules
    return fit(render(template_for(platform, template_key), topic_fields(topic)), rules.max_name, rules.refused)


def segment_description(topic: Topic, platform: Platform) -> str:
    """The description a topic gets on a platform: its own, else its taxonomy placement."""
    rules = profile_of(platform).name_rules
    fields = topic_fields(topic)
    placement = (
        render("IAB Audience Taxonomy 1.1 {{iab_code}}: {{tier_path}}", fields) if topic.classification else None
    )
    # An unclassified topic has no placement to tell: its name says more than an empty template would.
    return fit(topic.description or placement or topic.name, rules.max_description, rules.refused)
