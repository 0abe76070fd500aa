# The warm daemon's cost per login, by thread: sourced by bench/run.sh --profile (after the
# build and the users; uses run.sh's start_daemon, stop_daemon, $KBENCH, $WORK). One daemon with
# PROF_FLAGS (default: the packaged launchers', packaging/src/deb/jvm-flags), PROF_WARM loop-mode logins to warm it, then
# PROF_N measured logins (1 worker, loop mode): CPU per login of each thread (conn-N summed as
# conn-*), of the whole daemon, and the latency kbench reports. With PROF_JFR=FILE the measured
# phase is also recorded by JFR (settings=profile); bench/jfr-hotspots.awk summarizes it.
# PROF_CDS=1 first makes an AppCDS archive as the package does (a daemon's run writes it at exit)
# and starts the measured daemon with it, so RSS and CPU are the installed daemon's;
# PROF_CDS=static makes a static archive of the classes a run loaded instead.
# Writes $OUT/profile.md. It measures one lever against another; the targets are --targets.
: "${PROF_WARM:=5000}" "${PROF_N:=3000}" "${PROF_MODE:=loop}"
PKG_FLAGS="$(grep -v '^#' "$ROOT/packaging/src/deb/jvm-flags" | tr '\n' ' ')"  # the launchers' flags
: "${PROF_FLAGS:=$PKG_FLAGS}"
P_MD=$OUT/profile.md
PAMD=$WORK/pam.d
mkdir -p "$PAMD"
echo "session required $WORK/pam_keyinitd.so force revoke socket=$WORK/keyinitd/keyinitd.sock on_error=fail" > "$PAMD/kbench-keyinitd"

p_ticks() {  # utime+stime ticks per thread name of pid $1
  local t
  for t in /proc/"$1"/task/*; do
    awk -v n="$(cat "$t/comm" 2>/dev/null)" '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); sub(/-[0-9]+$/, "-*", n); print n "\t" f[12] + f[13] }' "$t/stat" 2>/dev/null
  done | awk -F'\t' '{ a[$1] += $2 } END { for (k in a) print k "\t" a[k] }' | sort
}
p_total() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }

if [[ ${PROF_CDS:-} == static ]]; then  # a static archive of just the classes a run loads
  start_daemon keyinitd "$PROF_FLAGS -XX:DumpLoadedClassList=$WORK/prof.classlist"
  "$KBENCH" --confdir "$PAMD" --scenario cds --config "keyinitd=kbench-keyinitd" --users "$LOAD_USERS_CSV" \
    --workers 1 --sessions 200 --rounds 1 --warmup 0 >/dev/null
  stop_daemon "$DPID"
  # shellcheck disable=SC2086
  java $PROF_FLAGS -Xshare:dump -XX:SharedClassListFile="$WORK/prof.classlist" -XX:SharedArchiveFile="$WORK/prof.jsa" \
    -cp "$WORK/keyinitd.jar" -Xlog:cds=off >/dev/null
  PROF_FLAGS="$PROF_FLAGS -XX:SharedArchiveFile=$WORK/prof.jsa -Xshare:auto"
elif [[ -n ${PROF_CDS:-} ]]; then
  start_daemon keyinitd "$PROF_FLAGS -XX:ArchiveClassesAtExit=$WORK/prof.jsa -Xlog:cds=off -Xlog:cds+dynamic=off"
  "$KBENCH" --confdir "$PAMD" --scenario cds --config "keyinitd=kbench-keyinitd" --users "$LOAD_USERS_CSV" \
    --workers 1 --sessions 200 --rounds 1 --warmup 0 >/dev/null
  stop_daemon "$DPID"
  PROF_FLAGS="$PROF_FLAGS -XX:SharedArchiveFile=$WORK/prof.jsa -Xshare:auto"
fi
log "profile: warm $PROF_WARM, measure $PROF_N ($PROF_MODE mode), flags: $PROF_FLAGS"
start_daemon keyinitd "$PROF_FLAGS"
PID_D=$DPID
fresh_opt=; [[ $PROF_MODE == fresh ]] && fresh_opt=--fresh
"$KBENCH" --confdir "$PAMD" --scenario warm $fresh_opt --config "keyinitd=kbench-keyinitd" --users "$LOAD_USERS_CSV" \
  --workers 1 --sessions "$PROF_WARM" --rounds 1 --warmup 0 >/dev/null
[[ -n ${PROF_JFR:-} ]] && jcmd "$PID_D" JFR.start name=prof settings=profile filename="$PROF_JFR" >/dev/null
p_ticks "$PID_D" > "$WORK/p-before"; T0=$(p_total "$PID_D")
[[ -n ${PROF_STRACE:-} ]] && { strace -f -c -p "$PID_D" -o "$OUT/strace-c.txt" 2>/dev/null & STP=$!; sleep 1; }
[[ -n ${PROF_PERF:-} ]] && { perf record -F 2000 -g -p "$PID_D" -o "$PROF_PERF" 2>/dev/null & PERFP=$!; sleep 0.3; }
"$KBENCH" --confdir "$PAMD" --scenario measured $fresh_opt --config "keyinitd=kbench-keyinitd" --users "$LOAD_USERS_CSV" \
  --workers 1 --sessions "$PROF_N" --rounds 1 --warmup 0 --tsv "$WORK/p.tsv" > "$WORK/p.out"
p_ticks "$PID_D" > "$WORK/p-after"; T1=$(p_total "$PID_D")
[[ -n ${PROF_STRACE:-} ]] && { kill -INT "$STP"; wait "$STP" || true; }
[[ -n ${PROF_PERF:-} ]] && { kill -INT "$PERFP"; wait "$PERFP" || true; jcmd "$PID_D" Compiler.perfmap >/dev/null || true; }
[[ -n ${PROF_JFR:-} ]] && jcmd "$PID_D" JFR.stop name=prof >/dev/null
HZ=$(getconf CLK_TCK)
{
  echo "# warm daemon, $PROF_MODE mode, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- flags: \`$PROF_FLAGS\`; warmed by $PROF_WARM logins, measured over $PROF_N"
  echo "- daemon CPU: $(awk -v a="$T0" -v b="$T1" -v n="$PROF_N" -v hz="$HZ" 'BEGIN { printf "%.0f", (b - a) * 1e6 / hz / n }') µs per login; RSS $(rss_mib "$PID_D") MiB"
  echo -n "- by thread (µs per login): "
  join -t$'\t' -a2 -e0 -o 0,1.2,2.2 "$WORK/p-before" "$WORK/p-after" |
    awk -F'\t' -v n="$PROF_N" -v hz="$HZ" '$3 > $2 { printf "%s %.0f; ", $1, ($3 - $2) * 1e6 / hz / n }'
  echo
  echo
  cat "$WORK/p.out"
} | tee "$P_MD"
# the daemon's own view: handler latency per op (from receiving a frame to its reply)
java -jar "$WORK/keyinitd.jar" ctl --socket "$WORK/keyinitd/keyinitd.sock" status 2>&1 | grep -A3 'latency' >> "$P_MD" || true
if [[ -n ${PROF_NMT:-} ]]; then  # the flags must include -XX:NativeMemoryTracking=summary
  jcmd "$PID_D" VM.native_memory summary > "$OUT/nmt.txt" || true
  pmap -x "$PID_D" | sort -k3 -n -r | head -40 > "$OUT/pmap.txt" || true
fi
stop_daemon "$PID_D"
cp "$WORK/keyinitd/daemon.log" "$OUT/daemon.log"
