#!/usr/bin/env bash
# The Debian package, installed for real on this machine: lintian, dpkg -i, the daemon started
# with the jsvc launcher (CI has no systemd as PID 1), pam-auth-update --enable keyinitd, a real
# login with su that gets a daemon-made session keyring revoked at logout, the same for su -,
# runuser and runuser -l through the diversion of pam_keyinit.so, dpkg -r (daemon stopped, su
# still works, the diversion gone and libpam-modules' pam_keyinit.so back), dpkg -P (config and
# state gone, /etc/pam.d exactly as before).
#   install-test.sh PATH/keyinitd_VERSION_amd64.deb
# Run by Maven in packaging's integration-test phase. Needs root; without it the test is
# skipped, unless KEYINITD_REQUIRE_ROOT_TESTS=1 (scripts/test.sh as root), which fails it.
# Whatever happens, /etc/pam.d and /var/lib/pam are restored, the test user removed, the
# package purged and its daemon stopped (trap).
set -euo pipefail

deb=$(readlink -f "$1")
user=keyinitd-pkgtest
socket=/run/keyinitd/keyinitd.sock
pidfile=/run/keyinitd/keyinitd-jsvc.pid
audit=/var/log/keyinitd/audit.log
keyinit=/lib/x86_64-linux-gnu/security/pam_keyinit.so
work=$(dirname "$deb")/install-test
checks=0

say() { printf '[install-test] %s\n' "$*"; }
ok() { checks=$((checks + 1)); say "ok: $*"; }
fail() {
  printf '[install-test] FAILED: %s\n' "$*" >&2
  exit 1
}

if [[ $EUID -ne 0 ]]; then
  [[ ${KEYINITD_REQUIRE_ROOT_TESTS:-} == 1 ]] && fail "needs root (KEYINITD_REQUIRE_ROOT_TESTS=1)"
  say "SKIPPED: installing a package needs root"
  exit 0
fi
[[ -f $deb ]] || fail "no package at $deb (built by mvn package)"
for cmd in dpkg lintian /usr/bin/jsvc pam-auth-update keyctl su runuser useradd logrotate; do
  command -v "$cmd" >/dev/null || fail "$cmd is missing: run scripts/deps.sh"
done
if dpkg-query -W -f='${Status}' keyinitd 2>/dev/null | grep -q 'installed'; then
  fail "keyinitd is already installed here; this test installs and purges it, so it will not run"
fi
# The package's socket is the default one. A socket bound there appears in /proc/net/unix for
# as long as its process holds it (a stale file left by a crash does not).
if grep -q " $socket\$" /proc/net/unix; then
  fail "something is already listening on $socket (a keyinitd started by hand?); stop it first"
fi

# The diversion's checks compare with libpam-modules' own file: it must be intact to begin with.
[[ -z $(dpkg-divert --listpackage "$keyinit") ]] || fail "$keyinit is diverted already ($(dpkg-divert --list "$keyinit"))"
dpkg -V libpam-modules >/dev/null 2>&1 && [[ -z $(dpkg -V libpam-modules) ]] ||
  fail "libpam-modules' files differ from its md5sums before the test (dpkg -V libpam-modules)"

rm -rf "$work"
mkdir -p "$work"
cp -a /etc/pam.d "$work/pam.d"
cp -a /var/lib/pam "$work/var-lib-pam"
cp -a "$keyinit" "$work/pam_keyinit.so.orig"
installed=

cleanup() {
  local rc=$?
  set +e
  if [[ -s $pidfile ]]; then
    pid=$(cat "$pidfile")
    if [[ -n $installed ]]; then /usr/sbin/keyinitd-jsvc stop >/dev/null 2>&1; fi
    kill -0 "$pid" 2>/dev/null && kill "$pid"
  fi
  [[ $rc -eq 0 ]] || cp -a /var/log/keyinitd "$work/var-log-keyinitd" 2>/dev/null
  # Installed, or removed with its conffiles left (rc): purge.
  if [[ -n $installed ]] && dpkg-query -W -f='${Status}' keyinitd 2>/dev/null | grep -Eq 'installed|config-files'; then
    # Another apt or dpkg on the machine may hold the lock for a while: retry for a minute.
    for _ in $(seq 60); do
      dpkg -P keyinitd >>"$work/cleanup-purge.log" 2>&1 && break
      sleep 1
    done
  fi
  if dpkg-query -W -f='${Status}' keyinitd 2>/dev/null | grep -q 'installed'; then
    # Never touch the diversion under an installed package: dpkg-divert would not rename a file
    # that package owns, and a later purge would then delete libpam-modules' module.
    say "WARNING: keyinitd is still installed (purge failed, $work/cleanup-purge.log): purge it by hand"
  elif [[ $(dpkg-divert --listpackage "$keyinit") == keyinitd ]]; then
    # Package gone, diversion left (a postrm that failed): put libpam-modules' module back.
    [[ -L $keyinit ]] && rm -f "$keyinit"
    dpkg-divert --package keyinitd --remove --rename --divert "$keyinit.distrib" "$keyinit" >/dev/null
  fi
  [[ -n ${fifos:-} ]] && rm -rf "$fifos"
  id "$user" >/dev/null 2>&1 && userdel -r -f "$user" 2>/dev/null
  # Put PAM back exactly as it was, whatever the test or the package did to it.
  rm -rf /etc/pam.d /var/lib/pam
  cp -a "$work/pam.d" /etc/pam.d
  cp -a "$work/var-lib-pam" /var/lib/pam
  if [[ $rc -eq 0 ]]; then
    say "PASSED: $checks checks ($deb)"
  else
    say "logs kept in $work"
  fi
}
trap cleanup EXIT

say "lintian $deb"
if ! lintian --display-info "$deb" >"$work/lintian.txt" 2>&1; then
  cat "$work/lintian.txt"
  fail "lintian reports errors"
fi
sed 's/^/    /' "$work/lintian.txt"
ok "lintian: no errors ($(grep -c '^W:' "$work/lintian.txt" || true) warnings, justified in docs/packaging.md)"

say "dpkg -i"
installed=1
dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log"; fail "dpkg -i failed"; }
for f in /usr/share/keyinitd/keyinitd.jar /usr/share/keyinitd/jvm-flags /lib/x86_64-linux-gnu/security/pam_keyinitd.so /usr/sbin/keyinitd \
  /usr/sbin/keyinitd-jsvc /usr/bin/keyinitctl /etc/keyinitd/keyinitd.toml /etc/keyinitd/logback.xml \
  /lib/systemd/system/keyinitd.service /lib/systemd/system/keyinitd.socket /usr/share/pam-configs/keyinitd /usr/share/man/man8/keyinitd.8.gz \
  /etc/init.d/keyinitd /usr/share/bash-completion/completions/keyinitctl /var/lib/keyinitd/keyinitctl.jsa; do
  [[ -e $f ]] || fail "$f not installed"
done
[[ $(stat -c %a /var/lib/keyinitd/native) == 700 ]] || fail "/var/lib/keyinitd/native is not 0700"
ok "installed; /var/lib/keyinitd/native is 0700; keyinitctl's CDS archive built"
if command -v update-rc.d >/dev/null; then
  ls /etc/rc2.d/S*keyinitd >/dev/null 2>&1 || fail "/etc/init.d/keyinitd not registered for runlevel 2 (update-rc.d)"
  ok "/etc/init.d/keyinitd registered ($(ls /etc/rc2.d/S*keyinitd))"
fi
bash -c '. /usr/share/bash-completion/completions/keyinitctl && complete -p keyinitctl' >/dev/null ||
  fail "the bash completion does not register keyinitctl"
ok "bash completion registers keyinitctl"
diff -r "$work/pam.d" /etc/pam.d >/dev/null || fail "installing changed /etc/pam.d (the profile must be Default: no)"
ok "installing left /etc/pam.d alone"
# The diversion (preinst): libpam-modules' module at .distrib, ours in its place.
diversion() {
  [[ $(dpkg-divert --list "$keyinit") == "diversion of $keyinit to $keyinit.distrib by keyinitd" ]] ||
    fail "dpkg-divert --list: '$(dpkg-divert --list "$keyinit")', not $keyinit diverted by keyinitd"
  [[ -L $keyinit && $(readlink "$keyinit") == pam_keyinitd.so ]] || fail "$keyinit is not a symlink to pam_keyinitd.so"
  cmp -s "$keyinit.distrib" "$work/pam_keyinit.so.orig" || fail "$keyinit.distrib is not libpam-modules' pam_keyinit.so"
}
undiverted() {
  [[ -z $(dpkg-divert --list "$keyinit") ]] || fail "$1: still diverted: $(dpkg-divert --list "$keyinit")"
  [[ -f $keyinit && ! -L $keyinit && ! -e $keyinit.distrib ]] || fail "$1: $keyinit is not the real file again"
  cmp -s "$keyinit" "$work/pam_keyinit.so.orig" || fail "$1: $keyinit differs from libpam-modules' file"
  [[ -z $(dpkg -V libpam-modules 2>&1) ]] || fail "$1: dpkg -V libpam-modules: $(dpkg -V libpam-modules 2>&1)"
}
diversion
ok "$(dpkg-divert --list "$keyinit"); $keyinit -> $(readlink "$keyinit")"

if command -v systemd-analyze >/dev/null; then
  if ! systemd-analyze verify /lib/systemd/system/keyinitd.socket /lib/systemd/system/keyinitd.service \
      >"$work/systemd-analyze.txt" 2>&1; then
    cat "$work/systemd-analyze.txt"
    fail "systemd-analyze verify keyinitd.socket keyinitd.service"
  fi
  ok "systemd-analyze verify keyinitd.socket keyinitd.service$( [[ -s $work/systemd-analyze.txt ]] && echo ": $(tr '\n' ' ' <"$work/systemd-analyze.txt")")"
else
  say "skip: systemd-analyze verify (no systemd-analyze here; the systemd package is not installed just for this)"
fi

/usr/sbin/keyinitd --config /etc/keyinitd/keyinitd.toml --check-config >"$work/check-config.txt" 2>&1 ||
  { cat "$work/check-config.txt"; fail "/usr/sbin/keyinitd --check-config on the shipped configuration"; }
ok "/usr/sbin/keyinitd --check-config: $(cat "$work/check-config.txt")"
# Without its flags file a launcher names it and does not start the JVM with default flags;
# keyinitd-jsvc status still answers (it needs no flags).
mv /usr/share/keyinitd/jvm-flags "$work/jvm-flags.moved"
rc=0; /usr/sbin/keyinitd --config /etc/keyinitd/keyinitd.toml --check-config >"$work/no-flags.txt" 2>&1 || rc=$?
jsvc_rc=0; /usr/sbin/keyinitd-jsvc status >"$work/no-flags-jsvc.txt" 2>&1 || jsvc_rc=$?
mv "$work/jvm-flags.moved" /usr/share/keyinitd/jvm-flags
[[ $rc -eq 1 ]] && grep -q '/usr/share/keyinitd/jvm-flags is missing' "$work/no-flags.txt" ||
  { cat "$work/no-flags.txt"; fail "keyinitd without its jvm-flags file: exit $rc, expected 1 naming the file"; }
[[ $jsvc_rc -eq 3 ]] && grep -q 'not running' "$work/no-flags-jsvc.txt" ||
  { cat "$work/no-flags-jsvc.txt"; fail "keyinitd-jsvc status without the jvm-flags file: exit $jsvc_rc, expected 3"; }
ok "without /usr/share/keyinitd/jvm-flags: keyinitd exits 1 naming it; keyinitd-jsvc status still answers"

say "keyinitd-jsvc start"
/usr/sbin/keyinitd-jsvc start || fail "keyinitd-jsvc start"
daemon_pid=$(cat "$pidfile")
[[ -S $socket ]] || fail "no socket at $socket"
keyinitctl status >"$work/status.txt" || fail "keyinitctl status"
# JNA and jffi delete what they unpacked once it is loaded: look at the mappings instead.
natives=$(grep -c ' /var/lib/keyinitd/native/.* (deleted)$' "/proc/$daemon_pid/maps" || true)
[[ $natives -gt 0 ]] || fail "no native code mapped from /var/lib/keyinitd/native (-Djna.tmpdir, -Djffi.extract.dir)"
ok "daemon running under jsvc (pid $daemon_pid), keyinitctl status answers, JNA/jffi loaded from /var/lib/keyinitd/native"
# The shipped logback.xml says what the built-in log set-up does: unedited, it is not passed.
! tr '\0' ' ' <"/proc/$daemon_pid/cmdline" | grep -q logback.configurationFile ||
  fail "the unedited /etc/keyinitd/logback.xml was passed to the daemon"
# Both launchers take the JVM flags from one file: the daemon runs with every one of them.
for flag in $(grep -v '^#' /usr/share/keyinitd/jvm-flags); do
  tr '\0' '\n' <"/proc/$daemon_pid/cmdline" | grep -qxF -- "$flag" ||
    fail "the daemon runs without $flag (from /usr/share/keyinitd/jvm-flags)"
done
ok "the daemon runs with the $(grep -v '^#' /usr/share/keyinitd/jvm-flags | wc -w) flags of /usr/share/keyinitd/jvm-flags"
ready_line=$(grep -Em1 '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[^ ]* INFO  \[main\] Daemon: keyinitd .* ready on ' \
  /var/log/keyinitd/daemon.log) || { cat /var/log/keyinitd/daemon.log; fail "no built-in format \"ready on\" line in daemon.log"; }
ok "built-in log set-up (the unedited logback.xml is not passed): $ready_line"
# keyinitctl runs as root: it must load no native library unpacked anywhere (jffi used to go to /tmp).
LD_DEBUG=files keyinitctl status >/dev/null 2>"$work/ctl-ld-debug.txt" || fail "keyinitctl status (LD_DEBUG)"
! grep -Eq 'file=.*(jffi|jnidispatch)' "$work/ctl-ld-debug.txt" ||
  { grep -E 'jffi|jnidispatch' "$work/ctl-ld-debug.txt" | head -3; fail "keyinitctl loaded JNA/jffi native code"; }
ok "keyinitctl status loads no JNA/jffi native library"
/etc/init.d/keyinitd status >/dev/null || fail "/etc/init.d/keyinitd status: not running"
ok "/etc/init.d/keyinitd status: running"
# The account whose user keyring anchors the daemon's keyrings: a system account that cannot log in.
anchor=$(getent passwd keyinitd) || fail "no keyinitd account after install (postinst)"
[[ $(cut -d: -f3 <<<"$anchor") -lt 1000 && $(cut -d: -f7 <<<"$anchor") == */nologin ]] ||
  fail "keyinitd account is not a system account without a shell: $anchor"
ok "keyinitd anchor account: $anchor"
logrotate -d /etc/logrotate.d/keyinitd >"$work/logrotate.txt" 2>&1 ||
  { cat "$work/logrotate.txt"; fail "logrotate rejects /etc/logrotate.d/keyinitd"; }
! grep -qi 'error' "$work/logrotate.txt" || { cat "$work/logrotate.txt"; fail "logrotate -d reports errors"; }
ok "logrotate -d /etc/logrotate.d/keyinitd: parses, no errors"

DEBIAN_FRONTEND=noninteractive pam-auth-update --enable keyinitd
grep -q 'pam_keyinitd.so' /etc/pam.d/common-session || fail "pam-auth-update --enable did not add the module to common-session"
grep -q 'pam_keyinitd.so' /etc/pam.d/common-session-noninteractive ||
  fail "the module is not in common-session-noninteractive (cron and sudo would not be managed)"
ok "pam-auth-update --enable keyinitd: $(grep pam_keyinitd /etc/pam.d/common-session | tr -s ' \t' ' ')"

useradd --create-home --shell /bin/sh --comment "keyinitd package test" "$user"
uid=$(id -u "$user")
# su from the user-session keyring, as after a fresh login: whatever session keyring this build
# runs in would otherwise be kept (create = if-missing, like pam_keyinit). Plain su: PAM service
# "su", common-session only.
keyctl session _uid_ses.0 su "$user" -c 'keyctl rdescribe @s; keyctl id @s; keyctl show @s' \
  >"$work/login.txt" 2>"$work/login.err" || { cat "$work/login.txt" "$work/login.err"; fail "su $user failed"; }
sed 's/^/    /' "$work/login.txt"
name=$(sed -n '1s/.*;//p' "$work/login.txt")
serial=$(sed -n '2p' "$work/login.txt")
[[ $name =~ ^keyinitd\.[0-9a-f]{32}$ ]] || fail "session keyring is '$name', not a keyinitd one"
[[ $(sed -n '1p' "$work/login.txt") == keyring\;$uid\;* ]] || fail "session keyring not owned by uid $uid"
grep -q "keyring: _uid\.$uid\$" "$work/login.txt" || fail "_uid.$uid not linked into the session keyring"
ok "su $user: session keyring $serial $name, owned by $uid, _uid.$uid linked"

# The su has ended: its close asked the daemon to revoke (the profile's `revoke`).
grep -q "\"event\":\"session.close\",\"outcome\":\"revoked\".*\"keyring\":$serial[,}]" "$audit" ||
  { tail -n 5 "$audit"; fail "no session.close/revoked audit line for keyring $serial"; }
ok "logout revoked keyring $serial (audit: session.close revoked)"

# su - (su-l), runuser and runuser -l on Debian's stock files, which run pam_keyinit: through the
# diversion that line is the module's, so the login gets a daemon keyring right there, listed
# by keyinitctl while it lives and revoked at logout. su-l also reaches the profile's line in
# common-session, which nests in that keyring: one daemon session per login. runuser and
# runuser-l include no common-session: only the diversion reaches them.
stock_login() { # stock_login LABEL SERVICE COMMAND...
  local label=$1 service=$2 out=$work/login-$2.txt
  shift 2
  grep -q '^session.*pam_keyinit\.so' "/etc/pam.d/$service" ||
    fail "this /etc/pam.d/$service has no pam_keyinit line: not Debian's stock file"
  local opens_before
  opens_before=$(grep -c "\"event\":\"session.open\".*\"service\":\"$service\"" "$audit" || true)
  # The login prints its keyring into one fifo and stays until root, having listed the live
  # sessions, writes to the other: no timing involved.
  local ready=$fifos/$service.ready go=$fifos/$service.go
  mkfifo -m 0666 "$ready" "$go"
  keyctl session _uid_ses.0 "$@" -c "{ keyctl rdescribe @s; keyctl id @s; } >$ready; read x <$go" \
    >"$out.log" 2>&1 &
  local login=$!
  timeout 30 cat "$ready" >"$out" || { kill "$login" 2>/dev/null; cat "$out.log"; fail "$label: the login printed no keyring"; }
  keyinitctl sessions --user "$user" >"$out.sessions" 2>&1 || true
  timeout 30 sh -c 'echo >"$1"' sh "$go" || true
  wait "$login" || { cat "$out" "$out.log"; fail "$label failed"; }
  local name serial
  name=$(sed -n '1s/.*;//p' "$out")
  serial=$(sed -n '2p' "$out")
  grep -Eq "(^|[^0-9])$serial([^0-9]|\$)" "$out.sessions" && grep -q "$service" "$out.sessions" ||
    { cat "$out.sessions"; fail "$label: keyinitctl sessions --user $user does not list keyring $serial ($service) while it lives"; }
  [[ $name =~ ^keyinitd\.[0-9a-f]{32}$ ]] || { cat "$out" "$out.log"; fail "$label: session keyring is '$name', not a keyinitd one"; }
  [[ $(sed -n '1p' "$out") == keyring\;$uid\;* ]] || fail "$label: session keyring not owned by uid $uid"
  local opens
  opens=$(grep "\"event\":\"session.open\".*\"service\":\"$service\"" "$audit" | tail -n +$((opens_before + 1)))
  [[ $(grep -c . <<<"$opens") -eq 1 && $opens == *"\"keyring\":$serial"[,}]* ]] ||
    { printf '%s\n' "$opens"; fail "$label: not exactly one session.open, for keyring $serial, in the audit log"; }
  [[ $opens == *'"outcome":"created"'* || $opens == *'"outcome":"replaced-foreign"'* ]] ||
    { printf '%s\n' "$opens"; fail "$label: session.open is not created/replaced-foreign (the pam_keyinit line is not the module's?)"; }
  grep -q "\"event\":\"session.close\",\"outcome\":\"revoked\".*\"keyring\":$serial[,}]" "$audit" ||
    { tail -n 3 "$audit"; fail "$label: keyring $serial not revoked at logout"; }
  ok "$label on Debian's stock $service: daemon keyring $serial ($(grep -o '"outcome":"[a-z-]*"' <<<"$opens")), one session, listed while it lived, revoked at logout"
}
fifos=$(mktemp -d) && chmod 0755 "$fifos" # the user opens them: somewhere it can reach
stock_login "su - $user" su-l su - "$user"
stock_login "runuser -l $user" runuser-l runuser -l "$user"
stock_login "runuser $user" runuser runuser "$user"
# What the brief's user sees: `keyctl show @s` in a runuser -l login names a daemon keyring.
keyctl session _uid_ses.0 runuser -l "$user" -c 'keyctl show @s' >"$work/runuser-show.txt" 2>&1 ||
  { cat "$work/runuser-show.txt"; fail "runuser -l $user -c 'keyctl show @s'"; }
grep -Eq 'keyring: keyinitd\.[0-9a-f]{32}$' "$work/runuser-show.txt" ||
  { cat "$work/runuser-show.txt"; fail "runuser -l $user -c 'keyctl show @s' shows no keyinitd keyring"; }
ok "runuser -l $user -c 'keyctl show @s': $(grep -Eo 'keyinitd\.[0-9a-f]{32}$' "$work/runuser-show.txt")"

# A restart and an upgrade under continuous logins: the restart marker keeps the socket while
# no daemon runs, the module waits on it, and not one login falls back (logins-under.sh).
here=$(dirname "$(readlink -f "$0")")
say "keyinitd-jsvc restart under continuous logins, with an edited logback.xml (org.keyinitd at DEBUG)"
sed -i 's/KEYINITD_LOG_LEVEL:-INFO/KEYINITD_LOG_LEVEL:-DEBUG/' /etc/keyinitd/logback.xml
summary=$("$here/logins-under.sh" "$work/restart" "$user" /usr/sbin/keyinitd-jsvc restart) ||
  fail "logins fell back during keyinitd-jsvc restart"
ok "keyinitd-jsvc restart: $summary"
daemon_pid=$(cat "$pidfile")
tr '\0' ' ' <"/proc/$daemon_pid/cmdline" | grep -q -- -Dlogback.configurationFile=/etc/keyinitd/logback.xml ||
  fail "the edited /etc/keyinitd/logback.xml was not passed to the daemon"
grep -q ' DEBUG \[' /var/log/keyinitd/daemon.log || fail "the edited logback.xml (DEBUG) made no DEBUG line in daemon.log"
cp /usr/share/keyinitd/logback.xml /etc/keyinitd/logback.xml
ok "an edited /etc/keyinitd/logback.xml is passed and applied (DEBUG lines in daemon.log)"

say "dpkg -i again under continuous logins (an upgrade to the same version: the maintainer scripts run a second time)"
summary=$("$here/logins-under.sh" "$work/upgrade" "$user" dpkg -i "$deb") ||
  { cat "$work/upgrade/command.log"; fail "dpkg -i over the installed package failed, or logins fell back during it"; }
ok "upgrade: $summary"
! grep -q '"event":"session.fallback"' "$audit" || { grep '"session.fallback"' "$audit" | head -n 3; fail "the audit log has fallback logins"; }
new_pid=$(cat "$pidfile")
[[ $new_pid != "$daemon_pid" ]] && kill -0 "$new_pid" 2>/dev/null || fail "the jsvc daemon was not restarted by the upgrade"
grep -q 'pam_keyinitd.so' /etc/pam.d/common-session || fail "the upgrade disabled the PAM profile"
diversion
! kill -0 "$daemon_pid" 2>/dev/null || fail "the old daemon (pid $daemon_pid) still runs after the upgrade"
daemon_pid=$new_pid
ok "reinstall: daemon restarted (pid $daemon_pid), PAM profile still enabled, pam_keyinit.so still diverted"

say "dpkg -r keyinitd"
dpkg -r keyinitd >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log"; fail "dpkg -r failed"; }
for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$daemon_pid" 2>/dev/null || fail "daemon (pid $daemon_pid) still running after dpkg -r"
! grep -rq pam_keyinitd /etc/pam.d || fail "pam_keyinitd.so still in /etc/pam.d after dpkg -r"
su "$user" -c true && su - "$user" -c true || fail "su $user fails after dpkg -r"
[[ -f /etc/keyinitd/keyinitd.toml ]] || fail "dpkg -r removed the conffiles (only purge should)"
undiverted "dpkg -r"
runuser -l "$user" -c true || fail "runuser -l $user fails after dpkg -r"
ok "dpkg -r: daemon stopped, module out of PAM, su and runuser -l work, configuration kept, no diversion, libpam-modules' pam_keyinit.so back (dpkg -V clean)"

say "dpkg -P keyinitd"
dpkg -P keyinitd >"$work/dpkg-P.log" 2>&1 || { cat "$work/dpkg-P.log"; fail "dpkg -P failed"; }
for d in /etc/keyinitd /var/lib/keyinitd /var/log/keyinitd /run/keyinitd; do
  [[ ! -e $d ]] || fail "$d still there after purge"
done
registry=keyinitd.registry.$(printf %s /run/keyinitd/state | sha256sum | cut -c1-16)
for key in $(keyctl rlist @u); do
  [[ $(keyctl rdescribe "$key" 2>/dev/null) != *";$registry" ]] || fail "registry keyring $registry still in root's user keyring"
done
diff -r "$work/pam.d" /etc/pam.d || fail "/etc/pam.d differs from before the test"
undiverted "dpkg -P"
ok "dpkg -P: /etc/keyinitd, /var/lib/keyinitd, /var/log/keyinitd and the registry keyring gone; /etc/pam.d as before; no diversion, dpkg -V libpam-modules clean"
