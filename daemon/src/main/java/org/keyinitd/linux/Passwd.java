package org.keyinitd.linux;

/** One NSS passwd entry: the fields keyinitd uses. */
public record Passwd(String name, long uid, long gid, String home) {
}
