"""analysis.report: one embedded PNG per figure, the PNG files beside it, the tables under
them (numbered events, documented vs replayed), the run's name, human units, the command line."""

import base64
import functools
import html.parser
import json
import os
import re
import subprocess
import sys
import unittest

import matplotlib.pyplot as plt

from analysis import load, plots, report
from tests.analysis import fixtures

IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"[^>]*title="([a-z_0-9]+\.png)"')
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RUN_FIGURES = ["timeline.png", "server_traffic.png", "utilization.png", "queues.png"]


class Tables(html.parser.HTMLParser):
    """The page's tables, in order: `found` is a list of (class or "", rows of cell texts with
    the header first, each row's class); `tables` maps a class to its (last) table's rows."""

    def __init__(self, text):
        super().__init__()
        self.found = []
        self._row = self._cell = None
        self.feed(text)
        self.tables = {cls: rows for cls, rows, _ in self.found}
        self.row_classes = {cls: classes for cls, _, classes in self.found}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.found.append((attrs.get("class", ""), [], []))
        elif tag == "tr" and self.found:
            self._row = []
            self.found[-1][2].append(attrs.get("class"))
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.found[-1][1].append(self._row)
            self._row = None


@functools.lru_cache(maxsize=None)
def written(fixture: str, copy_name: str):
    """(directory, report.html's text) of a fresh copy of fixtures.<fixture>() named copy_name,
    its report written once per test process (a report takes seconds: tests share them)."""
    d = fixtures.copy_of(getattr(fixtures, fixture)(), copy_name)
    # lbsim's run.json names the run as its final directory; without one (a directory written
    # before run.json existed) the name comes from the directory, temporary sibling included.
    (d / "run.json").unlink(missing_ok=True)
    path = report.write_report(d)
    assert path == d / "report.html", path
    return d, path.read_text(encoding="utf-8")


# The replay as lbsim has it while it writes the report: a temporary sibling of its target.
REPLAY = ("replay_dir", ".tiny-replay.tmp-31337")


def visible_text(page):
    """The page without its embedded images and the replay's own text (lbsim's, not ours)."""
    page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    return re.sub(r"<pre>.*?</pre>", "", page, flags=re.S)


class ReportTest(unittest.TestCase):
    def check(self, directory, expected_pngs, text=None):
        if text is None:
            path = report.write_report(directory)
            self.assertEqual(path, directory / "report.html")
            text = path.read_text(encoding="utf-8")
        images = IMG.findall(text)
        self.assertEqual(text.count('<img src="data:image/png;base64,'), len(expected_pngs))
        self.assertEqual(sorted(name for _, name in images), sorted(expected_pngs))
        for encoded, name in images:
            data = base64.b64decode(encoded)
            self.assertTrue(data.startswith(PNG_MAGIC))
            self.assertEqual(data, (directory / name).read_bytes())  # the same file beside it
        for png in {"timeline.png", "server_traffic.png", "utilization.png", "queues.png",
                    "whatif.png", "comparison.png", "p99_vs_load.png",
                    "capacity.png"} - set(expected_pngs):
            self.assertFalse((directory / png).exists(), png)
        # self-contained: nothing loaded from elsewhere
        self.assertNotRegex(text, r"<script|<link|src=\"(?!data:)|url\(")
        return text

    def test_replay_with_whatifs(self):
        d, text = written(*REPLAY)
        self.check(d, RUN_FIGURES + ["whatif.png"], text)
        self.assertIn("tiny_incident", text)
        self.assertIn("2024-05-05 23:58 +05:30", text)
        self.assertIn("incident replay: tiny_incident", text)  # replay.txt
        self.assertIn("error budget burned", text)
        # the server panel comes right after the timeline (and its table of events)
        order = [name for _, name in IMG.findall(text)]
        self.assertEqual(order[:2], ["timeline.png", "server_traffic.png"])
        self.assertIn("no per-server weights", text)  # its caption
        self.assertNotIn("Documented vs replayed", text)  # summary.json has no documented

    def test_replay_without_whatifs(self):
        d = fixtures.copy_of(fixtures.replay_dir(), "report_replay_no_whatif")
        (d / "whatif.csv").unlink()
        self.check(d, RUN_FIGURES)

    def test_run(self):
        d = fixtures.copy_of(fixtures.example_run_dir(), "report_run")
        text = self.check(d, RUN_FIGURES)
        self.assertIn("example", text)
        self.assertIn("no clock", text)
        self.assertNotIn('class="marks"', text)  # nothing to number

    def test_event_table_matches_the_markers(self):
        for fixture in (REPLAY, ("fleet_run_dir", "report_fleet")):
            with self.subTest(run=fixture[0]):
                d, text = written(*fixture)
                header, *rows = Tables(text).tables["marks"]
                self.assertEqual(header[0], "#")
                self.assertEqual(header[2:], ["kind", "subject", "detail"])
                run = load.load_run(d)
                events = run.marked_events()  # every action, alert and note of events.csv
                self.assertEqual(len(rows), len(events))
                self.assertEqual([r[0] for r in rows], [str(i) for i in range(1, len(rows) + 1)])
                self.assertEqual(sorted(r[2] for r in rows), sorted(events["kind"]))
                self.assertEqual(sorted(r[4] for r in rows), sorted(events["detail"]))
                # the numbers in the table are those of the figure's boxes
                fig = plots.incident_timeline(run)
                strip = next(ax for ax in fig.axes if ax.get_gid() == "panel:marks")
                boxed = []
                for t in strip.texts:
                    first, _, last = t.get_gid()[len("marker:"):].partition("-")
                    boxed += range(int(first), int(last or first) + 1)
                plt.close(fig)
                self.assertEqual(sorted(boxed), [int(r[0]) for r in rows])
        self.assertEqual(header[1], "time since the run's start")  # the fleet run: no clock
        # the tiny incident's table: clock time with the date (the run crosses midnight),
        # kind, subject and the note's whole text
        rows = Tables(written(*REPLAY)[1]).tables["marks"]
        self.assertEqual(rows[0][1], "time (+05:30)")
        self.assertEqual(rows[1][:4], ["1", "2024-05-05 23:59:00", "set_weight",
                                       "web-0 web-1 web-2 web-3"])
        self.assertEqual(rows[3], ["3", "2024-05-06 00:00:00", "note", "timeline",
                                   "on-call paged; a long note that the table shows in full"])

    def test_run_name_not_the_temporary_path(self):
        # lbsim runs the report while the run is still ".NAME.tmp-<pid>" beside its target
        d, text = written(*REPLAY)
        self.assertEqual(report.run_name(d), "tiny-replay")
        self.assertIn("run tiny-replay;", text)
        self.assertNotIn(".tmp-", text)
        self.assertNotIn(str(d.parent), text)
        self.assertEqual(report.run_name(d.parent / ".x.tmp-12"), "x")
        self.assertEqual(report.run_name(d.parent / "plain"), "plain")
        self.assertEqual(report.run_name(d.parent / ".hidden"), ".hidden")
        # run.json's name wins
        named = fixtures.copy_of(fixtures.example_run_dir(), ".example.tmp-4242")
        (named / "run.json").write_text(json.dumps({"name": "incident-2024-05-05"}),
                                        encoding="utf-8")
        self.assertEqual(report.run_name(named), "incident-2024-05-05")

    def test_documented_vs_replayed(self):
        d = fixtures.copy_of(fixtures.replay_dir(), "report_documented")
        (d / "whatif.csv").unlink()  # not needed here: a shorter report
        summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
        summary["incident"]["documented"] = [
            {"figure": "users affected", "documented": "30%", "replayed": "30.1%",
             "input": False},
            {"figure": "weight of web-0", "documented": 10, "replayed": 10, "input": True},
            {"figure": "duration", "documented": "7 h 45 m", "replayed": 27930.0,
             "input": False},
        ]
        (d / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
        text = report.write_report(d).read_text(encoding="utf-8")
        self.assertIn("<h2>Documented vs replayed</h2>", text)
        parsed = Tables(text)
        self.assertEqual(parsed.tables["documented"], [
            ["figure", "documented", "replayed", "input or emerged"],
            ["users affected", "30%", "30.1%", "emerged"],
            ["weight of web-0", "10", "10", "input"],
            ["duration", "7 h 45 m", "27.9 k", "emerged"],
        ])
        self.assertEqual(parsed.row_classes["documented"], [None, "emerged", "input", "emerged"])
        # a documented that is not a list of objects is an error naming the file
        summary["incident"]["documented"] = "30% of users"
        (d / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
        with self.assertRaisesRegex(ValueError, r"summary.json: incident.documented must be"):
            report.write_report(d)

    def test_human_units(self):
        text = visible_text(written(*REPLAY)[1])
        self.assertNotRegex(text, r"\d[eE][+-]?\d")  # no scientific notation anywhere
        tables = Tables(text).found
        numbers = {row[0]: row[1] for cls, rows, _ in tables if not cls for row in rows
                   if len(row) == 2}
        self.assertEqual(numbers["measured duration"], "3 m 30 s after a 10 s warmup")
        self.assertRegex(numbers["error rate"], r"^\d+\.\d%$")
        self.assertRegex(numbers["latency p50 / p99 / p99.9 / max (completed)"],
                         r"^(\d+(\.\d+)? (ms|s) / ){3}\d+(\.\d+)? (ms|s)$")
        self.assertRegex(numbers["detected"],
                         r"^23:59:\d\d \(\+\d+ s after the incident's start; 1 m \d+ s into the run\)$")
        whatif = next(rows for _, rows, _ in tables if rows[0][0] == "what-if")
        impact = next(r for r in whatif if r[:2] == ["baseline", "impact_s"])
        self.assertRegex(impact[2], r"^\d+ m( \d+ s)?$|^\d+ s$")

    def test_compare(self):
        d = fixtures.copy_of(fixtures.compare_dir(), "report_compare")
        text = self.check(d, ["comparison.png"])
        self.assertIn("least_request", text)

    def test_sweep_and_capacity(self):
        d = fixtures.copy_of(fixtures.sweep_dir(), "report_sweep")
        self.assertEqual(report.guess_sweep_keys(__import__("analysis").load_sweep(d)),
                         ("workload.rate", "balancer.strategy"))
        self.check(d, ["p99_vs_load.png"])
        d = fixtures.copy_of(fixtures.capacity_dir(), "report_capacity")
        text = self.check(d, ["capacity.png"])
        self.assertIn("p99&lt;100ms", text)  # the SLO, escaped

    def test_command_line(self):
        env = dict(os.environ, PYTHONPATH=str(fixtures.REPO))
        d = fixtures.copy_of(fixtures.compare_dir(), "report_cli")
        ok = subprocess.run([sys.executable, "-m", "analysis.report", str(d)], env=env,
                            capture_output=True, text=True, timeout=60)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(ok.stdout.strip(), str(d / "report.html"))
        empty = fixtures.copy_of(fixtures.compare_dir(), "report_cli_empty")
        for f in empty.iterdir():
            f.unlink()
        bad = subprocess.run([sys.executable, "-m", "analysis.report", str(empty)], env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("not an lbsim output directory", bad.stderr)
        missing = subprocess.run([sys.executable, "-m", "analysis.report", str(empty / "x")],
                                 env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(missing.returncode, 2)
        self.assertIn("not a directory", missing.stderr)


if __name__ == "__main__":
    unittest.main()
