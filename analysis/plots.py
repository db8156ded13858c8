"""The plots people expect from lbsim's output; each function returns a matplotlib Figure.

Time axes: on the scenario's clock (HH:MM, the zone in the label) when the run has one, else
minutes since the run's start. A window row of timeseries.csv / servers.csv is drawn over
[t_s, t_s + window] (steps ending at the window's end): alerts are evaluated on the window that
just closed, so an alert's vertical line sits exactly at the end of the window that fired it.

Every legend lies outside the data area (right of the axes, or below them), so it never hides
data. Artists that tests and readers may want to find carry a gid: "panel:<name>" on each axes
of the timeline and the server-traffic figure; "event:<kind>:<subject>" for a marked events.csv
row (its vertical lines); "marker:<n>" or "marker:<first>-<last>" for the numbered box of one
event, or of consecutive events too close to box apart (the numbers of timeline_marks());
"alert-threshold:<name>" for an alert's threshold line; "incident:<name>" for the incident's
start / detected / mitigated / recovered lines; "server:<name>" and "band:<panel>" on the
server-traffic figure; "heatmap:down" and "heatmap:out_of_rotation" over the heatmap's cells;
"headroom" on the capacity plot.
"""

from __future__ import annotations

import math
import re
import textwrap
import warnings
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
from matplotlib.ticker import MaxNLocator, PercentFormatter  # noqa: E402

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

# Numbered event markers above the timeline: font size, rows of boxes before neighbours merge
# into one box ("4-6"), and the approximate width of a bold digit (DejaVu Sans Bold: 0.696 em).
MARKER_FONT_PT = 8.0
MARKER_MAX_ROWS = 3
MARKER_CHAR_EM = 0.72
MARKER_PAD_EM = 0.3

# Every legend outside the data area: to the right of its axes.
LEGEND_RIGHT = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8)

# Heatmap cell colours besides the utilisation scale.
DOWN_FACE, DOWN_HATCH = "#000000", "#8c8c8c"
OUT_OF_ROTATION_HATCH = "#ff3030"
NOT_IN_FLEET = "#dddddd"


def _legend_right(ax, **kwargs):
    return ax.legend(**{**LEGEND_RIGHT, **kwargs})


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


def _run_end_s(run: RunData) -> float:
    t = run.timeseries["t_s"].to_numpy(dtype=float)
    return float(t.max()) + run.window_s if t.size else 0.0


def _incident_period(run: RunData) -> Optional[tuple]:
    """(start_s, end_s) of the incident window, or None without an incident."""
    incident = run.incident or {}
    start, end = incident.get("start_s"), incident.get("end_s")
    if start is None or end is None:
        return None
    return float(start), float(end)


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


# ---------------------------------------------------------------------------------------------
# The incident timeline

def marks_time_heading(run: RunData) -> str:
    """The heading of timeline_marks()'s time column."""
    if run.clock is None:
        return "time since the run's start"
    return f"time ({run.clock.zone})"


def timeline_marks(run: RunData) -> pd.DataFrame:
    """The events the timeline numbers: every timeline action, alert firing or resolving, note and
    skipped rollback of events.csv, in time order (ties in file order), numbered from 1. Columns:
    number, t_s, time (the clock reading, with the date when the run spans more than one day; or
    the time since the start without a clock), kind, subject, detail."""
    events = run.marked_events()
    events = events.sort_values("t_s", kind="stable").reset_index(drop=True)
    out = events[["t_s", "kind", "subject", "detail"]].copy()
    out.insert(0, "number", np.arange(1, len(out) + 1, dtype=int))
    if run.clock is None:
        times = [units.duration(t) for t in out["t_s"]]
    else:
        days = {run.clock.to_datetime(0).date(), run.clock.to_datetime(_run_end_s(run)).date()}
        pattern = "%Y-%m-%d %H:%M:%S" if len(days) > 1 else "%H:%M:%S"
        times = [run.clock.to_datetime(t).strftime(pattern) for t in out["t_s"]]
    out.insert(2, "time", times)
    return out


def _range_text(numbers: Sequence[int]) -> str:
    return str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}\u2013{numbers[-1]}"


def _marker_layout(fractions: Sequence[float], width_of, max_rows: int = MARKER_MAX_ROWS) -> list:
    """Boxes for numbered markers at x positions `fractions` (of the axes width, in time order).

    Each marker goes into the lowest row where it does not overlap the box before it, as near
    its event as the axes allow; when no row has room, it joins the box placed last, which then
    shows a range ("4-6"): the numbers are consecutive in time, and the table lists each one.
    Returns dicts {numbers, row, left, right} (axes fractions; width_of(text) includes a gap).
    """
    boxes: list = []
    row_right = [-math.inf] * max_rows
    for i, f in enumerate(fractions):
        number = i + 1
        w = width_of(str(number))
        left = min(max(f - w / 2.0, 0.0), max(1.0 - w, 0.0))
        row = next((r for r in range(max_rows) if row_right[r] <= left), None)
        if row is None:
            box = boxes[-1]
            box["numbers"].append(number)
            w = width_of(_range_text(box["numbers"]))
            box["left"] = min(box["left"], max(1.0 - w, 0.0))
            box["right"] = box["left"] + w
            row_right[box["row"]] = box["right"]
            continue
        boxes.append({"numbers": [number], "row": row, "left": left, "right": left + w})
        row_right[row] = left + w
    return boxes


def _marker_width(axes_width_in: float):
    """width_of(text) for _marker_layout: a numbered box's width in axes fraction, with a gap."""
    em = (MARKER_FONT_PT / 72.0) / max(axes_width_in, 1e-6)
    return lambda text: em * (MARKER_CHAR_EM * len(text) + 2 * MARKER_PAD_EM + 0.35)


def _draw_markers(ax, kinds: Sequence[str], fractions: Sequence[float], boxes: list,
                  axes_width_in: float) -> None:
    """The numbered boxes of _marker_layout in the strip `ax` (axis off), with a leader line from
    the strip's foot, at its event's x, to the box, for every event a box holds."""
    em = (MARKER_FONT_PT / 72.0) / max(axes_width_in, 1e-6)
    rows = max((b["row"] for b in boxes), default=0) + 1
    for box in boxes:
        numbers = box["numbers"]
        box_kinds = {kinds[n - 1] for n in numbers}
        colour = _event_style(kinds[numbers[0] - 1])[0] if len(box_kinds) == 1 else "#444444"
        y = (box["row"] + 0.5) / rows
        for n in numbers:
            f = fractions[n - 1]
            ax.plot([f, f], [0.0, y], transform=ax.transAxes, color=_event_style(kinds[n - 1])[0],
                    lw=0.8, zorder=1, clip_on=False)
        text = _range_text(numbers)
        ax.text(box["left"] + em * (MARKER_PAD_EM + 0.1), y, text, transform=ax.transAxes,
                ha="left", va="center", fontsize=MARKER_FONT_PT, fontweight="bold",
                color="white", zorder=3, gid=f"marker:{text.replace(chr(0x2013), '-')}",
                bbox=dict(boxstyle=f"round,pad={MARKER_PAD_EM}", fc=colour, ec="none"))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")


# timeseries.csv column -> (panel, scale from the column's unit to the panel's, series label).
# The base panels (errors, latency, servers, load) are always drawn; the others appear when an
# alert watches one of their columns.
SERIES = {
    "error_rate": ("errors", 100.0, "error rate"),
    "p50_s": ("latency", 1000.0, "p50 (completed)"),
    "p99_s": ("latency", 1000.0, "p99 (completed)"),
    "mean_s": ("latency", 1000.0, "mean (completed)"),
    "p90_s": ("latency", 1000.0, "p90 (completed)"),
    "response_mean_s": ("latency", 1000.0, "mean (all requests)"),
    "response_p50_s": ("latency", 1000.0, "p50 (all requests)"),
    "response_p90_s": ("latency", 1000.0, "p90 (all requests)"),
    "response_p99_s": ("latency", 1000.0, "p99 (all requests)"),
    "members": ("servers", 1.0, "members"),
    "healthy": ("servers", 1.0, "in rotation"),
    "servers_down": ("servers", 1.0, "down"),
    "utilization_mean": ("utilization", 100.0, "mean"),
    "utilization_max": ("utilization", 100.0, "busiest server"),
    "imbalance": ("imbalance", 1.0, "utilisation: busiest / mean"),
    "traffic_imbalance": ("imbalance", 1.0, "traffic: largest share / fair share"),
    "queue_total_mean": ("queue", 1.0, "queued at servers (fleet total)"),
}
PANEL_YLABELS = {
    "errors": "error rate (%)",
    "latency": "latency (ms)",
    "servers": "servers",
    "load": "load (requests/s)",
    "utilization": "utilisation (%)",
    "imbalance": "imbalance (ratio)",
    "queue": "queue (requests)",
}
PANEL_HEIGHTS = {"errors": 2.1, "latency": 2.0, "servers": 1.7, "load": 1.9}
BASE_PANELS = ("errors", "latency", "servers", "load")
# Alert metrics without a timeseries.csv column that a panel still shows: the panel, and the
# series it compares the threshold with.
DERIVED_ALERT_PANELS = {"offered_rate": "load", "retry_rate": "load", "healthy_fraction": "servers"}
THRESHOLD_COLOURS = ("#8c1515", "#e377c2", "#8c564b", "#bcbd22", "#17becf", "#1f77b4")


def _alert_panel(alert: dict, columns) -> Optional[tuple]:
    """(panel, column or None, scale) where an alert's threshold is drawn, or None when no panel
    shows its metric."""
    column = alert.get("column")
    if column:
        if column in SERIES:
            panel, scale, _ = SERIES[column]
            return panel, column, scale
        if column in columns:  # a column this version does not know: a panel of its own
            return f"column:{column}", column, 1.0
        return None
    panel = DERIVED_ALERT_PANELS.get(str(alert.get("metric")))
    return (panel, None, 1.0) if panel else None


def _timeline_panels(run: RunData) -> list:
    panels = list(BASE_PANELS)
    for alert in run.summary.get("alerts") or []:
        where = _alert_panel(alert, run.timeseries.columns)
        if where and where[0] not in panels:
            panels.append(where[0])
    return panels


class _Timeline:
    """Draws incident_timeline()'s panels; one method per panel."""

    def __init__(self, run: RunData, axes: dict):
        self.run = run
        self.axes = axes
        self.ts = run.timeseries.sort_values("t_s").reset_index(drop=True)
        self.tx = _TimeAxis(run)
        self.window = run.window_s
        self.x = self.tx.x(self.ts["t_s"].to_numpy(dtype=float) + self.window)
        self.drawn: set = set()  # columns drawn as a series
        self.error_kinds: list = []

    def column(self, name: str) -> np.ndarray:
        return self.ts[name].to_numpy(dtype=float)

    def series(self, column: str, **style) -> None:
        panel, scale, label = SERIES.get(column, (f"column:{column}", 1.0, column))
        if column in self.drawn:
            return
        self.axes[panel].plot(self.x, self.column(column) * scale, drawstyle="steps-pre",
                              label=label, **style)
        self.drawn.add(column)

    def errors(self) -> None:
        ax, ts = self.axes["errors"], self.ts
        ended = (ts["completed"] + ts["failed"]).to_numpy(dtype=float)
        kinds = [k for k in ERROR_KINDS if k in ts.columns and ts[k].sum() > 0]
        self.error_kinds = kinds
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = [np.where(ended > 0, ts[k].to_numpy(dtype=float) / ended * 100.0, 0.0)
                      for k in kinds]
        if kinds:
            ax.stackplot(self.x, *shares, labels=kinds, step="pre", alpha=0.85)
            ax.set_ylim(0, max(1.0, float(np.max(np.sum(shares, axis=0))) * 1.08))
        else:
            ax.plot(self.x, np.zeros_like(self.x), color="#2ca02c", drawstyle="steps-pre",
                    label="no errors")
            ax.set_ylim(0, 1.0)
        self.drawn.add("error_rate")  # the stack's height is the error rate

    def latency(self, extra: Sequence[str]) -> None:
        ax = self.axes["latency"]
        self.series("p50_s", color="#1f77b4")
        self.series("p99_s", color="#d62728")
        styles = iter([dict(color=c, ls="--") for c in ("#9467bd", "#ff7f0e", "#8c564b",
                                                        "#e377c2", "#17becf", "#7f7f7f")])
        for column in extra:
            self.series(column, lw=1.2, **next(styles))
        values = np.concatenate([line.get_ydata() for line in ax.get_lines()])
        if _is_log_worthy(np.asarray(values, dtype=float)):
            ax.set_yscale("log")

    def servers(self) -> None:
        """Members, servers in rotation and servers down (timeseries.csv members, healthy,
        servers_down) as three lines: a down server is still a member, out of rotation; the
        rest out of rotation are up but ejected, failing checks or drained."""
        ax = self.axes["servers"]
        self.series("members", color="#7f7f7f", lw=2)
        self.series("healthy", color="#2ca02c")
        self.series("servers_down", color="#d62728", ls="--")
        up_out = self.column("members") - self.column("healthy") - self.column("servers_down")
        if np.nansum(np.maximum(up_out, 0)) > 0:
            ax.plot(self.x, np.maximum(up_out, 0), drawstyle="steps-pre", color="#ff7f0e",
                    ls=":", label="up, out of rotation")
        ax.set_ylim(bottom=0, top=max(1.0, float(self.ts["members"].max())) * 1.15)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))

    def load(self, retries: bool) -> None:
        ax = self.axes["load"]
        ax.plot(self.x, self.column("offered") / self.window, drawstyle="steps-pre",
                color="#7f7f7f", lw=2, label="offered (arrivals)")
        ax.plot(self.x, self.column("completed") / self.window, drawstyle="steps-pre",
                color="#1f77b4", label="completed")
        if retries and "retries" in self.ts.columns:
            ax.plot(self.x, self.column("retries") / self.window, drawstyle="steps-pre",
                    color="#ff7f0e", ls="--", label="retries")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(units.count_formatter())

    def thresholds(self) -> None:
        """A dashed line at each alert's threshold on the panel that plots its metric."""
        alerts = self.run.summary.get("alerts") or []
        for i, alert in enumerate(alerts):
            where = _alert_panel(alert, self.ts.columns)
            if where is None:
                continue
            panel, column, scale = where
            ax = self.axes[panel]
            threshold = float(alert["threshold"])
            metric = str(alert.get("metric", column))
            label = (f"alert {alert.get('name', metric)}: {metric} "
                     f"{'>' if alert.get('above', True) else '<'} "
                     f"{units.metric_value(metric, threshold)}")
            style = dict(color=THRESHOLD_COLOURS[i % len(THRESHOLD_COLOURS)], ls=(0, (5, 3)),
                         lw=1.4, zorder=5, gid=f"alert-threshold:{alert.get('name', metric)}",
                         label=label)
            if metric == "healthy_fraction":  # a fraction of the members, who may change
                ax.plot(self.x, self.column("members") * threshold, drawstyle="steps-pre",
                        **style)
            else:
                ax.axhline(threshold * scale, **style)


def incident_timeline(run: RunData) -> Figure:
    """Error rate by kind, latency, servers (members, in rotation, down), offered vs completed
    load over time; a panel for any other metric an alert watches; each alert's threshold as a
    dashed line on its metric's panel; every timeline action, alert and note as a vertical line
    and a numbered box above the panels (timeline_marks() lists them); the incident's
    milestones."""
    tx = _TimeAxis(run)
    t_s = run.timeseries["t_s"].to_numpy(dtype=float)
    x_first = tx.x1(float(t_s.min())) if t_s.size else 0.0
    x_last = tx.x1(_run_end_s(run)) if t_s.size else 1.0
    marks = timeline_marks(run)
    xs = [tx.x1(float(t)) for t in marks["t_s"]]
    width_in, left, right = 14.0, 0.065, 0.79
    axes_width_in = width_in * (right - left)
    span = max(x_last - x_first, 1e-12)
    fractions = [(x - x_first) / span for x in xs]
    boxes = _marker_layout(fractions, _marker_width(axes_width_in))
    rows = max((b["row"] for b in boxes), default=0) + 1

    panels = _timeline_panels(run)
    heights = [0.25 + 0.28 * rows] + [PANEL_HEIGHTS.get(p, 1.5) for p in panels]
    top_in, bottom_in = 0.55, 1.25
    height_in = sum(heights) * 1.1 + top_in + bottom_in
    fig, axes = plt.subplots(len(heights), 1, figsize=(width_in, height_in),
                             gridspec_kw={"height_ratios": heights, "hspace": 0.1})
    ax_marks, data_axes = axes[0], list(axes[1:])
    ax_marks.set_gid("panel:marks")
    by_name = dict(zip(panels, data_axes))
    for name, ax in by_name.items():
        ax.set_gid(f"panel:{name}")
        ax.set_ylabel(PANEL_YLABELS.get(name, name.split(":", 1)[-1]))
    for ax in data_axes[1:]:
        ax.sharex(data_axes[0])

    drawing = _Timeline(run, by_name)
    alerts = run.summary.get("alerts") or []
    watched = [a.get("column") for a in alerts if a.get("column")]
    drawing.errors()
    drawing.latency([c for c in watched if SERIES.get(c, ("",))[0] == "latency"])
    drawing.servers()
    drawing.load(retries=any(a.get("metric") == "retry_rate" for a in alerts))
    for column in watched:
        if column in run.timeseries.columns:
            drawing.series(column)
    drawing.thresholds()
    for name, ax in by_name.items():
        if ax.get_legend_handles_labels()[0]:
            kinds_title = name == "errors" and drawing.error_kinds
            _legend_right(ax, title="error kind" if kinds_title else None, title_fontsize=8)

    warmup = run.warmup_s
    for ax in data_axes:
        if warmup > 0:
            ax.axvspan(x_first, tx.x1(warmup), color="#000000", alpha=0.07, lw=0, gid="warmup")
        ax.grid(True, alpha=0.3)
        for xe, row in zip(xs, marks.itertuples(index=False)):
            colour, style = _event_style(row.kind)
            ax.axvline(xe, color=colour, ls=style, lw=0.9, alpha=0.75, zorder=3,
                       gid=f"event:{row.kind}:{row.subject}")
        ax.set_xlim(x_first, x_last)
    incident_handles = _add_incident_marks(data_axes[0], run, tx, with_labels=True)
    for ax in data_axes[1:]:
        _add_incident_marks(ax, run, tx, with_labels=False)
    for ax in data_axes[:-1]:
        ax.tick_params(labelbottom=False)
    tx.format(data_axes[-1])
    _draw_markers(ax_marks, list(marks["kind"]), fractions, boxes, axes_width_in)

    title = f"{run.scenario}: incident timeline"
    if run.clock is not None:
        title += f" (clock {run.clock.describe()})"
    if len(marks):
        title += "; numbered boxes: the events listed under the figure"
    fig.suptitle(title, fontsize=12, y=1.0 - 0.15 / height_in)
    legend_handles = list(incident_handles)
    if warmup > 0:
        legend_handles.append(Patch(color="#000000", alpha=0.15, label="warmup (not measured)"))
    legend_handles += [
        Line2D([], [], color=_event_style(k)[0], ls=_event_style(k)[1], label=name)
        for k, name in (("set_weight", "timeline action"), ("rollback", "rollback"),
                        ("alert_firing", "alert firing"), ("alert_resolved", "alert resolved"),
                        ("note", "note"))
    ]
    fig.legend(handles=legend_handles, loc="lower center", ncol=5, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5 * (left + right), 0.1 / height_in))
    fig.subplots_adjust(top=1.0 - top_in / height_in, bottom=bottom_in / height_in, left=left,
                        right=right)
    return fig


# ---------------------------------------------------------------------------------------------
# Per-server figures

SERVER_LINES = 4  # servers drawn as named lines on the server-traffic figure
# Colours apart from the incident marks' red, orange, green and blue and the band's grey.
SERVER_COLOURS = ("#1a237e", "#9467bd", "#e377c2", "#8c564b", "#bcbd22", "#17becf")


def _server_pivot(run: RunData, column: str) -> pd.DataFrame:
    table = run.servers.pivot_table(index="server", columns="t_s", values=column, aggfunc="mean",
                                    dropna=False)
    return table.reindex(sorted(table.index, key=_natural_key))


def fair_share(run: RunData) -> pd.DataFrame:
    """Each server's share of the attempts dispatched over the incident window (the windows of
    servers.csv that overlap it; the whole run without an incident), against the equal share:
    summary.json has no per-server weights, so the fair share is 1/N over the N servers that were
    in the fleet then. Columns: server, dispatched, failed, share, ratio (share x N) and
    deviation |log(share x N)| (infinite for a server that got nothing), most deviant first
    (ties in name order)."""
    s = run.servers
    period = _incident_period(run)
    if period is not None:
        start, end = period
        s = s[(s["t_s"] < end) & (s["t_s"] + run.window_s > start)]
    sums = s.groupby("server")[["dispatched", "failed", "up_s", "down_s"]].sum()
    sums = sums[(sums["up_s"] + sums["down_s"]) > 0]
    sums = sums.reindex(sorted(sums.index, key=_natural_key))
    n = len(sums)
    total = float(sums["dispatched"].sum())
    share = sums["dispatched"] / total if total > 0 else sums["dispatched"] * np.nan
    ratio = share * n
    with np.errstate(divide="ignore"):
        deviation = np.abs(np.log(ratio.to_numpy(dtype=float)))
    table = pd.DataFrame({"server": sums.index, "dispatched": sums["dispatched"].to_numpy(),
                          "failed": sums["failed"].to_numpy(), "share": share.to_numpy(),
                          "ratio": ratio.to_numpy(), "deviation": deviation})
    table["order"] = np.arange(n)
    table = table.sort_values(["deviation", "order"], ascending=[False, True], kind="stable",
                              na_position="last")
    return table.drop(columns="order").reset_index(drop=True)


def _band_name(others: int) -> str:
    return "10\u201390% range" if others >= 10 else "min\u2013max range"


def server_traffic_caption(run: RunData, lines: int = SERVER_LINES) -> str:
    """What server_traffic() shows and how it chose its lines, in words (its caption)."""
    ranking = fair_share(run)
    n = len(ranking)
    period = _incident_period(run)
    tx = _TimeAxis(run)
    when = (f"over the incident window ({tx.clock_text(period[0])} to {tx.clock_text(period[1])})"
            if period else "over the whole run (no incident)")
    rule = (f"share of the attempts dispatched {when} against the fair share 1/N, N = {n} "
            "servers in the fleet; deviation = |log(share \u00d7 N)|. summary.json has no "
            "per-server weights, so the fair share is the equal one.")
    if n <= lines + 1:
        return f"Lines: all {n} servers, in order of their distance from the fair share: {rule}"
    others = n - lines
    return (f"Lines: the {lines} servers furthest from their fair share, by {rule} Band: the "
            f"other {others} servers' {_band_name(others)} in each window, dashed: their median.")


def server_traffic(run: RunData, lines: int = SERVER_LINES) -> Figure:
    """Requests dispatched to each server (attempts/s) and errors at it (failed attempts/s) over
    time: the `lines` servers furthest from their fair share (fair_share()) as named lines, the
    other servers as a band (10-90% across them, min-max with fewer than ten) with their median.
    A window in which a server was not in the fleet has no value."""
    ranking = fair_share(run)
    servers = list(ranking["server"])
    shown = servers if len(servers) <= lines + 1 else servers[:lines]
    others = [s for s in servers if s not in shown]
    ratio = dict(zip(ranking["server"], ranking["ratio"]))
    tx = _TimeAxis(run)
    window = run.window_s
    in_fleet = (_server_pivot(run, "up_s") + _server_pivot(run, "down_s")) > 0
    t = in_fleet.columns.to_numpy(dtype=float)
    x = tx.x(t + window)

    width_in, height_in = 14.0, 7.6
    fig, (ax_req, ax_err) = plt.subplots(2, 1, figsize=(width_in, height_in), sharex=True,
                                         gridspec_kw={"hspace": 0.08})
    colours = SERVER_COLOURS
    for ax, column, panel, ylabel in (
            (ax_req, "dispatched", "requests", "requests dispatched (attempts/s)"),
            (ax_err, "failed", "errors", "errors at the server (failed attempts/s)")):
        ax.set_gid(f"panel:{panel}")
        values = _server_pivot(run, column).reindex(index=in_fleet.index, columns=in_fleet.columns)
        rates = values.where(in_fleet) / window
        if len(others) >= 2:
            band = rates.loc[others].to_numpy(dtype=float)
            with warnings.catch_warnings():  # a window with none of them in the fleet: NaN
                warnings.simplefilter("ignore", category=RuntimeWarning)
                if len(others) >= 10:
                    low, high = np.nanpercentile(band, [10, 90], axis=0)
                else:
                    low, high = np.nanmin(band, axis=0), np.nanmax(band, axis=0)
                middle = np.nanmedian(band, axis=0)
            ax.fill_between(x, low, high, step="pre", color="#9e9e9e", alpha=0.35, lw=0,
                            gid=f"band:{panel}",
                            label=f"other {len(others)} servers: {_band_name(len(others))}")
            ax.plot(x, middle, drawstyle="steps-pre", color="#616161", ls="--", lw=1.0,
                    gid=f"band-median:{panel}", label=f"other {len(others)} servers: median")
        for i, server in enumerate(shown):
            share = ratio.get(server, math.nan)
            label = (f"{server} ({units.number(share, 2)}\u00d7 fair share)"
                     if np.isfinite(share) else str(server))
            ax.plot(x, rates.loc[server].to_numpy(dtype=float), drawstyle="steps-pre", lw=1.4,
                    color=colours[i % len(colours)], gid=f"server:{server}", label=label)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(units.count_formatter())
        ax.grid(True, alpha=0.3)
        if len(x):
            ax.set_xlim(tx.x1(float(t[0])), float(x[-1]))
    _add_incident_marks(ax_req, run, tx, with_labels=True)
    _add_incident_marks(ax_err, run, tx, with_labels=False)
    _legend_right(ax_req)
    tx.format(ax_err)
    ax_req.set_title(f"{run.scenario}: the servers furthest from their fair share, per "
                     f"{units.duration(window)} window")
    caption = textwrap.fill(server_traffic_caption(run, lines), 200)
    fig.text(0.065, 0.015, caption, fontsize=8, va="bottom", ha="left", gid="caption")
    fig.subplots_adjust(top=1.0 - 0.45 / height_in, bottom=1.35 / height_in, left=0.065,
                        right=0.79)
    return fig


def _runs(flags: np.ndarray) -> list:
    """(start, stop) index pairs of the runs of True in a 1-d boolean array."""
    padded = np.concatenate([[False], flags, [False]]).astype(int)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2], edges[1::2]))


def _cell_rectangles(mask: np.ndarray, edges: np.ndarray) -> list:
    """Rectangles over the True cells of a servers x windows mask (row i spans y i..i+1), one per
    run of consecutive windows in a row."""
    rects = []
    for i, row in enumerate(mask):
        for a, b in _runs(row):
            rects.append(Rectangle((edges[a], i), edges[b] - edges[a], 1.0))
    return rects


def heatmap_states(run: RunData) -> dict:
    """Boolean servers x windows tables (the heatmap's rows and columns) of the cells drawn apart
    from the utilisation scale: "down" where the server was down more than half the window
    (down_s > window / 2); "out_of_rotation" where, not down, it was ejected, failing its checks
    or drained more than half the window; "not_in_fleet" where it had no time in the fleet."""
    half = run.window_s / 2.0
    down_s = _server_pivot(run, "down_s").fillna(0.0)
    out_s = (_server_pivot(run, "ejected_s").fillna(0.0)
             + _server_pivot(run, "failing_checks_s").fillna(0.0)
             + _server_pivot(run, "drained_s").fillna(0.0))
    in_fleet = (_server_pivot(run, "up_s").fillna(0.0) + down_s) > 0
    down = down_s > half
    # failing checks while down is not a second state: only up time counts as out of rotation
    out = (out_s > half) & ~down
    return {"down": down, "out_of_rotation": out, "not_in_fleet": ~in_fleet}


def utilization_heatmap(run: RunData) -> Figure:
    """Servers (rows) by time windows (columns), coloured by utilisation 0..1 while up
    (servers.csv); a server down more than half a window is drawn as down (black, hatched), never
    as idle; one ejected, failing checks or drained for more than half a window is hatched red
    over its utilisation; a window out of the fleet is light grey."""
    table = _server_pivot(run, "utilization")
    states = heatmap_states(run)
    tx = _TimeAxis(run)
    t = table.columns.to_numpy(dtype=float)
    edges = tx.x(np.append(t, t[-1] + run.window_s)) if len(t) else np.array([0.0, 1.0])
    n = len(table.index)
    height_in = max(4.2, min(12.5, 2.3 + 0.28 * n))
    fig, ax = plt.subplots(figsize=(13, height_in))
    values = np.ma.masked_invalid(table.to_numpy(dtype=float))
    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad(NOT_IN_FLEET)
    mesh = ax.pcolormesh(edges, np.arange(n + 1), values, cmap=cmap, vmin=0.0, vmax=1.0,
                         shading="flat")
    legend = []
    down = states["down"].to_numpy(dtype=bool)
    if down.any():
        ax.add_collection(PatchCollection(
            _cell_rectangles(down, edges), facecolor=DOWN_FACE, edgecolor=DOWN_HATCH, hatch="///",
            lw=0, zorder=2, gid="heatmap:down"))
        legend.append(Patch(facecolor=DOWN_FACE, edgecolor=DOWN_HATCH, hatch="///",
                            label="down (more than half the window)"))
    out = states["out_of_rotation"].to_numpy(dtype=bool)
    if out.any():
        ax.add_collection(PatchCollection(
            _cell_rectangles(out, edges), facecolor="none", edgecolor=OUT_OF_ROTATION_HATCH,
            hatch="\\\\\\", lw=0, zorder=2, gid="heatmap:out_of_rotation"))
        legend.append(Patch(facecolor="none", edgecolor=OUT_OF_ROTATION_HATCH, hatch="\\\\\\",
                            label="up, out of rotation: ejected, failing checks or drained"))
    no_value = np.ma.getmaskarray(values) & ~down
    if no_value.any():
        legend.append(Patch(facecolor=NOT_IN_FLEET, label="not in the fleet (no value)"))
    colorbar = fig.colorbar(mesh, ax=ax, pad=0.01)
    colorbar.set_label("utilisation while up (busy / capacity)")
    colorbar.formatter = PercentFormatter(xmax=1.0)
    colorbar.update_ticks()
    step = max(1, math.ceil(n / 40))
    ax.set_yticks(np.arange(0, n, step) + 0.5)
    ax.set_yticklabels([table.index[i] for i in range(0, n, step)], fontsize=8)
    ax.set_ylim(n, 0)
    ax.set_ylabel("server")
    legend += _add_incident_marks(ax, run, tx, with_labels=True)
    tx.format(ax)
    ax.set_title(f"{run.scenario}: utilisation per server and {units.duration(run.window_s)} "
                 "window")
    if legend:
        fig.legend(handles=legend, loc="lower center", ncol=3, fontsize=8, frameon=False,
                   bbox_to_anchor=(0.45, 0.08 / height_in))
    fig.subplots_adjust(top=1.0 - 0.45 / height_in, bottom=1.5 / height_in, left=0.08,
                        right=0.98)
    return fig


def queue_lengths(run: RunData, top_n: int = 10) -> Figure:
    """Time-averaged queue length per server over time; the top_n busiest (by mean queue) when
    the fleet is larger."""
    table = _server_pivot(run, "queue_mean")
    tx = _TimeAxis(run)
    order = table.mean(axis=1, skipna=True).sort_values(ascending=False, kind="stable")
    shown = list(order.index[:top_n]) if len(order) > top_n else list(table.index)
    x = tx.x(table.columns.to_numpy(dtype=float) + run.window_s)
    fig, ax = plt.subplots(figsize=(14, 5))
    for server in shown:
        ax.plot(x, table.loc[server].to_numpy(dtype=float), drawstyle="steps-pre", lw=1.2,
                label=str(server), gid=f"queue:{server}")
    _add_incident_marks(ax, run, tx, with_labels=True)
    ax.set_ylabel("mean queue length (requests)")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(units.count_formatter())
    ax.grid(True, alpha=0.3)
    _legend_right(ax, title="server", title_fontsize=8)
    tx.format(ax)
    which = (f"the {len(shown)} busiest of {len(table.index)} servers"
             if len(shown) < len(table.index) else f"all {len(shown)} servers")
    ax.set_title(f"{run.scenario}: queue length per server ({which})")
    fig.subplots_adjust(top=0.92, bottom=0.13, left=0.065, right=0.79)
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

    fig, ax = plt.subplots(figsize=(11, 5.5))
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
    _legend_right(ax, title=", ".join(curve_keys) if curve_keys else None, title_fontsize=8)
    replications = int(summary["replications"].max()) if len(summary) else 0
    ax.set_title(f"{name} vs load, mean and 95% interval over {replications} replications")
    fig.subplots_adjust(top=0.92, bottom=0.11, left=0.08, right=0.78)
    return fig


def capacity_curve(capacity: CapacityData) -> Figure:
    """Fewest servers meeting the SLO vs offered load, the analytic estimate beside it, the
    current fleet and the headroom (the load at which it breaks) marked."""
    levels = capacity.levels.copy()
    levels["x"] = levels["rate_per_s"].astype(float)
    if levels["x"].isna().all():
        levels["x"] = [parse_load(v) for v in levels["load"]]
    levels = levels.sort_values("x", kind="stable")
    fig, ax = plt.subplots(figsize=(12, 5.5))
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
                       label=f"headroom: {float(headroom['load']):.3g}x ({units.rate(rate)}),\n"
                             "where the current fleet breaks")
            ax.axvspan(rate, max(float(np.nanmax(x)), rate) * 1.05, color="#d62728", alpha=0.06,
                       lw=0)
        else:
            ax.text(0.02, 0.95, "headroom: the current fleet holds at every load tried",
                    transform=ax.transAxes, fontsize=9, va="top", gid="headroom")
    ax.set_xlabel("offered load (requests/s)")
    ax.set_ylabel("servers")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.xaxis.set_major_formatter(units.count_formatter())
    _legend_right(ax)
    title = f"{capacity.scenario or capacity.path.name}: servers needed vs load"
    if capacity.slo:
        title += f" (SLO {capacity.slo})"
    ax.set_title(title)
    fig.subplots_adjust(top=0.92, bottom=0.11, left=0.07, right=0.7)
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
    "capacity_curve", "fair_share", "heatmap_states", "incident_timeline", "marks_time_heading",
    "metric_unit", "p99_vs_load", "queue_lengths", "server_traffic", "server_traffic_caption",
    "strategy_comparison", "timeline_marks", "utilization_heatmap", "what_if_table",
]
