#!/usr/bin/env bash
# Runs COMMAND while three loops log USER in with su (Debian's stock /etc/pam.d/su, the
# package's profile), and counts the logins that did not get a daemon keyring (fell back).
#   logins-under.sh WORKDIR USER COMMAND [ARG...]
# Exit 0 when every login got a daemon keyring and at least one login began while COMMAND ran;
# 1 otherwise (the failing logins are printed). Used by install-test.sh for the upgrade
# (dpkg -i) and for keyinitd-jsvc restart.
set -euo pipefail

work=$1 user=$2
shift 2
mkdir -p "$work"
rm -f "$work"/loop-* "$work/stop"

now() { date +%s%N; }

# One login per round: its start time, then what su printed (the session keyring's description,
# "keyring;UID;GID;PERM;NAME"), or its failure, on one line.
loop() {
  local out=$work/loop-$1
  while [[ ! -e $work/stop ]]; do
    local t
    t=$(now)
    # from the user-session keyring, as after a fresh login (install-test.sh says why)
    # (keyctl session says "Joined session keyring" on stderr: kept apart)
    if r=$(keyctl session _uid_ses.0 su "$user" -c 'keyctl rdescribe @s' 2>"$out.err"); then
      printf '%s %s\n' "$t" "$r" >>"$out"
    else
      printf '%s FAILED %s %s\n' "$t" "$r" "$(grep -v '^Joined session keyring' "$out.err" | tr '\n' ' ')" >>"$out"
    fi
  done
}

count() { cat "$work"/loop-[0-9] 2>/dev/null | wc -l; }

await_logins() {
  local want=$1
  for _ in $(seq 1200); do
    (( $(count) >= want )) && return 0
    sleep 0.1
  done
  echo "logins-under: only $(count) of $want logins within 120 s" >&2
  return 1
}

pids=()
for i in 1 2 3; do loop "$i" & pids+=($!); done
trap 'touch "$work/stop"; wait "${pids[@]}" 2>/dev/null || true' EXIT

await_logins 6
start=$(now)
"$@" >"$work/command.log" 2>&1 || { cat "$work/command.log"; echo "logins-under: $* failed" >&2; exit 1; }
end=$(now)
await_logins $(( $(count) + 6 ))
touch "$work/stop"
wait "${pids[@]}"
trap - EXIT

total=$(count)
during=$(cat "$work"/loop-[0-9] | awk -v s="$start" -v e="$end" '$1 >= s && $1 <= e' | wc -l)
bad=$(cat "$work"/loop-[0-9] | grep -v -E '^[0-9]+ keyring;[0-9]+;[0-9]+;[0-9a-f]+;keyinitd\.[0-9a-f]{32}$' || true)
if [[ -n $bad ]]; then
  echo "logins-under: $(echo "$bad" | wc -l) of $total logins did not get a daemon keyring:" >&2
  echo "$bad" | head -n 20 >&2
  exit 1
fi
if (( during == 0 )); then
  echo "logins-under: no login began while '$*' ran ($total in all); nothing was shown" >&2
  exit 1
fi
echo "$total logins, $during begun while '$*' ran ($(( (end - start) / 1000000 )) ms), 0 fell back"
