"""When a cron(...) schedule fires, as the local scheduler loop reads it (local/cron_matching.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connections.domain.schedule_expression import DayOfMonth, DayOfWeek, ScheduleExpression
from local import cron_matching


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "moment", "fires"),
    [
        ("cron(0 6 * * ? *)", utc(2026, 2, 25, 6, 0), True),
        ("cron(0 6 * * ? *)", utc(2026, 2, 25, 6, 1), False),
        ("cron(0 6 * * ? *)", utc(2026, 2, 25, 7, 0), False),
        # 2026-02-27 is a Friday (6), 2026-02-28 a Saturday (7), 2026-03-01 a Sunday (1).
        ("cron(0,30 9-17 ? * MON-FRI *)", utc(2026, 2, 27, 17, 30), True),
        ("cron(0,30 9-17 ? * MON-FRI *)", utc(2026, 2, 28, 12, 0), False),
        ("cron(0 0 ? * 1 *)", utc(2026, 3, 1, 0, 0), True),
        ("cron(15 2 L * ? *)", utc(2026, 2, 28, 2, 15), True),
        ("cron(15 2 L * ? *)", utc(2026, 2, 27, 2, 15), False),
        # The weekday nearest the 14th of March 2026 (a Saturday) is Friday the 13th.
        ("cron(0 8 14W * ? *)", utc(2026, 3, 13, 8, 0), True),
        ("cron(0 8 14W * ? *)", utc(2026, 3, 14, 8, 0), False),
        # The 1st of August 2026 is a Saturday: the nearest weekday in the month is Monday the 3rd.
        ("cron(0 8 1W * ? *)", utc(2026, 8, 3, 8, 0), True),
        # The last Friday of February 2026 is the 27th; the first Monday of March is the 2nd.
        ("cron(0 12 ? * 6L *)", utc(2026, 2, 27, 12, 0), True),
        ("cron(0 12 ? * 6L *)", utc(2026, 2, 20, 12, 0), False),
        ("cron(0 12 ? * 2#1 *)", utc(2026, 3, 2, 12, 0), True),
        ("cron(0 12 ? * 2#1 *)", utc(2026, 3, 9, 12, 0), False),
        ("cron(0 0 1 JAN,JUL ? 2026-2030)", utc(2027, 7, 1, 0, 0), True),
        ("cron(0 0 1 JAN,JUL ? 2026-2030)", utc(2031, 1, 1, 0, 0), False),
        ("cron(*/15 * * * ? *)", utc(2026, 2, 25, 13, 45), True),
        ("cron(*/15 * * * ? *)", utc(2026, 2, 25, 13, 50), False),
    ],
)
def test_cron_matching(text: str, moment: datetime, fires: bool) -> None:
    cron = ScheduleExpression.parse(text).cron
    assert cron is not None
    assert cron_matching.fires(cron, moment) is fires


@pytest.mark.parametrize(
    ("text", "day_of_month", "day_of_week"),
    [
        ("cron(15 2 L * ? *)", DayOfMonth(last=True), None),
        ("cron(0 8 15W * ? *)", DayOfMonth(nearest_weekday=15), None),
        ("cron(0 8 1,15 * ? *)", DayOfMonth(days=frozenset({1, 15})), None),
        ("cron(0 12 ? * 6L *)", None, DayOfWeek(weekdays=frozenset({6}), last=True)),
        ("cron(0 12 ? * L *)", None, DayOfWeek(weekdays=frozenset({7}), last=True)),
        ("cron(0 12 ? * 2#1 *)", None, DayOfWeek(weekdays=frozenset({2}), nth=1)),
        ("cron(0 12 ? * MON-FRI *)", None, DayOfWeek(weekdays=frozenset({2, 3, 4, 5, 6}))),
    ],
)
def test_the_domain_keeps_the_day_fields_as_data(
    text: str, day_of_month: DayOfMonth | None, day_of_week: DayOfWeek | None
) -> None:
    cron = ScheduleExpression.parse(text).cron
    assert cron is not None
    assert (cron.day_of_month, cron.day_of_week) == (day_of_month, day_of_week)
