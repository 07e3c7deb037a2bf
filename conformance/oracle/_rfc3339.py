"""RFC 3339 date-times, exactly: the grammar of section 5.6 plus its calendar and leap rules.

Not `datetime.fromisoformat` (it accepts forms RFC 3339 does not and rejects leap seconds).
Agrees with the JSON-Schema-Test-Suite's draft 2020-12 `format/date-time` cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

__all__ = ["Timestamp", "parse_rfc3339"]

# ASCII digits only: `\d` would take other scripts' digits too.
_DATE_TIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?:(?P<zulu>[Zz])|(?P<sign>[+-])(?P<off_hour>[0-9]{2}):(?P<off_minute>[0-9]{2}))"
)


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A valid RFC 3339 date-time, with what makes it unusual kept for the EDGE labels."""

    text: str
    seconds: int  # whole seconds since 1970-01-01T00:00:00Z, offset applied; a leap second as :59
    fraction: str  # the fractional digits exactly as written
    leap_second: bool
    lowercase: bool
    unknown_offset: bool  # `-00:00`: UTC, local offset unknown (RFC 3339 section 4.3)

    @property
    def sub_microsecond(self) -> bool:
        return len(self.fraction) > 6

    @property
    def instant(self) -> tuple[int, bool, str]:
        """A key that orders instants exactly, at every instant RFC 3339 can write: whole
        seconds as an integer, a leap second after its :59, then every fractional digit
        (without trailing zeros, digit strings order as the fractions they write)."""
        return self.seconds, self.leap_second, self.fraction.rstrip("0")

    @property
    def microseconds(self) -> int:
        """Microseconds since 1970-01-01T00:00:00Z, later digits truncated: for time spans."""
        return (self.seconds + self.leap_second) * 1_000_000 + int(self.fraction[:6].ljust(6, "0"))

    @property
    def utc(self) -> datetime:
        """The instant as a `datetime`, for display: clamped where `datetime` ends (years 0000
        and 9999 near midnight), microseconds truncated. Compare with `instant`."""
        micro = self.microseconds - _DATETIME_MIN_MICROSECONDS
        micro = min(max(micro, 0), _DATETIME_SPAN_MICROSECONDS)
        return datetime.min.replace(tzinfo=UTC) + timedelta(microseconds=micro)


def parse_rfc3339(text: object) -> Timestamp | None:
    """The Timestamp `text` denotes, or None when it is not an RFC 3339 date-time."""
    return _parse(text) if isinstance(text, str) else None


@lru_cache(maxsize=4096)  # several checks read the same timestamps of one body
def _parse(text: str) -> Timestamp | None:
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        return None
    year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"])
    if not (1 <= month <= 12 and 1 <= day <= _days_in(year, month)):
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    offset = 0
    if match["sign"]:
        off_hour, off_minute = int(match["off_hour"]), int(match["off_minute"])
        if off_hour > 23 or off_minute > 59:
            return None
        offset = (off_hour * 60 + off_minute) * (1 if match["sign"] == "+" else -1)
    fraction = match["fraction"] or ""
    if second == 60 and (hour * 60 + minute - offset) % 1440 != 23 * 60 + 59:
        return None
    return Timestamp(
        text=text,
        seconds=_seconds(year, month, day, hour, minute - offset, min(second, 59)),
        fraction=fraction,
        leap_second=second == 60,
        lowercase=text[10] == "t" or text.endswith("z"),
        unknown_offset=text.endswith("-00:00"),
    )


def _days_in(year: int, month: int) -> int:
    """Proleptic Gregorian, year 0000 included (RFC 3339 allows it; `calendar` does not)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _seconds(year: int, month: int, day: int, hour: int, minute: int, second: int) -> int:
    """Seconds since 1970-01-01T00:00:00Z (proleptic Gregorian, negative before); `minute` may
    be out of range, as when an offset is applied, and carries over exactly."""
    # Years counted from March, so that February's leap day ends the year (days_from_civil).
    march_year = year - 1 if month <= 2 else year
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = 365 * march_year + march_year // 4 - march_year // 100 + march_year // 400 + day_of_year
    return (((days - 719_468) * 24 + hour) * 60 + minute) * 60 + second


_DATETIME_MIN_MICROSECONDS = _seconds(1, 1, 1, 0, 0, 0) * 1_000_000
_DATETIME_SPAN_MICROSECONDS = (datetime.max - datetime.min) // timedelta(microseconds=1)
