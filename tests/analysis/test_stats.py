"""analysis.stats: the t quantile and the intervals against exact values."""

import math
import unittest

from analysis import stats

# Student t quantiles to 10+ significant digits (R's qt(), which agrees with printed tables such
# as NIST/SEMATECH e-Handbook 1.3.6.7.2 to their 3 decimals): (p, df, t).
T_TABLE = (
    (0.975, 4, 2.7764451051977987),
    (0.975, 9, 2.2621571627409915),
    (0.975, 29, 2.045229642132703),
    (0.95, 10, 1.8124611228107335),
    (0.995, 5, 4.032142983557536),
    (0.9, 1, 3.077683537175253),
)


class TQuantileTest(unittest.TestCase):
    def test_closed_forms(self):
        # df = 1 is the Cauchy distribution: t_p = tan(pi (p - 1/2)); df = 2:
        # t_p = (2p - 1) sqrt(2 / (4 p (1 - p))). 1e-9 relative: the bisection reaches double
        # spacing, so the error is that of the incomplete beta (~1e-11 observed).
        for p in (0.6, 0.9, 0.975, 0.995, 0.9995):
            self.assertAlmostEqual(stats.t_quantile_builtin(p, 1) / math.tan(math.pi * (p - 0.5)),
                                   1.0, delta=1e-9)
            exact2 = (2 * p - 1) * math.sqrt(2 / (4 * p * (1 - p)))
            self.assertAlmostEqual(stats.t_quantile_builtin(p, 2) / exact2, 1.0, delta=1e-9)

    def test_table_values(self):
        for p, df, t in T_TABLE:
            with self.subTest(p=p, df=df):
                self.assertAlmostEqual(stats.t_quantile_builtin(p, df) / t, 1.0, delta=1e-9)
                self.assertAlmostEqual(stats.t_quantile(p, df) / t, 1.0, delta=1e-9)
                # symmetric: the lower quantile is the negated upper one
                self.assertAlmostEqual(stats.t_quantile_builtin(1 - p, df), -t, delta=1e-8)

    def test_large_df_tends_to_normal(self):
        # t_{0.975}(df) - z_{0.975} ~ z (1 + z^2) / (4 df) = 2.4e-7 at df = 1e7.
        self.assertAlmostEqual(stats.t_quantile_builtin(0.975, 1e7), 1.959963984540054,
                               delta=1e-6)

    def test_cdf_inverts_quantile(self):
        for p, df, _ in T_TABLE:
            self.assertAlmostEqual(stats.t_cdf(stats.t_quantile_builtin(p, df), df), p, delta=1e-12)
        self.assertEqual(stats.t_quantile_builtin(0.5, 3), 0.0)

    def test_bad_arguments(self):
        for p, df in ((0.0, 3), (1.0, 3), (0.9, 0)):
            with self.assertRaises(ValueError):
                stats.t_quantile_builtin(p, df)


class IntervalTest(unittest.TestCase):
    def test_known_sample(self):
        # 1..5: mean 3, s = sqrt(2.5), half-width t_{0.975,4} s / sqrt(5) = 1.9632... exactly.
        iv = stats.mean_ci([1, 2, 3, 4, 5])
        half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)
        self.assertEqual(iv.mean, 3.0)
        self.assertAlmostEqual(iv.half_width, half, delta=1e-9)
        self.assertAlmostEqual(iv.low, 3.0 - half, delta=1e-9)
        self.assertAlmostEqual(iv.high, 3.0 + half, delta=1e-9)
        self.assertEqual(iv.n, 5)
        self.assertTrue(iv.excludes(0.0))
        self.assertFalse(iv.excludes(3.0))

    def test_confidence_level(self):
        # 90% with n = 11: t_{0.95,10} = 1.8124611228; s of 0..10 = sqrt(11).
        iv = stats.mean_ci(range(11), confidence=0.90)
        self.assertAlmostEqual(iv.half_width, 1.8124611228107335 * math.sqrt(11) / math.sqrt(11),
                               delta=1e-9)

    def test_single_value_has_no_interval(self):
        iv = stats.mean_ci([4.0])
        self.assertEqual(iv.mean, 4.0)
        self.assertTrue(math.isnan(iv.half_width))
        with self.assertRaises(ValueError):
            stats.mean_ci([])
        with self.assertRaises(ValueError):
            stats.mean_ci([1.0, float("nan")])

    def test_paired_difference(self):
        baseline = [10.0, 20.0, 30.0]
        treatment = [10.1, 20.2, 30.3]
        # differences 0.1, 0.2, 0.3: mean 0.2, s = 0.1, half-width t_{0.975,2} 0.1 / sqrt(3)
        iv = stats.paired_difference_ci(treatment, baseline)
        self.assertAlmostEqual(iv.mean, 0.2, delta=1e-12)
        self.assertAlmostEqual(iv.half_width, 4.302652729749464 * 0.1 / math.sqrt(3), delta=1e-9)
        same = stats.paired_difference_ci(baseline, baseline)
        self.assertEqual((same.mean, same.half_width), (0.0, 0.0))
        with self.assertRaises(ValueError):
            stats.paired_difference_ci([1.0], [1.0, 2.0])

    def test_summarize_replications(self):
        import pandas as pd

        df = pd.DataFrame({"k": ["a", "a", "a", "b", "b"], "m": [1.0, 2.0, 3.0, 5.0, 5.0]})
        out = stats.summarize_replications(df, ["k"], ["m"]).set_index("k")
        self.assertEqual(list(out.index), ["a", "b"])
        self.assertAlmostEqual(out.loc["a", "half_width"], 4.302652729749464 / math.sqrt(3),
                               delta=1e-9)
        self.assertEqual(out.loc["b", "half_width"], 0.0)
        self.assertEqual(out.loc["a", "replications"], 3)


if __name__ == "__main__":
    unittest.main()
