package org.keyinitd.audit;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One audit record: an event name, an outcome and named fields, kept in insertion order so the
 * JSON lines read the same way every time. Field names are documented in docs/audit.md.
 */
public record AuditEvent(Instant ts, String event, String outcome, Map<String, Object> fields) {

    public static Builder of(String event, String outcome) {
        return new Builder(event, outcome);
    }

    /** Builds an event; absent optionals and nulls are left out rather than written as null. */
    public static final class Builder {
        private final String event;
        private final String outcome;
        private final Map<String, Object> fields = new LinkedHashMap<>();

        private Builder(String event, String outcome) {
            this.event = event;
            this.outcome = outcome;
        }

        public Builder with(String name, Object value) {
            if (value instanceof Optional<?> opt) {
                opt.ifPresent(v -> fields.put(name, v));
            } else if (value != null) {
                fields.put(name, value);
            }
            return this;
        }

        public AuditEvent build() {
            return new AuditEvent(Instant.now(), event, outcome, Collections.unmodifiableMap(new LinkedHashMap<>(fields)));
        }
    }
}
