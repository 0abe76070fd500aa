#!/usr/bin/env bash
# The keyinitd demo: build, start the daemon with the shipped default config, open a real
# PAM session for a real user through libpam and pam_keyinitd.so, show the session keyring
# from inside the session, close the session and show that the keyring was revoked.
# Run as root on Debian 12. Touches nothing in /etc/pam.d: the PAM stack for the demo lives
# in a temporary directory loaded with pam_start_confdir(3).
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $EUID -eq 0 ]] || { echo "demo.sh: run as root (it creates a user and starts a root daemon)" >&2; exit 1; }

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "Installing build dependencies (if missing)"
scripts/deps.sh

say "Building the daemon jar and the PAM module"
mvn -B -q -ntp -Dstyle.color=never package -DskipTests
ls -l daemon/target/keyinitd.jar pam-shim/pam_keyinitd.so

if ! getent passwd keyinitd >/dev/null; then
  say "Creating the system account keyinitd (its user keyring anchors the daemon's keyrings; it never logs in)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --comment "keyinitd keyring anchor" keyinitd
fi

user=keyinitd-demo
if ! id "$user" >/dev/null 2>&1; then
  say "Creating demo user $user"
  useradd --no-create-home --shell /usr/sbin/nologin --comment "keyinitd demo" "$user"
fi

config=config/keyinitd.toml
socket=$(sed -n 's/^socket *= *"\(.*\)"/\1/p' "$config")
audit=$(sed -n 's/^audit_log *= *"\(.*\)"/\1/p' "$config")
work=$(mktemp -d /tmp/keyinitd-demo.XXXXXX)
daemon_pid=
cleanup() {
  [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say "Starting keyinitd with $config (socket $socket)"
java -jar daemon/target/keyinitd.jar --config "$config" 2>"$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 100); do
  grep -q ' ready on ' "$work/daemon.log" && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log"; exit 1; }
  sleep 0.1
done
grep ' ready on ' "$work/daemon.log"

mkdir -p "$work/pam.d"
line="session required $PWD/pam-shim/pam_keyinitd.so socket=$socket revoke"
echo "$line" >"$work/pam.d/keyinitd-demo"
say "PAM stack for service keyinitd-demo (in $work/pam.d, not /etc/pam.d):"
echo "    $line"

say "Opening a PAM session for $user; inside it, as $user: keyctl show @s"
pam-shim/test/pam_harness --confdir "$work/pam.d" --service keyinitd-demo --user "$user" --tty pts/9 \
  --exec 'echo "--- as $(id -un) inside the session:"; keyctl show @s; echo "---"' | tee "$work/out"

serial=$(sed -n 's/^ses=//p' "$work/out")
say "After pam_close_session, keyring $serial is: $(sed -n "s/^state\.$serial=//p" "$work/out")"

say "Stopping keyinitd (a clean stop writes every queued audit line)"
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=
tail -n 3 "$work/daemon.log"

say "Audit trail ($audit): this session's lines"
grep "\"keyring\":$serial[,}]" "$audit"
