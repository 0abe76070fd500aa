package org.keyinitd.audit;

import java.util.Set;

/**
 * How serious an audit line is, from its outcome: a refusal is a warning, a failure an error,
 * everything else information. Syslog copies carry it as their severity (docs/audit.md).
 */
public enum Severity {
    ERROR(3), WARNING(4), INFO(6);

    private static final Set<String> WARNINGS = Set.of("denied", "rate-limited", "aborted", "corrupt", "rejected",
            "not-found", "expired", "abandoned", "replaced-foreign");
    private static final Set<String> ERRORS = Set.of("error");

    private final int syslog;

    Severity(int syslog) {
        this.syslog = syslog;
    }

    /** The syslog(3) severity number: LOG_ERR 3, LOG_WARNING 4, LOG_INFO 6. */
    public int syslog() {
        return syslog;
    }

    static Severity of(String outcome) {
        if (ERRORS.contains(outcome)) {
            return ERROR;
        }
        return WARNINGS.contains(outcome) ? WARNING : INFO;
    }
}
