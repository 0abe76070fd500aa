package org.keyinitd.metrics;

import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.protocol.Op;

/**
 * The daemon's counters and latencies. Counters come from the audit trail itself (every event
 * and outcome), so what keyinitctl status and the textfile report always agrees with the audit
 * log; latencies are measured around request handling.
 */
public final class Metrics {
    private final Map<String, LongAdder> events = new ConcurrentHashMap<>();
    private final Map<Op, LatencyReservoir> latency = new EnumMap<>(Op.class);

    public Metrics() {
        for (Op op : Op.values()) {
            latency.put(op, new LatencyReservoir());
        }
    }

    /** Counts one audit event; meant as an audit log listener. */
    public void onAudit(AuditEvent e) {
        events.computeIfAbsent(e.event() + "|" + e.outcome(), k -> new LongAdder()).increment();
    }

    public void observe(Op op, long nanos) {
        latency.get(op).add(nanos);
    }

    public Latency latency(Op op) {
        return latency.get(op).snapshot();
    }

    /** Count per (event, outcome), sorted, as "event|outcome". */
    public Map<String, Long> eventCounts() {
        Map<String, Long> out = new TreeMap<>();
        events.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** The sum over outcomes of one event, or over events of one outcome (either may be null). */
    public long count(String event, String outcome) {
        long n = 0;
        for (Map.Entry<String, LongAdder> e : events.entrySet()) {
            String[] eo = e.getKey().split("\\|", 2);
            if ((event == null || eo[0].equals(event)) && (outcome == null || eo[1].equals(outcome))) {
                n += e.getValue().sum();
            }
        }
        return n;
    }
}
