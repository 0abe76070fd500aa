#!/usr/bin/env bash
# Builds everything and runs every test: the C tests (make check, make check-asan), the Java unit
# tests (surefire) and the integration tests (failsafe: the real daemon, libpam, the real
# pam_keyinitd.so, real users and keyrings). Run as root; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

if [[ $EUID -eq 0 ]]; then
  # As root the integration tests must run: make a skip a failure (Root.java).
  export KEYINITD_REQUIRE_ROOT_TESTS=1
fi

# -Psanitize: the integration tests load asan/pam_keyinitd.so into pam_harness-asan (ASan+UBSan,
# leaks included); any sanitizer report fails the test that caused it (PamHarness), and
# SanitizersIT proves a report does. The shipped, unsanitized module is what the package's
# install test below logs in with.
mvn -B -ntp -Dstyle.color=never clean verify -Psanitize "$@"

# Belt and braces: as root, the integration tests must have run and none skipped.
summary=daemon/target/failsafe-reports/failsafe-summary.xml
if [[ $EUID -eq 0 && $# -eq 0 ]]; then
  completed=$(sed -n 's:.*<completed>\([0-9]*\)</completed>.*:\1:p' "$summary")
  skipped=$(sed -n 's:.*<skipped>\([0-9]*\)</skipped>.*:\1:p' "$summary")
  if [[ -z $completed || $completed -eq 0 || ${skipped:-0} -ne 0 ]]; then
    echo "test.sh: integration tests did not all run as root (completed=${completed:-none}, skipped=${skipped:-?})" >&2
    exit 1
  fi
  echo "test.sh: $completed integration tests ran, none skipped"
fi

# A short fuzzing run of both wire decoders: a finding fails CI and is kept as a regression
# input (docs/security.md, "Fuzzing", has the long run).
if [[ $# -eq 0 ]]; then
  scripts/fuzz.sh "${KEYINITD_FUZZ_SECONDS:-20}"
fi
