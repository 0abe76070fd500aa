package org.keyinitd.service;

import java.io.IOException;
import java.util.List;
import org.keyinitd.audit.AuditEvent;
import org.keyinitd.audit.AuditLog;
import org.keyinitd.audit.Outcome;
import org.keyinitd.linux.LoginIds;
import org.keyinitd.linux.ProcStat;
import org.keyinitd.policy.CloseAction;
import org.keyinitd.policy.RevokeMode;
import org.keyinitd.protocol.FallbackRecord;
import org.keyinitd.protocol.OpenRequest;
import org.keyinitd.protocol.ProtocolException;
import org.keyinitd.session.FallbackSpool;
import org.keyinitd.session.Session;
import org.keyinitd.session.SessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns of the logins the module served in-process while the daemon could not be reached, from
 * their fallback records: at start, and every {@link #INTERVAL_MILLIS} after (a login that timed
 * out against a busy daemon falls back too). A login whose process still lives is listed as a
 * {@link Session.State#FALLBACK} session and watched; one that is over by then is only audited.
 * Either way {@code session.fallback} ties the keyring to the login ({@code pid}, {@code auid},
 * {@code ses}). The daemon does not hold such a keyring (the module made it in the login's own
 * process), so it never revokes one: the module's line does at close, as pam_keyinit would.
 */
public final class FallbackIntake implements AutoCloseable {
    public static final long INTERVAL_MILLIS = 2000;

    static final String GONE_BEFORE = "process gone before the daemon learnt of the login";

    private static final Logger log = LoggerFactory.getLogger(FallbackIntake.class);

    private final FallbackSpool spool;
    private final SessionRegistry registry;
    private final Liveness liveness;
    private final OrphanHandler orphans;
    private final AuditLog audit;
    private final Sweeper sweeper = new Sweeper("fallback-intake");

    public FallbackIntake(FallbackSpool spool, SessionRegistry registry, Liveness liveness, OrphanHandler orphans,
                          AuditLog audit) {
        this.spool = spool;
        this.registry = registry;
        this.liveness = liveness;
        this.orphans = orphans;
        this.audit = audit;
    }

    public void start() {
        sweeper.every(INTERVAL_MILLIS, this::takeIn);
    }

    /** One pass over the spool: each record adopted or audited, then removed. The number taken. */
    public synchronized int takeIn() {
        List<FallbackSpool.Entry> entries;
        try {
            entries = spool.read(this::unusable);
        } catch (IOException e) {
            log.error("cannot read the fallback spool {}: {}", spool.dir(), e.getMessage());
            return 0;
        }
        for (FallbackSpool.Entry e : entries) {
            try {
                take(FallbackRecord.decode(e.content()));
            } catch (ProtocolException bad) {
                unusable(e.name(), bad.getMessage());
            }
            try {
                spool.remove(e.name());
            } catch (IOException failed) {
                log.error("cannot remove fallback record {}/{}: {}", spool.dir(), e.name(), failed.getMessage());
            }
        }
        if (!entries.isEmpty()) {
            log.info("learnt of {} logins served in-process while the daemon was unreachable", entries.size());
        }
        return entries.size();
    }

    private void take(FallbackRecord r) {
        if (alreadyListed(r)) {
            return; // a crash between listing it and removing its record
        }
        Session s = sessionOf(r);
        boolean alive = r.pidStartTime() != 0 && ProcStat.startTime(r.pid()).orElse(-1) == r.pidStartTime();
        if (!alive) {
            audit.record(line(s, Outcome.ENDED, r).with("end_reason", GONE_BEFORE).build());
            return;
        }
        registry.add(s);
        Session listed = registry.get(s.id()).orElse(s); // with the login's audit ids
        audit.record(line(listed, Outcome.ADOPTED, r).build());
        log.info("session {} for {}: keyring {} was made in-process by pid {} while the daemon was unreachable ({})",
                s.id(), s.user(), s.keyringSerial(), s.pid(), r.reason());
        if (!liveness.watch(listed)) {
            orphans.processGone(listed.id(), OrphanHandler.EXITED);
        }
    }

    private boolean alreadyListed(FallbackRecord r) {
        return registry.inState(Session.State.FALLBACK).stream()
                .anyMatch(s -> s.keyringSerial() == r.keyringSerial() && s.pid() == r.pid());
    }

    private Session sessionOf(FallbackRecord r) {
        OpenRequest o = r.open();
        return new Session(registry.newId(), o.user(), o.uid(), o.service(), o.tty(), o.rhost(), o.ruser(), r.pid(),
                r.pidStartTime(), "", r.keyringSerial(), RevokeMode.of(o.moduleFlags().revoke()), CloseAction.REVOKE,
                false, "", r.madeAt(), Session.State.FALLBACK, LoginIds.UNKNOWN);
    }

    private static AuditEvent.Builder line(Session s, Outcome outcome, FallbackRecord r) {
        return SessionAudit.session(SessionAudit.FALLBACK, outcome, s)
                .with("caller_keyring", r.open().callerKeyring().auditName())
                .with("fallback_at", r.madeAt().toString())
                .with("reason", r.reason())
                .with("revoke", SessionAudit.revokeValue(s.revoke()));
    }

    private void unusable(String name, String why) {
        log.error("fallback record {}/{} is unusable and was removed: {}", spool.dir(), name, why);
        audit.record(AuditEvent.of(SessionAudit.FALLBACK, Outcome.CORRUPT.auditName())
                .with("file", name).with("reason", why).build());
    }

    @Override
    public void close() {
        sweeper.close();
    }
}
