#!/usr/bin/env bash
# Fuzzes both wire decoders, SECONDS each (default 30), one after the other:
#   daemon  the daemon's frame decoder: Jazzer, daemon/src/test/java/org/keyinitd/fuzz/FrameDecoderFuzzTest.java
#   pam     the module's reply decoder: libFuzzer + ASan + UBSan, pam-shim/fuzz/reply_fuzz.c
#
#   scripts/fuzz.sh [SECONDS [daemon|pam|all]]
#
# Prints one summary line per fuzzer (executions, seconds, crashes) and exits 1 if either found
# anything (or could not run). Findings are kept as regression inputs, replayed by every build:
#   Jazzer writes its crash-* files straight into
#     daemon/src/test/resources/org/keyinitd/fuzz/FrameDecoderFuzzTestInputs/decodeFrame/
#     (run by `mvn verify`);
#   libFuzzer's are copied here into pam-shim/fuzz/regressions/ (run by `make -C pam-shim check`).
# Commit them together with the fix. The growing corpora stay between runs, untracked:
# daemon/.cifuzz-corpus/ and pam-shim/.cifuzz-corpus/. Logs: target/fuzz/.
#
# Needs what scripts/deps.sh installs (clang, libclang-rt-14-dev for libFuzzer) and Maven's
# dependencies already in ~/.m2 (the Jazzer run is offline): run scripts/test.sh or
# `mvn -B verify` once first.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: $0 [SECONDS [daemon|pam|all]]" >&2
  exit 2
}
secs=${1:-30}
which=${2:-all}
[[ $secs =~ ^[1-9][0-9]*$ ]] || usage
[[ $which == daemon || $which == pam || $which == all ]] || usage
(($# <= 2)) || usage

logs=target/fuzz
mkdir -p "$logs"
status=0
summaries=()

crashes() {
  if (($1 == 1)); then echo "1 crash"; else echo "$1 crashes"; fi
}

# The libFuzzer artifacts (findings) directly in DIR, sorted by name.
list_artifacts() {
  find "$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) \
    -printf '%f\n' 2>/dev/null | sort
}

run_daemon() {
  local inputs=daemon/src/test/resources/org/keyinitd/fuzz/FrameDecoderFuzzTestInputs/decodeFrame
  local log=$logs/jazzer.log before after new runs took rate what rc=0 start
  mkdir -p "$inputs"
  before=$(list_artifacts "$inputs")
  echo "fuzz.sh: daemon: Jazzer on FrameDecoderFuzzTest.decodeFrame for ${secs}s (log: $log)"
  start=$SECONDS
  JAZZER_FUZZ=1 JAZZER_INSTRUMENTATION_INCLUDES='org.keyinitd.**' JAZZER_MAX_DURATION="${secs}s" \
    mvn -B -q -ntp -o -Dstyle.color=never -pl daemon test -Dtest=FrameDecoderFuzzTest \
    -Dkeyinitd.unitTests.skip=true -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1 || rc=$?
  # Jazzer puts findings in the working directory when it cannot find the inputs directory
  # (it always should); keep them with the others.
  for f in daemon/crash-* daemon/timeout-* daemon/oom-* daemon/leak-*; do
    [[ -e $f ]] && mv -n "$f" "$inputs/"
  done
  after=$(list_artifacts "$inputs")
  new=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d')
  runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  took=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -1)
  rate=$(sed -n 's/.*exec\/s: \([0-9]*\).*/\1/p' "$log" | tail -1)
  local n_new=0
  [[ -n $new ]] && n_new=$(wc -l <<<"$new")
  local line="fuzz: daemon FrameDecoderFuzzTest (Jazzer): ${runs:-?} executions in ${took:-?} s (${rate:-?}/s), $(crashes "$n_new")"
  if ((n_new > 0)); then
    what=$(grep -m1 -o 'FuzzTestFindingException: .*' "$log" | sed 's/^FuzzTestFindingException: //' || true)
    line+=": $(sed "s|^|$inputs/|" <<<"$new" | paste -sd' ') (${what:-see $log})"
    status=1
  elif ((rc != 0)); then
    line+=", but the run failed (exit $rc, $((SECONDS - start)) s): see $log"
    tail -n 30 "$log" >&2
    status=1
  fi
  summaries+=("$line")
}

run_pam() {
  local work=pam-shim/.cifuzz-corpus/reply_fuzz art=$logs/reply_fuzz-artifacts log=$logs/reply_fuzz.log
  local runs took rate what rc=0 start new
  if ! command -v "${FUZZ_CC:-clang}" >/dev/null; then
    summaries+=("fuzz: pam-shim reply_fuzz (libFuzzer): not run: ${FUZZ_CC:-clang} is missing (scripts/deps.sh installs it)")
    status=1
    return
  fi
  if ! make -s -C pam-shim fuzz >"$log" 2>&1; then
    cat "$log" >&2
    summaries+=("fuzz: pam-shim reply_fuzz (libFuzzer): not run: make -C pam-shim fuzz failed")
    status=1
    return
  fi
  rm -rf "$art"
  mkdir -p "$work" "$art"
  echo "fuzz.sh: pam: libFuzzer on pam-shim/fuzz/reply_fuzz for ${secs}s (log: $log)"
  start=$SECONDS
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    pam-shim/fuzz/reply_fuzz -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
    -dict=pam-shim/fuzz/reply.dict -artifact_prefix="$art/" \
    "$work" pam-shim/fuzz/corpus pam-shim/fuzz/regressions >>"$log" 2>&1 || rc=$?
  took=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)/\1/p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\)/\1/p' "$log" | tail -1)
  new=$(list_artifacts "$art")
  local n_new=0 copied=()
  if [[ -n $new ]]; then
    n_new=$(wc -l <<<"$new")
    while read -r f; do
      cp -n "$art/$f" pam-shim/fuzz/regressions/
      copied+=("pam-shim/fuzz/regressions/$f")
    done <<<"$new"
  fi
  local line="fuzz: pam-shim reply_fuzz (libFuzzer): ${runs:-?} executions in ${took:-$((SECONDS - start))} s (${rate:-?}/s), $(crashes "$n_new")"
  if ((n_new > 0)); then
    what=$(grep -m1 -E 'invariant broken|ERROR: AddressSanitizer|runtime error|ERROR: libFuzzer' "$log" || true)
    line+=": ${copied[*]} (${what:-see $log})"
    status=1
  elif ((rc != 0)); then
    line+=", but the run failed (exit $rc): see $log"
    tail -n 30 "$log" >&2
    status=1
  fi
  summaries+=("$line")
}

[[ $which == pam ]] || run_daemon
[[ $which == daemon ]] || run_pam

printf '%s\n' "${summaries[@]}"
if ((status != 0)); then
  echo "fuzz.sh: FAILED. Reproduce a daemon finding with: mvn -pl daemon test -Dtest=FrameDecoderFuzzTest" \
    "(it now runs as a regression input); a pam-shim one with: make -C pam-shim check," \
    "or pam-shim/fuzz/reply_fuzz FILE" >&2
fi
exit "$status"
