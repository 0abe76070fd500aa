package org.keyinitd.audit;

/**
 * Every outcome a session event can have, typed: the audit lines, the metrics and
 * {@code keyinitctl status} all name outcomes through this one enum, so a misspelt outcome
 * cannot compile, and a count cannot miss one (docs/audit.md lists them per event).
 */
public enum Outcome {
    // session.open
    CREATED("created"),
    REPLACED_FOREIGN("replaced-foreign"),
    TAKEN_OVER("taken-over"),
    KEPT_EXISTING("kept-existing"),
    SKIPPED("skipped"),
    UNSUPPORTED("unsupported"),
    EXPIRED("expired"),
    // the end of a session: session.close, session.orphan, session.revoke, session.recover, admin.revoke
    REVOKED("revoked"),
    INVALIDATED("invalidated"),
    KEPT("kept"),
    RELEASED("released"),
    ABORTED("aborted"),
    ABANDONED("abandoned"),
    DEFERRED("deferred"),
    ALREADY_REVOKED("already-revoked"),
    GONE("gone"),
    KEPT_OPEN("kept-open"),
    WATCHING("watching"),
    CORRUPT("corrupt"),
    // session.fallback: a login served in-process while the daemon was down, learnt afterwards
    ADOPTED("adopted"),
    ENDED("ended"),
    // refusals and failures
    DENIED("denied"),
    NOT_FOUND("not-found"),
    ERROR("error");

    private final String auditName;

    Outcome(String auditName) {
        this.auditName = auditName;
    }

    /** The value of the audit field {@code outcome}. */
    public String auditName() {
        return auditName;
    }

    /** The outcome an audit line names, or empty for outcomes of other events ({@code ok}, {@code rejected}). */
    public static java.util.Optional<Outcome> ofAuditName(String name) {
        for (Outcome o : values()) {
            if (o.auditName.equals(name)) {
                return java.util.Optional.of(o);
            }
        }
        return java.util.Optional.empty();
    }

    /** An OPEN that was answered with a decision: the login went on through the daemon. */
    public boolean isAnsweredOpen() {
        return this == CREATED || this == REPLACED_FOREIGN || this == TAKEN_OVER || this == KEPT_EXISTING
                || this == SKIPPED || this == UNSUPPORTED;
    }

    /** A CLOSE that ended its session (now, or deferred until the keyring is unused). */
    public boolean isCompletedClose() {
        return this == REVOKED || this == INVALIDATED || this == KEPT || this == ABORTED || this == DEFERRED
                || this == ALREADY_REVOKED;
    }

    /** Something the requesting peer may have brought on itself: noise when the peer is not root. */
    public boolean isRefusal() {
        return this == DENIED || this == ERROR || this == NOT_FOUND || this == EXPIRED || this == ABANDONED;
    }
}
