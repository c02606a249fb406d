"""config.schedule: EventBridge rate and cron expressions and the minimum interval (matching: test_cron_matching.py)."""

from __future__ import annotations

import pytest

from connections.domain.connection_config import validate_config
from connections.domain.platforms import Direction, Platform
from connections.domain.schedule_expression import (
    MIN_INTERVAL_MINUTES,
    InvalidScheduleExpression,
    ScheduleExpression,
    schedule_problem,
)

INBOUND = {"base_url": "https://api.example.com/segments"}


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("rate(15 minutes)", 15),
        ("rate(1 hour)", 60),
        ("rate(6 hours)", 360),
        ("rate(1 day)", 1440),
        ("rate(7 days)", 10080),
    ],
)
def test_rates(text: str, minutes: int) -> None:
    assert ScheduleExpression.parse(text).interval_minutes == minutes


@pytest.mark.parametrize(
    "text",
    [
        "cron(0 6 * * ? *)",
        "cron(0,30 9-17 ? * MON-FRI *)",
        "cron(15 2 L * ? *)",
        "cron(0 8 15W * ? *)",
        "cron(0 12 ? * 6L *)",
        "cron(0 12 ? * 2#1 *)",
        "cron(*/15 * * * ? *)",
        "cron(0 0 1 JAN,JUL ? 2026-2030)",
        "cron(45 23 ? * sun *)",
    ],
)
def test_valid_crons(text: str) -> None:
    assert ScheduleExpression.parse(text).cron is not None
    assert schedule_problem(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rate(5 minutes)", f"every {MIN_INTERVAL_MINUTES} minutes"),
        ("rate(1 minute)", f"every {MIN_INTERVAL_MINUTES} minutes"),
        ("rate(1 hours)", "singular unit for 1"),
        ("rate(2 hour)", "singular unit for 1"),
        ("rate(0 hours)", "EventBridge schedule expression"),
        ("rate(1 week)", "EventBridge schedule expression"),
        ("rate(1  hour)", "EventBridge schedule expression"),
        ("every hour", "EventBridge schedule expression"),
        ("at(2026-03-01T10:00:00)", "EventBridge schedule expression"),
        ("cron(0 6 * * *)", "six fields"),
        ("cron(0 6 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 6 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(60 6 * * ? *)", "minutes values must be from 0 to 59"),
        ("cron(0 24 * * ? *)", "hours values must be from 0 to 23"),
        ("cron(0 6 32 * ? *)", "day-of-month values must be from 1 to 31"),
        ("cron(0 6 ? * 8 *)", "day-of-week values must be from 1 to 7"),
        ("cron(0 6 ? FOO * *)", "month field has an invalid value"),
        ("cron(0 6 * * ? 1969)", "year values must be from 1970 to 2199"),
        ("cron(0 6 ? * 2#6 *)", "'#' must be followed by 1 to 5"),
        ("cron(10-5 6 * * ? *)", "must go from low to high"),
        ("cron(0/0 6 * * ? *)", "invalid step"),
        ("cron(* 6 * * ? *)", "at least 15 minutes apart"),
        ("cron(*/5 * * * ? *)", "at least 15 minutes apart"),
        ("cron(0,10 * * * ? *)", "at least 15 minutes apart"),
        ("cron(5,55 * * * ? *)", "at least 15 minutes apart"),
        ("rate(" + "9" * 300 + " days)", "at most 256 characters"),
    ],
)
def test_invalid_expressions(text: str, message: str) -> None:
    with pytest.raises(InvalidScheduleExpression, match=message):
        ScheduleExpression.parse(text)


def test_schedule_is_an_inbound_config_key() -> None:
    inbound = validate_config(INBOUND | {"schedule": "rate(1 hour)"}, Platform.CUSTOM_API, Direction.INBOUND)
    both = validate_config(INBOUND | {"schedule": "cron(0 6 * * ? *)"}, Platform.CUSTOM_API, Direction.BIDIRECTIONAL)
    outbound = validate_config({"schedule": "rate(1 hour)"}, Platform.LIVERAMP, Direction.OUTBOUND)
    invalid = validate_config(INBOUND | {"schedule": "rate(1 minute)"}, Platform.CUSTOM_API, Direction.INBOUND)
    not_text = validate_config(INBOUND | {"schedule": 3600}, Platform.CUSTOM_API, Direction.INBOUND)

    assert inbound == [] and both == []
    assert [(p.field, p.message) for p in outbound] == [
        ("config.schedule", "'schedule' applies only to inbound or bidirectional connections")
    ]
    assert [p.field for p in invalid] == ["config.schedule"]
    assert "15 minutes" in invalid[0].message
    assert [p.field for p in not_text] == ["config.schedule"]


# --- only the whole text, only ASCII, only bounded numbers --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "rate(1 hour)\n",
        "cron(0 6 * * ? *)\n",
        "rate(1 hour) ",
        " rate(1 hour)",
        "\nrate(1 hour)",
        "rate(1 hour)x",
        "rate(1 hour)\r\n",
        "cron(0 6 * * ? *)\n\n",
    ],
    ids=["rate-newline", "cron-newline", "trailing-space", "leading-space", "leading-newline", "junk", "crlf", "two"],
)
def test_text_around_the_expression_is_refused(text: str) -> None:
    with pytest.raises(InvalidScheduleExpression, match="EventBridge schedule expression"):
        ScheduleExpression.parse(text)
    assert schedule_problem(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "cron(0 \u00b2 * * ? *)",  # superscript two: isdigit() is true, int() raises
        "cron(0 \u0666 * * ? *)",  # Arabic-Indic six: int() reads 6
        "cron(\uff10 6 * * ? *)",  # full-width zero
        "cron(0 6 * * ? \u0662\u0660\u0662\u0666)",  # Arabic-Indic 2026
        "cron(0/\u00b9\u2075 6 * * ? *)",  # superscript step
        "cron(0 6 ? * \u017fun *)",  # long s: upper() gives "SUN"
        "cron(0 6 ? * FR\u0131 *)",  # dotless i: upper() gives "FRI"
        "rate(\u0661 hour)",
        "rate(1 hour\u00a0)",
    ],
    ids=["superscript", "arabic-indic", "full-width", "arabic-year", "superscript-step", "long-s", "dotless-i",
         "rate-arabic", "nbsp"],
)  # fmt: skip
def test_unicode_digits_and_letters_are_refused(text: str) -> None:
    with pytest.raises(InvalidScheduleExpression, match="ASCII"):
        ScheduleExpression.parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rate(999999 days)", "at most 366 days"),
        ("rate(367 days)", "at most 366 days"),
        ("rate(527041 minutes)", "at most 366 days"),
        ("rate(1000000 days)", "EventBridge schedule expression"),
        ("cron(0/99999 6 * * ? *)", "invalid step"),
        ("cron(0 6 * * ? 99999)", "year field has an invalid value"),
        ("cron(00000 6 * * ? *)", "minutes field has an invalid value"),
    ],
)
def test_numbers_are_bounded(text: str, message: str) -> None:
    with pytest.raises(InvalidScheduleExpression, match=message):
        ScheduleExpression.parse(text)


def test_the_longest_rate_is_accepted() -> None:
    assert ScheduleExpression.parse("rate(366 days)").interval_minutes == 366 * 1440
    assert ScheduleExpression.parse("rate(527040 minutes)").interval_minutes == 366 * 1440


def test_a_unicode_schedule_is_a_config_schedule_problem() -> None:
    problems = validate_config(INBOUND | {"schedule": "cron(0 \u00b2 * * ? *)"}, Platform.CUSTOM_API, Direction.INBOUND)
    assert [p.field for p in problems] == ["config.schedule"]
    assert "ASCII" in problems[0].message
