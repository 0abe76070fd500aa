#!/bin/sh
# Stages what jdeb cannot make itself: man pages and changelog gzip -9n'd (no name or time in
# the header, so the .deb is reproducible), the PAM module stripped as Debian installs
# libraries (the build keeps its debug symbols for the tests).
# Also generates keyinitctl's bash completion from its command definitions (picocli), so it
# always lists the commands and options the jar has.
#   stage.sh STAGE_DIR PAM_MODULE JAR
set -eu
stage=$1 module=$2 jar=$3
here=$(dirname "$0")
man=$here/../../man

rm -rf "$stage"
mkdir -p "$stage/man/man5" "$stage/man/man8"
for page in "$man"/*.[58]; do
    section=${page##*.}
    gzip -9n -c "$page" >"$stage/man/man$section/$(basename "$page").gz"
done
gzip -9n -c "$here/changelog" >"$stage/changelog.gz"
strip --strip-unneeded --remove-section=.comment --remove-section=.note -o "$stage/pam_keyinitd.so" "$module"
chmod 0644 "$stage/pam_keyinitd.so"
java -cp "$jar" picocli.AutoComplete --force --name keyinitctl --completionScript "$stage/keyinitctl.bash" \
    org.keyinitd.ctl.Ctl
# A completion file is sourced, not run: no #! line (lintian bash-completion-with-hashbang).
sed -i '1{/^#!/d}' "$stage/keyinitctl.bash"
chmod 0644 "$stage/keyinitctl.bash"
