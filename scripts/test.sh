#!/usr/bin/env bash
# Every test from a fresh clone: install, build the preset (release by default), run the whole
# suite with ctest. usage: scripts/test.sh [PRESET] [extra ctest args...]
# The asan preset runs the long statistical tests shortened (LBSIM_TEST_SCALE=0.1, set by its
# test preset).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
bash scripts/build.sh "$preset"
ctest --preset "$preset" "$@"
