package org.keyinitd.protocol;

/** The fixed 12-byte frame header, already checked for magic, version and size. */
public record Header(int version, int op, int status, int bodyLength) {
}
