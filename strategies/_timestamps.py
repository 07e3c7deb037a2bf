"""RFC 3339 date-time strings: ordinary ones, the rare-but-valid kinds, and broken ones.

Every string is assembled from drawn parts (a date, a time, digits, an offset), so examples
shrink part by part towards 2000-01-01T00:00:00Z.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from hypothesis import strategies as st

__all__ = [
    "format_timestamp",
    "leap_days",
    "leap_seconds",
    "lowercase_timestamps",
    "malformed_timestamps",
    "nonexistent_dates",
    "offset_extremes",
    "offsets_beyond_18h",
    "offsets_out_of_range",
    "sub_microsecond_timestamps",
    "times_out_of_range",
    "timestamps",
    "unknown_offset_timestamps",
    "year_bounds",
]

_BASE = datetime(2000, 1, 1)
_CENTURY_SECONDS = 100 * 365 * 24 * 3600
_MAX_OFFSET = 23 * 60 + 59
_EVERYDAY_OFFSET = 18 * 60  # past it: a class of its own (platform date-time types cannot hold it)
ZULU = None  # an offset of None is written "Z"
UNKNOWN = "-00:00"


def _offset_text(offset: int | str | None, zulu: str) -> str:
    if offset is None:
        return zulu
    if isinstance(offset, str):
        return offset
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def format_timestamp(
    local: datetime,
    fraction: str = "",
    offset: int | str | None = ZULU,
    *,
    second: int | None = None,
    t: str = "T",
    zulu: str = "Z",
) -> str:
    """`local` written as RFC 3339 with `offset` minutes (None: "Z"; a string: as is)."""
    sec = local.second if second is None else second
    text = (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}{t}{local.hour:02d}:{local.minute:02d}:{sec:02d}"
    )
    if fraction:
        text += "." + fraction
    return text + _offset_text(offset, zulu)


def _fraction(digits: int, value: int) -> str:
    return f"{value:015d}"[-digits:] if digits else ""


def _local(seconds: int) -> datetime:
    return _BASE + timedelta(seconds=seconds)


_locals = st.builds(_local, st.integers(0, _CENTURY_SECONDS))
_fraction_values = st.integers(0, 10**15 - 1)
_quarter_hour_offsets = st.integers(-56, 56).map(lambda quarters: quarters * 15)


def _ordinary(local: datetime, digits: int, value: int, offset: int | None) -> str:
    return format_timestamp(local, _fraction(digits, value), offset)


@cache
def timestamps() -> st.SearchStrategy[str]:
    """Ordinary RFC 3339 date-times: years 2000-2099, 0 to 6 fractional digits, "Z" or a
    real-world offset (a multiple of 15 minutes within ±14:00), upper-case T and Z.

    >>> "2031-07-09T04:12:55.120Z", "2000-01-01T00:00:00+05:45"

    Shrinks towards 2000-01-01T00:00:00Z.
    """
    return st.builds(
        _ordinary,
        _locals,
        st.integers(0, 6),
        _fraction_values,
        st.one_of(st.none(), _quarter_hour_offsets),
    )


# --- valid but rare ------------------------------------------------------------------------


def _leap(day: int, offset: int | str | None, digits: int, value: int) -> str:
    # A leap second is 23:59:60 UTC; written in another offset its local minute moves.
    minutes = 0 if offset is None or isinstance(offset, str) else offset
    utc = datetime(1972, 6, 30, 23, 59) + timedelta(days=day)
    return format_timestamp(utc + timedelta(minutes=minutes), _fraction(digits, value), offset, second=60)


@cache
def leap_seconds() -> st.SearchStrategy[str]:
    """Leap seconds: 23:59:60 UTC, on any day, in "Z" or any offset up to ±18:00 (then the
    local time moves, e.g. 15:59:60-08:00), with up to six fractional digits: rare in no other
    way (a "-00:00" or a seventh digit is another EDGE class, and a reader that refused the
    value could not be charged to either). Shrinks towards 1972-06-30T23:59:60Z."""
    return st.builds(
        _leap,
        st.integers(0, 45_000),
        st.one_of(st.none(), st.integers(-_EVERYDAY_OFFSET, _EVERYDAY_OFFSET)),
        st.integers(0, 6),
        _fraction_values,
    )


@cache
def sub_microsecond_timestamps() -> st.SearchStrategy[str]:
    """7 to 15 fractional digits (finer than a microsecond). Shrinks to 7 zeros."""
    return st.builds(
        _ordinary, _locals, st.integers(7, 15), _fraction_values, st.one_of(st.none(), _quarter_hour_offsets)
    )


def _lowercase(local: datetime, digits: int, value: int, form: str) -> str:
    fraction = _fraction(digits, value)
    if form == "tz":
        return format_timestamp(local, fraction, t="t", zulu="z")
    if form == "z":
        return format_timestamp(local, fraction, zulu="z")
    return format_timestamp(local, fraction, 330, t="t")  # "t" with an offset


@cache
def lowercase_timestamps() -> st.SearchStrategy[str]:
    """A lowercase "t", "z" or both (RFC 3339 section 5.6 allows them). Shrinks to "t"+"z"."""
    return st.builds(
        _lowercase, _locals, st.integers(0, 6), _fraction_values, st.sampled_from(["tz", "z", "t"])
    )


@cache
def unknown_offset_timestamps() -> st.SearchStrategy[str]:
    """The unknown-local-offset form "-00:00" (RFC 3339 section 4.3)."""
    return st.builds(_ordinary, _locals, st.integers(0, 6), _fraction_values, st.just(UNKNOWN))


_EXTREME_OFFSETS = (_EVERYDAY_OFFSET, -_EVERYDAY_OFFSET, 17 * 60 + 59, 14 * 60, -12 * 60, 1, -1, 345, -570)
_BEYOND_OFFSETS = (_MAX_OFFSET, -_MAX_OFFSET, _EVERYDAY_OFFSET + 1, -_EVERYDAY_OFFSET - 1, 23 * 60, -23 * 60)


@cache
def offset_extremes() -> st.SearchStrategy[str]:
    """Offsets far from the usual: ±18:00, +17:59, +14:00, +05:45, -09:30, ±00:01, or any
    offset within ±18:00. Shrinks towards +18:00."""
    offsets = st.one_of(st.sampled_from(_EXTREME_OFFSETS), st.integers(-_EVERYDAY_OFFSET, _EVERYDAY_OFFSET))
    return st.builds(_ordinary, _locals, st.integers(0, 6), _fraction_values, offsets)


@cache
def offsets_beyond_18h() -> st.SearchStrategy[str]:
    """Offsets valid in RFC 3339 but beyond ±18:00 (±18:01 to ±23:59), which common platform
    date-time types cannot hold. Shrinks towards +23:59."""
    beyond = st.integers(_EVERYDAY_OFFSET + 1, _MAX_OFFSET)
    offsets = st.one_of(st.sampled_from(_BEYOND_OFFSETS), beyond, beyond.map(lambda minutes: -minutes))
    return st.builds(_ordinary, _locals, st.integers(0, 6), _fraction_values, offsets)


def _year_bound(top: bool, seconds: int, digits: int, value: int, offset: int | None) -> str:
    if top:
        local = datetime(9999, 12, 31, 23, 59, 59) - timedelta(seconds=seconds)
    else:
        local = datetime(1, 1, 1) + timedelta(seconds=seconds)
    return format_timestamp(local, _fraction(digits, value), offset)


@cache
def year_bounds() -> st.SearchStrategy[str]:
    """Years 0001 and 9999, at and near the ends of the calendar, with offsets that put the
    instant before 0001-01-01T00:00:00Z or after 9999-12-31T23:59:59Z. Shrinks towards
    0001-01-01T00:00:00Z."""
    return st.builds(
        _year_bound,
        st.booleans(),
        st.integers(0, 364 * 24 * 3600),
        st.integers(0, 6),
        _fraction_values,
        st.one_of(st.none(), st.integers(-_EVERYDAY_OFFSET, _EVERYDAY_OFFSET)),
    )


_LEAP_YEARS = (2000, 2024, 2028, 2096, 2400, 1600, 4, 9996)


def _leap_day(year: int, seconds: int, digits: int, value: int, offset: int | None) -> str:
    local = datetime(year, 2, 29) + timedelta(seconds=seconds)
    return format_timestamp(local, _fraction(digits, value), offset)


@cache
def leap_days() -> st.SearchStrategy[str]:
    """29 February of a leap year (2000, 2024, 2400, 0004, ...), at any time of that day."""
    return st.builds(
        _leap_day,
        st.sampled_from(_LEAP_YEARS),
        st.integers(0, 24 * 3600 - 1),
        st.integers(0, 6),
        _fraction_values,
        st.one_of(st.none(), _quarter_hour_offsets),
    )


# --- invalid ---------------------------------------------------------------------------------


def _raw(year: int, month: int, day: int, hour: int, minute: int, second: int, tail: str = "Z") -> str:
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{tail}"


_NON_LEAP_YEARS = (2023, 1900, 2100, 2019, 1, 9999)
_THIRTY_DAY_MONTHS = (4, 6, 9, 11)


@cache
def nonexistent_dates() -> st.SearchStrategy[str]:
    """Well-formed date-times on dates that do not exist: 29 February of a common year
    (1900, 2023), 30 or 31 February, 31 April, month 00 or 13-99, day 00 or 32-99.
    Shrinks towards 2023-02-29T00:00:00Z."""
    y = st.integers(1970, 2099)
    m = st.integers(1, 12)
    return st.one_of(
        st.builds(lambda year: _raw(year, 2, 29, 0, 0, 0), st.sampled_from(_NON_LEAP_YEARS)),
        st.builds(lambda year, day: _raw(year, 2, day, 0, 0, 0), y, st.integers(30, 31)),
        st.builds(lambda year, month: _raw(year, month, 31, 0, 0, 0), y, st.sampled_from(_THIRTY_DAY_MONTHS)),
        st.builds(
            lambda year, month: _raw(year, month, 1, 0, 0, 0), y, st.sampled_from([0, *range(13, 100)])
        ),
        st.builds(
            lambda year, month, day: _raw(year, month, day, 0, 0, 0),
            y,
            m,
            st.sampled_from([0, *range(32, 100)]),
        ),
    )


@cache
def times_out_of_range() -> st.SearchStrategy[str]:
    """Times that do not exist: hour 24-99, minute 60-99, second 61-99, or a leap second
    :60 that is not at 23:59 UTC (22:59:60Z, 23:59:60+01:00). Shrinks to hour 24."""
    y = st.integers(1970, 2099)
    return st.one_of(
        st.builds(lambda year, hour: _raw(year, 1, 1, hour, 0, 0), y, st.integers(24, 99)),
        st.builds(lambda year, minute: _raw(year, 1, 1, 0, minute, 0), y, st.integers(60, 99)),
        st.builds(lambda year, second: _raw(year, 1, 1, 0, 0, second), y, st.integers(61, 99)),
        st.builds(
            lambda year, hour, minute: _raw(year, 12, 31, hour, minute, 60),
            y,
            st.integers(0, 22),
            st.integers(0, 59),
        ),
        st.builds(
            lambda year, offset: _raw(year, 12, 31, 23, 59, 60, _offset_text(offset, "Z")),
            y,
            st.integers(1, _MAX_OFFSET) | st.integers(-_MAX_OFFSET, -1),
        ),
    )


@cache
def offsets_out_of_range() -> st.SearchStrategy[str]:
    """Offsets past ±23:59: hours 24-99 or minutes 60-99 (+24:00, -05:60). Shrinks to +24:00."""
    sign = st.sampled_from("+-")
    return st.one_of(
        st.builds(
            lambda s, h, m: _raw(2024, 1, 1, 0, 0, 0, f"{s}{h:02d}:{m:02d}"),
            sign,
            st.integers(24, 99),
            st.integers(0, 59),
        ),
        st.builds(
            lambda s, h, m: _raw(2024, 1, 1, 0, 0, 0, f"{s}{h:02d}:{m:02d}"),
            sign,
            st.integers(0, 23),
            st.integers(60, 99),
        ),
    )


def _offset_start(text: str) -> int:
    """Where the offset begins in a valid RFC 3339 string (a "Z" or "±HH:MM")."""
    return len(text) - 1 if text[-1] in "Zz" else len(text) - 6


def _no_colon_offset(text: str) -> str:
    at = _offset_start(text)
    return text[:at] + ("+0000" if text[-1] in "Zz" else text[at:].replace(":", ""))


def _hours_only_offset(text: str) -> str:
    at = _offset_start(text)
    return text[:at] + ("+00" if text[-1] in "Zz" else text[at : at + 3])


def _fraction_with(text: str, fraction: str) -> str:
    """`text` with its fractional part (if any) replaced by `fraction` (written as is)."""
    at = _offset_start(text)
    return text[:19] + fraction + text[at:]


def _foreign_digit(text: str) -> str:
    # Arabic-Indic for an even first digit, fullwidth for an odd one: both are `\d` in
    # Unicode regexes and `int()` reads them, but RFC 3339's DIGIT is ASCII only.
    digit = int(text[0])
    return (chr(0x0660 + digit) if digit % 2 == 0 else chr(0xFF10 + digit)) + text[1:]


_BREAKS: dict[str, Callable[[str], str]] = {
    "space-separator": lambda s: s[:10] + " " + s[11:],
    "no-offset": lambda s: s[: _offset_start(s)],
    "offset-without-colon": _no_colon_offset,
    "offset-hours-only": _hours_only_offset,
    "date-only": lambda s: s[:10],
    "no-seconds": lambda s: s[:16] + s[_offset_start(s) :],
    "comma-fraction": lambda s: _fraction_with(s, ",5"),
    "empty-fraction": lambda s: _fraction_with(s, "."),
    "non-ascii-digit": _foreign_digit,
    "trailing-newline": lambda s: s + "\n",
    "leading-space": lambda s: " " + s,
    "two-digit-year": lambda s: s[2:],
    "zulu-after-offset": lambda s: s[: _offset_start(s)] + "+00:00Z",
    "empty": lambda s: "",
    "trailing-text": lambda s: s + " UTC",
}


@cache
def malformed_timestamps() -> st.SearchStrategy[str]:
    """Not RFC 3339 syntax: a space for "T", no offset, "+0100", "+01", a date alone, no
    seconds, ",5" or "." fractions, a non-ASCII digit, a trailing newline, a leading space, a
    two-digit year, "Z" after an offset, the empty string, trailing text. Each is an ordinary
    timestamp with one break applied; shrinks towards a space separator on 2000-01-01."""
    return st.builds(lambda s, name: _BREAKS[name](s), timestamps(), st.sampled_from(list(_BREAKS)))
