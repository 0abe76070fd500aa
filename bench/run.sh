#!/usr/bin/env bash
# keyinitd benchmark: pam_keyinitd.so + keyinitd against pam_keyinit and pam_permit, through
# libpam, in one run; plus quota, soak, held sessions, start time, JMH and a JFR profile.
#
#   bench/run.sh            quick smoke (about 1-2 minutes)
#   bench/run.sh --full     the full measurement (docs/benchmarks.md; about 15-17 minutes on 2 CPUs)
#   bench/run.sh --targets  issue 14's per-login targets only (about 5 minutes): start to ready with
#                           and without AppCDS, the young daemon (first YOUNG_N logins), keyinitd
#                           against pam_keyinit in fresh-process and loop mode (1 and 8 workers,
#                           interleaved), daemon CPU per login, RSS after SOAK_TO logins,
#                           keyinitctl status; a met/unmet table (targets.md)
#   bench/run.sh --profile  one warm daemon's CPU per login by thread (profile.md; bench/profile.sh
#                           says its knobs): to measure one lever against another
#   options: --no-jmh, --no-build, --out DIR (default bench/results/latest),
#            --syslog (when nothing listens on /dev/log: listen there for the run and report the
#            PAM module's messages; off by default because it changes the host for everyone)
#
# Needs root (users, keyrings, a daemon). Installs what it needs with apt, builds what it needs,
# and removes its users, daemons and temporary files at the end, however it ends.
# Environment overrides: ROUNDS, SESSIONS (per worker per round), WORKERS ("1,8"), QUOTA_N,
# SOAK_N, HOLD_WORKERS, HOLD_N, START_RUNS, PROFILE_N, TUNED_FLAGS.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=quick JMH=1 BUILD=1 SYSLOG=0 OUT="$ROOT/bench/results/latest"
while (($#)); do
  case $1 in
    --full) MODE=full ;;
    --quick) MODE=quick ;;
    --targets) MODE=targets ;;
    --profile) MODE=profile ;;
    --no-jmh) JMH=0 ;;
    --no-build) BUILD=0 ;;
    --syslog) SYSLOG=1 ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $EUID -eq 0 ]] || { echo "run.sh: must run as root (users, keyrings, the daemon)" >&2; exit 1; }

if [[ $MODE == full ]]; then
  : "${ROUNDS:=5}" "${SESSIONS:=300}" "${WORKERS:=1,8}" "${QUOTA_N:=2000}" "${SOAK_N:=100000}"
  : "${HOLD_WORKERS:=10}" "${HOLD_N:=1000}" "${START_RUNS:=5}" "${PROFILE_N:=2500}"
  JMH_OPTS=(-f 1 -wi 3 -i 5 -w 1s -r 1s)
else
  : "${ROUNDS:=2}" "${SESSIONS:=40}" "${WORKERS:=1,8}" "${QUOTA_N:=600}" "${SOAK_N:=2000}"
  : "${HOLD_WORKERS:=2}" "${HOLD_N:=100}" "${START_RUNS:=2}" "${PROFILE_N:=200}"
  JMH_OPTS=(-f 1 -wi 1 -i 1 -w 300ms -r 500ms)
fi
# The candidate flags for the packaged launcher, measured next to the default `java -jar`.
: "${TUNED_FLAGS:=-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
: "${SERIAL_FLAGS:=-Xmx64m -XX:+UseSerialGC}"

log() { printf '\n=== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- dependencies and build
install_deps() {
  local pkgs=(openjdk-17-jdk-headless maven gcc make libc6-dev libpam0g-dev libpam-modules
              libkeyutils-dev keyutils passwd procps socat) missing=() p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  [[ -e /lib/x86_64-linux-gnu/security/pam_keyinit.so ]] || { echo "run.sh: pam_keyinit.so missing" >&2; exit 1; }
}

build() {
  log "build: pam-shim, daemon, bench (JMH jar), load driver"
  make -s -C "$ROOT/pam-shim"
  (cd "$ROOT" && mvn -B -q -ntp package -DskipTests -Pjmh -pl bench -am)
  make -s -C "$ROOT/bench/driver"
}

# ---------------------------------------------------------------- state and cleanup
WORK= DAEMON_PIDS=() USERS_MADE=() SOCAT_PID= DEVLOG_MADE=0
cleanup() {
  local rc=$? p u
  set +e
  for p in "${DAEMON_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null && for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  [[ -n $SOCAT_PID ]] && kill "$SOCAT_PID" 2>/dev/null && wait "$SOCAT_PID" 2>/dev/null
  ((DEVLOG_MADE)) && rm -f /dev/log
  for u in "${USERS_MADE[@]}"; do userdel "$u" 2>/dev/null; done
  # every tmpfs mounted under $WORK, also by subshells (a pipe): innermost first
  [[ -n $WORK ]] && awk -v w="$WORK/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount "$m" 2>/dev/null; done
  if [[ -n $WORK && -d $WORK ]]; then
    mkdir -p "$OUT/logs"
    cp "$WORK"/*/daemon.log "$OUT/logs/" 2>/dev/null
    for d in "$WORK"/*/; do [[ -f $d/daemon.log ]] && cp "$d/daemon.log" "$OUT/logs/$(basename "$d").log"; done
    rm -f "$OUT/logs/daemon.log"
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A uid that no account uses and that holds no keys (a deleted account's revoked keys count
# against its uid's quota until the kernel reaps them, so a reused uid would not start fresh).
pick_uid() {
  local u
  for u in $(seq 42000 42999); do
    getent passwd "$u" >/dev/null && continue
    grep -qE "^ *$u:" /proc/key-users && continue
    [[ " ${PICKED_UIDS:-} " == *" $u "* ]] && continue
    PICKED_UIDS="${PICKED_UIDS:-} $u"
    echo "$u"; return
  done
  echo "run.sh: no free uid in 42000-42999" >&2; exit 1
}
make_user() {
  local name=$1
  if getent passwd "$name" >/dev/null; then userdel "$name" 2>/dev/null || true; fi
  useradd -M -N -g users -s /usr/sbin/nologin -u "$(pick_uid)" "$name"
  USERS_MADE+=("$name")
}

# The daemons anchor their registry in the user keyring of the system account keyinitd (the
# package creates it; docs/security.md): made here if missing, and left in place like a package's.
if ! getent passwd keyinitd >/dev/null; then
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --comment "keyinitd keyring anchor" keyinitd
fi

# ---------------------------------------------------------------- daemons
# start_daemon NAME "JVM FLAGS": own config/state/socket under $WORK/NAME; sets DPID and START_MS
# (exec to the "ready on" log line, from the line's own timestamp) and STARTED_MS (the daemon's
# own "started in" figure, which excludes JVM start-up).
start_daemon() {
  local name=$1 flags=$2 dir="$WORK/$1" t0 line ts run
  mkdir -p "$dir" "$dir/run"
  # Session state on tmpfs, as the packaged default /run/keyinitd/state is on a real Debian
  # (this machine's /run may be a plain directory); a disk directory if mounting is refused.
  if mountpoint -q "$dir/run" || mount -t tmpfs -o size=64m,mode=0755 tmpfs "$dir/run" 2>/dev/null; then
    run="$dir/run"
  else
    echo "run.sh: cannot mount a tmpfs for the state: state files on disk (fsync per login)" >&2; run="$dir"
  fi
  sed -e "s#@RUN@#$run#g" -e "s#@DIR@#$dir#g" "$ROOT/bench/src/main/resources/keyinitd-bench.toml" > "$dir/keyinitd.toml"
  : > "$dir/daemon.log"
  t0=$(date +%s%3N)
  # shellcheck disable=SC2086
  java $flags -jar "$WORK/keyinitd.jar" --config "$dir/keyinitd.toml" >>"$dir/daemon.log" 2>&1 &
  DPID=$!
  DAEMON_PIDS+=("$DPID")
  for _ in $(seq 300); do
    line=$(grep -m1 ' ready on ' "$dir/daemon.log" || true)
    [[ -n $line ]] && break
    kill -0 "$DPID" 2>/dev/null || { cat "$dir/daemon.log" >&2; echo "run.sh: daemon $name died" >&2; exit 1; }
    sleep 0.05
  done
  [[ -n $line ]] || { echo "run.sh: daemon $name not ready after 15 s" >&2; exit 1; }
  ts=$(date -d "${line%% *}" +%s%3N)
  START_MS=$((ts - t0))
  STARTED_MS=$(sed -n 's/.*started in \([0-9]*\) ms.*/\1/p' <<<"$line")
}
stop_daemon() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  wait "$pid" 2>/dev/null || true
  DAEMON_PIDS=("${DAEMON_PIDS[@]/$pid}")
}
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
threads() { awk '/Threads/ {print $2}' "/proc/$1/status"; }

# ---------------------------------------------------------------- main
install_deps
((BUILD)) && build
[[ -x $ROOT/bench/driver/kbench ]] || make -s -C "$ROOT/bench/driver"
KBENCH=$ROOT/bench/driver/kbench
mkdir -p "$OUT"
rm -rf "$OUT/logs"
RESULTS=$OUT/results.md TSV=$OUT/results.tsv
: > "$RESULTS"; : > "$TSV"
WORK=$(mktemp -d /tmp/keyinitd-bench.XXXXXX)
chmod 755 "$WORK"
# Private copies: other builds in the tree must not swap the jar or module under a running bench.
cp "$ROOT/daemon/target/keyinitd.jar" "$WORK/keyinitd.jar"
cp "$ROOT/pam-shim/pam_keyinitd.so" "$WORK/pam_keyinitd.so"

# PAM module failures say why only in syslog: capture it when nothing listens on /dev/log.
if ((SYSLOG)) && [[ ! -e /dev/log ]]; then
  socat -u UNIX-RECV:/dev/log,mode=666 OPEN:"$WORK/syslog",creat,append &
  SOCAT_PID=$! DEVLOG_MADE=1
fi

out() { printf '%s\n' "$*" | tee -a "$RESULTS"; }
{
  echo "# keyinitd benchmark ($MODE), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "- kernel: $(uname -r); $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "- JDK: $(java -version 2>&1 | head -1); libpam $(dpkg-query -W -f='${Version}' libpam-modules)"
  echo "- kernel.keys: maxkeys=$(sysctl -n kernel.keys.maxkeys) maxbytes=$(sysctl -n kernel.keys.maxbytes) gc_delay=$(sysctl -n kernel.keys.gc_delay)"
  echo "- keyinitd flags: default = \`java -jar\` (no flags); tuned = \`$TUNED_FLAGS\`; serial = \`$SERIAL_FLAGS\`"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the host adds noise: see the load average after each part)"
  echo "- command: \`bench/run.sh$( [[ $MODE != quick ]] && echo " --$MODE")\`; ROUNDS=$ROUNDS SESSIONS=$SESSIONS WORKERS=$WORKERS QUOTA_N=$QUOTA_N SOAK_N=$SOAK_N HOLD=${HOLD_WORKERS}x$HOLD_N"
} | sed 's/--full --full/--full/' | tee -a "$RESULTS"

log "users"
LOAD_USERS=() ; for i in 01 02 03 04 05 06 07 08; do make_user "kbench$i"; LOAD_USERS+=("kbench$i"); done
for u in kbenchq1 kbenchq2 kbenchq3 kbenchsoak kbenchsoak2 kbenchsoak3 kbenchhold; do make_user "$u"; done
LOAD_USERS_CSV=$(IFS=,; echo "${LOAD_USERS[*]}")

if [[ $MODE == targets ]]; then
  # shellcheck source=bench/targets.sh
  . "$ROOT/bench/targets.sh"
  exit 0
fi
if [[ $MODE == profile ]]; then
  # shellcheck source=bench/profile.sh
  . "$ROOT/bench/profile.sh"
  exit 0
fi

# ---- start time: exec to the "ready on" line, default vs tuned vs AppCDS
log "start time ($START_RUNS runs per flag set)"
mkdir -p "$WORK/start"
start_series() {   # label flags
  local label=$1 flags=$2 i all=() own=() rss=""
  for i in $(seq "$START_RUNS"); do
    start_daemon start "$flags"
    all+=("$START_MS"); own+=("$STARTED_MS"); rss=$(rss_mib "$DPID")
    stop_daemon "$DPID"
  done
  local sorted; sorted=$(printf '%s\n' "${all[@]}" | sort -n)
  printf '| %s | `%s` | %s | %s | %s | %s | %s |\n' "$label" "${flags:-(none)}" "$START_RUNS" \
    "$(sed -n "$(( (START_RUNS + 1) / 2 ))p" <<<"$sorted")" "$(head -1 <<<"$sorted")" "$(tail -1 <<<"$sorted")" \
    "$(printf '%s\n' "${own[@]}" | sort -n | sed -n "$(( (START_RUNS + 1) / 2 ))p") ms; RSS $rss MiB"
  printf 'start\t%s\t%s\t%s\n' "$label" "$flags" "${all[*]}" >> "$OUT/start.tsv"
}
: > "$OUT/start.tsv"
JSA="$WORK/keyinitd.jsa" JSA_SMALL="$WORK/keyinitd-small.jsa"
# AppCDS archives: one run that dumps the loaded classes at exit (SIGTERM counts as exit).
start_daemon start "-XX:+UseSerialGC -XX:ArchiveClassesAtExit=$JSA"; stop_daemon "$DPID"
start_daemon start "$TUNED_FLAGS -XX:ArchiveClassesAtExit=$JSA_SMALL"; stop_daemon "$DPID"
{
  echo
  echo "## Start time (exec → \"ready on\" log line)"
  echo
  echo "| flags | JVM options | runs | median ms | min ms | max ms | daemon's own \"started in\" (median); RSS at ready |"
  echo "|---|---|--:|--:|--:|--:|---|"
} | tee -a "$RESULTS"
start_series default "" | tee -a "$RESULTS"
start_series tuned "$TUNED_FLAGS" | tee -a "$RESULTS"
start_series serial "$SERIAL_FLAGS" | tee -a "$RESULTS"
[[ -s $JSA ]] && start_series "serial+AppCDS" "-XX:+UseSerialGC -Xshare:auto -XX:SharedArchiveFile=$JSA" | tee -a "$RESULTS"
[[ -s $JSA_SMALL ]] && start_series "tuned+AppCDS" "$TUNED_FLAGS -Xshare:auto -XX:SharedArchiveFile=$JSA_SMALL" | tee -a "$RESULTS"
[[ -s $JSA ]] || out "(AppCDS archive was not written; AppCDS rows skipped)"

# ---- the two daemons used below
log "daemons"
start_daemon keyinitd ""
PID_DEF=$DPID
start_daemon keyinitd-tuned "$TUNED_FLAGS"
PID_TUN=$DPID
start_daemon keyinitd-serial "$SERIAL_FLAGS"
PID_SER=$DPID
PAMD=$WORK/pam.d
mkdir -p "$PAMD"
echo "session required pam_permit.so" > "$PAMD/kbench-permit"
echo "session required pam_keyinit.so force revoke" > "$PAMD/kbench-keyinit"
for svc in kbench-keyinitd kbench-soak kbench-hold; do
  echo "session required $WORK/pam_keyinitd.so force revoke socket=$WORK/keyinitd/keyinitd.sock on_error=fail" > "$PAMD/$svc"
done
echo "session required $WORK/pam_keyinitd.so force revoke socket=$WORK/keyinitd-tuned/keyinitd.sock on_error=fail" > "$PAMD/kbench-keyinitd-tuned"
echo "session required $WORK/pam_keyinitd.so force revoke socket=$WORK/keyinitd-tuned/keyinitd.sock on_error=fail" > "$PAMD/kbench-soak-tuned"
echo "session required $WORK/pam_keyinitd.so force revoke socket=$WORK/keyinitd-serial/keyinitd.sock on_error=fail" > "$PAMD/kbench-keyinitd-serial"
echo "session required $WORK/pam_keyinitd.so force revoke socket=$WORK/keyinitd-serial/keyinitd.sock on_error=fail" > "$PAMD/kbench-soak-serial"

# ---- quota: one user, one worker, back-to-back, fresh users, default sysctls
log "quota: $QUOTA_N back-to-back sessions, 1 worker, 1 user"
{ echo; echo "## Quota: $QUOTA_N back-to-back sessions of one fresh user, 1 worker"; } | tee -a "$RESULTS"
"$KBENCH" --confdir "$PAMD" --scenario quota --config keyinit=kbench-keyinit --users kbenchq1 \
  --workers 1 --sessions "$QUOTA_N" --rounds 1 --warmup 0 --tsv "$TSV" | tee -a "$RESULTS"
"$KBENCH" --confdir "$PAMD" --scenario quota --config "keyinitd=kbench-keyinitd@$PID_DEF" --users kbenchq2 \
  --workers 1 --sessions "$QUOTA_N" --rounds 1 --warmup 0 --tsv "$TSV" | tail -n +4 | tee -a "$RESULTS"
"$KBENCH" --confdir "$PAMD" --scenario quota --config "keyinitd-soak-policy=kbench-soak@$PID_DEF" --users kbenchq3 \
  --workers 1 --sessions "$QUOTA_N" --rounds 1 --warmup 0 --tsv "$TSV" | tail -n +4 | tee -a "$RESULTS"
out ""
out "keyinit = \`pam_keyinit.so force revoke\`; keyinitd = the same line for pam_keyinitd.so, no rule matches (module arguments decide, user-owned keyrings); keyinitd-soak-policy = rule create=always, revoke=true, owner=root."

# ---- load: interleaved rounds, 1 and 8 workers
log "load: $ROUNDS rounds x {$WORKERS workers} x $SESSIONS sessions per worker"
{ echo; echo "## Load: $ROUNDS interleaved rounds, $SESSIONS measured sessions per worker per round, users ${LOAD_USERS_CSV}"; } | tee -a "$RESULTS"
"$KBENCH" --confdir "$PAMD" --scenario load \
  --config permit=kbench-permit --config keyinit=kbench-keyinit \
  --config "keyinitd=kbench-keyinitd@$PID_DEF" --config "keyinitd-tuned=kbench-keyinitd-tuned@$PID_TUN" \
  --config "keyinitd-serial=kbench-keyinitd-serial@$PID_SER" --users "$LOAD_USERS_CSV" --workers "$WORKERS" --sessions "$SESSIONS" --rounds "$ROUNDS" --warmup 20 \
  --tsv "$TSV" | tee -a "$RESULTS"
ctl_latency() {  # name: the daemon's own view (request in to reply out, no socket), after the load
  java -jar "$WORK/keyinitd.jar" ctl --socket "$WORK/$1/keyinitd.sock" status --json 2>/dev/null | tr -d '\n ' \
    | grep -o '"latency":{.*}}' | sed 's/"latency"://'
}
out ""
out "- daemon-side latency (keyinitctl status, µs, since start): keyinitd $(ctl_latency keyinitd); keyinitd-tuned $(ctl_latency keyinitd-tuned); keyinitd-serial $(ctl_latency keyinitd-serial)"
out "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
out ""
out "Latency = pam_open_session + pam_close_session (ms); sessions/s = measured sessions / wall time of the measured part (pam_start and pam_end included); daemon CPU = utime+stime of the daemon over the phases / sessions (10 ms ticks)."

# ---- soak: SOAK_N back-to-back sessions for one user each, the three daemons side by side
log "soak: $SOAK_N back-to-back sessions, 1 user, 1 worker per daemon, three daemons in parallel"
{ echo; echo "## Soak: $SOAK_N back-to-back sessions of one user, 1 worker, rule bench-soak (always, revoke, owner root); the three daemons soaked at the same time (2 CPUs shared: latencies here are not comparable with the load table)"; } | tee -a "$RESULTS"
"$KBENCH" --confdir "$PAMD" --scenario soak --config "keyinitd=kbench-soak@$PID_DEF" --users kbenchsoak \
  --workers 1 --sessions "$SOAK_N" --rounds 1 --warmup 0 --tsv "$WORK/soak1.tsv" > "$WORK/soak1.md" 2>/dev/null &
S1=$!
"$KBENCH" --confdir "$PAMD" --scenario soak --config "keyinitd-tuned=kbench-soak-tuned@$PID_TUN" --users kbenchsoak2 \
  --workers 1 --sessions "$SOAK_N" --rounds 1 --warmup 0 --tsv "$WORK/soak2.tsv" > "$WORK/soak2.md" 2>/dev/null &
S2=$!
"$KBENCH" --confdir "$PAMD" --scenario soak --config "keyinitd-serial=kbench-soak-serial@$PID_SER" --users kbenchsoak3 \
  --workers 1 --sessions "$SOAK_N" --rounds 1 --warmup 0 --tsv "$WORK/soak3.tsv" > "$WORK/soak3.md" 2>/dev/null &
S3=$!
wait "$S1" "$S2" "$S3"
cat "$WORK/soak1.md" | tee -a "$RESULTS"
tail -n +4 "$WORK/soak2.md" | tee -a "$RESULTS"
tail -n +4 "$WORK/soak3.md" | tee -a "$RESULTS"
tail -n +2 -q "$WORK/soak1.tsv" "$WORK/soak2.tsv" "$WORK/soak3.tsv" >> "$TSV"
for p in "$PID_DEF" "$PID_TUN" "$PID_SER"; do
  out "- pid $p after the soak: VmRSS $(rss_mib "$p") MiB, $(threads "$p") threads, heap: $(jcmd "$p" GC.heap_info 2>/dev/null | sed -n '2p' | sed 's/^ *//')"
done
out "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- hold: HOLD_WORKERS x HOLD_N sessions open at once (rule bench-hold: owner root)
log "hold: $HOLD_WORKERS workers x $HOLD_N sessions open at once"
{ echo; echo "## Held: $HOLD_WORKERS processes x $HOLD_N sessions open at once, rule bench-hold (owner root), default daemon"; echo; } | tee -a "$RESULTS"
AT_HOLD="echo \"- while held: daemon VmRSS \$(awk '/VmRSS/ {printf \"%.1f\", \$2/1024}' /proc/$PID_DEF/status) MiB, threads \$(awk '/Threads/ {print \$2}' /proc/$PID_DEF/status), open fds \$(ls /proc/$PID_DEF/fd | wc -l), state files \$(ls $WORK/keyinitd/run/state/sessions $WORK/keyinitd/state/sessions 2>/dev/null | grep -c json), ctl: \$(java -jar $WORK/keyinitd.jar ctl --socket $WORK/keyinitd/keyinitd.sock status --json 2>&1 | tr -d '\n ' | grep -o '\"sessions\":{[^}]*}' || true)\""
"$KBENCH" --confdir "$PAMD" --scenario hold --config "keyinitd=kbench-hold@$PID_DEF" --users kbenchhold \
  --workers "$HOLD_WORKERS" --hold "$HOLD_N" --at-hold "$AT_HOLD" --tsv "$TSV" | tee -a "$RESULTS"
out ""
out "Hold: latency columns are open + close of each session (opened one after another, closed after all were open); sessions/s over the whole open-all-then-close-all phase."

# ---- profile: JFR on the default daemon under 8-worker load
log "profile: JFR on the default daemon, 8 workers x $PROFILE_N sessions"
jcmd "$PID_DEF" JFR.start name=kbench settings=profile >/dev/null
"$KBENCH" --confdir "$PAMD" --scenario profile --config "keyinitd=kbench-keyinitd@$PID_DEF" --users "$LOAD_USERS_CSV" \
  --workers 8 --sessions "$PROFILE_N" --rounds 1 --warmup 5 > "$OUT/profile-load.md"
jcmd "$PID_DEF" JFR.dump name=kbench filename="$OUT/profile.jfr" >/dev/null
jcmd "$PID_DEF" JFR.stop name=kbench >/dev/null
{
  echo "# JFR profile of the default daemon under load"
  cat "$OUT/profile-load.md"
  echo
  echo "## Event counts"
  echo '```'
  jfr summary "$OUT/profile.jfr" | grep -E "ExecutionSample|NativeMethodSample|FileForce|FileWrite|GarbageCollection |ThreadPark|SocketRead" || true
  echo '```'
  echo "## jdk.FileForce (fsync) durations, ms: count p50 p90 max"
  echo '```'
  jfr print --events jdk.FileForce "$OUT/profile.jfr" | awk '/duration = / {v=$3; u=$4; if (u=="s") v*=1000; else if (u=="us") v/=1000; else if (u=="ns") v/=1e6; print v}' \
    | sort -n | awk 'function q(p,  i) {i = int(NR * p) + 1; if (i > NR) i = NR; return a[i]}
        {a[NR] = $1} END {if (NR) printf "%d %.2f %.2f %.2f (only fsyncs over the 10 ms profile threshold are recorded)\n", NR, q(.5), q(.9), a[NR]; else print "none over the threshold"}'
  echo '```'
  jfr print --stack-depth 64 --events jdk.ExecutionSample,jdk.NativeMethodSample "$OUT/profile.jfr" \
    | awk -v N=20 -f "$ROOT/bench/jfr-hotspots.awk"
} > "$OUT/profile.md"
out ""
out "Profile: $OUT/profile.md (JFR $OUT/profile.jfr)"

# ---- syscall counts per session on the daemon side (strace -c, short burst)
if command -v strace >/dev/null; then
  log "strace -c: syscalls per session"
  timeout 120 strace -f -c -p "$PID_TUN" -o "$OUT/strace-c.txt" 2>/dev/null &
  ST=$!
  sleep 1
  "$KBENCH" --confdir "$PAMD" --scenario strace --config "keyinitd-tuned=kbench-keyinitd-tuned" --users "$LOAD_USERS_CSV" \
    --workers 1 --sessions 500 --rounds 1 --warmup 0 >/dev/null
  kill -INT "$ST" 2>/dev/null; wait "$ST" 2>/dev/null || true
  out "strace -c over 500 sessions (tuned daemon): $OUT/strace-c.txt"
fi

stop_daemon "$PID_DEF"; stop_daemon "$PID_TUN"; stop_daemon "$PID_SER"

# ---- JMH
if ((JMH)); then
  log "JMH"
  java -jar "$ROOT/bench/target/benchmarks.jar" "${JMH_OPTS[@]}" -jvmArgsAppend "-Dkbench.user=kbench01" \
    -rf text -rff "$OUT/jmh.txt" > "$OUT/jmh.log" 2>&1 || { tail -30 "$OUT/jmh.log" >&2; echo "run.sh: JMH failed" >&2; }
  { echo; echo "## JMH (µs/op, average time; ${JMH_OPTS[*]})"; echo; echo '```'; cat "$OUT/jmh.txt" 2>/dev/null; echo '```'; } | tee -a "$RESULTS"
fi

if [[ -s $WORK/syslog ]]; then
  { echo; echo "## PAM module messages (syslog), distinct"; echo; echo '```';
    tr '\0<' '\n\n' < "$WORK/syslog" | grep 'pam_keyinit' | sed 's/^<[0-9]*>[A-Z][a-z]* [ 0-9]* [0-9:]* //' | sort | uniq -c | sort -rn | head -20
    echo '```'; } | tee -a "$RESULTS"
fi
log "done: $RESULTS, $TSV"
