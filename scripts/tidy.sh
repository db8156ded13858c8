#!/usr/bin/env bash
# clang-tidy (.clang-tidy: bug-prone patterns, performance, naming, functions over 80 lines) on
# the sources under sim/ changed since a base commit, with the release build's
# compile_commands.json. Any warning fails.
#
#   scripts/tidy.sh [BASE]    BASE defaults to the commit in .ci/tidy-base, the last landing, so
#                             CI checks everything the submission changed
#
# A changed header is checked through the .cpp files that include it (HeaderFilterRegex: sim/).
# Needs scripts/build.sh release first.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-$(cat .ci/tidy-base)}"
db=build/release/compile_commands.json
if [ ! -f "$db" ]; then
  echo "tidy: $db is missing; run scripts/build.sh release first" >&2
  exit 2
fi
if ! command -v clang-tidy >/dev/null; then  # CI's machines have it; install it if not
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang-tidy
fi
if git cat-file -e "$base^{commit}" 2>/dev/null; then
  mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" -- 'sim/*.cpp' 'sim/*.hpp')
else  # a shallow clone: check every source rather than none
  echo "tidy: base commit $base is not in this clone; checking every source under sim/"
  mapfile -t changed < <(git ls-files -- 'sim/*.cpp')
fi
declare -A files=()
for f in "${changed[@]}"; do
  case "$f" in
    *.cpp) files["$f"]=1 ;;
    *.hpp)
      # every .cpp under sim/ that includes this header
      while IFS= read -r user; do files["$user"]=1; done < <(grep -rl --include='*.cpp' \
        -F "#include \"$f\"" sim || true)
      ;;
  esac
done
if [ ${#files[@]} -eq 0 ]; then
  echo "tidy: no source under sim/ changed since $base"
  exit 0
fi

echo "tidy: ${#files[@]} files changed since ${base:0:12}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# GCC-only flags in the compile commands are not clang's business.
printf '%s\n' "${!files[@]}" | sort | xargs -P "$(nproc)" -n 4 clang-tidy -p build/release \
  --quiet --warnings-as-errors='*' \
  --extra-arg=-Wno-unknown-warning-option --extra-arg=-Wno-ignored-optimization-argument \
  >"$log" 2>&1 || status=$?
if [ "${status:-0}" -ne 0 ]; then
  grep -E "(warning|error):" "$log" | sort -u
  echo "tidy: failed (see the warnings above)"
  exit 1
fi
echo "tidy: clean"
