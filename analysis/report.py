"""A self-contained HTML report of an lbsim output directory.

    python3 -m analysis.report RUN_DIR

writes RUN_DIR/report.html with every applicable figure embedded as a base64 PNG (no external
file, script or font) and the same PNGs beside it: timeline.png, server_traffic.png,
utilization.png, queues.png for a run or replay directory; whatif.png with whatif.csv;
comparison.png for a compare directory; p99_vs_load.png for a sweep; capacity.png for a capacity
directory. Exit status 2 with a message when the directory is none of these.

Numbers are written for reading (analysis.units: "7 h 45 m", "26.8%", "896 k"); the files keep
the exact values. The page names the run by run_name(): lbsim writes the report while the run
directory is still its temporary sibling (".NAME.tmp-12345"), so the name is taken from run.json
or from the directory's name without that disguise.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import io
import json
import math
import re
import sys
from pathlib import Path
from typing import Optional, Union

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from . import plots, units  # noqa: E402
from .load import (CapacityData, CompareData, RunData, SweepData, load_capacity,  # noqa: E402
                   load_compare, load_run, load_sweep, load_whatif, parse_load)

PNG_DPI = 100
DASH = units.DASH  # shown for a value that does not exist

# The temporary sibling lbsim writes a run into before renaming it (sim/metrics/run_output.cpp,
# sibling_name): "." + NAME + ".tmp-" + the process id.
_TEMP_SIBLING = re.compile(r"^\.?(?P<name>.+?)\.tmp-\d+$")

_CSS = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1350px; color: #222; }
h1 { margin-bottom: 0.2em; } .sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f2f2f2; } td.l, th.l { text-align: left; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0 1.5em; }
pre { background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: 0.85em; }
table.marks td.l:last-child, table.documented td.l { max-width: 60em; }
tr.input td { background: #eef4fb; }
p.caption { color: #444; font-size: 0.9em; max-width: 75em; margin-top: -1em; }
"""


def run_name(directory: Union[str, Path]) -> str:
    """The run's name: run.json's "name" when the directory has one, else the directory's name
    without the leading "." and trailing ".tmp-<digits>" of lbsim's temporary sibling
    (".replay.tmp-12345" -> "replay")."""
    d = Path(directory)
    meta_file = d / "run.json"
    if meta_file.is_file():
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ValueError(f"{meta_file}: not valid JSON ({e})") from None
        if isinstance(meta, dict) and meta.get("name"):
            return str(meta["name"])
    name = d.resolve().name if d.name in ("", ".", "..") else d.name
    m = _TEMP_SIBLING.match(name)
    return m.group("name") if m else name


class _Page:
    def __init__(self, directory: Path):
        self.directory = directory
        self.parts: list = []
        self.figures: list = []  # PNG file names written

    def h2(self, text: str) -> None:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")

    def p(self, text: str) -> None:
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def pre(self, text: str) -> None:
        self.parts.append(f"<pre>{html.escape(text)}</pre>")

    def caption(self, text: str) -> None:
        self.parts.append(f'<p class="caption">{html.escape(text)}</p>')

    def table(self, header: list, rows: list, left_columns: int = 1,
              css_class: Optional[str] = None, row_classes: Optional[list] = None) -> None:
        def cell(tag: str, i: int, value) -> str:
            cls = ' class="l"' if i < left_columns else ""
            return f"<{tag}{cls}>{html.escape(str(value))}</{tag}>"

        table_cls = f' class="{html.escape(css_class)}"' if css_class else ""
        out = [f"<table{table_cls}><tr>"
               + "".join(cell("th", i, h) for i, h in enumerate(header)) + "</tr>"]
        for k, row in enumerate(rows):
            row_cls = row_classes[k] if row_classes else None
            tr = f'<tr class="{html.escape(row_cls)}">' if row_cls else "<tr>"
            out.append(tr + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>")
        out.append("</table>")
        self.parts.append("\n".join(out))

    def figure(self, fig, name: str, alt: str) -> None:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=PNG_DPI)
        plt.close(fig)
        data = buffer.getvalue()
        (self.directory / name).write_bytes(data)
        encoded = base64.b64encode(data).decode("ascii")
        self.parts.append(f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(alt)}" '
                          f'title="{html.escape(name)}">')
        self.figures.append(name)

    def render(self, title: str, subtitle: str) -> str:
        body = "\n".join(self.parts)
        return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
                f"<h1>{html.escape(title)}</h1>\n<p class=\"sub\">{html.escape(subtitle)}</p>\n"
                f"{body}\n</body></html>\n")


def _fmt(value) -> str:
    """A number without a known unit, for reading (never scientific notation)."""
    if value is None:
        return DASH
    if isinstance(value, str):
        return value
    return units.number(value)


def _interval(metric: str, low, high) -> str:
    return f"[{units.metric_value(metric, low)}, {units.metric_value(metric, high)}]"


def _key_numbers(run: RunData) -> list:
    s = run.summary
    req = s.get("requests", {})
    lat = s.get("latency_s", {})
    servers = s.get("servers", {})
    util = servers.get("utilization", {})
    users = s.get("users", {})
    rows = [
        ("strategy", s.get("strategy", DASH)),
        ("measured duration", f"{units.duration(s.get('duration_s'))} after a "
                              f"{units.duration(s.get('warmup_s'))} warmup"),
        ("requests offered / completed / failed",
         " / ".join(units.count(req.get(k, 0)) for k in ("offered", "completed", "failed"))),
        ("error rate", units.percent(s.get("error_rate"))),
        ("offered rate / throughput",
         f"{units.rate(s.get('offered_rate_per_s'))} / {units.rate(s.get('throughput_per_s'))}"),
        ("latency p50 / p99 / p99.9 / max (completed)",
         " / ".join(units.duration(lat.get(k)) for k in ("p50", "p99", "p999", "max"))),
    ]
    response = s.get("response_s")
    if response:
        rows.append(("response p50 / p99 / p99.9 (all requests, failures at the time they failed)",
                     " / ".join(units.duration(response.get(k)) for k in ("p50", "p99", "p999"))))
    rows += [
        ("utilisation mean / max (while up) / imbalance",
         f"{units.percent(util.get('mean'))} / {units.percent(util.get('max'))} / "
         f"{_fmt(util.get('imbalance'))}"),
        ("users affected", f"{units.percent(users.get('affected_fraction'))} "
                           f"({units.count(users.get('affected', 0))} of "
                           f"{units.count(users.get('active', 0))} active)"),
        ("servers / times one went down",
         f"{units.count(servers.get('count'))} / {units.count(servers.get('went_down'))}"),
    ]
    if servers.get("traffic_imbalance") is not None:
        rows.append(("traffic imbalance (largest share / fair share)",
                     _fmt(servers.get("traffic_imbalance"))))
    errors = {k: v for k, v in req.get("by_error", {}).items() if v}
    if errors:
        rows.append(("errors by kind", ", ".join(f"{k} {units.count(v)}"
                                                 for k, v in errors.items())))
    return rows


def _incident_rows(run: RunData, incident: dict) -> list:
    def when(key: str, since: Optional[str] = None) -> str:
        t = incident.get(key)
        if t is None:
            return DASH
        notes = []
        if since and incident.get(since) is not None:
            notes.append(f"+{units.duration(incident[since])} after the incident's start")
        notes.append(f"{units.duration(t)} into the run")
        if run.clock is None:
            return "; ".join(notes)
        return run.clock.to_datetime(t).strftime("%H:%M:%S") + f" ({'; '.join(notes)})"

    budget = incident.get("error_budget") or {}
    requests = incident.get("requests") or {}
    users = incident.get("users") or {}
    return [
        ("start", when("start_s")),
        ("detected", when("detected_s", "time_to_detect_s")),
        ("mitigated", when("mitigated_s", "time_to_mitigate_s")),
        ("recovered", when("recovered_s", "time_to_recover_s")),
        ("peak error rate", f"{units.percent(incident.get('peak_error_rate'))} in the window "
                            f"from {when('peak_at_s')}"),
        ("requests failed in the incident",
         f"{units.percent(requests.get('error_rate'))} ({units.count(requests.get('failed'))} "
         f"of {units.count(requests.get('offered'))})"),
        ("users affected in the incident",
         f"{units.percent(users.get('affected_fraction'))} "
         f"({units.count(users.get('affected'))} of {units.count(users.get('active'))} active)"),
        ("error budget burned", units.percent(budget.get("burned_fraction")) if budget else DASH),
        ("alerts fired / servers crashed / ejected",
         f"{units.count(incident.get('alerts_fired'))} / "
         f"{units.count(incident.get('servers_crashed'))} / "
         f"{units.count(incident.get('servers_ejected'))}"),
    ]


def _documented_value(value) -> str:
    if value is None:
        return DASH
    if isinstance(value, (bool, int, float)):
        return units.number(value)
    return str(value)


def _documented_section(page: _Page, run: RunData, documented) -> None:
    """incident.documented: the postmortem's figures beside the replay's, inputs marked."""
    where = run.path / "summary.json"
    if not isinstance(documented, list) or not all(isinstance(d, dict) for d in documented):
        raise ValueError(f"{where}: incident.documented must be a list of objects "
                         "{figure, documented, replayed, input}")
    if not documented:
        return
    rows, classes = [], []
    for entry in documented:
        is_input = bool(entry.get("input", False))
        rows.append((_documented_value(entry.get("figure")),
                     _documented_value(entry.get("documented")),
                     _documented_value(entry.get("replayed")),
                     "input" if is_input else "emerged"))
        classes.append("input" if is_input else "emerged")
    page.h2("Documented vs replayed")
    page.table(["figure", "documented", "replayed", "input or emerged"], rows, left_columns=4,
               css_class="documented", row_classes=classes)
    page.caption("input: a figure the scenario was built from (set, not a result); emerged: "
                 "what the replay produced by itself, to compare with the postmortem.")


def _run_numbers(page: _Page, run: RunData) -> None:
    page.h2("Key numbers (measured period)")
    page.table(["", "value"], _key_numbers(run), left_columns=2)
    incident = run.incident
    if incident:
        page.h2("Incident")
        page.table(["", "value"], _incident_rows(run, incident), left_columns=2)
        if incident.get("documented") is not None:
            _documented_section(page, run, incident["documented"])


def _marks_section(page: _Page, run: RunData) -> None:
    """The table under the timeline: one row per numbered box."""
    marks = plots.timeline_marks(run)
    if marks.empty:
        return
    rows = [(r.number, r.time, r.kind, r.subject, r.detail)
            for r in marks.itertuples(index=False)]
    page.table(["#", plots.marks_time_heading(run), "kind", "subject", "detail"], rows,
               left_columns=5, css_class="marks")


def _run_section(page: _Page, run: RunData) -> None:
    _run_numbers(page, run)
    if run.replay_text:
        page.h2("Replay")
        page.pre(run.replay_text)
    page.h2("Incident timeline")
    page.figure(plots.incident_timeline(run), "timeline.png", "incident timeline")
    _marks_section(page, run)
    page.h2("Servers furthest from their fair share")
    page.figure(plots.server_traffic(run), "server_traffic.png",
                "requests and errors per server")
    page.caption(plots.server_traffic_caption(run))
    page.h2("Utilisation per server")
    page.figure(plots.utilization_heatmap(run), "utilization.png", "utilisation heatmap")
    page.h2("Queue lengths")
    page.figure(plots.queue_lengths(run), "queues.png", "queue lengths")


def _whatif_section(page: _Page, whatif: pd.DataFrame) -> None:
    page.h2("What-ifs: impact avoided against the baseline")
    page.figure(plots.what_if_table(whatif), "whatif.png", "what-ifs")
    rows = []
    for r in whatif.itertuples(index=False):
        m = r.metric
        rows.append((r.what_if, m, units.metric_value(m, r.mean), _interval(m, r.ci_low, r.ci_high),
                     units.metric_value(m, r.diff_mean), _interval(m, r.diff_low, r.diff_high),
                     r.replications))
    page.table(["what-if", "metric", "mean", "95% interval", "diff from baseline",
                "diff interval", "replications"], rows, left_columns=2)


def _compare_section(page: _Page, compare: CompareData) -> None:
    page.h2("Strategies compared")
    page.figure(plots.strategy_comparison(compare), "comparison.png", "strategy comparison")
    rows = []
    for r in compare.table.itertuples(index=False):
        m = r.metric
        mark = "*" if (r.diff_low > 0 or r.diff_high < 0) else ""
        rows.append((r.variant, m, units.metric_value(m, r.mean),
                     f"\u00b1{units.metric_value(m, r.half_width)}",
                     f"{units.metric_value(m, r.diff_mean)}{mark}",
                     _interval(m, r.diff_low, r.diff_high), r.replications))
    page.table(["variant", "metric", "mean", "95% half-width",
                f"diff from {compare.baseline}", "diff interval", "replications"],
               rows, left_columns=2)


def guess_sweep_keys(sweep: SweepData) -> tuple:
    """(load_key, strategy_key or None): the strategy key is a key ending in 'strategy'; the
    load key the first other key whose values are all numbers or rates, preferring a key that
    names a rate, load or multiplier."""
    strategy_key = next((k for k in sweep.keys if k.endswith("strategy")), None)
    others = [k for k in sweep.keys if k != strategy_key] or list(sweep.keys)

    def numeric(k: str) -> bool:
        return all(not math.isnan(parse_load(v)) for v in sweep.points[k].astype(str))

    named = [k for k in others if any(w in k for w in ("rate", "load", "multiplier")) and numeric(k)]
    load_key = (named or [k for k in others if numeric(k)] or others)[0]
    if load_key == strategy_key:
        strategy_key = None
    return load_key, strategy_key


def _sweep_section(page: _Page, sweep: SweepData) -> None:
    load_key, strategy_key = guess_sweep_keys(sweep)
    page.h2("p99 latency vs load")
    page.figure(plots.p99_vs_load(sweep, load_key, strategy_key), "p99_vs_load.png",
                "p99 vs load")
    if sweep.summary is not None:
        table = sweep.summary[sweep.summary["metric"].isin(
            ["latency_p99_s", "error_rate", "utilization_max"])]
        rows = [[r["point"]] + [r[k] for k in sweep.keys] +
                [r["metric"], units.metric_value(r["metric"], r["mean"]),
                 _interval(r["metric"], r["ci_low"], r["ci_high"]), r["replications"]]
                for _, r in table.iterrows()]
        page.table(["point"] + sweep.keys + ["metric", "mean", "95% interval", "replications"],
                   rows, left_columns=len(sweep.keys) + 2)


def _capacity_section(page: _Page, capacity: CapacityData) -> None:
    page.h2("Capacity")
    if capacity.slo:
        page.p(f"SLO: {capacity.slo}")
    page.figure(plots.capacity_curve(capacity), "capacity.png", "capacity curve")
    rows = [(r.load, units.rate(r.rate_per_s), _fmt(r.servers), _fmt(r.analytic_servers),
             units.duration(r.p99_s), units.percent(r.error_rate),
             units.percent(r.utilization_mean), "yes" if r.meets_slo else "no")
            for r in capacity.levels.itertuples(index=False)]
    page.table(["load", "rate", "servers", "analytic", "p99 (completed)", "error rate",
                "utilisation", "meets SLO"], rows)
    headroom = capacity.headroom
    if headroom:
        if headroom.get("load") is not None:
            page.p(f"Headroom: the current fleet of {headroom.get('servers')} servers breaks at "
                   f"{_fmt(headroom['load'])}x the scenario's load "
                   f"({units.rate(headroom.get('rate_per_s'))}).")
        else:
            page.p(f"Headroom: the current fleet of {headroom.get('servers')} servers holds at "
                   "every load tried.")


def write_report(run_dir: Union[str, Path], out: Optional[Union[str, Path]] = None) -> Path:
    """Writes report.html (and the PNG files) into run_dir; returns the report's path.

    Works on run, replay (with or without whatif.csv), compare, sweep and capacity directories.
    Raises ValueError for a directory that is none of them (or has a broken file).
    """
    d = Path(run_dir)
    if not d.is_dir():
        raise ValueError(f"{d}: not a directory")
    page = _Page(d)
    name = run_name(d)
    scenario: Optional[str] = None
    clock_text = "no clock (times since the run's start)"
    kinds = []
    if (d / "summary.json").is_file():
        run = load_run(d)
        scenario = run.scenario
        if run.clock is not None:
            clock_text = f"clock: starts {run.clock.describe()}"
        kinds.append("replay" if run.replay_text else "run")
        _run_section(page, run)
        if (d / "whatif.csv").is_file():
            _whatif_section(page, load_whatif(d))
    if (d / "compare.csv").is_file():
        compare = load_compare(d)
        scenario = scenario or compare.scenario
        kinds.append("compare")
        _compare_section(page, compare)
    if (d / "sweep.csv").is_file():
        kinds.append("sweep")
        _sweep_section(page, load_sweep(d))
    if (d / "capacity.csv").is_file():
        capacity = load_capacity(d)
        scenario = scenario or capacity.scenario
        kinds.append("capacity")
        _capacity_section(page, capacity)
    if not kinds:
        raise ValueError(f"{d}: not an lbsim output directory (expected summary.json from run or "
                         "replay, compare.csv, sweep.csv or capacity.csv)")
    scenario = scenario or name
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    title = f"lbsim report: {scenario}"
    subtitle = f"{' + '.join(kinds)} output: run {name}; {clock_text}; generated {generated}"
    target = Path(out) if out is not None else d / "report.html"
    target.write_text(page.render(title, subtitle), encoding="utf-8")
    return target


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m analysis.report",
        description="Write RUN_DIR/report.html (self-contained) and the figures as PNG files "
                    "beside it, for an lbsim run, replay, compare, sweep or capacity directory.")
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    args = parser.parse_args(argv)
    try:
        path = write_report(args.run_dir)
    except ValueError as e:
        print(f"analysis.report: {e}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
