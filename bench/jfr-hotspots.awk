# Summarizes `jfr print --stack-depth 64 --events jdk.ExecutionSample,jdk.NativeMethodSample FILE`:
# for each sample, its top frame ("self") and the first org.keyinitd frame from the top (the
# project method that is running or waiting on the library/kernel below it). Prints the top N of
# each as "count  percent  frame", by event kind. Usage: awk -v N=25 -f jfr-hotspots.awk
function flush() {
    if (kind == "") return
    total[kind]++
    if (top != "") self[kind SUBSEP top]++
    if (own != "") ours[kind SUBSEP own]++
    if (thread != "") threads[kind SUBSEP thread]++
    kind = ""; top = ""; own = ""; thread = ""; instack = 0
}
function strip(f) { sub(/[ \t]+line:.*$/, "", f); sub(/^[ \t]+/, "", f); return f }
/^jdk\.(ExecutionSample|NativeMethodSample) \{/ { flush(); kind = $1; next }
/sampledThread = / { t = $0; sub(/.*sampledThread = "/, "", t); sub(/".*/, "", t); gsub(/-[0-9]+$/, "-N", t); thread = t }
/stackTrace = \[/ { instack = 1; next }
instack && /^[ \t]*\]/ { instack = 0; next }
instack && /^[ \t]+[A-Za-z_$]/ {
    f = strip($0)
    if (f == "...") next
    if (top == "") top = f
    if (own == "" && f ~ /^org\.keyinitd\./) own = f
    next
}
/^\}/ { flush() }
END {
    flush()
    if (N == "") N = 25
    for (k in total) {
        printf "\n### %s: %d samples\n\n", k, total[k]
        report(self, k, "top frame (self)")
        report(ours, k, "first org.keyinitd frame from the top")
        report(threads, k, "thread")
    }
}
function report(arr, k, title,    key, n, i, j, tmp, cnt, name, parts) {
    n = 0
    for (key in arr) {
        split(key, parts, SUBSEP)
        if (parts[1] != k) continue
        n++; cnt[n] = arr[key]; name[n] = parts[2]
    }
    for (i = 2; i <= n; i++) for (j = i; j > 1 && cnt[j] > cnt[j-1]; j--) {
        tmp = cnt[j]; cnt[j] = cnt[j-1]; cnt[j-1] = tmp; tmp = name[j]; name[j] = name[j-1]; name[j-1] = tmp
    }
    printf "%s:\n\n```\n", title
    for (i = 1; i <= n && i <= N; i++) printf "%6d %5.1f%%  %s\n", cnt[i], 100 * cnt[i] / total[k], name[i]
    printf "```\n\n"
}
