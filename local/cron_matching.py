"""When a validated ``cron(...)`` schedule fires, for the local scheduler loop (local/scheduled_syncs.py).

Deployed, EventBridge Scheduler decides this; locally the loop asks every minute. The grammar and its
validation stay in the domain (connections/domain/schedule_expression.py); this module only reads
the parsed fields, including the ``L``, ``W`` and ``#`` day rules, as EventBridge documents them.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

from connections.domain.schedule_expression import CronSchedule, DayOfMonth, DayOfWeek


def fires(cron: CronSchedule, moment: datetime) -> bool:
    """True when ``cron`` fires in the UTC minute of ``moment``."""
    moment = moment.astimezone(UTC)
    return (
        moment.minute in cron.minutes
        and moment.hour in cron.hours
        and moment.month in cron.months
        and moment.year in cron.years
        and _day_fires(cron, moment)
    )


def _day_fires(cron: CronSchedule, moment: datetime) -> bool:
    if cron.day_of_month is not None:
        return _day_of_month_fires(cron.day_of_month, moment)
    assert cron.day_of_week is not None  # the parser sets exactly one of the two
    return _day_of_week_fires(cron.day_of_week, moment)


def _last_day(moment: datetime) -> int:
    return calendar.monthrange(moment.year, moment.month)[1]


def _aws_weekday(moment: datetime) -> int:
    # EventBridge numbers days of the week from Sunday (1) to Saturday (7).
    return (moment.weekday() + 1) % 7 + 1


def _nearest_weekday(moment: datetime, day: int) -> int:
    """``15W``: the day of the weekday nearest the 15th, within the same month."""
    last = _last_day(moment)
    target = min(day, last)
    weekday = datetime(moment.year, moment.month, target, tzinfo=UTC).weekday()
    if weekday == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        target = target - 1 if target > 1 else target + 2
    elif weekday == 6:  # Sunday: the Monday after, or the Friday before on the last day
        target = target + 1 if target < last else target - 2
    return target


def _day_of_month_fires(rule: DayOfMonth, moment: datetime) -> bool:
    if rule.last:
        return moment.day == _last_day(moment)
    if rule.nearest_weekday is not None:
        return moment.day == _nearest_weekday(moment, rule.nearest_weekday)
    return moment.day in rule.days


def _day_of_week_fires(rule: DayOfWeek, moment: datetime) -> bool:
    if _aws_weekday(moment) not in rule.weekdays:
        return False
    if rule.last:
        return moment.day + 7 > _last_day(moment)
    if rule.nth is not None:
        return (moment.day - 1) // 7 + 1 == rule.nth
    return True
