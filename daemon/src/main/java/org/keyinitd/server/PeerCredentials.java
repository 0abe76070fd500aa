package org.keyinitd.server;

/** Who is on the other end of a connection, from SO_PEERCRED (the kernel's word, not the client's). */
public record PeerCredentials(int pid, long uid, long gid) {
    public boolean isRoot() {
        return uid == 0;
    }

    @Override
    public String toString() {
        return "pid " + pid + " uid " + uid;
    }
}
