"""EventBridge Scheduler expressions for a connection's ``config.schedule``: ``rate(...)`` and ``cron(...)``.

Validation follows EventBridge's documented grammar, so an expression accepted here is never refused
later by ``CreateSchedule``: ``rate(value unit)`` with a singular unit for 1 and a plural one above,
and six cron fields (minutes, hours, day-of-month, month, day-of-week, year) where exactly one of
day-of-month and day-of-week is ``?``. Schedules run in UTC.

A sync runs at most every ``MIN_INTERVAL_MINUTES``: a rate must be at least that long, and the
minutes a cron expression names must lie at least that far apart (also across the hour). A rate is at
most ``MAX_INTERVAL_MINUTES`` (a year), so no number EventBridge could refuse is ever stored.

The whole text must match (``fullmatch``: "rate(1 hour)\n" is refused, where "$" let it through) and
only ASCII is read: ``str.isdigit`` and ``int`` also take "²", Arabic-Indic and full-width digits, and
``str.upper`` turns "\\u017fun" (long s) into "SUN", none of which EventBridge accepts.

A parsed cron expression keeps what its day fields say (listed days, ``L``, ``W``, ``#``) as data;
when it fires is EventBridge's business, and the local runner's (local/cron_matching.py).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

MAX_EXPRESSION_LENGTH = 256
MIN_INTERVAL_MINUTES = 15
MAX_INTERVAL_MINUTES = 366 * 1440

# Used with fullmatch only. The number patterns are ASCII and bounded, so int() of them is small.
_RATE = re.compile(r"rate\((?P<value>[1-9][0-9]{0,5}) (?P<unit>minutes?|hours?|days?)\)")
_CRON = re.compile(r"cron\((?P<fields>[^()]*)\)")
_NUMBER = re.compile(r"[0-9]{1,4}")
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440}
# Fixed English names (calendar.month_abbr follows the locale).
_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}
# EventBridge numbers days of the week from Sunday (1) to Saturday (7).
_DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class InvalidScheduleExpression(ValueError):
    """The expression breaks the grammar or the minimum interval; the message says how."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


_MINUTES = _Field("minutes", 0, 59, {})
_HOURS = _Field("hours", 0, 23, {})
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, {})
_MONTH = _Field("month", 1, 12, _MONTH_NAMES)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, _DAY_NAMES)
_YEAR = _Field("year", 1970, 2199, {})


def _value(text: str, spec: _Field) -> int:
    number = spec.names.get(text.upper()) if spec.names else None
    if number is None:
        if not _NUMBER.fullmatch(text):
            raise InvalidScheduleExpression(f"cron {spec.name} field has an invalid value '{text}'")
        number = int(text)
    if not spec.low <= number <= spec.high:
        raise InvalidScheduleExpression(f"cron {spec.name} values must be from {spec.low} to {spec.high}")
    return number


def _values(field: str, spec: _Field) -> frozenset[int]:
    """The numbers a field of ``* , - /`` terms selects."""
    selected: set[int] = set()
    for term in field.split(","):
        base, _, step_text = term.partition("/")
        step = 1
        if step_text:
            if not _NUMBER.fullmatch(step_text) or int(step_text) == 0:
                raise InvalidScheduleExpression(f"cron {spec.name} field has an invalid step '/{step_text}'")
            step = int(step_text)
        if base == "*":
            start, end = spec.low, spec.high
        elif "-" in base:
            low_text, _, high_text = base.partition("-")
            start, end = _value(low_text, spec), _value(high_text, spec)
            if start > end:
                raise InvalidScheduleExpression(f"cron {spec.name} range '{base}' must go from low to high")
        elif base:
            start = _value(base, spec)
            end = spec.high if step_text else start
        else:
            raise InvalidScheduleExpression(f"cron {spec.name} field has an empty term")
        selected.update(range(start, end + 1, step))
    return frozenset(selected)


@dataclass(frozen=True)
class DayOfMonth:
    """A day-of-month field: the listed ``days``, ``L`` (``last``: the month's last day) or ``nW``
    (``nearest_weekday``: the weekday nearest day n, within the month)."""

    days: frozenset[int] = frozenset()
    last: bool = False
    nearest_weekday: int | None = None


@dataclass(frozen=True)
class DayOfWeek:
    """A day-of-week field, 1 (Sunday) to 7 (Saturday): the listed ``weekdays``, ``dL`` (``last``: the
    month's last weekday d) or ``d#n`` (``nth``: its nth, 1 to 5)."""

    weekdays: frozenset[int] = frozenset()
    last: bool = False
    nth: int | None = None


def _day_of_month(field: str) -> DayOfMonth | None:
    if field == "?":
        return None
    if field == "L":
        return DayOfMonth(last=True)
    if field.endswith("W"):
        return DayOfMonth(nearest_weekday=_value(field[:-1], _DAY_OF_MONTH))
    return DayOfMonth(days=_values(field, _DAY_OF_MONTH))


def _day_of_week(field: str) -> DayOfWeek | None:
    if field == "?":
        return None
    if field.endswith("L"):
        weekday = _value(field[:-1], _DAY_OF_WEEK) if field != "L" else 7
        return DayOfWeek(weekdays=frozenset({weekday}), last=True)
    if "#" in field:
        day_text, _, nth_text = field.partition("#")
        weekday = _value(day_text, _DAY_OF_WEEK)
        if nth_text not in ("1", "2", "3", "4", "5"):
            raise InvalidScheduleExpression("cron day-of-week '#' must be followed by 1 to 5")
        return DayOfWeek(weekdays=frozenset({weekday}), nth=int(nth_text))
    return DayOfWeek(weekdays=_values(field, _DAY_OF_WEEK))


def _check_minute_spacing(minutes: frozenset[int]) -> None:
    ordered = sorted(minutes)
    gaps = [later - earlier for earlier, later in itertools.pairwise(ordered)]
    gaps.append(ordered[0] + 60 - ordered[-1])
    if min(gaps) < MIN_INTERVAL_MINUTES:
        raise InvalidScheduleExpression(
            f"a schedule may run at most every {MIN_INTERVAL_MINUTES} minutes; "
            f"the cron minutes must lie at least {MIN_INTERVAL_MINUTES} minutes apart"
        )


@dataclass(frozen=True)
class CronSchedule:
    """A parsed ``cron(...)`` expression (UTC); exactly one of the two day fields is set, the other was ``?``."""

    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    day_of_month: DayOfMonth | None
    day_of_week: DayOfWeek | None


def _parse_cron(fields_text: str) -> CronSchedule:
    fields = fields_text.split(" ")
    if len(fields) != 6 or not all(fields):
        raise InvalidScheduleExpression(
            "cron(...) takes six fields separated by single spaces: minutes hours day-of-month month day-of-week year"
        )
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise InvalidScheduleExpression("cron needs '?' in exactly one of day-of-month and day-of-week")
    minute_values = _values(minutes, _MINUTES)
    _check_minute_spacing(minute_values)
    return CronSchedule(
        minutes=minute_values,
        hours=_values(hours, _HOURS),
        months=_values(month, _MONTH),
        years=_values(year, _YEAR),
        day_of_month=_day_of_month(day_of_month),
        day_of_week=_day_of_week(day_of_week),
    )


@dataclass(frozen=True)
class ScheduleExpression:
    """A validated expression: a fixed interval (rate) or a cron schedule."""

    text: str
    interval_minutes: int | None = None
    cron: CronSchedule | None = None

    @classmethod
    def parse(cls, text: str) -> ScheduleExpression:
        """Validate ``text``; raises InvalidScheduleExpression with a message fit for a 400."""
        if len(text) > MAX_EXPRESSION_LENGTH:
            raise InvalidScheduleExpression(f"must be at most {MAX_EXPRESSION_LENGTH} characters")
        if not text.isascii():
            raise InvalidScheduleExpression("must use ASCII characters only (digits 0-9, English names)")
        rate = _RATE.fullmatch(text)
        if rate:
            value, unit = int(rate["value"]), rate["unit"]
            if (value == 1) != (not unit.endswith("s")):
                raise InvalidScheduleExpression("rate(...) takes a singular unit for 1 and a plural one above")
            minutes = value * _UNIT_MINUTES[unit.rstrip("s")]
            if minutes < MIN_INTERVAL_MINUTES:
                raise InvalidScheduleExpression(f"a schedule may run at most every {MIN_INTERVAL_MINUTES} minutes")
            if minutes > MAX_INTERVAL_MINUTES:
                raise InvalidScheduleExpression("a rate may be at most 366 days")
            return cls(text=text, interval_minutes=minutes)
        cron = _CRON.fullmatch(text)
        if cron:
            return cls(text=text, cron=_parse_cron(cron["fields"]))
        raise InvalidScheduleExpression(
            "must be an EventBridge schedule expression such as rate(1 hour) or cron(0 6 * * ? *)"
        )


def schedule_problem(value: object) -> str | None:
    """Why ``value`` is not a valid ``config.schedule`` (None when it is)."""
    if not isinstance(value, str):
        return "must be a string such as rate(1 hour) or cron(0 6 * * ? *)"
    try:
        ScheduleExpression.parse(value)
    except InvalidScheduleExpression as problem:
        return str(problem)
    return None
