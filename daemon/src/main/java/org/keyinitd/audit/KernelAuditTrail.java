package org.keyinitd.audit;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What keyinitd also tells the Linux audit subsystem (docs/audit.md, "Kernel audit"): one record
 * of type {@code CRYPTO_KEY_USER} (2404) per keyring created, kept, taken over, revoked or
 * invalidated, per denied open, and per admin revoke. An {@link AuditLog} listener: it picks and
 * formats on the recording thread, then hands the record to its own sender thread through a
 * bounded queue, because the kernel may make a sender wait while its backlog is full and a login
 * must not wait for that. A full queue drops the record (counted, ERROR at most every 10 s): the
 * JSON audit log stays the complete record; the kernel's copy is what joins it with libpam's.
 *
 * <p>The kernel stamps a record with the <em>sender's</em> auid and ses (the daemon's, normally
 * unset), and no process can choose its own ses. So the login's ids travel in the text, under
 * names of their own ({@code login-auid=}, {@code login-ses=}), not {@code auid=}/{@code ses=}:
 * ausearch reads the first {@code auid=}/{@code ses=} of a user record (the kernel's), and
 * {@code ausearch -i} would show the kernel's interpretation for a second field of the same name.
 */
public final class KernelAuditTrail implements Consumer<AuditEvent>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KernelAuditTrail.class);

    /** {@code AUDIT_CRYPTO_KEY_USER} (libaudit.h: "create, delete, negate" of user space keys). */
    public static final int TYPE = 2404;
    /** Longest string value, in bytes, before encoding (hex doubles it); audit records are at most ~8 KiB. */
    static final int MAX_VALUE_BYTES = 256;
    private static final int QUEUE = 1024;

    /** One record: audit_log_user_message's type, message, hostname, addr, tty and result. */
    public record Record(int type, String message, String hostname, String addr, String terminal, boolean success) {
    }

    /** Hands one record to the kernel; returns null when it did, else why not. */
    @FunctionalInterface
    public interface Sender {
        String send(Record record);
    }

    private static final Set<Outcome> OPEN_OUTCOMES = EnumSet.of(Outcome.CREATED, Outcome.REPLACED_FOREIGN,
            Outcome.TAKEN_OVER, Outcome.KEPT_EXISTING, Outcome.DENIED, Outcome.ABANDONED);
    private static final Set<String> END_EVENTS = Set.of("session.close", "session.orphan", "session.revoke",
            "admin.revoke");
    /** A keyring's end: revoked, invalidated or let go; "expired" is a session.revoke for max_lifetime. */
    private static final Set<Outcome> END_OUTCOMES = EnumSet.of(Outcome.REVOKED, Outcome.INVALIDATED, Outcome.KEPT,
            Outcome.RELEASED, Outcome.ABORTED, Outcome.ABANDONED, Outcome.EXPIRED);
    private static final Set<Outcome> FAILED = EnumSet.of(Outcome.DENIED, Outcome.ERROR, Outcome.ABANDONED,
            Outcome.ABORTED);
    private static final Pattern BARE = Pattern.compile("[A-Za-z0-9._:/@+\\-\\[\\]]{1,255}");
    private static final Pattern IP = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final Record STOP = new Record(0, "", "", "", "", true);

    private final Sender sender;
    private final BlockingQueue<Record> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Thread thread;
    private volatile boolean closed;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final ReportGate dropReport = new ReportGate();
    private final ReportGate failReport = new ReportGate();

    /** Starts the sender thread. */
    public KernelAuditTrail(Sender sender) {
        this.sender = sender;
        this.thread = new Thread(this::run, "keyinitd-kernel-audit");
        thread.setDaemon(true);
        thread.start();
    }

    /** The listener: queues the kernel record for {@code event}, if it has one. Never blocks. */
    @Override
    public void accept(AuditEvent event) {
        if (closed) {
            return;
        }
        Optional<Record> r = record(event);
        if (r.isPresent() && !queue.offer(r.get())) {
            long n = dropped.incrementAndGet();
            if (dropReport.tryPass()) {
                log.error("kernel audit queue full ({} records waiting for the kernel): {} records not sent so far "
                        + "(the audit log has them)", QUEUE, n);
            }
        }
    }

    /** Records the kernel took. */
    public long sent() {
        return sent.get();
    }

    /** Records dropped because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    /** Records the kernel refused. */
    public long failed() {
        return failed.get();
    }

    /** Stops taking records, sends what is queued (waiting at most 5 s for the kernel), stops the thread. */
    @Override
    public void close() {
        closed = true;
        boolean interrupted = false;
        try {
            if (!queue.offer(STOP, 5, TimeUnit.SECONDS)) {
                thread.interrupt();
            }
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (thread.isAlive()) {
            log.warn("kernel audit: {} records still queued at stop were not sent", queue.size());
            thread.interrupt();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (true) {
            Record r;
            try {
                r = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (r == STOP) {
                return;
            }
            String error;
            try {
                error = sender.send(r);
            } catch (RuntimeException e) {
                error = e.toString();
            }
            if (error == null) {
                sent.incrementAndGet();
            } else {
                long n = failed.incrementAndGet();
                if (failReport.tryPass()) {
                    log.warn("kernel audit: record not sent ({}); {} so far (the audit log has them)", error, n);
                }
            }
        }
    }

    /**
     * The kernel record for {@code e}, or empty when the event is not one of those sent: the
     * policy of what goes to the kernel, and how each field is written.
     */
    public static Optional<Record> record(AuditEvent e) {
        String event = e.event();
        String outcome = e.outcome();
        Optional<Outcome> typed = Outcome.ofAuditName(outcome);
        if (typed.isEmpty()) {
            return Optional.empty(); // not a session event's outcome (config.reload ok, ...)
        }
        Outcome o = typed.get();
        boolean open = event.equals("session.open") && OPEN_OUTCOMES.contains(o);
        boolean end = END_EVENTS.contains(event)
                && (END_OUTCOMES.contains(o) || (event.equals("admin.revoke") && o == Outcome.ERROR));
        if (!open && !end) {
            return Optional.empty();
        }
        Map<String, Object> f = e.fields();
        StringBuilder m = new StringBuilder(256);
        m.append("op=keyinitd:").append(event).append(" outcome=").append(outcome);
        quoted(m, "acct", f.get("user"));
        number(m, "id", f.get("uid"));
        number(m, "login-auid", f.get("auid"));
        number(m, "login-ses", f.get("ses"));
        number(m, "login-pid", f.get("pid"));
        quoted(m, "service", f.get("service"));
        bare(m, "session", f.get("session"));
        number(m, "keyring", f.get("keyring"));
        quoted(m, "rule", f.get("rule"));
        if (event.equals("admin.revoke")) {
            number(m, "admin-auid", f.get("peer_auid"));
            number(m, "admin-ses", f.get("peer_ses"));
            number(m, "admin-pid", f.get("peer_pid"));
        }
        quoted(m, "reason", f.get("reason"));
        String rhost = string(f.get("rhost"));
        String hostname = rhost == null ? "?" : unquoted(rhost);
        String addr = rhost != null && IP.matcher(rhost).matches() ? rhost : "?";
        String tty = string(f.get("tty"));
        String terminal = tty == null ? "?" : unquoted(tty);
        return Optional.of(new Record(TYPE, m.toString(), hostname, addr, terminal, !FAILED.contains(o)));
    }

    private static String string(Object v) {
        return v == null ? null : v.toString();
    }

    private static void number(StringBuilder m, String name, Object v) {
        if (v instanceof Number n) {
            m.append(' ').append(name).append('=').append(n.longValue());
        }
    }

    /** A hex id (the session): written as is when it is one, else encoded. */
    private static void bare(StringBuilder m, String name, Object v) {
        if (v != null) {
            m.append(' ').append(name).append('=').append(unquoted(v.toString()));
        }
    }

    /**
     * {@code name="value"} when every byte is printable ASCII other than a quote (as libaudit's
     * audit_encode_nv_string writes it), else {@code name=HEX} of the UTF-8 bytes, which
     * ausearch -i decodes. Nothing a peer sends can end a field or add one.
     */
    static void quoted(StringBuilder m, String name, Object v) {
        if (v == null) {
            return;
        }
        byte[] b = clip(v.toString());
        m.append(' ').append(name).append('=');
        if (printable(b)) {
            m.append('"').append(new String(b, StandardCharsets.US_ASCII)).append('"');
        } else {
            hex(m, b);
        }
    }

    /** Fields libaudit writes unquoted (hostname, terminal): as is when plain, else hex. */
    static String unquoted(String v) {
        if (BARE.matcher(v).matches()) {
            return v;
        }
        StringBuilder m = new StringBuilder();
        hex(m, clip(v));
        return m.toString();
    }

    private static byte[] clip(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_VALUE_BYTES) {
            return b;
        }
        return java.util.Arrays.copyOf(b, MAX_VALUE_BYTES);
    }

    private static boolean printable(byte[] b) {
        if (b.length == 0) {
            return false;
        }
        for (byte x : b) {
            if (x < 0x21 || x > 0x7e || x == '"' || x == '\'') {
                return false;
            }
        }
        return true;
    }

    private static void hex(StringBuilder m, byte[] b) {
        final String digits = "0123456789ABCDEF";
        for (byte x : b) {
            m.append(digits.charAt((x >> 4) & 0xF)).append(digits.charAt(x & 0xF));
        }
    }
}
