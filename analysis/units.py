"""Numbers as people read them in an incident review: durations, fractions, counts.

    duration(27900)     -> "7 h 45 m"      duration(750) -> "12 m 30 s"   duration(45) -> "45 s"
    duration(0.115)     -> "115 ms"        duration(4.35) -> "4.35 s"
    percent(0.268)      -> "26.8%"         percent(0.0012) -> "0.12%"
    count(896361)       -> "896 k"         count(3347768) -> "3.3 M"      count(1403) -> "1.4 k"

Never scientific notation. A missing value (None, NaN) is an en dash. These are for reading;
summary.json and the CSV files keep the exact numbers.
"""

from __future__ import annotations

import math
from typing import Optional

from matplotlib.ticker import FuncFormatter

DASH = "\u2013"   # a value that does not exist
MINUS = "\u2212"  # typographic minus for negative values (differences)

_COUNT_SUFFIXES = ("", " k", " M", " G", " T")

# Metrics that are fractions of one (shown in %), as named in summary.json, compare.csv,
# whatif.csv, sweep.csv and timeseries.csv.
_FRACTION_METRICS = frozenset({
    "error_rate", "peak_error_rate", "users_affected_fraction", "utilization_max",
    "utilization_mean", "burned_fraction", "affected_fraction", "max_fleet_down_fraction",
})
# Metrics that are counts of things.
_COUNT_METRICS = frozenset({
    "failed_requests", "servers_crashed", "crashes", "requests", "offered", "completed",
    "failed", "retries", "servers_ejected", "ejections", "servers_killed", "healthy_servers",
    "servers_down", "healthy", "members",
})


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def duration(seconds) -> str:
    """A duration in the largest units that keep it readable: "7 h 45 m", "12 m 30 s", "45 s",
    "4.35 s", "115 ms", "2 d 3 h". Below a minute to the second (three significant digits below
    10 s, milliseconds below 1 s); below an hour to the second; below a day to the minute;
    beyond that to the hour."""
    if _missing(seconds):
        return DASH
    s = float(seconds)
    if s < 0:
        return MINUS + duration(-s)
    if s == 0:
        return "0 s"
    if math.isinf(s):
        return "\u221e"
    if s < 1.0:
        ms = float(f"{s * 1000.0:.3g}")
        if ms < 1000.0:
            return f"{ms:g} ms"
    if s < 10.0:
        text = f"{s:.3g}"
        if float(text) < 10.0:
            return f"{text} s"
    whole = _round_half_up(s)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        m, sec = divmod(whole, 60)
        return f"{m} m {sec} s" if sec else f"{m} m"
    minutes = _round_half_up(s / 60.0)
    if minutes < 24 * 60:
        h, m = divmod(minutes, 60)
        return f"{h} h {m} m" if m else f"{h} h"
    hours = _round_half_up(s / 3600.0)
    d, h = divmod(hours, 24)
    return f"{d} d {h} h" if h else f"{d} d"


def percent(fraction) -> str:
    """A fraction of one in percent: one decimal from 1% up ("26.8%", "288.4%"), two
    significant digits below ("0.12%"), "0%" for zero, "< 0.001%" below that."""
    if _missing(fraction):
        return DASH
    v = 100.0 * float(fraction)
    if v < 0:
        return MINUS + percent(-float(fraction))
    if v == 0:
        return "0%"
    if v >= 1.0:
        return f"{v:.1f}%"
    if v >= 0.001:
        rounded = float(f"{v:.2g}")
        return f"{rounded:.1f}%" if rounded >= 1.0 else f"{rounded:g}%"
    return "< 0.001%"


def count(n) -> str:
    """A count: exact below 1000 ("896", three significant digits when not whole), then in
    thousands, millions, ... with one decimal below 100 of the unit and none from 100 on
    ("1.4 k", "15.1 k", "896 k", "3.3 M"); a trailing ".0" is dropped ("50 k")."""
    if _missing(n):
        return DASH
    v = float(n)
    if v < 0:
        return MINUS + count(-v)
    if math.isinf(v):
        return "\u221e"
    if v < 1000.0:
        if v == int(v):
            return str(int(v))
        text = f"{v:.3g}"
        if float(text) < 1000.0:
            return text
    unit = 0
    while unit < len(_COUNT_SUFFIXES) - 1 and v >= 1000.0:
        v /= 1000.0
        unit += 1
    text = f"{v:.1f}" if v < 100.0 else f"{v:.0f}"
    if float(text) >= 100.0:
        text = f"{v:.0f}"
    if float(text) >= 1000.0 and unit < len(_COUNT_SUFFIXES) - 1:
        v /= 1000.0
        unit += 1
        text = f"{v:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return text + _COUNT_SUFFIXES[unit]


def rate(per_s) -> str:
    """A rate per second: "120/s", "3.3 k/s"."""
    if _missing(per_s):
        return DASH
    return count(per_s) + "/s"


def number(value, digits: int = 3) -> str:
    """A plain number with `digits` significant digits, counts' suffixes from 10,000 on, never
    scientific notation: "1.86", "0.0012", "45.2 k"."""
    if _missing(value):
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return count(value) if abs(value) >= 10_000 else str(value)
    v = float(value)
    if abs(v) >= 10_000 or math.isinf(v):
        return count(v)
    if v == 0:
        return "0"
    if abs(v) < 1e-4:  # fixed point with `digits` significant digits, never 1e-05
        decimals = digits - 1 - math.floor(math.log10(abs(v)))
        return f"{v:.{decimals}f}".replace("-", MINUS)
    text = f"{v:.{digits}g}"
    if "e" in text:  # .g switches to exponents from 10**digits up
        text = f"{v:.0f}"
    return text.replace("-", MINUS)


def metric_kind(metric: str) -> str:
    """How to read a metric by its name: "duration" (seconds), "rate" (per second), "fraction",
    "count" or "number"."""
    name = metric.split(".")[-1]
    if name.endswith("_per_s") or name in ("offered_rate", "retry_rate"):
        return "rate"
    if (name.endswith("_s") or name in ("p50", "p90", "p99", "p999")
            or name.startswith(("latency_", "response_"))):
        return "duration"
    if name in _FRACTION_METRICS or name.endswith("_fraction"):
        return "fraction"
    if name in _COUNT_METRICS:
        return "count"
    return "number"


def metric_value(metric: str, value) -> str:
    """A value of the named metric in its human unit."""
    kind = metric_kind(metric)
    if kind == "duration":
        return duration(value)
    if kind == "rate":
        return rate(value)
    if kind == "fraction":
        return percent(value)
    if kind == "count":
        return count(value)
    return number(value)


def duration_axis_unit(max_seconds: float) -> tuple:
    """(scale, unit) to draw durations up to max_seconds on an axis in one readable unit:
    ms below 2 s, s below 2 min, min below 2 h, else h. Multiply seconds by scale."""
    m = abs(float(max_seconds)) if not _missing(max_seconds) else 0.0
    if m < 2.0:
        return 1000.0, "ms"
    if m < 120.0:
        return 1.0, "s"
    if m < 7200.0:
        return 1.0 / 60.0, "min"
    return 1.0 / 3600.0, "h"


def _tick(value: float, _pos: Optional[int] = None) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000.0:
        return count(value)
    return f"{value:g}".replace("-", MINUS)


def count_formatter() -> FuncFormatter:
    """Axis ticks as counts: "0", "500", "1.5 k", "2 M" (never 1e6)."""
    return FuncFormatter(_tick)


__all__ = [
    "DASH", "count", "count_formatter", "duration", "duration_axis_unit", "metric_kind",
    "metric_value", "number", "percent", "rate",
]
