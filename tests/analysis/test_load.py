"""analysis.load on directories written by the lbsim binary (LBSIM_BINARY)."""

import datetime as dt
import math
import unittest

import numpy as np

from analysis import load, stats
from tests.analysis import fixtures


class RunLoadTest(unittest.TestCase):
    def test_replay_directory(self):
        run = load.load_run(fixtures.replay_dir())
        self.assertEqual(run.scenario, "tiny_incident")
        self.assertEqual(run.window_s, 5.0)
        # 10 s warmup + 210 s measured in 5 s windows: 44 rows; servers.csv a row per server too.
        self.assertEqual(len(run.timeseries), 44)
        self.assertEqual(len(run.servers), 44 * 4)
        self.assertEqual(sorted(run.servers["server"].unique()), ["web-0", "web-1", "web-2", "web-3"])
        self.assertIn("incident replay", run.replay_text)
        marked = run.marked_events()
        self.assertEqual(list(marked["kind"]),
                         ["set_weight", "alert_firing", "note", "rollback", "alert_resolved"])
        self.assertFalse(set(marked["kind"]) & load.ENGINE_EVENT_KINDS)

    def test_clock(self):
        run = load.load_run(fixtures.replay_dir())
        self.assertEqual(run.clock.zone, "+05:30")
        self.assertEqual(run.clock.offset_minutes, 330)
        zone = dt.timezone(dt.timedelta(minutes=330))
        # the scenario starts at 2024-05-05 23:58 local; the change at 23:59, the note at 00:00
        # the next day (exact: integer seconds)
        self.assertEqual(run.wall_time(0), dt.datetime(2024, 5, 5, 23, 58, tzinfo=zone))
        self.assertEqual(run.wall_time(60), dt.datetime(2024, 5, 5, 23, 59, tzinfo=zone))
        self.assertEqual(run.wall_time([120, 180]),
                         [dt.datetime(2024, 5, 6, 0, 0, tzinfo=zone),
                          dt.datetime(2024, 5, 6, 0, 1, tzinfo=zone)])
        self.assertEqual(run.clock.describe(), "2024-05-05 23:58 +05:30")
        # an IANA name without a recorded offset is looked up in the system database
        paris = load.Clock(start_epoch_s=0, zone="Europe/Paris", offset_minutes=None)
        self.assertEqual(paris.to_datetime(0).hour, 1)

    def test_run_without_clock(self):
        run = load.load_run(fixtures.example_run_dir())
        self.assertIsNone(run.clock)
        self.assertIsNone(run.incident)
        self.assertTrue(run.marked_events().empty)
        with self.assertRaisesRegex(ValueError, "no clock"):
            run.wall_time(10)

    def test_not_a_run_directory(self):
        with self.assertRaisesRegex(ValueError, "summary.json: missing"):
            load.load_run(fixtures.compare_dir())
        broken = fixtures.copy_of(fixtures.example_run_dir(), "no_timeseries")
        (broken / "timeseries.csv").unlink()
        with self.assertRaisesRegex(ValueError, "timeseries.csv: missing"):
            load.load_run(broken)
        broken = fixtures.copy_of(fixtures.example_run_dir(), "bad_servers")
        (broken / "servers.csv").write_text("t_s,server\n0,web-0\n")
        with self.assertRaisesRegex(ValueError, r"servers.csv: missing column\(s\) group"):
            load.load_run(broken)
        with self.assertRaisesRegex(ValueError, "not a directory"):
            load.load_run(fixtures.example_run_dir() / "nothing-here")


class CompareLoadTest(unittest.TestCase):
    def test_compare_matches_python_intervals(self):
        cmp = load.load_compare(fixtures.compare_dir())
        self.assertEqual(cmp.scenario, "example")
        self.assertEqual(cmp.variants, ["round_robin", "random", "least_request"])
        self.assertEqual(cmp.baseline, "round_robin")
        self.assertIn("latency_p99_s", cmp.metrics)
        # The C++ intervals (Student t from its own incomplete beta) and ours on runs.csv agree:
        # same data, same formula; 1e-9 relative covers printing to 17 digits.
        runs = cmp.runs
        base = runs[runs["variant"] == "round_robin"].sort_values("replication")
        for variant in cmp.variants:
            rows = runs[runs["variant"] == variant].sort_values("replication")
            for metric in ("latency_p99_s", "latency_mean_s"):
                row = cmp.table[(cmp.table["variant"] == variant) & (cmp.table["metric"] == metric)].iloc[0]
                iv = stats.mean_ci(rows[metric])
                self.assertAlmostEqual(iv.mean, row["mean"], delta=1e-9 * abs(row["mean"]))
                self.assertAlmostEqual(iv.half_width, row["half_width"],
                                       delta=1e-9 * abs(row["mean"]))
                diff = stats.paired_difference_ci(rows[metric].to_numpy(), base[metric].to_numpy())
                self.assertAlmostEqual(diff.mean, row["diff_mean"], delta=1e-9 * abs(row["mean"]))
                if variant != "round_robin":
                    self.assertAlmostEqual(diff.low, row["diff_low"], delta=1e-9 * abs(row["mean"]))

    def test_not_a_compare_directory(self):
        with self.assertRaisesRegex(ValueError, "compare.csv: missing"):
            load.load_compare(fixtures.example_run_dir())


class WhatIfLoadTest(unittest.TestCase):
    def test_avoided_is_negated_difference(self):
        w = load.load_whatif(fixtures.replay_dir())
        self.assertEqual(list(dict.fromkeys(w["what_if"])),
                         ["baseline", "pre_rollout_check", "least_request"])
        np.testing.assert_array_equal(w["avoided_mean"], -w["diff_mean"])
        np.testing.assert_array_equal(w["avoided_low"], -w["diff_high"])
        base = w[w["what_if"] == "baseline"]
        self.assertTrue((base["diff_mean"] == 0).all())
        # skipping the change prevents every failure: all of the baseline's are avoided
        failed = w[w["metric"] == "failed_requests"].set_index("what_if")
        self.assertEqual(failed.loc["pre_rollout_check", "mean"], 0)
        self.assertEqual(failed.loc["pre_rollout_check", "avoided_mean"], failed.loc["baseline", "mean"])
        with self.assertRaisesRegex(ValueError, "whatif.csv: missing"):
            load.load_whatif(fixtures.example_run_dir())


class SweepCapacityLoadTest(unittest.TestCase):
    def test_sweep(self):
        sweep = load.load_sweep(fixtures.sweep_dir())
        self.assertEqual(sweep.keys, ["workload.rate", "balancer.strategy"])
        self.assertEqual(len(sweep.points), 3 * 2 * 2)  # points x replications
        self.assertEqual(list(dict.fromkeys(sweep.points["workload.rate"])),
                         ["2400/s", "2800/s", "3200/s"])
        # sweep_summary.csv's intervals are those of sweep.csv's replications
        ours = stats.summarize_replications(sweep.points, ["point"], ["latency_p99_s"])
        theirs = sweep.summary[sweep.summary["metric"] == "latency_p99_s"]
        np.testing.assert_allclose(ours["mean"], theirs["mean"], rtol=1e-9)
        np.testing.assert_allclose(ours["half_width"], theirs["half_width"], rtol=1e-9, atol=1e-15)
        with self.assertRaisesRegex(ValueError, "sweep.csv: missing"):
            load.load_sweep(fixtures.compare_dir())

    def test_capacity(self):
        cap = load.load_capacity(fixtures.capacity_dir())
        self.assertEqual(cap.scenario, "example")
        self.assertEqual(cap.slo, "p99<100ms,errors<0.1%")
        self.assertEqual(len(cap.levels), 2)
        self.assertEqual(cap.levels["meets_slo"].dtype, bool)
        self.assertEqual(list(cap.levels["rate_per_s"]), [3200.0, 4800.0])
        self.assertEqual(cap.headroom["servers"], 10)
        with self.assertRaisesRegex(ValueError, "capacity.csv: missing"):
            load.load_capacity(fixtures.sweep_dir())

    def test_parse_load(self):
        self.assertEqual(load.parse_load("1200/s"), 1200.0)
        self.assertEqual(load.parse_load("72000/min"), 1200.0)
        self.assertEqual(load.parse_load("1.5x"), 1.5)
        self.assertEqual(load.parse_load("80%"), 0.8)
        self.assertEqual(load.parse_load(3), 3.0)
        self.assertTrue(math.isnan(load.parse_load("round_robin")))


if __name__ == "__main__":
    unittest.main()
