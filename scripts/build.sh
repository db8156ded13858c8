#!/usr/bin/env bash
# Installs the dependencies (idempotent) and builds one CMake preset: release (default), debug,
# or asan. usage: scripts/build.sh [PRESET]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
bash scripts/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
