package org.keyinitd.launcher;

import org.keyinitd.audit.AuditEvent;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.server.RequestBudget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the request budget's summary into one audit line ({@code requests.limited}) and a daemon
 * log warning per uid named: "N more refused requests from uid U in the last T s".
 */
final class LimitedRequests {
    private static final Logger log = LoggerFactory.getLogger(LimitedRequests.class);

    private final AuditLog audit;

    LimitedRequests(AuditLog audit) {
        this.audit = audit;
    }

    void report(RequestBudget.Summary s) {
        java.util.List<java.util.Map<String, Object>> uids = new java.util.ArrayList<>();
        for (RequestBudget.Limited l : s.uids()) {
            uids.add(java.util.Map.of("peer_uid", l.uid(), "count", l.count()));
            log.warn("{} more refused requests from uid {} in the last {} s (rate-limited, not logged one by one)",
                    l.count(), l.uid(), s.seconds());
        }
        if (s.otherUids() > 0) {
            log.warn("{} more refused requests from {} other uids in the last {} s", s.otherCount(), s.otherUids(),
                    s.seconds());
        }
        audit.record(AuditEvent.of("requests.limited", "rate-limited").with("seconds", s.seconds())
                .with("count", s.total()).with("uids", uids)
                .with("other_uids", s.otherUids() == 0 ? null : s.otherUids())
                .with("other_count", s.otherUids() == 0 ? null : s.otherCount()).build());
    }
}
