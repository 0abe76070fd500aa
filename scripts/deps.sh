#!/usr/bin/env bash
# Installs what building, testing and demonstrating keyinitd needs on Debian 12.
# Idempotent: asks apt only for packages that are missing. Maven fetches the Java
# dependencies (pinned in pom.xml) itself on the first build.
set -euo pipefail

packages=(
  openjdk-17-jdk-headless maven   # daemon and CLI
  gcc make libc6-dev              # the PAM module
  libpam0g-dev libpam-modules     # libpam with pam_start_confdir, pam_permit.so
  libkeyutils-dev keyutils        # keyctl(3) for the module, keyctl(1) for tests and the demo
  passwd procps                   # useradd/userdel, pkill for test users
  jsvc lintian                    # packaging: the non-systemd launcher, the .deb's checks
  libpam-runtime                  # packaging: pam-auth-update for the install test
  logrotate                       # packaging: the install test parses /etc/logrotate.d/keyinitd
  auditd                          # KernelAuditIT: a real auditd, auditctl and ausearch
  openssh-server openssh-client   # StockStackIT: a real sshd on 127.0.0.1 (its own config, port and keys)
  sudo                            # StockStackIT: sudo -i and sudo on Debian's own PAM files
  cron                            # StockStackIT: a real cron daemon runs a job through Debian's /etc/pam.d/cron
  clang libclang-rt-14-dev        # scripts/fuzz.sh: clang with the libFuzzer, ASan and UBSan runtimes
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $EUID -ne 0 ]]; then
    echo "deps.sh: these packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  echo "deps.sh: installing ${missing[*]}"
  apt-get update -qq
  # No service a package ships may start here (sshd on port 22, auditd): the tests start their
  # own, on loopback and private ports. policy-rc.d is Debian's switch for exactly that.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
