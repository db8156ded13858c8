"""Confidence intervals over independent replications.

The mean of R replications with Student's t interval on R - 1 degrees of freedom, and the paired
difference interval used with common random numbers (replication r of both alternatives saw the
same arrivals and demands, so the per-replication differences are what is averaged). These are
the intervals lbsim's C++ side writes to compare.csv and whatif.csv.

The t quantile comes from scipy.stats when Debian's python3-scipy is installed, else from
t_quantile_builtin(): the Student t CDF through the regularised incomplete beta function
(continued fraction, Numerical Recipes 3rd ed. section 6.4) inverted by bisection.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

try:  # optional: the builtin quantile is exact to ~1e-12 too, scipy is only preferred
    from scipy import stats as _scipy_stats
except ImportError:  # pragma: no cover - depends on the machine
    _scipy_stats = None


@dataclasses.dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval; half_width is NaN with fewer than 2 values."""

    mean: float
    low: float
    high: float
    half_width: float
    n: int
    confidence: float

    def excludes(self, value: float = 0.0) -> bool:
        """True when the interval lies strictly on one side of value."""
        return bool(self.low > value or self.high < value)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function, modified Lentz (NR 6.4, betacf)."""
    tiny = 1e-300
    eps = 1e-16
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < tiny:
        d = tiny
    d = 1.0 / d
    h = d
    for m in range(1, 10000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1.0 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1.0 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            return h
    raise ArithmeticError(f"incomplete beta: no convergence for a={a}, b={b}, x={x}")


def regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) for a, b > 0 and 0 <= x <= 1 (NR 6.4, betai)."""
    if not (a > 0 and b > 0):
        raise ValueError("incomplete beta needs a > 0 and b > 0")
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
                 + b * math.log1p(-x))
    # The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry
    # I_x(a, b) = 1 - I_{1-x}(b, a) on the other side.
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with df > 0 degrees of freedom."""
    if df <= 0:
        raise ValueError("t distribution needs df > 0")
    tail = 0.5 * regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile_builtin(p: float, df: float) -> float:
    """The p quantile of Student's t with df degrees of freedom, without scipy.

    Solves 0.5 * I_x(df/2, 1/2) = min(p, 1-p) for x = df / (df + t^2) by bisection on x, where
    I is monotone; 200 halvings of [0, 1] reach the spacing of doubles, so the result is as
    exact as the incomplete beta: within 1e-9 relative (checked against closed forms for df 1
    and 2 and against published tables in tests/analysis/test_stats.py).
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"quantile needs 0 < p < 1, got {p}")
    if df <= 0:
        raise ValueError(f"t distribution needs df > 0, got {df}")
    if p == 0.5:
        return 0.0
    tail = min(p, 1.0 - p)
    lo, hi = 0.0, 1.0  # I_x rises from 0 at x=0 to 1 at x=1: find 0.5 * I_x = tail
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if 0.5 * regularized_incomplete_beta(df / 2.0, 0.5, mid) < tail:
            lo = mid
        else:
            hi = mid
    x = 0.5 * (lo + hi)
    t = math.sqrt(df * (1.0 - x) / x)
    return t if p > 0.5 else -t


def t_quantile(p: float, df: float) -> float:
    """The p quantile of Student's t: scipy.stats.t.ppf when scipy is there, else the builtin."""
    if _scipy_stats is not None:
        return float(_scipy_stats.t.ppf(p, df))
    return t_quantile_builtin(p, df)


def mean_ci(values: Iterable[float], confidence: float = 0.95) -> Interval:
    """Mean of independent replications with the Student t interval on n - 1 degrees of freedom:
    mean +- t_{(1+confidence)/2, n-1} * s / sqrt(n). NaN values are an error (a missing metric
    must not silently shrink n)."""
    x = np.asarray(list(values), dtype=float)
    if x.size == 0:
        raise ValueError("mean_ci needs at least one value")
    if np.isnan(x).any():
        raise ValueError("mean_ci: NaN among the values")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    mean = float(np.mean(x))
    n = int(x.size)
    if n < 2:
        return Interval(mean, math.nan, math.nan, math.nan, n, confidence)
    s = float(np.std(x, ddof=1))
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * s / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, half, n, confidence)


def paired_difference_ci(treatment: Sequence[float], baseline: Sequence[float],
                         confidence: float = 0.95) -> Interval:
    """Interval of mean(treatment - baseline) from per-replication differences (common random
    numbers pair replication r of both). Same sign convention as lbsim's diff_* columns."""
    a = np.asarray(list(treatment), dtype=float)
    b = np.asarray(list(baseline), dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired difference needs as many values on both sides ({a.size} vs {b.size})")
    return mean_ci(a - b, confidence)


def summarize_replications(df: pd.DataFrame, by: Sequence[str], metrics: Sequence[str],
                           confidence: float = 0.95) -> pd.DataFrame:
    """A tidy table (a row per group and metric: by..., metric, mean, ci_low, ci_high,
    half_width, replications) from a row-per-replication table such as sweep.csv."""
    rows = []
    grouper = by[0] if len(by) == 1 else list(by)  # a 1-list grouper warns in pandas 1.5
    for key, group in df.groupby(grouper, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for metric in metrics:
            iv = mean_ci(group[metric].to_numpy(dtype=float), confidence)
            rows.append(dict(zip(by, key), metric=metric, mean=iv.mean, ci_low=iv.low,
                             ci_high=iv.high, half_width=iv.half_width, replications=iv.n))
    return pd.DataFrame(rows, columns=list(by) + ["metric", "mean", "ci_low", "ci_high",
                                                  "half_width", "replications"])


def scipy_available() -> bool:
    return _scipy_stats is not None


__all__ = [
    "Interval", "mean_ci", "paired_difference_ci", "regularized_incomplete_beta",
    "scipy_available", "summarize_replications", "t_cdf", "t_quantile", "t_quantile_builtin",
]
