"""analysis.units: the exact strings the report and the axes show."""

import math
import unittest

from analysis import units


class DurationTest(unittest.TestCase):
    def test_examples(self):
        self.assertEqual(units.duration(27900), "7 h 45 m")   # the 2024-05-05 mitigation
        self.assertEqual(units.duration(750), "12 m 30 s")
        self.assertEqual(units.duration(45), "45 s")
        self.assertEqual(units.duration(30900), "8 h 35 m")   # not 3.09e+04 s
        self.assertEqual(units.duration(0.115), "115 ms")
        self.assertEqual(units.duration(4.35), "4.35 s")
        self.assertEqual(units.duration(0), "0 s")

    def test_whole_units_and_boundaries(self):
        self.assertEqual(units.duration(60), "1 m")
        self.assertEqual(units.duration(3600), "1 h")
        self.assertEqual(units.duration(7200 + 60), "2 h 1 m")
        self.assertEqual(units.duration(59.6), "1 m")         # rounds up into minutes
        self.assertEqual(units.duration(3599.7), "1 h")       # ... and into hours
        self.assertEqual(units.duration(0.9996), "1 s")       # not "1e+03 ms"
        self.assertEqual(units.duration(27930), "7 h 46 m")   # half a minute rounds up
        self.assertEqual(units.duration(86400 + 3 * 3600), "1 d 3 h")
        self.assertEqual(units.duration(0.0004), "0.4 ms")

    def test_sign_and_missing(self):
        self.assertEqual(units.duration(-27900), "\u22127 h 45 m")
        self.assertEqual(units.duration(None), "\u2013")
        self.assertEqual(units.duration(math.nan), "\u2013")


class PercentTest(unittest.TestCase):
    def test_examples(self):
        self.assertEqual(units.percent(0.267748840421439), "26.8%")
        self.assertEqual(units.percent(2.884080899865492), "288.4%")  # an error budget burned
        self.assertEqual(units.percent(0.0012), "0.12%")
        self.assertEqual(units.percent(0.00999), "1.0%")
        self.assertEqual(units.percent(0), "0%")
        self.assertEqual(units.percent(1e-7), "< 0.001%")
        self.assertEqual(units.percent(-0.05), "\u22125.0%")
        self.assertEqual(units.percent(None), "\u2013")


class CountTest(unittest.TestCase):
    def test_examples(self):
        self.assertEqual(units.count(896361), "896 k")
        self.assertEqual(units.count(3347768), "3.3 M")
        self.assertEqual(units.count(15066), "15.1 k")
        self.assertEqual(units.count(50000), "50 k")
        self.assertEqual(units.count(1403), "1.4 k")
        self.assertEqual(units.count(896), "896")
        self.assertEqual(units.count(0), "0")

    def test_carry_into_the_next_unit(self):
        self.assertEqual(units.count(999999), "1 M")
        self.assertEqual(units.count(99960), "100 k")
        self.assertEqual(units.count(999.6), "1 k")

    def test_rates_and_numbers(self):
        self.assertEqual(units.rate(119.90588996763753), "120/s")
        self.assertEqual(units.rate(4800), "4.8 k/s")
        self.assertEqual(units.number(1.8563012894639568), "1.86")
        self.assertEqual(units.number(30900.0), "30.9 k")
        self.assertEqual(units.number(1.23e-5), "0.0000123")
        self.assertEqual(units.number(True), "yes")


class MetricTest(unittest.TestCase):
    def test_metric_value_by_name(self):
        self.assertEqual(units.metric_value("impact_s", 27930), "7 h 46 m")
        self.assertEqual(units.metric_value("latency_p99_s", 0.0345), "34.5 ms")
        self.assertEqual(units.metric_value("p99", 0.05), "50 ms")  # an alert's metric
        self.assertEqual(units.metric_value("error_rate", 0.0012), "0.12%")
        self.assertEqual(units.metric_value("users_affected_fraction", 0.30132), "30.1%")
        self.assertEqual(units.metric_value("failed_requests", 896361), "896 k")
        self.assertEqual(units.metric_value("throughput_per_s", 90.9), "90.9/s")
        self.assertEqual(units.metric_value("utilization_imbalance", 1.8563), "1.86")
        self.assertEqual(units.metric_value("servers_down", 0), "0")

    def test_axis_units_and_ticks(self):
        self.assertEqual(units.duration_axis_unit(0.5), (1000.0, "ms"))
        self.assertEqual(units.duration_axis_unit(45), (1.0, "s"))
        self.assertEqual(units.duration_axis_unit(1800), (1.0 / 60.0, "min"))
        self.assertEqual(units.duration_axis_unit(27930), (1.0 / 3600.0, "h"))
        ticks = units.count_formatter()
        self.assertEqual([ticks(v) for v in (0, 0.5, 500, 1500, 2e6)],
                         ["0", "0.5", "500", "1.5 k", "2 M"])


if __name__ == "__main__":
    unittest.main()
