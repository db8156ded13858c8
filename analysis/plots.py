"""The plots people expect from lbsim's output; each function returns a matplotlib Figure.

Time axes: on the scenario's clock (HH:MM, the zone in the label) when the run has one, else
minutes since the run's start. A window row of timeseries.csv / servers.csv is drawn over
[t_s, t_s + window] (steps ending at the window's end): alerts are evaluated on the window that
just closed, so an alert's vertical line sits exactly at the end of the window that fired it.

Artists that tests and readers may want to find carry a gid: "event:<kind>:<subject>" for a
marked events.csv row (its vertical lines), "event-label" for its text, "incident:<name>" for
the incident's start / detected / mitigated / recovered lines, "headroom" on the capacity plot.
"""

from __future__ import annotations

import math
import re
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from . import stats, units  # noqa: E402
from .load import (ERROR_KINDS, CapacityData, CompareData, RunData, SweepData,  # noqa: E402
                   parse_load)

# The incident's milestones: summary.json key, legend name, colour, line style.
INCIDENT_MARKS = (
    ("start_s", "incident start", "#d62728", "-"),
    ("detected_s", "detected", "#ff7f0e", "--"),
    ("mitigated_s", "mitigated", "#2ca02c", "-."),
    ("recovered_s", "recovered", "#1f77b4", ":"),
)

LABEL_FONT_PT = 7.0
LABEL_MAX_CHARS = 34


def shorten(text: str, max_chars: int = LABEL_MAX_CHARS) -> str:
    """Cuts text to max_chars, ending in an ellipsis when cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= max_chars else text[:max_chars - 1].rstrip() + "\u2026"


def event_label(kind: str, subject: str, detail: str) -> str:
    """The short label of a marked event: a note by its text, anything else by kind and subject."""
    if kind == "note":
        return "note: " + shorten(detail, LABEL_MAX_CHARS - 6)
    if kind in ("alert_firing", "alert_resolved"):
        kind = kind[len("alert_"):]  # "firing errors": the alert's name is the subject
    return shorten(f"{kind} {subject}")


def _event_style(kind: str) -> tuple:
    if kind == "alert_firing":
        return "#d62728", ":"
    if kind == "alert_resolved":
        return "#17becf", ":"
    if kind == "note":
        return "#7f7f7f", "--"
    if kind == "rollback":
        return "#2ca02c", "-"
    if kind == "rollback_skipped":
        return "#bcbd22", "--"
    return "#9467bd", "-"


class _TimeAxis:
    """Maps run seconds to x values and labels the axis: wall clock or minutes."""

    def __init__(self, run: RunData):
        self.clock = run.clock

    def x(self, t_s) -> np.ndarray:
        t = np.atleast_1d(np.asarray(t_s, dtype=float))
        if self.clock is None:
            return t / 60.0
        return np.asarray(mdates.date2num([self.clock.to_local_naive(v) for v in t]), dtype=float)

    def x1(self, t_s: float) -> float:
        return float(self.x([t_s])[0])

    def label(self) -> str:
        if self.clock is None:
            return "time since the run's start (min)"
        return f"time (HH:MM, {self.clock.zone}; run starts {self.clock.describe()})"

    def format(self, ax) -> None:
        ax.set_xlabel(self.label())
        if self.clock is not None:
            # The x values are naive wall-clock readings in the zone: format them as they are.
            locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
            ax.xaxis.set_major_locator(locator)
            # HH:MM, with seconds when ticks are less than a minute apart (else a short run's
            # ticks repeat "23:59, 23:59"), with the date when they are days apart
            formatter = mdates.AutoDateFormatter(locator, defaultfmt="%H:%M")
            formatter.scaled = {1.0: "%Y-%m-%d", 1.0 / 24.0: "%H:%M", 1.0 / 1440.0: "%H:%M",
                                1.0 / 86400.0: "%H:%M:%S"}
            ax.xaxis.set_major_formatter(formatter)

    def clock_text(self, t_s: float) -> str:
        if self.clock is None:
            return units.duration(t_s)
        return self.clock.to_datetime(t_s).strftime("%H:%M:%S")


def _natural_key(name: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(name))]


def _is_log_worthy(values: np.ndarray) -> bool:
    """Log scale when the positive values span at least a decade."""
    v = values[np.isfinite(values) & (values > 0)]
    return v.size > 1 and float(v.max()) / float(v.min()) >= 10.0


def _add_incident_marks(ax, run: RunData, tx: _TimeAxis, with_labels: bool) -> list:
    handles = []
    incident = run.incident
    if not incident:
        return handles
    start = incident.get("start_s")
    end = incident.get("end_s")
    if start is not None and end is not None:
        ax.axvspan(tx.x1(start), tx.x1(end), color="#d62728", alpha=0.06, lw=0,
                   gid="incident:window")
    for key, name, colour, style in INCIDENT_MARKS:
        t = incident.get(key)
        if t is None:
            continue
        label = f"{name} {tx.clock_text(t)}"
        if key != "start_s" and start is not None:
            label += f" (+{units.duration(t - start)})"
        line = ax.axvline(tx.x1(t), color=colour, ls=style, lw=2.2, alpha=0.9, zorder=4,
                          gid=f"incident:{name}", label=label if with_labels else None)
        handles.append(line)
    return handles


def _spread_positions(fx: Sequence[float], widths: Sequence[float]) -> list:
    """Centres (axes fraction) of labels of the given widths, in order, not overlapping, each as
    near its event as possible: a forward pass pushes crowded labels right, a backward pass
    pulls them back inside [0, 1]. Widths are scaled down when they cannot all fit."""
    n = len(fx)
    if n == 0:
        return []
    w = list(widths)
    total = sum(w)
    if total > 1.0:
        w = [v / total for v in w]
    pos = list(fx)
    for i in range(1, n):
        pos[i] = max(pos[i], pos[i - 1] + (w[i - 1] + w[i]) / 2)
    pos[-1] = min(pos[-1], 1.0 - w[-1] / 2)
    for i in range(n - 2, -1, -1):
        pos[i] = min(pos[i], pos[i + 1] - (w[i] + w[i + 1]) / 2)
    return [max(p, w[i] / 2) for i, p in enumerate(pos)]


def incident_timeline(run: RunData) -> Figure:
    """Error rate by kind, p50/p99, healthy servers, offered vs completed load over time, with
    every timeline action, alert and note marked and labelled, and the incident's milestones."""
    ts = run.timeseries.sort_values("t_s").reset_index(drop=True)
    tx = _TimeAxis(run)
    window = run.window_s
    t_end = ts["t_s"].to_numpy(dtype=float) + window
    x = tx.x(t_end)
    x_first = tx.x1(float(ts["t_s"].iloc[0])) if len(ts) else 0.0

    fig, axes = plt.subplots(
        5, 1, figsize=(13, 14), sharex=True,
        gridspec_kw={"height_ratios": [2.1, 2.0, 2.0, 1.4, 2.0], "hspace": 0.08})
    ax_labels, ax_err, ax_lat, ax_srv, ax_load = axes
    data_axes = [ax_err, ax_lat, ax_srv, ax_load]

    # Error rate by kind, as a share of the requests that ended in the window.
    ended = (ts["completed"] + ts["failed"]).to_numpy(dtype=float)
    kinds = [k for k in ERROR_KINDS if k in ts.columns and ts[k].sum() > 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = [np.where(ended > 0, ts[k].to_numpy(dtype=float) / ended * 100.0, 0.0)
                  for k in kinds]
    if kinds:
        ax_err.stackplot(x, *shares, labels=kinds, step="pre", alpha=0.85)
        ax_err.legend(loc="upper right", fontsize=8, title="error kind", title_fontsize=8)
        ax_err.set_ylim(0, max(1.0, float(np.max(np.sum(shares, axis=0))) * 1.08))
    else:
        ax_err.plot(x, np.zeros_like(x), color="#2ca02c", drawstyle="steps-pre",
                    label="no errors")
        ax_err.legend(loc="upper right", fontsize=8)
        ax_err.set_ylim(0, 1.0)
    ax_err.set_ylabel("error rate (%)")

    # Latency of the requests completed in each window.
    p50_ms = ts["p50_s"].to_numpy(dtype=float) * 1000.0
    p99_ms = ts["p99_s"].to_numpy(dtype=float) * 1000.0
    ax_lat.plot(x, p50_ms, drawstyle="steps-pre", color="#1f77b4", label="p50")
    ax_lat.plot(x, p99_ms, drawstyle="steps-pre", color="#d62728", label="p99")
    if _is_log_worthy(np.concatenate([p50_ms, p99_ms])):
        ax_lat.set_yscale("log")
    ax_lat.set_ylabel("latency (ms)")
    ax_lat.legend(loc="upper right", fontsize=8)

    # Servers in rotation at each window's end, and fleet members.
    ax_srv.plot(x, ts["members"].to_numpy(dtype=float), drawstyle="steps-pre", color="#7f7f7f",
                lw=2, label="members")
    ax_srv.plot(x, ts["healthy"].to_numpy(dtype=float), drawstyle="steps-pre", color="#2ca02c",
                label="healthy (in rotation)")
    if ts["servers_down"].sum() > 0:
        ax_srv.plot(x, ts["servers_down"].to_numpy(dtype=float), drawstyle="steps-pre",
                    color="#d62728", ls="--", label="down")
    ax_srv.set_ylabel("servers")
    ax_srv.set_ylim(bottom=0, top=max(1.0, float(ts["members"].max())) * 1.15)
    ax_srv.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_srv.legend(loc="lower right", fontsize=8, ncol=3)

    # Offered vs completed load.
    ax_load.plot(x, ts["offered"].to_numpy(dtype=float) / window, drawstyle="steps-pre",
                 color="#7f7f7f", lw=2, label="offered (arrivals)")
    ax_load.plot(x, ts["completed"].to_numpy(dtype=float) / window, drawstyle="steps-pre",
                 color="#1f77b4", label="completed")
    ax_load.set_ylabel("load (requests/s)")
    ax_load.set_ylim(bottom=0)
    ax_load.legend(loc="lower right", fontsize=8)

    warmup = run.warmup_s
    for ax in data_axes:
        if warmup > 0:
            ax.axvspan(x_first, tx.x1(warmup), color="#000000", alpha=0.07, lw=0, gid="warmup")
        ax.grid(True, alpha=0.3)

    # Timeline actions, alerts, notes: a line in every panel and a label in the top strip.
    events = run.marked_events().sort_values("t_s", kind="stable")
    label_rows = []  # (x, text, colour): events at the same instant share one label
    for t, group in events.groupby("t_s", sort=True):
        xe = tx.x1(float(t))
        texts = []
        for row in group.itertuples(index=False):
            colour, style = _event_style(row.kind)
            for ax in data_axes:
                ax.axvline(xe, color=colour, ls=style, lw=0.9, alpha=0.75, zorder=3,
                           gid=f"event:{row.kind}:{row.subject}")
            texts.append(event_label(row.kind, row.subject, row.detail))
        label_rows.append((xe, "\n".join(texts), _event_style(group["kind"].iloc[0])[0]))

    incident_handles = _add_incident_marks(ax_err, run, tx, with_labels=True)
    for ax in data_axes[1:]:
        _add_incident_marks(ax, run, tx, with_labels=False)

    x_min = x_first
    x_max = float(x[-1]) if len(x) else 1.0
    for ax in data_axes:
        ax.set_xlim(x_min, x_max)
    ax_labels.set_xlim(x_min, x_max)
    ax_labels.set_ylim(0, 1)
    ax_labels.axis("off")
    axes_width_in = fig.get_figwidth() * ax_labels.get_position().width
    line_width = (LABEL_FONT_PT * 1.3 / 72.0) / max(axes_width_in, 1e-6)  # rotated: a line's height
    span = max(x_max - x_min, 1e-12)
    fx = [(xe - x_min) / span for xe, _, _ in label_rows]
    widths = [line_width * (text.count("\n") + 1) for _, text, _ in label_rows]
    positions = _spread_positions(fx, widths)
    for (xe, text, colour), f, p in zip(label_rows, fx, positions):
        ax_labels.annotate(
            text, xy=(f, 0.0), xycoords="axes fraction", xytext=(p, 0.1),
            textcoords="axes fraction", rotation=90, ha="center", va="bottom",
            fontsize=LABEL_FONT_PT, color=colour, gid="event-label",
            arrowprops=dict(arrowstyle="-", color=colour, lw=0.6, shrinkA=0, shrinkB=0))

    tx.format(ax_load)
    title = f"{run.scenario}: incident timeline"
    if run.clock is not None:
        title += f" (clock {run.clock.describe()})"
    fig.suptitle(title, fontsize=13, y=0.997)

    legend_handles = list(incident_handles)
    if warmup > 0:
        legend_handles.append(Patch(color="#000000", alpha=0.15, label="warmup (not measured)"))
    legend_handles += [
        Line2D([], [], color=_event_style(k)[0], ls=_event_style(k)[1], label=name)
        for k, name in (("set_weight", "timeline action"), ("rollback", "rollback"),
                        ("alert_firing", "alert firing"), ("alert_resolved", "alert resolved"),
                        ("note", "note"))
    ]
    fig.legend(handles=legend_handles, loc="lower center", ncol=5, fontsize=8, frameon=False)
    fig.subplots_adjust(top=0.975, bottom=0.09, left=0.07, right=0.98)
    return fig


def _server_pivot(run: RunData, column: str) -> pd.DataFrame:
    table = run.servers.pivot_table(index="server", columns="t_s", values=column, aggfunc="mean")
    return table.reindex(sorted(table.index, key=_natural_key))


def utilization_heatmap(run: RunData) -> Figure:
    """Servers (rows) by time windows (columns), coloured by utilisation 0..1 (servers.csv)."""
    table = _server_pivot(run, "utilization")
    tx = _TimeAxis(run)
    t = table.columns.to_numpy(dtype=float)
    edges = tx.x(np.append(t, t[-1] + run.window_s)) if len(t) else np.array([0.0, 1.0])
    n = len(table.index)
    fig, ax = plt.subplots(figsize=(13, max(3.5, min(12.0, 1.5 + 0.28 * n))))
    values = np.ma.masked_invalid(table.to_numpy(dtype=float))
    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad("#dddddd")
    mesh = ax.pcolormesh(edges, np.arange(n + 1), values, cmap=cmap, vmin=0.0, vmax=1.0,
                         shading="flat")
    colorbar = fig.colorbar(mesh, ax=ax, pad=0.01)
    colorbar.set_label("utilisation (busy / capacity)")
    step = max(1, math.ceil(n / 40))
    ax.set_yticks(np.arange(0, n, step) + 0.5)
    ax.set_yticklabels([table.index[i] for i in range(0, n, step)], fontsize=8)
    ax.set_ylim(n, 0)
    ax.set_ylabel("server")
    _add_incident_marks(ax, run, tx, with_labels=True)
    if run.incident:
        ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    tx.format(ax)
    ax.set_title(f"{run.scenario}: utilisation per server and {run.window_s:g} s window")
    fig.tight_layout()
    return fig


def queue_lengths(run: RunData, top_n: int = 10) -> Figure:
    """Time-averaged queue length per server over time; the top_n busiest (by mean queue) when
    the fleet is larger."""
    table = _server_pivot(run, "queue_mean")
    tx = _TimeAxis(run)
    order = table.mean(axis=1, skipna=True).sort_values(ascending=False, kind="stable")
    shown = list(order.index[:top_n]) if len(order) > top_n else list(table.index)
    x = tx.x(table.columns.to_numpy(dtype=float) + run.window_s)
    fig, ax = plt.subplots(figsize=(13, 5))
    for server in shown:
        ax.plot(x, table.loc[server].to_numpy(dtype=float), drawstyle="steps-pre", lw=1.2,
                label=str(server), gid=f"queue:{server}")
    _add_incident_marks(ax, run, tx, with_labels=False)
    ax.set_ylabel("mean queue length (requests)")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=8, ncol=2 if len(shown) > 6 else 1)
    tx.format(ax)
    which = (f"the {len(shown)} busiest of {len(table.index)} servers"
             if len(shown) < len(table.index) else f"all {len(shown)} servers")
    ax.set_title(f"{run.scenario}: queue length per server ({which})")
    fig.tight_layout()
    return fig


def metric_unit(metric: str) -> tuple:
    """(scale, unit, readable name) to show a metric: latencies in ms, durations in minutes,
    rates and fractions in %."""
    names = {
        "latency_p50_s": "p50 latency", "latency_p90_s": "p90 latency",
        "latency_p99_s": "p99 latency", "latency_p999_s": "p99.9 latency",
        "latency_mean_s": "mean latency", "error_rate": "error rate",
        "utilization_imbalance": "utilisation imbalance", "utilization_max": "busiest server",
        "utilization_mean": "mean utilisation", "users_affected_fraction": "users affected",
        "failed_requests": "failed requests", "impact_s": "impact duration",
        "peak_error_rate": "peak error rate", "servers_crashed": "servers crashed",
        "offered_rate_per_s": "offered load", "throughput_per_s": "throughput",
    }
    name = names.get(metric, metric.replace("_", " "))
    if metric.startswith("latency") or metric in ("p50_s", "p99_s"):
        return 1000.0, "ms", name
    if metric == "impact_s":
        return 1.0 / 60.0, "min", name
    if metric.endswith("_per_s"):
        return 1.0, "requests/s", name
    if metric.endswith("_s"):
        return 1.0, "s", name
    if metric in ("error_rate", "peak_error_rate", "users_affected_fraction", "utilization_max",
                  "utilization_mean") or metric.endswith("_fraction"):
        return 100.0, "%", name
    if metric == "utilization_imbalance":
        return 1.0, "max / mean", name
    if metric == "failed_requests":
        return 1.0, "requests", name
    if metric == "servers_crashed":
        return 1.0, "servers", name
    return 1.0, "", name


def _axis_scale(metric: str, values: pd.DataFrame, scale: float, unit: str) -> tuple:
    """(scale, unit) for an axis of the metric: durations in the one unit their largest value
    reads in (ms, s, min or h: never 3.09e+04 s), anything else as metric_unit() says."""
    if units.metric_kind(metric) != "duration":
        return scale, unit
    largest = np.nanmax(np.abs(values.to_numpy(dtype=float)), initial=0.0)
    return units.duration_axis_unit(largest)


def _yerr(mean: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Asymmetric error bars; an interval that is undefined (one replication) draws none."""
    lower = np.nan_to_num(mean - low, nan=0.0)
    upper = np.nan_to_num(high - mean, nan=0.0)
    return np.vstack([np.maximum(lower, 0.0), np.maximum(upper, 0.0)])


def _grid(n: int, max_cols: int = 4, size=(4.0, 3.6)):
    cols = min(max_cols, max(n, 1))
    rows = math.ceil(max(n, 1) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size[0] * cols, size[1] * rows + 0.8),
                             squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def strategy_comparison(compare: CompareData, metrics: Optional[Sequence[str]] = None) -> Figure:
    """Per metric, each variant's mean with its 95% interval as error bars; a star where the
    paired difference from the baseline excludes 0."""
    table = compare.table
    metrics = list(metrics) if metrics is not None else compare.metrics
    variants = compare.variants
    fig, axes = _grid(len(metrics))
    replications = int(table["replications"].max()) if len(table) else 0
    for ax, metric in zip(axes, metrics):
        # By position: the same variant may appear twice (compared with itself).
        rows = table[table["metric"] == metric].reset_index(drop=True)
        scale, unit, name = metric_unit(metric)
        scale, unit = _axis_scale(metric, rows[["mean", "ci_low", "ci_high"]], scale, unit)
        mean = rows["mean"].to_numpy(dtype=float) * scale
        low = rows["ci_low"].to_numpy(dtype=float) * scale
        high = rows["ci_high"].to_numpy(dtype=float) * scale
        xs = np.arange(len(variants))
        colours = ["#7f7f7f" if i == 0 else "#1f77b4" for i in range(len(variants))]
        for i in range(len(variants)):
            ax.errorbar(xs[i], mean[i], yerr=_yerr(mean[i:i + 1], low[i:i + 1], high[i:i + 1]),
                        fmt="o", color=colours[i], capsize=5, lw=1.5, gid=f"variant:{variants[i]}")
        excludes = ((rows["diff_low"] > 0) | (rows["diff_high"] < 0)).to_numpy()
        for i in np.flatnonzero(excludes):
            ax.annotate("*", (xs[i], high[i] if np.isfinite(high[i]) else mean[i]),
                        textcoords="offset points", xytext=(0, 3), ha="center", fontsize=12)
        ax.set_xticks(xs)
        ax.set_xticklabels(variants, rotation=30, ha="right", fontsize=8)
        ax.set_xlim(-0.6, len(variants) - 0.4)
        ax.set_ylabel(f"{name} ({unit})" if unit else name)
        if units.metric_kind(metric) in ("count", "rate"):
            ax.yaxis.set_major_formatter(units.count_formatter())
        ax.set_title(name)
        ax.grid(True, axis="y", alpha=0.3)
    fig.suptitle(f"{compare.scenario}: strategies compared (mean and 95% interval, "
                 f"{replications} replications; * paired difference from {compare.baseline} "
                 f"excludes 0)", fontsize=11)
    fig.tight_layout()
    return fig


def _load_axis_label(key: str, values: Sequence[str]) -> str:
    text = [str(v) for v in values]
    if text and all(v.strip().endswith("x") for v in text):
        return f"{key} (multiple of the scenario's load)"
    if text and all(v.strip().endswith("%") for v in text):
        return f"{key} (fraction)"
    if any("/s" in v for v in text) or "rate" in key:
        return f"{key} (requests/s)"
    return key


def p99_vs_load(sweep: SweepData, load_key: str, strategy_key: Optional[str] = None,
                metric: str = "latency_p99_s") -> Figure:
    """One curve per strategy (and per value of any other grid key that varies): x the load
    key, y the metric's mean with its 95% interval (sweep_summary.csv, or computed from
    sweep.csv)."""
    for key in [load_key] + ([strategy_key] if strategy_key else []):
        if key not in sweep.keys:
            raise ValueError(f"{sweep.path}: '{key}' is not a grid key (keys: {', '.join(sweep.keys)})")
    if sweep.summary is not None and metric in set(sweep.summary["metric"]):
        summary = sweep.summary[sweep.summary["metric"] == metric]
    else:
        summary = stats.summarize_replications(sweep.points, sweep.keys, [metric])
    curve_keys = ([strategy_key] if strategy_key else []) + [
        k for k in sweep.keys
        if k not in (load_key, strategy_key) and summary[k].nunique() > 1]
    loads = list(dict.fromkeys(summary[load_key].astype(str)))
    numeric = {v: parse_load(v) for v in loads}
    categorical = any(math.isnan(v) for v in numeric.values())
    position = {v: float(i) for i, v in enumerate(loads)} if categorical else numeric
    scale, unit, name = metric_unit(metric)

    fig, ax = plt.subplots(figsize=(9, 5.5))
    if len(curve_keys) == 1:
        groups = (((k,), g) for k, g in summary.groupby(curve_keys[0], sort=False))
    elif curve_keys:
        groups = summary.groupby(curve_keys, sort=False)
    else:
        groups = [((), summary)]
    all_values = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        xs = np.array([position[str(v)] for v in group[load_key]])
        order = np.argsort(xs, kind="stable")
        mean = group["mean"].to_numpy(dtype=float)[order] * scale
        low = group["ci_low"].to_numpy(dtype=float)[order] * scale
        high = group["ci_high"].to_numpy(dtype=float)[order] * scale
        label = ", ".join(str(k) for k in key) if key else name
        ax.errorbar(xs[order], mean, yerr=_yerr(mean, low, high), marker="o", capsize=4,
                    lw=1.5, label=label, gid=f"curve:{label}")
        all_values.append(mean)
    if all_values and _is_log_worthy(np.concatenate(all_values)):
        ax.set_yscale("log")
    if categorical:
        ax.set_xticks(list(position.values()))
        ax.set_xticklabels(loads)
    ax.set_xlabel(_load_axis_label(load_key, loads))
    ax.set_ylabel(f"{name} ({unit})" if unit else name)
    ax.grid(True, alpha=0.3)
    ax.legend(title=", ".join(curve_keys) if curve_keys else None, fontsize=8)
    replications = int(summary["replications"].max()) if len(summary) else 0
    ax.set_title(f"{name} vs load, mean and 95% interval over {replications} replications")
    fig.tight_layout()
    return fig


def capacity_curve(capacity: CapacityData) -> Figure:
    """Fewest servers meeting the SLO vs offered load, the analytic estimate beside it, the
    current fleet and the headroom (the load at which it breaks) marked."""
    levels = capacity.levels.copy()
    levels["x"] = levels["rate_per_s"].astype(float)
    if levels["x"].isna().all():
        levels["x"] = [parse_load(v) for v in levels["load"]]
    levels = levels.sort_values("x", kind="stable")
    fig, ax = plt.subplots(figsize=(9, 5.5))
    x = levels["x"].to_numpy(dtype=float)
    ax.plot(x, levels["servers"].to_numpy(dtype=float), "o-", color="#1f77b4", lw=2,
            label="simulated: fewest servers meeting the SLO", gid="servers")
    ax.plot(x, levels["analytic_servers"].to_numpy(dtype=float), "s--", color="#ff7f0e",
            label="analytic estimate", gid="analytic_servers")
    failing = levels[~levels["meets_slo"].astype(bool)]
    if len(failing):
        ax.plot(failing["x"], failing["servers"], "x", color="#d62728", ms=12, mew=3,
                label="SLO not met at any fleet size tried", gid="slo_not_met")
    for row in levels.itertuples(index=False):
        text = str(row.load)
        if re.fullmatch(r"[0-9.eE+-]+", text):  # capacity.csv writes multiples as plain numbers
            text = f"{float(text):g}x"
        ax.annotate(text, (row.x, row.servers), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize=8)
    headroom = capacity.headroom or {}
    current = headroom.get("servers")
    if current is not None:
        ax.axhline(float(current), color="#7f7f7f", ls=":", lw=1.5,
                   label=f"current fleet: {current:g} servers", gid="current_fleet")
    if headroom:
        if headroom.get("load") is not None and headroom.get("rate_per_s") is not None:
            rate = float(headroom["rate_per_s"])
            ax.axvline(rate, color="#d62728", lw=2, gid="headroom",
                       label=f"headroom: {float(headroom['load']):.3g}x ({units.rate(rate)}), "
                             "where the current fleet breaks")
            ax.axvspan(rate, max(float(np.nanmax(x)), rate) * 1.05, color="#d62728", alpha=0.06,
                       lw=0)
        else:
            ax.text(0.02, 0.95, "headroom: the current fleet holds at every load tried",
                    transform=ax.transAxes, fontsize=9, va="top", gid="headroom")
    ax.set_xlabel("offered load (requests/s)")
    ax.xaxis.set_major_formatter(units.count_formatter())
    ax.set_ylabel("servers")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left" if not headroom or headroom.get("load") is not None
              else "lower right")
    title = f"{capacity.scenario or capacity.path.name}: servers needed vs load"
    if capacity.slo:
        title += f" (SLO {capacity.slo})"
    ax.set_title(title)
    fig.tight_layout()
    return fig


WHATIF_DEFAULT_METRICS = ("impact_s", "failed_requests", "users_affected_fraction",
                          "peak_error_rate", "servers_crashed", "latency_p99_s")


def what_if_table(whatif: pd.DataFrame, metrics: Optional[Sequence[str]] = None) -> Figure:
    """Impact each what-if avoids against the baseline (baseline - what-if), per metric: bars
    with the 95% paired interval; green where the interval lies above 0, red below."""
    present = list(dict.fromkeys(whatif["metric"]))
    metrics = [m for m in (metrics or WHATIF_DEFAULT_METRICS) if m in present]
    if not metrics:
        raise ValueError("whatif.csv has none of the metrics to plot")
    names = [w for w in dict.fromkeys(whatif["what_if"]) if w != "baseline"]
    fig, axes = _grid(len(metrics), max_cols=3, size=(4.6, 0.6 + 0.45 * max(len(names), 2)))
    replications = int(whatif["replications"].max()) if len(whatif) else 0
    for ax, metric in zip(axes, metrics):
        rows = whatif[whatif["metric"] == metric].set_index("what_if").reindex(names)
        scale, unit, name = metric_unit(metric)
        scale, unit = _axis_scale(metric, rows[["avoided_mean", "avoided_low", "avoided_high"]],
                                  scale, unit)
        mean = rows["avoided_mean"].to_numpy(dtype=float) * scale
        low = rows["avoided_low"].to_numpy(dtype=float) * scale
        high = rows["avoided_high"].to_numpy(dtype=float) * scale
        colours = ["#2ca02c" if lo > 0 else "#d62728" if hi < 0 else "#9e9e9e"
                   for lo, hi in zip(low, high)]
        ys = np.arange(len(names))
        ax.barh(ys, np.nan_to_num(mean), xerr=_yerr(mean, low, high), color=colours,
                capsize=4, gid=f"whatif:{metric}")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(ys)
        ax.set_yticklabels(names, fontsize=8)
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(5))
        if units.metric_kind(metric) == "count":
            ax.xaxis.set_major_formatter(units.count_formatter())
        ax.set_xlabel(f"avoided ({unit})" if unit else "avoided")
        ax.set_title(name)
        ax.grid(True, axis="x", alpha=0.3)
    fig.suptitle("what-ifs: impact avoided against the baseline (baseline \u2212 what-if), "
                 f"mean and 95% paired interval, {replications} replications", fontsize=11)
    fig.tight_layout()
    return fig


__all__ = [
    "capacity_curve", "event_label", "incident_timeline", "metric_unit", "p99_vs_load",
    "queue_lengths", "shorten", "strategy_comparison", "utilization_heatmap", "what_if_table",
]
