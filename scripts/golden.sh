#!/usr/bin/env bash
# Golden outputs: every output of a fixed set of runs at fixed seeds, so that a change meant to
# preserve behaviour (a refactor, an optimisation) can show its outputs byte-identical.
#
#   scripts/golden.sh record DIR      run the set with the built binary and write every output
#                                     into DIR (replaced), plus DIR/MANIFEST.sha256
#   scripts/golden.sh compare A B     exit 0 when A and B hold identical files, else list them
#
# The binary is $LBSIM, default build/release/sim/cli/lbsim. What is not a function of the seed
# is removed before recording: summary.json's engine timings (wall_s, events_per_s,
# requests_per_s), run.json's started_at, lbsim_version, command and name, stdout lines that print
# timings or the output path. Reports are left out
# (--no-report): they are drawn by Python from these very files.
#
# The set: every shipped scenario (run), the feature scenarios of tests/golden/scenarios (run),
# a replay with every what-if (weight_cascade and the default postmortem), compare, sweep,
# check and capacity on the example fleet and on weight_cascade.
set -euo pipefail
cd "$(dirname "$0")/.."
lbsim="${LBSIM:-build/release/sim/cli/lbsim}"

normalise_json() {  # drop the wall-clock fields of summary.json's engine block, in place
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    text = f.read()
doc = json.loads(text)
engine = doc.get("engine")
if isinstance(engine, dict):
    for key in ("wall_s", "events_per_s", "requests_per_s"):
        engine.pop(key, None)
with open(path, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
PY
}

normalise_stdout() {  # stdin -> stdout without timings and paths
  grep -v -E '^  engine |^(run|output) directory: ' || true
}

record() {
  local out="$1"
  [ -x "$lbsim" ] || { echo "golden: no binary at $lbsim (scripts/build.sh release)" >&2; exit 2; }
  rm -rf "$out"
  mkdir -p "$out"
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN

  local runs=()
  for f in scenarios/*.yaml scenarios/postmortems/*.yaml tests/golden/scenarios/*.yaml; do
    runs+=("$f")
  done
  for f in "${runs[@]}"; do
    local name
    name="run-$(basename "$f" .yaml)"
    "$lbsim" run "$f" --out "$work/$name" --force | normalise_stdout >"$work/$name.stdout"
  done
  # Overrides and replications change every stream.
  "$lbsim" run scenarios/retry_storm.yaml --set client.retries.budget=20% --replication 2 \
    --out "$work/run-retry_storm-budget" --force | normalise_stdout >"$work/run-retry_storm-budget.stdout"
  "$lbsim" run scenarios/example.yaml --seed 99 --set balancer.strategy=least_request \
    --set balancer.instances=4 --set duration=3m --out "$work/run-example-lr" --force \
    | normalise_stdout >"$work/run-example-lr.stdout"

  "$lbsim" replay scenarios/weight_cascade.yaml --what-if all --replications 3 --threads 2 \
    --no-report --out "$work/replay-weight_cascade" --force \
    | normalise_stdout >"$work/replay-weight_cascade.stdout"
  "$lbsim" replay scenarios/postmortems/2024-05-05_messaging.yaml --what-if all \
    --replications 2 --threads 2 --no-report --out "$work/replay-2024-05-05" --force \
    | normalise_stdout >"$work/replay-2024-05-05.stdout"
  "$lbsim" compare scenarios/example.yaml --set duration=2m \
    --strategies round_robin,random,least_request,least_request:choices=3,weighted_round_robin:mode=edf,peak_ewma,jsq \
    --replications 3 --threads 2 --no-report --out "$work/compare-example" --force \
    | normalise_stdout >"$work/compare-example.stdout"
  "$lbsim" sweep scenarios/example.yaml --set duration=1m --grid workload.rate=2400/s,3600/s \
    --grid balancer.strategy=random,least_request --replications 2 --threads 2 \
    --out "$work/sweep-example" --force | normalise_stdout >"$work/sweep-example.stdout"
  local status=0
  "$lbsim" check scenarios/weight_cascade.yaml --change lb_change --slo "p99<300ms,errors<0.1%" \
    --duration 3m --threads 2 | normalise_stdout >"$work/check-weight_cascade.stdout" || status=$?
  echo "exit $status" >>"$work/check-weight_cascade.stdout"
  status=0
  "$lbsim" check scenarios/postmortems/2024-05-05_messaging.yaml --change lb_change \
    --slo "p99<500ms,errors<1%" --duration 5m --threads 2 \
    | normalise_stdout >"$work/check-2024-05-05.stdout" || status=$?
  echo "exit $status" >>"$work/check-2024-05-05.stdout"
  "$lbsim" capacity scenarios/example.yaml --slo "p99<100ms,errors<0.1%" --load 1x,2x \
    --duration 1m --replications 2 --threads 2 --quiet --out "$work/capacity-example" --force
  "$lbsim" validate scenarios/postmortems/2024-05-30_web_service.yaml \
    | normalise_stdout >"$work/validate-2024-05-30.stdout"

  find "$work" -name summary.json -print0 | while IFS= read -r -d '' j; do normalise_json "$j"; done
  # run.json's wall clock, version and command line (which names the scratch directory) are not
  # a function of the seed; its overrides, seed and scenario hash are kept.
  find "$work" -name run.json -print0 | while IFS= read -r -d '' j; do
    /usr/bin/python3 - "$j" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    doc = json.load(f)
for key in ("started_at", "lbsim_version", "command", "name"):
    doc.pop(key, None)
with open(path, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
PY
  done
  cp -r "$work"/. "$out"/
  (cd "$out" && find . -type f ! -name MANIFEST.sha256 | LC_ALL=C sort | xargs sha256sum) \
    >"$out/MANIFEST.sha256"
  echo "golden: $(wc -l <"$out/MANIFEST.sha256") files in $out"
}

compare() {
  local a="$1" b="$2"
  if diff -r -q "$a" "$b" >/dev/null; then
    echo "golden: identical ($(find "$a" -type f | wc -l) files)"
    return 0
  fi
  echo "golden: outputs differ:" >&2
  diff -r -q "$a" "$b" >&2 || true
  return 1
}

case "${1:-}" in
  record) [ $# -eq 2 ] || { echo "usage: $0 record DIR" >&2; exit 2; }; record "$2" ;;
  compare) [ $# -eq 3 ] || { echo "usage: $0 compare A B" >&2; exit 2; }; compare "$2" "$3" ;;
  *) echo "usage: $0 record DIR | compare A B" >&2; exit 2 ;;
esac
