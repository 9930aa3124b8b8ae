#!/usr/bin/env bash
# The learner's loop, measured per lesson (a measurement, not a test: the
# numbers depend on the machine and its load, which is printed beside them).
#
#   bench/loop.sh [NN ...]        default: every lesson
#
# For each lesson, once everything is built:
#   full   `just solution NN`: every check against correct code
#   edit   the solution's src/lib.rs touched, then `just solution NN`:
#          rebuild of the lesson crate included (what a save costs)
#   stub   `just check NN` on the untouched stub: a learner's first run
# each the median of 3 runs. Then, for lessons 02 and 03, the reference
# solution with tests/mutants/NN/spin-on-end-of-stream.patch applied (a server
# that spins at end of stream, a real first-week bug): the time of each of
# 3 runs and how many checks failed in each (they must agree).
# The solutions are restored on exit, even on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if [ $# -gt 0 ]; then
    lessons=("$@")
else
    lessons=($(ls lessons | cut -c1-2))
fi
dir_of() { ls -d solutions/"$1"-* | head -1; }

# ms COMMAND...: runs it, prints its wall time in milliseconds; its output goes to $out.
out=$(mktemp)
applied=()
restore() {
    for p in "${applied[@]}"; do
        patch --quiet --reverse --strip=1 --directory="${p%%|*}" --input="$PWD/${p##*|}" || true
    done
    rm -f "$out"
}
trap restore EXIT
ms() {
    local start end
    start=$(date +%s%N)
    "$@" >"$out" 2>&1 || true
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f s", ms / 1000 }'; }
failing() { grep -oE '[0-9]+/[0-9]+ *$' "$out" | tail -1 || true; }

echo "bench/loop.sh on $(nproc) cores, $(date -u +%H:%M) UTC, load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
printf '%-8s %10s %10s %10s\n' lesson full edit stub
for n in "${lessons[@]}"; do
    sol=$(dir_of "$n")
    just solution "$n" >/dev/null 2>&1 || true # build
    just check "$n" >/dev/null 2>&1 || true    # build
    full=() edit=() stub=()
    for _ in 1 2 3; do full+=("$(ms just solution "$n")"); done
    for _ in 1 2 3; do
        touch "$sol/src/lib.rs"
        edit+=("$(ms just solution "$n")")
    done
    for _ in 1 2 3; do stub+=("$(ms just check "$n")"); done
    printf '%-8s %10s %10s %10s\n' "$n" "$(secs "$(median "${full[@]}")")" \
        "$(secs "$(median "${edit[@]}")")" "$(secs "$(median "${stub[@]}")")"
done

for n in 02 03; do
    [[ " ${lessons[*]} " == *" $n "* ]] || continue
    patchfile="tests/mutants/$n/spin-on-end-of-stream.patch"
    [ -f "$patchfile" ] || continue
    sol=$(dir_of "$n")
    patch --quiet --strip=1 --directory="$sol" --input="$PWD/$patchfile"
    applied+=("$sol|$patchfile")
    just solution "$n" >/dev/null 2>&1 || true # build
    line="spinning server, lesson $n:"
    for _ in 1 2 3; do
        t=$(ms just solution "$n")
        line="$line $(secs "$t") ($(failing) passed)"
    done
    echo "$line"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
