"""Analysis of lbsim's output: loaders, replication statistics, plots and an HTML report.

    from analysis import load_run, plots
    run = load_run("runs/weight_cascade-replay")
    plots.incident_timeline(run).savefig("timeline.png")

Command line: python3 -m analysis.report RUN_DIR writes RUN_DIR/report.html.
"""

from .load import (CapacityData, Clock, CompareData, RunData, SweepData, load_capacity,
                   load_compare, load_run, load_sweep, load_whatif, parse_load)

__all__ = [
    "CapacityData", "Clock", "CompareData", "RunData", "SweepData", "load_capacity",
    "load_compare", "load_run", "load_sweep", "load_whatif", "parse_load",
]
