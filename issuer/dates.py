"""One reader for the moments the issuer accepts from outside (``validUntil``, ``expiresAt``,
the learner's expiry date): an ISO 8601 date-time with a time zone, or where the caller allows
it a date, turned into UTC without ever overflowing.

``datetime.fromisoformat`` reads ``9999-12-31T23:59:59-14:00``, but turning it into UTC (or
comparing it with an aware ``now``) raises ``OverflowError``: a 500 wherever it was not caught.
:func:`parse_moment` converts under a guard and keeps every moment within
:data:`EARLIEST` … :data:`LATEST` (UTC), far enough from ``datetime``'s limits that a day or a
year added later cannot overflow either.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final

EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(9999, 1, 1, tzinfo=UTC)
DATE_LENGTH: Final = len("2030-01-31")
# RFC 3339 allows a leap second (…:60); Python's datetime has none: read it as …:59.
_LEAP_SECOND: Final = re.compile(r"(?<=[0-9]{2}:[0-9]{2}:)60(?=[.,Z+-]|$)")


class DateRule(StrEnum):
    """What a bare date (``YYYY-MM-DD``) means, where one is allowed."""

    END_OF_DAY = "end_of_day"  # 23:59:59 UTC that day
    NEXT_MIDNIGHT = "next_midnight"  # 00:00 UTC the day after (works through that day)


class MomentError(ValueError):
    """A moment refused; ``reason`` is stable (``not_a_string``, ``malformed``,
    ``no_time_zone``, ``out_of_range``, ``not_in_future``), the message is for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _from_date(text: str, rule: DateRule) -> datetime:
    day = date.fromisoformat(text)
    if rule is DateRule.END_OF_DAY:
        return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    if day >= LATEST.date():  # the day after would be past LATEST (or past year 9999)
        raise OverflowError(text)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def parse_moment(
    value: Any,
    *,
    dates: DateRule | None = None,
    after: datetime | None = None,
) -> datetime:
    """The UTC moment ``value`` names: an ISO 8601 date-time with a time zone (``Z`` or an
    offset), or with ``dates`` also a date read by that rule. It lies within
    :data:`EARLIEST` … :data:`LATEST` and, with ``after``, later than ``after``. Raises
    :class:`MomentError` otherwise; never ``OverflowError``."""
    if not isinstance(value, str):
        raise MomentError("not_a_string", "must be an ISO 8601 date-time string")
    try:
        if dates is not None and len(value) == DATE_LENGTH:
            moment = _from_date(value, dates)
        else:
            # RFC 3339 allows a lower-case t and z, and a leap second.
            moment = datetime.fromisoformat(_LEAP_SECOND.sub("59", value.upper(), count=1))
    except OverflowError:
        raise MomentError("out_of_range", _range_message()) from None
    except ValueError:
        example = "2030-01-31T12:00:00Z" + (" or a date such as 2030-01-31" if dates else "")
        raise MomentError("malformed", f"must be an ISO 8601 date-time such as {example}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise MomentError("no_time_zone", "needs a time zone (e.g. a trailing Z for UTC)")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise MomentError("out_of_range", _range_message()) from None
    if not EARLIEST <= moment <= LATEST:
        raise MomentError("out_of_range", _range_message())
    if after is not None and moment <= after:
        raise MomentError("not_in_future", "must lie in the future")
    return moment


def _range_message() -> str:
    return f"must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)"
