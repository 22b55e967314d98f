"""Working days for promised completion dates (承诺办结时限).

A day's status comes from the first source that knows its year:
1. chinese-calendar (the official arrangements it ships, 2004–2026 in 1.11);
2. holiday / make-up-day tables from configuration (``config/holidays/<year>.toml`` or a dict);
3. plain weekdays, logged as a warning, and the answer is flagged approximate so the receipt prints "约".

A table marked ``provisional = true`` (written before the State Council's notice) also makes the answer
approximate. Counting follows the usual rule: the day of acceptance is not counted, the Nth working day
after it is the promised date.
"""

from __future__ import annotations

import datetime as dt
import logging
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chinese_calendar

log = logging.getLogger(__name__)

_warned_years: set[int] = set()


@dataclass(frozen=True)
class YearTable:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]  # make-up working days (调休) that fall on a weekend
    provisional: bool = False


Tables = Mapping[int, YearTable]


def _dates(year: int, entries: Iterable[Any], what: str) -> set[dt.date]:
    """Dates from TOML dates, ``YYYY-MM-DD`` strings or ``YYYY-MM-DD..YYYY-MM-DD`` ranges."""
    out: set[dt.date] = set()
    for entry in entries:
        if isinstance(entry, dt.datetime):
            raise ValueError(f"{year} {what}: {entry!r} is a time, not a date")
        if isinstance(entry, dt.date):
            first = last = entry
        elif isinstance(entry, str):
            start, _, end = entry.partition("..")
            first = dt.date.fromisoformat(start.strip())
            last = dt.date.fromisoformat(end.strip()) if end else first
        else:
            raise ValueError(f"{year} {what}: {entry!r} is not a date")
        if last < first:
            raise ValueError(f"{year} {what}: range {entry!r} ends before it starts")
        day = first
        while day <= last:
            if day.year != year:
                raise ValueError(f"{year} {what}: {day} is in another year")
            out.add(day)
            day += dt.timedelta(days=1)
    return out


def load_tables(source: Mapping[Any, Any] | str | Path | None) -> dict[int, YearTable]:
    """Tables from ``{year: {"holidays": [...], "workdays": [...], "provisional": bool}}``, a TOML file
    with such tables, or a folder of ``*.toml`` files. None gives no tables."""
    if source is None:
        return {}
    if isinstance(source, str | Path):
        path = Path(source)
        files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
        tables: dict[int, YearTable] = {}
        for file in files:
            with file.open("rb") as handle:
                tables.update(load_tables(tomllib.load(handle)))
        return tables
    tables = {}
    for raw_year, table in source.items():
        year = int(raw_year)
        if not isinstance(table, Mapping):
            raise ValueError(f"{year}: expected a table with holidays and workdays")
        unknown = set(table) - {"holidays", "workdays", "provisional", "source"}
        if unknown:
            raise ValueError(f"{year}: unknown keys {sorted(unknown)}")
        holidays = _dates(year, table.get("holidays", []), "holidays")
        workdays = _dates(year, table.get("workdays", []), "workdays")
        if holidays & workdays:
            raise ValueError(f"{year}: {sorted(holidays & workdays)[0]} is both a holiday and a working day")
        tables[year] = YearTable(frozenset(holidays), frozenset(workdays), bool(table.get("provisional", False)))
    return tables


def is_working_day(day: dt.date, tables: Tables | None = None) -> tuple[bool, bool]:
    """(working day?, approximate?) for one date."""
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:  # chinese-calendar does not know this year
        pass
    table = (tables or {}).get(day.year)
    if table is not None:
        if day in table.workdays:
            return True, table.provisional
        if day in table.holidays:
            return False, table.provisional
        return day.weekday() < 5, table.provisional
    if day.year not in _warned_years:
        _warned_years.add(day.year)
        log.warning("no holiday data for %d: counting plain weekdays; promised dates are approximate", day.year)
    return day.weekday() < 5, True


def add_working_days(start: dt.date, n: int, tables: Tables | None = None) -> tuple[dt.date, bool]:
    """The Nth working day after ``start`` (``start`` itself not counted) and whether it is approximate."""
    if n < 0:
        raise ValueError("n must not be negative")
    day, approximate = start, False
    while n > 0:
        day += dt.timedelta(days=1)
        working, guessed = is_working_day(day, tables)
        approximate = approximate or guessed
        if working:
            n -= 1
    return day, approximate


def holiday_tables(data_dir: Path) -> dict[int, YearTable]:
    """Packaged holiday tables, with the applied fleet bundle's tables replacing them year by year."""
    from kiosk.fleet.applied import applied_holidays
    from kiosk.paths import config_dir

    return {**load_tables(config_dir() / "holidays"), **applied_holidays(data_dir)}
