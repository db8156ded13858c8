"""Small output directories made by the lbsim binary, built once per test process.

The binary's path comes from LBSIM_BINARY (ctest sets it); without it the tests fail with a
message rather than skip. Every directory is written under one temporary directory removed at
exit.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A fleet of 4 servers at utilisation 0.5 on a wall clock in +05:30 that crosses midnight: a
# weight change at 23:59 sends ~97% of the traffic to web-0 (it needs ~3.9 workers of 2: a full
# queue and queue_full errors), a note at 00:00 the next day, a rollback at 00:01, an error
# alert; two what-ifs for the replay.
TINY_INCIDENT_YAML = """\
name: tiny_incident
seed: 3
duration: 210s
warmup: 10s
window: 5s
clock: {start: "2024-05-05 23:58", zone: "+05:30"}
workload:
  rate: 400/s
  users: 500
  service: {dist: exponential, mean: 10ms}
client:
  timeout: 1s
balancer:
  strategy: weighted_round_robin
servers:
  - {group: web, count: 4, workers: 2, queue_limit: 20}
timeline:
  - {at: "23:59", action: set_weight, name: lb_change, weights: {web-0: 10, web-1: 0.1, web-2: 0.1, web-3: 0.1}}
  - {at: "00:00", action: note, text: "on-call paged; a long note that the table shows in full"}
  - {at: "00:01", action: rollback, to_before: lb_change}
alerts:
  - {name: errors, metric: error_rate, above: 1%}
incident:
  slo: 99.9%
what_ifs:
  - {name: pre_rollout_check, text: the change blocked, skip: [lb_change]}
  - {name: least_request, set: ["balancer.strategy=least_request"]}
"""

# 8 servers of one worker at utilisation 0.5, no clock: web-1 killed at 20 s and started at
# 70 s (down, never idle); web-0's weight 6 from 30 s overloads it, and outlier detection ejects
# it over and over until the rollback at 80 s (out of rotation while up); an alert on each
# kind of panel: failure-aware p99 (latency), servers_down (servers), traffic_imbalance (a
# panel of its own), utilization_max (another), healthy_fraction (no timeseries.csv column).
FLEET_INCIDENT_YAML = """\
name: fleet_incident
seed: 7
duration: 100s
warmup: 0s
window: 5s
workload:
  rate: 400/s
  users: 2000
  service: {dist: exponential, mean: 10ms}
client:
  timeout: 1s
balancer:
  strategy: weighted_round_robin
  health_check: {interval: 1s, timeout: 500ms, fall: 2, rise: 2}
  outlier_detection: {consecutive_errors: 5, base_ejection: 10s, max_ejection_percent: 50%,
                      successful_active_health_check_uneject_host: false}
servers:
  - {group: web, count: 8, workers: 1, queue_limit: 10}
timeline:
  - {at: 20s, action: kill, servers: web-1}
  - {at: 30s, action: set_weight, name: heavy, weights: {web-0: 6}}
  - {at: 60s, action: note, text: "paged"}
  - {at: 70s, action: start, servers: web-1}
  - {at: 80s, action: rollback, to_before: heavy}
alerts:
  - {name: p99_slow, metric: p99, above: 50ms}
  - {name: down, metric: servers_down, above: 0}
  - {name: skew, metric: traffic_imbalance, above: 1.5}
  - {name: hot, metric: utilization_max, above: 90%}
  - {name: in_rotation, metric: healthy_fraction, below: 80%}
incident:
  slo: 99.9%
"""

SHORT = ["--set", "duration=20s", "--set", "warmup=5s", "--set", "window=5s"]


def binary() -> Path:
    value = os.environ.get("LBSIM_BINARY")
    if not value:
        raise RuntimeError("LBSIM_BINARY is not set: point it at the built lbsim binary, e.g. "
                           "LBSIM_BINARY=build/release/sim/cli/lbsim /usr/bin/python3 -m unittest "
                           "discover -s tests/analysis -t .")
    path = Path(value)
    if not path.is_file():
        raise RuntimeError(f"LBSIM_BINARY={value}: no such file")
    return path


@functools.lru_cache(maxsize=None)
def _workdir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="lbsim-analysis-test-"))
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d


def _lbsim(*args: str) -> None:
    result = subprocess.run([str(binary()), *args, "--quiet"], capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"lbsim {' '.join(args)} failed ({result.returncode}): {result.stderr}")


@functools.lru_cache(maxsize=None)
def tiny_scenario() -> Path:
    path = _workdir() / "tiny_incident.yaml"
    path.write_text(TINY_INCIDENT_YAML, encoding="utf-8")
    return path


@functools.lru_cache(maxsize=None)
def replay_dir() -> Path:
    """lbsim replay of the tiny incident with both what-ifs, 2 replications."""
    out = _workdir() / "replay"
    # --no-report: the report tests write the report themselves, on a clean directory.
    _lbsim("replay", str(tiny_scenario()), "--what-if", "all", "-r", "2", "--no-report", "--out",
           str(out))
    return out


@functools.lru_cache(maxsize=None)
def fleet_run_dir() -> Path:
    """lbsim run of the fleet incident (FLEET_INCIDENT_YAML): 100 s, 8 servers, no clock."""
    scenario = _workdir() / "fleet_incident.yaml"
    scenario.write_text(FLEET_INCIDENT_YAML, encoding="utf-8")
    out = _workdir() / "fleet"
    _lbsim("run", str(scenario), "--out", str(out))
    return out


@functools.lru_cache(maxsize=None)
def example_run_dir() -> Path:
    """lbsim run of scenarios/example.yaml, 25 s: no clock, no timeline."""
    out = _workdir() / "example"
    _lbsim("run", str(REPO / "scenarios" / "example.yaml"), *SHORT, "--out", str(out))
    return out


@functools.lru_cache(maxsize=None)
def compare_dir() -> Path:
    out = _workdir() / "compare"
    _lbsim("compare", str(REPO / "scenarios" / "example.yaml"), "--strategies",
           "round_robin,random,least_request", "-r", "3", *SHORT, "--no-report", "--out",
           str(out))
    return out


@functools.lru_cache(maxsize=None)
def sweep_dir() -> Path:
    out = _workdir() / "sweep"
    _lbsim("sweep", str(REPO / "scenarios" / "example.yaml"), "--grid",
           "workload.rate=2400/s,2800/s,3200/s", "--grid",
           "balancer.strategy=round_robin,least_request", "-r", "2", *SHORT, "--out", str(out))
    return out


@functools.lru_cache(maxsize=None)
def capacity_dir() -> Path:
    out = _workdir() / "capacity"
    _lbsim("capacity", str(REPO / "scenarios" / "example.yaml"), "--slo",
           "p99<100ms,errors<0.1%", "--load", "1x,1.5x", "--duration", "20s", "-r", "2",
           "--set", "warmup=5s", "--set", "window=5s", "--out", str(out))
    return out


def copy_of(directory: Path, name: str) -> Path:
    """A fresh copy of an output directory, for tests that write or break files in it."""
    target = _workdir() / "copies" / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(directory, target)
    return target
