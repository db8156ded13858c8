"""analysis.plots: axes labels, the series drawn and the marked events, on real output."""

import unittest

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PolyCollection, QuadMesh  # noqa: E402

from analysis import load, plots  # noqa: E402
from tests.analysis import fixtures  # noqa: E402


def gids(ax):
    return {a.get_gid() for a in ax.get_children() if a.get_gid()}


class TimelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = load.load_run(fixtures.replay_dir())
        cls.fig = plots.incident_timeline(cls.data)
        cls.ax_labels, cls.ax_err, cls.ax_lat, cls.ax_srv, cls.ax_load = cls.fig.axes[:5]

    @classmethod
    def tearDownClass(cls):
        plt.close(cls.fig)

    def test_panels_and_units(self):
        self.assertEqual(self.ax_err.get_ylabel(), "error rate (%)")
        self.assertEqual(self.ax_lat.get_ylabel(), "latency (ms)")
        self.assertEqual(self.ax_srv.get_ylabel(), "servers")
        self.assertEqual(self.ax_load.get_ylabel(), "load (requests/s)")
        self.assertIn("+05:30", self.ax_load.get_xlabel())
        self.assertIsInstance(self.ax_load.xaxis.get_major_formatter(), mdates.AutoDateFormatter)
        self.fig.canvas.draw()
        ticks = [t.get_text() for t in self.ax_load.get_xticklabels()]
        self.assertEqual(len(ticks), len(set(ticks)), ticks)  # 3.5 min: with seconds
        self.assertIn("00:00:00", ticks)
        self.assertIn("tiny_incident", self.fig._suptitle.get_text())

    def test_series(self):
        ts = self.data.timeseries
        kinds = [k for k in load.ERROR_KINDS if ts[k].sum() > 0]
        self.assertGreater(len(kinds), 0)  # the overload produces errors
        areas = [c for c in self.ax_err.collections if isinstance(c, PolyCollection)
                 and c.get_label() in kinds]
        self.assertEqual(sorted(a.get_label() for a in areas), sorted(kinds))
        self.assertEqual([l.get_label() for l in self.ax_lat.get_lines() if not l.get_gid()],
                         ["p50", "p99"])
        labels = [l.get_label() for l in self.ax_srv.get_lines() if not l.get_gid()]
        self.assertEqual(labels[:2], ["members", "healthy (in rotation)"])
        load_lines = [l for l in self.ax_load.get_lines() if not l.get_gid()]
        self.assertEqual([l.get_label() for l in load_lines], ["offered (arrivals)", "completed"])
        # offered load is the window's arrivals / 5 s
        np.testing.assert_allclose(load_lines[0].get_ydata(), ts["offered"] / 5.0)

    def test_events_marked(self):
        marked = self.data.marked_events()
        expected = {f"event:{k}:{s}" for k, s in zip(marked["kind"], marked["subject"])}
        for ax in (self.ax_err, self.ax_lat, self.ax_srv, self.ax_load):
            self.assertTrue(expected <= gids(ax))
        texts = [t.get_text() for t in self.ax_labels.texts if t.get_gid() == "event-label"]
        joined = "\n".join(texts)
        self.assertIn("set_weight web-0 web-1 web-2 web-3", joined)
        self.assertIn("firing errors", joined)
        self.assertIn("resolved errors", joined)
        self.assertIn("rollback balancer", joined)
        note = next(t for t in joined.split("\n") if t.startswith("note: "))
        self.assertTrue(note.startswith("note: on-call paged"))
        self.assertTrue(note.endswith("\u2026"))  # shortened
        self.assertLessEqual(len(note), plots.LABEL_MAX_CHARS)
        # the set_weight line is at 23:59 local time exactly
        line = next(l for l in self.ax_err.get_lines()
                    if l.get_gid() == "event:set_weight:web-0 web-1 web-2 web-3")
        self.assertAlmostEqual(line.get_xdata()[0],
                               mdates.date2num(np.datetime64("2024-05-05T23:59:00")), delta=1e-9)

    def test_incident_marks(self):
        names = {g for g in gids(self.ax_err) if g.startswith("incident:")}
        self.assertEqual(names, {"incident:window", "incident:incident start", "incident:detected",
                                 "incident:mitigated", "incident:recovered"})


class TimelineWithoutClockTest(unittest.TestCase):
    def test_minutes_and_no_events(self):
        run = load.load_run(fixtures.example_run_dir())
        fig = plots.incident_timeline(run)
        ax_err, ax_load = fig.axes[1], fig.axes[4]
        self.assertEqual(ax_load.get_xlabel(), "time since the run's start (min)")
        self.assertFalse({g for g in gids(ax_err) if g.startswith(("event:", "incident:"))})
        self.assertEqual([l.get_label() for l in ax_err.get_lines()], ["no errors"])
        # window ends in minutes: the first window [0, 5 s) is drawn ending at 5/60 min
        self.assertAlmostEqual(ax_load.get_lines()[0].get_xdata()[0], 5 / 60, delta=1e-12)
        plt.close(fig)


class ServerPlotsTest(unittest.TestCase):
    def test_heatmap(self):
        run = load.load_run(fixtures.replay_dir())
        fig = plots.utilization_heatmap(run)
        ax = fig.axes[0]
        mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
        cells = np.asarray(mesh.get_array()).reshape(4, -1)  # mpl 3.6 flattens the mesh array
        self.assertEqual(mesh.get_array().size, 4 * 44)  # servers x windows
        self.assertEqual(mesh.get_clim(), (0.0, 1.0))
        self.assertEqual([t.get_text() for t in ax.get_yticklabels()],
                         ["web-0", "web-1", "web-2", "web-3"])
        self.assertEqual(ax.get_ylabel(), "server")
        self.assertIn("utilisation", fig.axes[1].get_ylabel())  # the colour bar
        # web-0's row is its servers.csv column, in time order
        web0 = run.servers[run.servers["server"] == "web-0"].sort_values("t_s")["utilization"]
        np.testing.assert_allclose(cells[0], web0)
        plt.close(fig)

    def test_queue_lengths_top_n(self):
        run = load.load_run(fixtures.replay_dir())
        fig = plots.queue_lengths(run, top_n=2)
        ax = fig.axes[0]
        shown = sorted(l.get_gid() for l in ax.get_lines() if (l.get_gid() or "").startswith("queue:"))
        busiest = (run.servers.groupby("server")["queue_mean"].mean()
                   .sort_values(ascending=False).index[:2])
        self.assertEqual(shown, sorted(f"queue:{s}" for s in busiest))
        self.assertIn("queue:web-0", shown)  # weight 10 during the incident
        self.assertEqual(ax.get_ylabel(), "mean queue length (requests)")
        self.assertIn("2 busiest of 4", ax.get_title())
        plt.close(fig)


class ComparisonPlotsTest(unittest.TestCase):
    def test_strategy_comparison(self):
        cmp = load.load_compare(fixtures.compare_dir())
        fig = plots.strategy_comparison(cmp)
        axes = [a for a in fig.axes if a.get_visible()]
        self.assertEqual(len(axes), len(cmp.metrics))
        by_title = {a.get_title(): a for a in axes}
        p99 = by_title["p99 latency"]
        self.assertEqual(p99.get_ylabel(), "p99 latency (ms)")
        self.assertEqual(len(p99.containers), 3)  # one error bar per variant
        self.assertEqual([t.get_text() for t in p99.get_xticklabels()], cmp.variants)
        row = cmp.table[(cmp.table["variant"] == "random") & (cmp.table["metric"] == "latency_p99_s")]
        point = p99.containers[1].lines[0].get_ydata()[0]
        self.assertAlmostEqual(point, row["mean"].iloc[0] * 1000.0, delta=1e-9)
        self.assertEqual(by_title["error rate"].get_ylabel(), "error rate (%)")
        plt.close(fig)

    def test_p99_vs_load(self):
        sweep = load.load_sweep(fixtures.sweep_dir())
        fig = plots.p99_vs_load(sweep, "workload.rate", "balancer.strategy")
        ax = fig.axes[0]
        self.assertEqual(len(ax.containers), 2)  # one curve per strategy
        self.assertEqual(ax.get_xlabel(), "workload.rate (requests/s)")
        self.assertEqual(ax.get_ylabel(), "p99 latency (ms)")
        xs = ax.containers[0].lines[0].get_xdata()
        np.testing.assert_array_equal(xs, [2400.0, 2800.0, 3200.0])
        self.assertEqual(sorted(t.get_text() for t in ax.get_legend().get_texts()),
                         ["least_request", "round_robin"])
        with self.assertRaisesRegex(ValueError, "not a grid key"):
            plots.p99_vs_load(sweep, "workload.nope")
        plt.close(fig)

    def test_capacity_curve(self):
        cap = load.load_capacity(fixtures.capacity_dir())
        fig = plots.capacity_curve(cap)
        ax = fig.axes[0]
        lines = {l.get_gid(): l for l in ax.get_lines() if l.get_gid()}
        np.testing.assert_array_equal(lines["servers"].get_ydata(), cap.levels["servers"])
        np.testing.assert_array_equal(lines["analytic_servers"].get_ydata(),
                                      cap.levels["analytic_servers"])
        self.assertEqual(lines["current_fleet"].get_ydata()[0], 10)
        self.assertEqual(ax.get_xlabel(), "offered load (requests/s)")
        self.assertEqual(ax.get_ylabel(), "servers")
        if cap.headroom.get("load") is not None:
            self.assertAlmostEqual(lines["headroom"].get_xdata()[0], cap.headroom["rate_per_s"])
        plt.close(fig)
        # a fleet that holds at every load: the headroom is said in words
        cap.headroom = dict(cap.headroom, load=None, rate_per_s=None)
        fig = plots.capacity_curve(cap)
        self.assertIn("holds at every load", " ".join(t.get_text() for t in fig.axes[0].texts))
        plt.close(fig)

    def test_what_if_table(self):
        w = load.load_whatif(fixtures.replay_dir())
        fig = plots.what_if_table(w, metrics=["impact_s", "failed_requests"])
        ax_impact, ax_failed = [a for a in fig.axes if a.get_visible()]
        self.assertEqual(ax_impact.get_xlabel(), "avoided (min)")
        self.assertEqual([t.get_text() for t in ax_failed.get_yticklabels()],
                         ["pre_rollout_check", "least_request"])
        widths = [p.get_width() for p in ax_failed.patches]
        expected = w[w["metric"] == "failed_requests"].set_index("what_if").loc[
            ["pre_rollout_check", "least_request"], "avoided_mean"]
        np.testing.assert_allclose(widths, expected)
        self.assertEqual(len(ax_failed.patches), 2)  # one bar per what-if, not the baseline
        plt.close(fig)
        # every metric: human units, nothing in scientific notation or with an offset
        fig = plots.what_if_table(w)
        fig.canvas.draw()
        for ax in fig.axes:
            ticks = [t.get_text() for t in ax.get_xticklabels()]
            self.assertFalse([t for t in ticks if "e+" in t or "e-" in t or "\u00d710" in t])
            self.assertEqual(ax.xaxis.get_offset_text().get_text(), "")
        ax_failed = next(ax for ax in fig.axes if ax.get_title() == "failed requests")
        self.assertTrue(any(t.get_text().endswith(" k") for t in ax_failed.get_xticklabels()))
        plt.close(fig)


if __name__ == "__main__":
    unittest.main()
