package org.keyinitd.protocol;

/**
 * A frame that cannot be accepted. Carries the status the reply must have; {@link #mustClose()}
 * says whether the connection can no longer be trusted to be in sync (bad header, oversized body).
 */
public final class ProtocolException extends Exception {
    private final Status status;
    private final boolean mustClose;

    public ProtocolException(Status status, String message, boolean mustClose) {
        super(message);
        this.status = status;
        this.mustClose = mustClose;
    }

    public ProtocolException(Status status, String message) {
        this(status, message, false);
    }

    public Status status() {
        return status;
    }

    public boolean mustClose() {
        return mustClose;
    }
}
