"""Loaders for lbsim's output directories.

Each loader reads one kind of directory written by the lbsim binary and checks that the files
and columns it needs are there; a directory that is not of that kind raises ValueError naming
the file and what is missing. Formats: README.md, "The run directory", "Replaying an incident"
and "Comparing strategies"; sweep and capacity directories as written by `lbsim sweep` and
`lbsim capacity`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np
import pandas as pd

PathLike = Union[str, Path]

# Error kinds in timeseries.csv (one count column each), in the order lbsim writes them.
ERROR_KINDS = (
    "queue_full",
    "timeout",
    "refused",
    "no_healthy_backend",
    "circuit_open",
    "crash_lost",
    "lb_queue_full",
    "lb_queue_timeout",
    "queue_timeout",
)

TIMESERIES_COLUMNS = (
    "t_s", "warmup", "offered", "completed", "failed", "error_rate", "p50_s", "p99_s",
    "utilization_mean", "utilization_max", "servers_down", "members", "healthy",
)
SERVERS_COLUMNS = ("t_s", "server", "group", "arrivals", "completed", "utilization",
                   "queue_mean", "queue_max", "dispatched", "failed", "up_s", "down_s",
                   "ejected_s", "failing_checks_s", "drained_s")
EVENTS_COLUMNS = ("t_s", "kind", "subject", "detail")
COMPARE_COLUMNS = ("variant", "metric", "mean", "ci_low", "ci_high", "half_width", "diff_mean",
                   "diff_low", "diff_high", "replications")
WHATIF_COLUMNS = ("what_if", "metric", "mean", "ci_low", "ci_high", "half_width", "diff_mean",
                  "diff_low", "diff_high", "replications")
SWEEP_METRICS = (
    "offered_rate_per_s", "throughput_per_s", "error_rate", "latency_mean_s", "latency_p50_s",
    "latency_p90_s", "latency_p99_s", "latency_p999_s", "utilization_mean", "utilization_max",
    "utilization_imbalance",
)
SWEEP_SUMMARY_COLUMNS = ("point", "metric", "mean", "ci_low", "ci_high", "half_width",
                         "replications")
CAPACITY_COLUMNS = ("load", "rate_per_s", "servers", "analytic_servers", "p99_s", "error_rate",
                    "utilization_mean", "meets_slo")

# events.csv kinds that the engine logs on its own; every other kind is a timeline action (under
# its own name), an alert firing or resolving, a note or a skipped rollback.
ENGINE_EVENT_KINDS = frozenset({
    "run_start", "run_end", "warmup_end", "servers_join", "server_crash", "server_kill",
    "server_restart", "server_stop", "health_down", "health_up", "outlier_eject",
    "outlier_return", "outlier_overflow", "passive_down", "passive_probe", "passive_up",
    "observe_error",
    "panic_start", "panic_end",
})


@dataclasses.dataclass(frozen=True)
class Clock:
    """The scenario's wall clock: `summary.json` `clock`.

    start_epoch_s is the instant of run time 0 (seconds since the Unix epoch, UTC). zone is the
    name as written in the scenario; offset_minutes its fixed offset from UTC, or None when lbsim
    did not record one (then the zone name is looked up in the system's time-zone database, and
    UTC is used if it is unknown there).
    """

    start_epoch_s: float
    zone: str
    offset_minutes: Optional[int]

    def tzinfo(self) -> dt.tzinfo:
        if self.offset_minutes is not None:
            return dt.timezone(dt.timedelta(minutes=self.offset_minutes), self.zone)
        try:
            import zoneinfo

            return zoneinfo.ZoneInfo(self.zone)
        except Exception:  # unknown name or no database: UTC rather than a failure
            return dt.timezone.utc

    def to_datetime(self, t_s: float) -> dt.datetime:
        """Run seconds -> an aware datetime in the scenario's zone."""
        utc = dt.datetime.fromtimestamp(self.start_epoch_s + float(t_s), tz=dt.timezone.utc)
        return utc.astimezone(self.tzinfo())

    def to_local_naive(self, t_s: float) -> dt.datetime:
        """Run seconds -> the wall-clock reading in the zone, without tzinfo (for plotting)."""
        return self.to_datetime(t_s).replace(tzinfo=None)

    def describe(self) -> str:
        """'2024-04-10 08:29 UTC' (the start) for titles and the report."""
        return f"{self.to_datetime(0).strftime('%Y-%m-%d %H:%M')} {self.zone}"


@dataclasses.dataclass
class RunData:
    """One run directory (lbsim run or lbsim replay)."""

    path: Path
    summary: dict
    timeseries: pd.DataFrame
    servers: pd.DataFrame
    events: pd.DataFrame
    clock: Optional[Clock]
    replay_text: Optional[str] = None  # replay.txt, for a replay

    @property
    def scenario(self) -> str:
        return str(self.summary.get("scenario", self.path.name))

    @property
    def window_s(self) -> float:
        if "window_s" in self.summary:
            return float(self.summary["window_s"])
        t = np.unique(self.timeseries["t_s"].to_numpy(dtype=float))
        return float(np.min(np.diff(t))) if len(t) > 1 else 1.0

    @property
    def warmup_s(self) -> float:
        return float(self.summary.get("warmup_s", 0.0))

    @property
    def incident(self) -> Optional[dict]:
        return self.summary.get("incident")

    def wall_time(self, t_s: Union[float, Iterable[float]]):
        """Run seconds -> aware datetimes in the scenario's zone (one value or a list).

        Raises ValueError when the scenario has no clock.
        """
        if self.clock is None:
            raise ValueError(f"{self.path}: the scenario has no clock (summary.json has no 'clock')")
        if np.isscalar(t_s):
            return self.clock.to_datetime(float(t_s))
        return [self.clock.to_datetime(float(t)) for t in t_s]

    def marked_events(self) -> pd.DataFrame:
        """Rows of events.csv that are timeline actions, alerts, notes or skipped rollbacks."""
        return self.events[~self.events["kind"].isin(ENGINE_EVENT_KINDS)].reset_index(drop=True)


@dataclasses.dataclass
class CompareData:
    """An `lbsim compare` directory."""

    path: Path
    table: pd.DataFrame            # compare.csv
    runs: Optional[pd.DataFrame]   # runs.csv, a row per variant and replication
    meta: Optional[dict]           # compare.json

    @property
    def scenario(self) -> str:
        if self.meta and "scenario" in self.meta:
            return str(self.meta["scenario"])
        return self.path.name

    @property
    def variants(self) -> list:
        # In file order, one per variant: a variant may appear twice (compared with itself).
        if self.table.empty:
            return []
        first = self.table["metric"].iloc[0]
        return list(self.table.loc[self.table["metric"] == first, "variant"])

    @property
    def metrics(self) -> list:
        return list(dict.fromkeys(self.table["metric"]))

    @property
    def baseline(self) -> str:
        if self.meta and "baseline" in self.meta:
            return str(self.meta["baseline"])
        return self.variants[0]


@dataclasses.dataclass
class SweepData:
    """An `lbsim sweep` directory."""

    path: Path
    points: pd.DataFrame              # sweep.csv: a row per point and replication
    summary: Optional[pd.DataFrame]   # sweep_summary.csv: a row per point and metric
    keys: list                        # the grid keys (column names), in file order


@dataclasses.dataclass
class CapacityData:
    """An `lbsim capacity` directory."""

    path: Path
    levels: pd.DataFrame   # capacity.csv, a row per load level
    scenario: Optional[str]
    slo: Optional[str]
    headroom: Optional[dict]  # {"load": x or None, "rate_per_s": ..., "servers": ...}


def _require_dir(path: PathLike) -> Path:
    p = Path(path)
    if not p.is_dir():
        raise ValueError(f"{p}: not a directory")
    return p


def _require_file(directory: Path, name: str, what: str) -> Path:
    f = directory / name
    if not f.is_file():
        raise ValueError(f"{f}: missing; {directory} is not {what}")
    return f


def _read_csv(file: Path, columns: Sequence[str]) -> pd.DataFrame:
    try:
        df = pd.read_csv(file)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{file}: empty file (expected columns {', '.join(columns)})") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{file}: missing column(s) {', '.join(missing)}")
    return df


def _read_json(file: Path) -> dict:
    try:
        with open(file, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{file}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{file}: expected a JSON object")
    return data


def _clock_from_summary(summary: dict, file: Path) -> Optional[Clock]:
    clock = summary.get("clock")
    if clock is None:
        return None
    if not isinstance(clock, dict) or "start_epoch_s" not in clock:
        raise ValueError(f"{file}: 'clock' has no 'start_epoch_s'")
    offset = clock.get("offset_minutes")
    return Clock(start_epoch_s=float(clock["start_epoch_s"]),
                 zone=str(clock.get("zone", "UTC")),
                 offset_minutes=None if offset is None else int(offset))


def load_run(path: PathLike) -> RunData:
    """Loads a run directory written by `lbsim run` or `lbsim replay`.

    Needs summary.json, timeseries.csv, servers.csv and events.csv; reads replay.txt when it is
    there. Raises ValueError naming the file and what is missing.
    """
    d = _require_dir(path)
    what = "a run directory (lbsim run / lbsim replay)"
    summary_file = _require_file(d, "summary.json", what)
    ts_file = _require_file(d, "timeseries.csv", what)
    servers_file = _require_file(d, "servers.csv", what)
    events_file = _require_file(d, "events.csv", what)
    summary = _read_json(summary_file)
    for key in ("scenario", "requests", "latency_s"):
        if key not in summary:
            raise ValueError(f"{summary_file}: missing key '{key}'")
    timeseries = _read_csv(ts_file, TIMESERIES_COLUMNS)
    servers = _read_csv(servers_file, SERVERS_COLUMNS)
    servers["server"] = servers["server"].astype(str)
    events = pd.read_csv(events_file, keep_default_na=False,
                         dtype={"kind": str, "subject": str, "detail": str})
    missing = [c for c in EVENTS_COLUMNS if c not in events.columns]
    if missing:
        raise ValueError(f"{events_file}: missing column(s) {', '.join(missing)}")
    events["t_s"] = pd.to_numeric(events["t_s"])
    replay_file = d / "replay.txt"
    replay_text = replay_file.read_text(encoding="utf-8") if replay_file.is_file() else None
    return RunData(path=d, summary=summary, timeseries=timeseries, servers=servers, events=events,
                   clock=_clock_from_summary(summary, summary_file), replay_text=replay_text)


def load_compare(path: PathLike) -> CompareData:
    """Loads an `lbsim compare` directory: compare.csv (required), runs.csv and compare.json."""
    d = _require_dir(path)
    table = _read_csv(_require_file(d, "compare.csv", "a compare directory (lbsim compare)"),
                      COMPARE_COLUMNS)
    table["variant"] = table["variant"].astype(str)
    runs = pd.read_csv(d / "runs.csv") if (d / "runs.csv").is_file() else None
    meta = _read_json(d / "compare.json") if (d / "compare.json").is_file() else None
    return CompareData(path=d, table=table, runs=runs, meta=meta)


def load_whatif(path: PathLike) -> pd.DataFrame:
    """Loads whatif.csv from a replay directory (or the file itself).

    Adds the impact avoided against the baseline (baseline - what-if, the negated paired
    difference): columns avoided_mean, avoided_low, avoided_high.
    """
    p = Path(path)
    if p.is_dir():
        p = _require_file(p, "whatif.csv", "a replay directory with what-ifs (lbsim replay --what-if)")
    elif not p.is_file():
        raise ValueError(f"{p}: no such file or directory")
    df = _read_csv(p, WHATIF_COLUMNS)
    df["what_if"] = df["what_if"].astype(str)
    df["avoided_mean"] = -df["diff_mean"]
    df["avoided_low"] = -df["diff_high"]
    df["avoided_high"] = -df["diff_low"]
    return df


def load_sweep(path: PathLike) -> SweepData:
    """Loads an `lbsim sweep` directory: sweep.csv (required) and sweep_summary.csv.

    The grid keys are the columns of sweep.csv between `replication` and the first metric.
    Their values are kept as written (strings such as "1200/s" or "round_robin"); see
    parse_load() for a numeric reading.
    """
    d = _require_dir(path)
    points_file = _require_file(d, "sweep.csv", "a sweep directory (lbsim sweep)")
    points = _read_csv(points_file, ("point", "replication") + SWEEP_METRICS)
    cols = list(points.columns)
    keys = cols[cols.index("replication") + 1:cols.index(SWEEP_METRICS[0])]
    if not keys:
        raise ValueError(f"{points_file}: no grid key column between 'replication' and "
                         f"'{SWEEP_METRICS[0]}'")
    points = pd.read_csv(points_file, dtype={k: str for k in keys})
    summary = None
    summary_file = d / "sweep_summary.csv"
    if summary_file.is_file():
        summary = _read_csv(summary_file, SWEEP_SUMMARY_COLUMNS)
        missing = [k for k in keys if k not in summary.columns]
        if missing:
            raise ValueError(f"{summary_file}: missing grid key column(s) {', '.join(missing)}")
        summary = pd.read_csv(summary_file, dtype={k: str for k in keys})
    return SweepData(path=d, points=points, summary=summary, keys=keys)


def load_capacity(path: PathLike) -> CapacityData:
    """Loads an `lbsim capacity` directory: capacity.csv (required) and capacity.json."""
    d = _require_dir(path)
    levels_file = _require_file(d, "capacity.csv", "a capacity directory (lbsim capacity)")
    levels = _read_csv(levels_file, CAPACITY_COLUMNS)
    levels["load"] = levels["load"].astype(str)
    levels["meets_slo"] = levels["meets_slo"].map(_parse_bool)
    scenario = slo = headroom = None
    json_file = d / "capacity.json"
    if json_file.is_file():
        meta = _read_json(json_file)
        scenario = meta.get("scenario")
        slo = meta.get("slo")
        headroom = meta.get("headroom")
        if headroom is not None and not isinstance(headroom, dict):
            raise ValueError(f"{json_file}: 'headroom' must be an object or null")
    return CapacityData(path=d, levels=levels, scenario=scenario, slo=slo, headroom=headroom)


def _parse_bool(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return bool(value) and not math.isnan(float(value))
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


_RATE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(/s|/min|/m|/h|x|%)?\s*$")


def parse_load(value: Any) -> float:
    """Reads a load written as in a scenario or on the command line: 1200, "1200/s", "72000/min",
    "1.5x" (a multiplier), "80%" (0.8). Returns NaN when it is not a number."""
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    m = _RATE.match(str(value))
    if not m:
        return math.nan
    number = float(m.group(1))
    unit = m.group(2)
    if unit == "/min" or unit == "/m":
        return number / 60.0
    if unit == "/h":
        return number / 3600.0
    if unit == "%":
        return number / 100.0
    return number
