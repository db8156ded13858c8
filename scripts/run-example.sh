#!/usr/bin/env bash
# The main job from a fresh clone: install, build (release), run the shipped example scenario,
# print its summary and name its run directory.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh release
./build/release/sim/cli/lbsim run scenarios/example.yaml --out runs/example --force
