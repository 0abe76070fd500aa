# Issue 14's per-login targets, sourced by bench/run.sh --targets (after the build, the users
# and the keyinitd anchor account; uses run.sh's start_daemon, stop_daemon, $KBENCH, $WORK).
# Writes $OUT/targets.md (the table docs/benchmarks.md records), $OUT/targets.tsv (kbench's rows)
# and $OUT/targets-extra.tsv (start, keyinitctl, RSS).
#
# Sizes: T_ROUNDS interleaved rounds of T_SESSIONS logins per worker per mode; YOUNG_N logins
# right after start; SOAK_TO logins in all before RSS is read; T_START_RUNS starts per flag set.
: "${T_ROUNDS:=3}" "${T_SESSIONS:=300}" "${YOUNG_N:=5000}" "${SOAK_TO:=100000}" "${T_START_RUNS:=5}"
: "${CTL_RUNS:=7}"

T_MD=$OUT/targets.md T_TSV=$OUT/targets.tsv T_EXTRA=$OUT/targets-extra.tsv
: > "$T_TSV"; : > "$T_EXTRA"
# The packaged launchers' JVM flags, as they run the daemon.
PKG_FLAGS="$(grep -v '^#' "$ROOT/packaging/src/deb/jvm-flags" | tr '\n' ' ')"  # the launchers' flags
[[ $PKG_FLAGS == *Xmx* ]] || { echo "targets: cannot read the JVM flags from packaging/src/deb/jvm-flags" >&2; exit 1; }
CDS_QUIET="-Xlog:cds=off -Xlog:cds+dynamic=off"
JSA=$WORK/keyinitd.jsa CTL_JSA=$WORK/keyinitctl.jsa

tee_md() { tee -a "$T_MD"; }
ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
# utime+stime ticks per thread name of pid $1 (conn-N summed as conn-*)
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do
    awk -v n="$(cat "$t/comm" 2>/dev/null)" '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); sub(/-[0-9]+$/, "-*", n); print n "\t" f[12] + f[13] }' "$t/stat" 2>/dev/null
  done | awk -F'\t' '{ a[$1] += $2 } END { for (k in a) print k "\t" a[k] }' | sort
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

{
  echo "# keyinitd per-login targets (issue 14), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); kernel $(uname -r); $(java -version 2>&1 | head -1)"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- daemon flags (the packaged launcher's): \`$PKG_FLAGS\`"
  echo "- sizes: T_ROUNDS=$T_ROUNDS T_SESSIONS=$T_SESSIONS YOUNG_N=$YOUNG_N SOAK_TO=$SOAK_TO T_START_RUNS=$T_START_RUNS"
  echo "- session state on tmpfs; every login's caller is root on a private root-owned session keyring (classified foreign, replaced)"
} | tee "$T_MD"

PAMD=$WORK/pam.d
mkdir -p "$PAMD"
echo "session required pam_keyinit.so force revoke" > "$PAMD/kbench-keyinit"
echo "session required $WORK/pam_keyinitd.so force revoke socket=$WORK/keyinitd/keyinitd.sock on_error=fail" > "$PAMD/kbench-keyinitd"

# ---- AppCDS archive, as the packaged launcher makes it when postinst could not: the daemon's
# first start writes it at exit (-XX:ArchiveClassesAtExit), here after 200 logins.
log "targets: AppCDS archive (first start, written at exit)"
if java -jar "$WORK/keyinitd.jar" --help 2>&1 | grep -q -- --cds-training; then
  CDS_HOW="postinst's training run (\`--cds-training\`)"
  java $PKG_FLAGS -XX:ArchiveClassesAtExit="$JSA" $CDS_QUIET -jar "$WORK/keyinitd.jar" --cds-training "$WORK/cds-training" \
    > "$WORK/cds-training.log" 2>&1 || { cat "$WORK/cds-training.log" >&2; echo "targets: --cds-training failed" >&2; }
else
  CDS_HOW="first start (written at its exit, after 200 logins)"
  start_daemon keyinitd "$PKG_FLAGS -XX:ArchiveClassesAtExit=$JSA $CDS_QUIET"
  "$KBENCH" --confdir "$PAMD" --scenario cds --config "keyinitd=kbench-keyinitd@$DPID" --users kbench01 \
    --workers 1 --sessions 200 --rounds 1 --warmup 0 >/dev/null
  stop_daemon "$DPID"
fi
java -XX:ArchiveClassesAtExit="$CTL_JSA" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$WORK/keyinitd.jar" ctl cds-training \
  >/dev/null 2>&1 || true
echo "- AppCDS archive: $(du -k "$JSA" 2>/dev/null | cut -f1) KiB, made by the $CDS_HOW" | tee_md

# ---- start to ready
log "targets: start to ready, $T_START_RUNS runs each"
start_runs() {  # flags -> median ms, list
  local all=() i
  for i in $(seq "$T_START_RUNS"); do
    start_daemon keyinitd "$1"; all+=("$START_MS"); stop_daemon "$DPID"
  done
  printf '%s\t%s\n' "$(printf '%s\n' "${all[@]}" | median)" "${all[*]}"
}
IFS=$'\t' read -r START_NOCDS START_NOCDS_ALL < <(start_runs "$PKG_FLAGS")
IFS=$'\t' read -r START_CDS START_CDS_ALL < <(start_runs "$PKG_FLAGS -XX:SharedArchiveFile=$JSA -Xshare:auto $CDS_QUIET")
printf 'start\tno-cds\t%s\t%s\nstart\tcds\t%s\t%s\n' "$START_NOCDS" "$START_NOCDS_ALL" "$START_CDS" "$START_CDS_ALL" >> "$T_EXTRA"
echo "- start to ready (exec to the \"ready on\" line), median of $T_START_RUNS: without AppCDS $START_NOCDS ms ($START_NOCDS_ALL); with $START_CDS ms ($START_CDS_ALL)" | tee_md

# ---- the young daemon: the first YOUNG_N logins after start, fresh processes, 1 worker
log "targets: young daemon, first $YOUNG_N logins"
start_daemon keyinitd "$PKG_FLAGS -XX:SharedArchiveFile=$JSA -Xshare:auto $CDS_QUIET"
PID_D=$DPID
RSS_READY=$(rss_mib "$PID_D")
{ echo; echo "## Young daemon: its first $YOUNG_N logins (fresh processes, 1 worker)"; } | tee_md
"$KBENCH" --confdir "$PAMD" --scenario young --fresh --config "keyinitd=kbench-keyinitd@$PID_D" --users "$LOAD_USERS_CSV" \
  --workers 1 --sessions "$YOUNG_N" --rounds 1 --warmup 0 --tsv "$T_TSV" | tee_md
DONE=$YOUNG_N

# ---- warm: keyinitd against pam_keyinit, interleaved rounds, both modes, 1 and 8 workers
for mode in fresh loop; do
  log "targets: $mode mode, $T_ROUNDS rounds"
  { echo; echo "## Warm, $mode mode ($([[ $mode == fresh ]] && echo "each login in a fresh forked process" || echo "each worker process loops")): $T_ROUNDS interleaved rounds, $T_SESSIONS logins per worker per round"; } | tee_md
  "$KBENCH" --confdir "$PAMD" --scenario "$mode" $([[ $mode == fresh ]] && echo --fresh) \
    --config keyinit=kbench-keyinit --config "keyinitd=kbench-keyinitd@$PID_D" --users "$LOAD_USERS_CSV" \
    --workers 1,8 --sessions "$T_SESSIONS" --rounds "$T_ROUNDS" --warmup 20 --tsv "$T_TSV" | tee_md
  DONE=$((DONE + T_ROUNDS * T_SESSIONS * 9 + 20 * 9))
done
echo "- load average after the warm runs: $(cut -d' ' -f1-3 /proc/loadavg)" | tee_md

# ---- the warm daemon's cost per login, precisely: task-clock (ns, all threads) and context
# switches over PERF_N loop-mode logins (1 worker), then syscalls per login (strace -c -f)
: "${PERF_N:=2000}" "${STRACE_N:=300}"
log "targets: perf stat over $PERF_N logins, strace -c over $STRACE_N"
if command -v perf >/dev/null; then
  perf stat -x, -e task-clock,context-switches -p "$PID_D" -o "$WORK/perf.txt" &
  PERF=$!
  sleep 0.5
  thread_ticks "$PID_D" > "$WORK/threads-before"
  "$KBENCH" --confdir "$PAMD" --scenario perf --config "keyinitd=kbench-keyinitd" --users "$LOAD_USERS_CSV" \
    --workers 1 --sessions "$PERF_N" --rounds 1 --warmup 0 >/dev/null
  kill -INT "$PERF"; wait "$PERF" 2>/dev/null || true
  thread_ticks "$PID_D" > "$WORK/threads-after"
  THREADS_US=$(join -t$'\t' -a2 -e0 -o 0,1.2,2.2 "$WORK/threads-before" "$WORK/threads-after" |
    awk -F'\t' -v n="$PERF_N" -v hz="$(getconf CLK_TCK)" '$3 > $2 { printf "%s %.0f µs; ", $1, ($3 - $2) * 1e6 / hz / n }')
  PERF_US=$(awk -F, -v n="$PERF_N" '$3 == "task-clock" { printf "%.0f", $1 * 1000 / n }' "$WORK/perf.txt")
  PERF_CS=$(awk -F, -v n="$PERF_N" '$3 == "context-switches" { printf "%.1f", $1 / n }' "$WORK/perf.txt")
  DONE=$((DONE + PERF_N))
fi
if command -v strace >/dev/null; then
  timeout 120 strace -f -c -p "$PID_D" -o "$WORK/strace-c.txt" 2>/dev/null &
  ST=$!
  sleep 1
  "$KBENCH" --confdir "$PAMD" --scenario strace --config "keyinitd=kbench-keyinitd" --users "$LOAD_USERS_CSV" \
    --workers 1 --sessions "$STRACE_N" --rounds 1 --warmup 0 >/dev/null
  kill -INT "$ST"; wait "$ST" 2>/dev/null || true
  cp "$WORK/strace-c.txt" "$OUT/strace-c.txt"
  SYS_N=$(awk -v n="$STRACE_N" '$NF == "total" { printf "%.0f", $4 / n }' "$WORK/strace-c.txt")
  FUTEX_N=$(awk -v n="$STRACE_N" '$NF == "futex" { printf "%.0f", $4 / n }' "$WORK/strace-c.txt")
  DONE=$((DONE + STRACE_N))
fi
printf 'perf\t%s\t%s\t%s\t%s\n' "${PERF_US:-}" "${PERF_CS:-}" "${SYS_N:-}" "${FUTEX_N:-}" >> "$T_EXTRA"
echo "- warm daemon, loop mode, 1 worker: task-clock ${PERF_US:-?} µs per login, ${PERF_CS:-?} context switches per login (perf stat, $PERF_N logins); ${SYS_N:-?} syscalls per login of which ${FUTEX_N:-?} futex (strace -c -f, $STRACE_N logins: $OUT/strace-c.txt); by thread: ${THREADS_US:-?}" | tee_md

# ---- keyinitctl status, as bin/keyinitctl runs it (its own AppCDS archive, as postinst makes)
log "targets: keyinitctl status, $CTL_RUNS runs"
CTL_ALL=()
for _ in $(seq "$CTL_RUNS"); do
  t0=$(date +%s%N)
  java -XX:SharedArchiveFile="$CTL_JSA" $CDS_QUIET -jar "$WORK/keyinitd.jar" ctl --socket "$WORK/keyinitd/keyinitd.sock" status >/dev/null
  CTL_ALL+=($(( ($(date +%s%N) - t0) / 1000000 )))
done
CTL_MS=$(printf '%s\n' "${CTL_ALL[@]}" | median)
printf 'ctl\tstatus\t%s\t%s\n' "$CTL_MS" "${CTL_ALL[*]}" >> "$T_EXTRA"

# ---- soak to SOAK_TO logins in all, then RSS
REST=$(( (SOAK_TO - DONE + 1) / 2 ))
if ((REST > 0)); then
  log "targets: soak, 2 workers x $REST logins (loop mode)"
  { echo; echo "## Soak to $SOAK_TO logins in all (loop mode, 2 workers)"; } | tee_md
  "$KBENCH" --confdir "$PAMD" --scenario soak --config "keyinitd=kbench-keyinitd@$PID_D" --users "$LOAD_USERS_CSV" \
    --workers 2 --sessions "$REST" --rounds 1 --warmup 0 --tsv "$T_TSV" | tee_md
  DONE=$((DONE + 2 * REST))
fi
RSS_END=$(rss_mib "$PID_D")
HWM_END=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$PID_D/status")
printf 'rss\tafter\t%s\t%s\t%s\n' "$DONE" "$RSS_END" "$HWM_END" >> "$T_EXTRA"
stop_daemon "$PID_D"

# ---- the table
col() {  # scenario config workers column-name
  awk -F'\t' -v s="$1" -v c="$2" -v w="$3" -v k="$4" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    $1 == s && $2 == c && $3 == w { print $h[k]; exit }' "$T_TSV"
}
met() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 <= b + 0) ? "met" : "**not met**" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 >= b + 0) ? "met" : "**not met**" }'; }
r2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
us() { awk -v a="$1" 'BEGIN { printf "%.0f", a * 1000 }'; }
{
  echo
  echo "## Targets"
  echo
  echo "| target | goal | measured | |"
  echo "|---|---|---|---|"
  for mode in fresh loop; do
    k50=$(col "$mode" keyinit 1 p50_ms) d50=$(col "$mode" keyinitd 1 p50_ms)
    k99=$(col "$mode" keyinit 1 p99_ms) d99=$(col "$mode" keyinitd 1 p99_ms)
    echo "| p50 per login, $mode, 1 worker | ≤ 1.5× pam_keyinit | $d50 ms vs $k50 ms = $(r2 "$d50" "$k50")× | $(met "$(r2 "$d50" "$k50")" 1.5) |"
    echo "| p99 per login, $mode, 1 worker | ≤ 3× pam_keyinit | $d99 ms vs $k99 ms = $(r2 "$d99" "$k99")× | $(met "$(r2 "$d99" "$k99")" 3) |"
    k8=$(col "$mode" keyinit 8 sessions_per_s) d8=$(col "$mode" keyinitd 8 sessions_per_s)
    echo "| logins/s, $mode, 8 workers | ≥ 0.7× pam_keyinit | $d8 vs $k8 = $(r2 "$d8" "$k8")× | $(ge "$(r2 "$d8" "$k8")" 0.7) |"
  done
  cw=$(us "$(col fresh keyinitd 1 daemon_cpu_ms_per_session)") cl=$(us "$(col loop keyinitd 1 daemon_cpu_ms_per_session)")
  cw8=$(us "$(col fresh keyinitd 8 daemon_cpu_ms_per_session)") cl8=$(us "$(col loop keyinitd 8 daemon_cpu_ms_per_session)")
  echo "| daemon CPU per login, warm | ≤ 150 µs | fresh $cw µs (8 workers $cw8), loop $cl µs (8 workers $cl8) | $(met "$cw" 150) |"
  cy=$(us "$(col young keyinitd 1 daemon_cpu_ms_per_session)")
  echo "| daemon CPU per login, first $YOUNG_N after start | ≤ 300 µs | $cy µs | $(met "$cy" 300) |"
  echo "| daemon RSS after $DONE logins, packaged flags | ≤ 64 MiB | $RSS_END MiB (peak $HWM_END; $RSS_READY at ready) | $(met "$RSS_END" 64) |"
  echo "| start to ready, AppCDS | ≤ 0.5 s | $START_CDS ms (without AppCDS $START_NOCDS ms) | $(met "$START_CDS" 500) |"
  echo "| \`keyinitctl status\` wall | ≤ 0.3 s | $CTL_MS ms (median of $CTL_RUNS) | $(met "$CTL_MS" 300) |"
  echo
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- CPU per login = utime+stime of the daemon (/proc/PID/stat, $(getconf CLK_TCK) ticks/s) over the phase / logins; latency = pam_start .. pam_end"
} | tee_md
log "targets: $T_MD"
