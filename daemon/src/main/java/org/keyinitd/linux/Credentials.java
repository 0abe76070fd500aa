package org.keyinitd.linux;

/** A thread's real, effective and saved ids, as getresuid/getresgid report them. */
public record Credentials(long ruid, long euid, long suid, long rgid, long egid, long sgid) {
    public static final Credentials ROOT = new Credentials(0, 0, 0, 0, 0, 0);
}
