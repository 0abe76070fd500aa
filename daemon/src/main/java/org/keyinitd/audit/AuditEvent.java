package org.keyinitd.audit;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One audit record: an event name, an outcome and named fields, kept in insertion order so the
 * JSON lines read the same way every time. Field names are documented in docs/audit.md and
 * docs/audit.schema.json.
 *
 * <p>{@code noise} marks a line that an unprivileged peer caused by a refused or malformed request.
 * Such lines are already rate-limited at the socket (server.RequestBudget); the audit queue gives
 * them no room a real session event may need ({@link AuditLog}). Every other line is a real event
 * and is never dropped.
 */
public record AuditEvent(Instant ts, String event, String outcome, Map<String, Object> fields, boolean noise) {

    public AuditEvent(Instant ts, String event, String outcome, Map<String, Object> fields) {
        this(ts, event, outcome, fields, false);
    }

    public static Builder of(String event, String outcome) {
        return new Builder(event, outcome);
    }

    /** The syslog severity and daemon-log level this outcome deserves. */
    public Severity severity() {
        return Severity.of(outcome);
    }

    /** Builds an event; absent optionals, nulls and empty strings are left out rather than written. */
    public static final class Builder {
        private final String event;
        private final String outcome;
        private final Map<String, Object> fields = new LinkedHashMap<>();
        private boolean noise;
        private final Map<String, java.util.function.UnaryOperator<Object>> normalizers = new LinkedHashMap<>();

        private Builder(String event, String outcome) {
            this.event = event;
            this.outcome = outcome;
        }

        public Builder with(String name, Object value) {
            Object v = value instanceof Optional<?> opt ? opt.orElse(null) : value;
            java.util.function.UnaryOperator<Object> n = normalizers.get(name);
            if (v != null && n != null) {
                v = n.apply(v);
            }
            if (v != null && !(v instanceof String s && s.isEmpty())) {
                fields.put(name, v);
            }
            return this;
        }

        /**
         * Every later value of field {@code name} goes through {@code fn} first: lets the builder of
         * an event keep one type for a field whichever caller sets it.
         */
        public Builder normalize(String name, java.util.function.UnaryOperator<Object> fn) {
            normalizers.put(name, fn);
            return this;
        }

        /** Marks the line as noise (see {@link AuditEvent}) when {@code isNoise}. */
        public Builder noise(boolean isNoise) {
            this.noise = isNoise;
            return this;
        }

        public AuditEvent build() {
            return new AuditEvent(Instant.now(), event, outcome, Collections.unmodifiableMap(new LinkedHashMap<>(fields)),
                    noise);
        }
    }
}
