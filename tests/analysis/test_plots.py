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


def panel(fig, name):
    return next(ax for ax in fig.axes if ax.get_gid() == f"panel:{name}")


def series(ax, label):
    return next(line for line in ax.get_lines() if line.get_label() == label)


def markers(fig):
    """{gid: text artist} of the numbered boxes of a timeline."""
    strip = panel(fig, "marks")
    return {t.get_gid(): t for t in strip.texts if (t.get_gid() or "").startswith("marker:")}


def marker_numbers(fig):
    """The event numbers the boxes show ("marker:4-6" holds 4, 5 and 6)."""
    numbers = []
    for gid in markers(fig):
        first, _, last = gid[len("marker:"):].partition("-")
        numbers += range(int(first), int(last or first) + 1)
    return sorted(numbers)


class TimelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = load.load_run(fixtures.replay_dir())
        cls.fig = plots.incident_timeline(cls.data)
        cls.ax_err, cls.ax_lat, cls.ax_srv, cls.ax_load = (
            panel(cls.fig, p) for p in ("errors", "latency", "servers", "load"))

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
                         ["p50 (completed)", "p99 (completed)"])
        load_lines = [l for l in self.ax_load.get_lines() if not l.get_gid()]
        self.assertEqual([l.get_label() for l in load_lines], ["offered (arrivals)", "completed"])
        # offered load is the window's arrivals / 5 s
        np.testing.assert_allclose(load_lines[0].get_ydata(), ts["offered"] / 5.0)

    def test_in_rotation_and_down_apart(self):
        # timeseries.csv healthy counts servers in rotation, servers_down those down: two lines,
        # and no wording that has down servers leave "healthy" rotation.
        ts = self.data.timeseries
        labels = [l.get_label() for l in self.ax_srv.get_lines() if not l.get_gid()]
        self.assertEqual(labels[:3], ["members", "in rotation", "down"])
        self.assertFalse([l for l in labels if "healthy" in l])
        np.testing.assert_array_equal(series(self.ax_srv, "in rotation").get_ydata(),
                                      ts["healthy"])
        np.testing.assert_array_equal(series(self.ax_srv, "down").get_ydata(),
                                      ts["servers_down"])

    def test_events_marked_with_numbers(self):
        marks = plots.timeline_marks(self.data)
        self.assertEqual(list(marks["kind"]),
                         ["set_weight", "alert_firing", "note", "rollback", "alert_resolved"])
        self.assertEqual(list(marks["number"]), [1, 2, 3, 4, 5])
        expected = {f"event:{k}:{s}" for k, s in zip(marks["kind"], marks["subject"])}
        for ax in (self.ax_err, self.ax_lat, self.ax_srv, self.ax_load):
            self.assertTrue(expected <= gids(ax))
        # one number per event, each in exactly one box; the boxes hold numbers, nothing else,
        # upright: no rotated, shortened label text
        self.assertEqual(marker_numbers(self.fig), [1, 2, 3, 4, 5])
        strip = panel(self.fig, "marks")
        for text in strip.texts:
            self.assertRegex(text.get_text(), r"^\d+(\u2013\d+)?$")
            self.assertEqual(text.get_rotation(), 0.0)
        self.assertFalse([t for ax in self.fig.axes for t in ax.texts if "\u2026" in t.get_text()])
        # the rollback's box (number 4) stands over its event: its leader line is at the
        # rollback's x as a fraction of the time axis
        x0, x1 = self.ax_err.get_xlim()
        line = next(l for l in self.ax_err.get_lines() if l.get_gid() == "event:rollback:balancer")
        fraction = (line.get_xdata()[0] - x0) / (x1 - x0)
        leaders = [l.get_xdata()[0] for l in strip.get_lines()]
        self.assertTrue(any(abs(x - fraction) < 1e-9 for x in leaders))
        # the set_weight line is at 23:59 local time exactly; the table's time says so too, with
        # the date, as the run crosses midnight
        line = next(l for l in self.ax_err.get_lines()
                    if l.get_gid() == "event:set_weight:web-0 web-1 web-2 web-3")
        self.assertAlmostEqual(line.get_xdata()[0],
                               mdates.date2num(np.datetime64("2024-05-05T23:59:00")), delta=1e-9)
        self.assertEqual(marks["time"].iloc[0], "2024-05-05 23:59:00")
        self.assertEqual(marks["time"].iloc[2], "2024-05-06 00:00:00")
        self.assertEqual(marks["detail"].iloc[2],
                         "on-call paged; a long note that the table shows in full")

    def test_alert_threshold_on_error_panel(self):
        # alerts: errors, error_rate above 1%: a dashed line at 1 (%) on the error panel
        line = next(l for l in self.ax_err.get_lines() if l.get_gid() == "alert-threshold:errors")
        np.testing.assert_allclose(line.get_ydata(), [1.0, 1.0])
        self.assertEqual(line.get_label(), "alert errors: error_rate > 1.0%")
        for ax in (self.ax_lat, self.ax_srv, self.ax_load):
            self.assertNotIn("alert-threshold:errors", gids(ax))

    def test_incident_marks(self):
        names = {g for g in gids(self.ax_err) if g.startswith("incident:")}
        self.assertEqual(names, {"incident:window", "incident:incident start", "incident:detected",
                                 "incident:mitigated", "incident:recovered"})


class MarkerLayoutTest(unittest.TestCase):
    def test_rows_then_ranges(self):
        # ten events at one instant: three rows of boxes, then the rest join the last box
        boxes = plots._marker_layout([0.5] * 10, lambda text: 0.02 * len(text) + 0.01)
        self.assertEqual([b["numbers"] for b in boxes], [[1], [2], [3, 4, 5, 6, 7, 8, 9, 10]])
        self.assertEqual([b["row"] for b in boxes], [0, 1, 2])

    def test_no_overlap_in_a_row(self):
        rng = np.random.default_rng(11)
        fractions = np.sort(rng.uniform(0, 1, 60))
        boxes = plots._marker_layout(list(fractions), lambda text: 0.012 * len(text) + 0.01)
        numbers = [n for b in boxes for n in b["numbers"]]
        self.assertEqual(numbers, list(range(1, 61)))  # every event once, in order
        for row in range(plots.MARKER_MAX_ROWS):
            spans = sorted((b["left"], b["right"]) for b in boxes if b["row"] == row)
            for (_, right), (left, _) in zip(spans, spans[1:]):
                self.assertLessEqual(right, left + 1e-12)
            for left, right in spans:
                self.assertGreaterEqual(left, 0.0)
                self.assertLessEqual(right, 1.0 + 1e-12)


class FleetTimelineTest(unittest.TestCase):
    """Thresholds of alerts on other metrics, each on the panel that plots it."""

    @classmethod
    def setUpClass(cls):
        cls.data = load.load_run(fixtures.fleet_run_dir())
        cls.fig = plots.incident_timeline(cls.data)

    @classmethod
    def tearDownClass(cls):
        plt.close(cls.fig)

    def threshold(self, name):
        found = [(ax.get_gid(), l) for ax in self.fig.axes for l in ax.get_lines()
                 if l.get_gid() == f"alert-threshold:{name}"]
        self.assertEqual(len(found), 1, name)
        return found[0]

    def test_thresholds_on_their_panels(self):
        ts = self.data.timeseries
        # p99 (failure-aware, response_p99_s): not drawn before, so plotted, in ms, with its line
        where, line = self.threshold("p99_slow")
        self.assertEqual(where, "panel:latency")
        np.testing.assert_allclose(line.get_ydata(), [50.0, 50.0])
        np.testing.assert_allclose(series(panel(self.fig, "latency"), "p99 (all requests)")
                                   .get_ydata(), ts["response_p99_s"] * 1000.0)
        where, line = self.threshold("down")
        self.assertEqual(where, "panel:servers")
        np.testing.assert_allclose(line.get_ydata(), [0.0, 0.0])
        where, line = self.threshold("skew")
        self.assertEqual(where, "panel:imbalance")
        np.testing.assert_allclose(line.get_ydata(), [1.5, 1.5])
        np.testing.assert_allclose(
            series(panel(self.fig, "imbalance"), "traffic: largest share / fair share")
            .get_ydata(), ts["traffic_imbalance"])
        where, line = self.threshold("hot")
        self.assertEqual(where, "panel:utilization")
        np.testing.assert_allclose(line.get_ydata(), [90.0, 90.0])
        self.assertEqual(line.get_label(), "alert hot: utilization_max > 90.0%")
        # healthy_fraction has no column: 80% of the members, against "in rotation"
        where, line = self.threshold("in_rotation")
        self.assertEqual(where, "panel:servers")
        np.testing.assert_allclose(line.get_ydata(), ts["members"] * 0.8)

    def test_down_and_out_of_rotation(self):
        ts = self.data.timeseries
        ax = panel(self.fig, "servers")
        np.testing.assert_array_equal(series(ax, "down").get_ydata(), ts["servers_down"])
        self.assertEqual(series(ax, "down").get_ydata().max(), 1)  # web-1, killed
        up_out = series(ax, "up, out of rotation").get_ydata()
        np.testing.assert_array_equal(up_out, ts["members"] - ts["healthy"] - ts["servers_down"])
        self.assertGreater(up_out.max(), 0)  # web-0, ejected

    def test_every_event_numbered(self):
        marks = plots.timeline_marks(self.data)
        self.assertEqual(marker_numbers(self.fig), list(marks["number"]))
        self.assertEqual(marks["time"].iloc[0], "5 s")  # no clock: time since the start


class ServerTrafficTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = load.load_run(fixtures.fleet_run_dir())
        cls.fig = plots.server_traffic(cls.data)
        cls.ax_req, cls.ax_err = panel(cls.fig, "requests"), panel(cls.fig, "errors")

    @classmethod
    def tearDownClass(cls):
        plt.close(cls.fig)

    def expected_ranking(self):
        """From servers.csv by hand: dispatched over the windows overlapping the incident."""
        s = self.data.servers
        start, end = self.data.incident["start_s"], self.data.incident["end_s"]
        s = s[(s["t_s"] < end) & (s["t_s"] + 5.0 > start)]
        dispatched = s.groupby("server")["dispatched"].sum()
        share = dispatched / dispatched.sum()
        with np.errstate(divide="ignore"):
            deviation = np.abs(np.log(share * len(share)))
        return deviation.sort_values(ascending=False, kind="stable")

    def test_lines_are_the_furthest_from_fair_share(self):
        ranking = self.expected_ranking()
        top = list(ranking.index[:4])
        self.assertEqual(top[:2], ["web-1", "web-0"])  # killed, then ejected over and over
        shown = [l.get_gid()[len("server:"):] for l in self.ax_req.get_lines()
                 if (l.get_gid() or "").startswith("server:")]
        self.assertEqual(sorted(shown), sorted(top))
        self.assertEqual([s for s in plots.fair_share(self.data)["server"]][:4], top)
        legend = [t.get_text() for t in self.ax_req.get_legend().get_texts()]
        self.assertTrue(any(t.startswith("web-1 (") and "fair share" in t for t in legend))
        # a line is the server's dispatched attempts per second, window by window
        web0 = self.data.servers[self.data.servers["server"] == "web-0"].sort_values("t_s")
        np.testing.assert_allclose(series(self.ax_req, next(t for t in legend
                                                            if t.startswith("web-0 ")))
                                   .get_ydata(), web0["dispatched"] / 5.0)
        line = next(l for l in self.ax_err.get_lines() if l.get_gid() == "server:web-0")
        np.testing.assert_allclose(line.get_ydata(), web0["failed"] / 5.0)

    def test_band_of_the_others(self):
        top = list(self.expected_ranking().index[:4])
        servers = self.data.servers
        others = servers[~servers["server"].isin(top)]
        per_window = others.pivot_table(index="t_s", columns="server", values="dispatched") / 5.0
        self.assertIn("band:requests", gids(self.ax_req))
        median = next(l for l in self.ax_req.get_lines() if l.get_gid() == "band-median:requests")
        np.testing.assert_allclose(median.get_ydata(), per_window.median(axis=1))
        self.assertEqual(median.get_label(), "other 4 servers: median")
        band = next(c for c in self.ax_req.collections if c.get_gid() == "band:requests")
        self.assertEqual(band.get_label(), "other 4 servers: min\u2013max range")
        ys = band.get_paths()[0].vertices[:, 1]
        self.assertAlmostEqual(ys.max(), per_window.max(axis=1).max())
        self.assertAlmostEqual(ys.min(), per_window.min(axis=1).min())

    def test_caption_says_how(self):
        caption = plots.server_traffic_caption(self.data)
        self.assertIn("|log(share \u00d7 N)|", caption)
        self.assertIn("no per-server weights", caption)
        self.assertIn("over the incident window", caption)
        self.assertIn("N = 8", caption)
        texts = [t.get_text() for t in self.fig.texts if t.get_gid() == "caption"]
        self.assertEqual(" ".join(texts[0].split()), caption)

    def test_small_fleet_all_lines(self):
        run = load.load_run(fixtures.replay_dir())
        fig = plots.server_traffic(run)
        ax = panel(fig, "requests")
        shown = sorted(l.get_gid() for l in ax.get_lines()
                       if (l.get_gid() or "").startswith("server:"))
        self.assertEqual(shown, ["server:web-0", "server:web-1", "server:web-2", "server:web-3"])
        self.assertFalse({g for g in gids(ax) if g.startswith("band")})
        self.assertTrue(plots.server_traffic_caption(run).startswith("Lines: all 4 servers"))
        plt.close(fig)


class TimelineWithoutClockTest(unittest.TestCase):
    def test_minutes_and_no_events(self):
        run = load.load_run(fixtures.example_run_dir())
        fig = plots.incident_timeline(run)
        ax_err, ax_load = panel(fig, "errors"), panel(fig, "load")
        self.assertEqual(ax_load.get_xlabel(), "time since the run's start (min)")
        self.assertFalse({g for g in gids(ax_err) if g.startswith(("event:", "incident:"))})
        self.assertEqual([l.get_label() for l in ax_err.get_lines()], ["no errors"])
        self.assertEqual(markers(fig), {})
        # window ends in minutes: the first window [0, 5 s) is drawn ending at 5/60 min
        self.assertAlmostEqual(ax_load.get_lines()[0].get_xdata()[0], 5 / 60, delta=1e-12)
        plt.close(fig)


def cell_rectangles(collection):
    """(x_left, x_right, y_top_edge) of each rectangle of a PatchCollection of heatmap cells."""
    return [(p.vertices[:, 0].min(), p.vertices[:, 0].max(), p.vertices[:, 1].min())
            for p in collection.get_paths()]


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
        self.assertNotIn("heatmap:down", gids(ax))  # nobody went down
        plt.close(fig)

    def test_heatmap_down_is_not_idle(self):
        run = load.load_run(fixtures.fleet_run_dir())
        states = plots.heatmap_states(run)
        servers = run.servers.set_index(["server", "t_s"])
        # down: more than half the window down (web-1, killed from 20 s to 70 s); utilisation
        # has no value there (not up), so it can never read as idle
        expected_down = {k for k, v in servers["down_s"].items() if v > 2.5}
        found = {(s, t) for s in states["down"].index for t in states["down"].columns
                 if states["down"].loc[s, t]}
        self.assertEqual(found, expected_down)
        self.assertEqual({s for s, _ in found}, {"web-1"})
        self.assertEqual(sorted(t for _, t in found), [20.0 + 5 * i for i in range(10)])
        self.assertTrue(servers.loc[list(found), "utilization"].isna().all())
        out = states["out_of_rotation"]
        self.assertTrue(out.loc["web-0"].any())  # ejected while up
        self.assertFalse((out & states["down"]).to_numpy().any())

        fig = plots.utilization_heatmap(run)
        ax = fig.axes[0]
        down = next(c for c in ax.collections if c.get_gid() == "heatmap:down")
        # one rectangle over web-1's row (row 1) from 20 s to 70 s (x in minutes: no clock)
        [(x0, x1, y0)] = cell_rectangles(down)
        self.assertEqual((round(x0 * 60, 9), round(x1 * 60, 9), y0), (20.0, 70.0, 1.0))
        self.assertIn("heatmap:out_of_rotation", gids(ax))
        legend = [t.get_text() for t in fig.legends[0].get_texts()]
        self.assertIn("down (more than half the window)", legend)
        self.assertIn("up, out of rotation: ejected, failing checks or drained", legend)
        # the picture: web-1's cell at 40-45 s is black and grey hatching only (no colour of the
        # utilisation scale); web-2's cell beside it is a viridis colour
        fig.canvas.draw()
        image = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].astype(int)
        height = image.shape[0]

        def cell_pixels(row, t_s):
            cx, cy = ax.transData.transform(((t_s + 2.5) / 60.0, row + 0.5))
            x, y = int(round(cx)), int(round(height - cy))
            return image[y - 4:y + 5, x - 4:x + 5].reshape(-1, 3)

        down_cell = cell_pixels(1, 40.0)
        self.assertLess((down_cell.max(axis=1) - down_cell.min(axis=1)).max(), 12)  # grey only
        self.assertLess(down_cell.mean(), 100)  # mostly black
        up_cell = cell_pixels(2, 40.0)
        self.assertGreater((up_cell.max(axis=1) - up_cell.min(axis=1)).min(), 40)  # coloured
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


class LegendsOutsideTest(unittest.TestCase):
    """Every legend of every figure lies outside every axes (data area or colour bar) and inside
    the figure."""

    def check(self, fig, expect_legends=True):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
        if expect_legends:
            self.assertTrue(legends, "the figure has no legend")
        figure_box = fig.bbox
        for legend in legends:
            box = legend.get_window_extent(renderer)
            for ax in fig.axes:
                if not ax.get_visible() or ax.get_gid() == "panel:marks":
                    continue  # the marker strip has no data area: nothing to hide
                area = ax.get_window_extent(renderer)
                self.assertFalse(box.overlaps(area),
                                 f"legend {[t.get_text() for t in legend.get_texts()][:3]} "
                                 f"over axes {ax.get_gid() or ax.get_ylabel()!r}")
            self.assertGreaterEqual(box.x0, figure_box.x0 - 0.5)
            self.assertGreaterEqual(box.y0, figure_box.y0 - 0.5)
            self.assertLessEqual(box.x1, figure_box.x1 + 0.5)
            self.assertLessEqual(box.y1, figure_box.y1 + 0.5)
        plt.close(fig)

    def test_run_figures(self):
        for directory in (fixtures.replay_dir(), fixtures.fleet_run_dir(),
                          fixtures.example_run_dir()):
            run = load.load_run(directory)
            for draw in (plots.incident_timeline, plots.server_traffic, plots.queue_lengths):
                with self.subTest(run=run.scenario, figure=draw.__name__):
                    self.check(draw(run))
            with self.subTest(run=run.scenario, figure="utilization_heatmap"):
                self.check(plots.utilization_heatmap(run), expect_legends=bool(run.incident))

    def test_study_figures(self):
        self.check(plots.p99_vs_load(load.load_sweep(fixtures.sweep_dir()), "workload.rate",
                                     "balancer.strategy"))
        self.check(plots.capacity_curve(load.load_capacity(fixtures.capacity_dir())))
        self.check(plots.what_if_table(load.load_whatif(fixtures.replay_dir())),
                   expect_legends=False)
        self.check(plots.strategy_comparison(load.load_compare(fixtures.compare_dir())),
                   expect_legends=False)


if __name__ == "__main__":
    unittest.main()
