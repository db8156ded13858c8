#!/usr/bin/env bash
# The main job from a fresh clone: install, build (release), then replay the default postmortem
# (2024-05-05, the messaging service) with its what-ifs, which prints the incident in a
# postmortem's terms and writes runs/postmortem/ with report.html; then a capacity review of the
# example fleet, with its report in runs/capacity/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release
lbsim=./build/release/sim/cli/lbsim
"$lbsim" replay scenarios/postmortems/2024-05-05_messaging.yaml --what-if all --replications 4 \
  --out runs/postmortem --force
"$lbsim" capacity scenarios/example.yaml --slo "p99<100ms,errors<0.1%" --load 1x,1.5x,2x \
  --duration 2m --out runs/capacity --force
"$lbsim" report runs/capacity
