package org.keyinitd.linux;

/** A system call failed; carries the errno so callers can map it to a protocol outcome. */
public final class KernelException extends Exception {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EACCES = 13;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int EINVAL = 22;
    public static final int ERANGE = 34;
    public static final int ENOSYS = 38;
    public static final int EDQUOT = 122;
    public static final int ENOKEY = 126;
    public static final int EKEYEXPIRED = 127;
    public static final int EKEYREVOKED = 128;

    private final int errno;
    private final String operation;

    public KernelException(String operation, int errno, String description) {
        super(operation + ": " + description + " (" + errnoName(errno) + ")");
        this.operation = operation;
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    public String operation() {
        return operation;
    }

    public static String errnoName(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EACCES -> "EACCES";
            case ENFILE -> "ENFILE";
            case EMFILE -> "EMFILE";
            case EINVAL -> "EINVAL";
            case ERANGE -> "ERANGE";
            case ENOSYS -> "ENOSYS";
            case EDQUOT -> "EDQUOT";
            case ENOKEY -> "ENOKEY";
            case EKEYEXPIRED -> "EKEYEXPIRED";
            case EKEYREVOKED -> "EKEYREVOKED";
            default -> "errno " + errno;
        };
    }
}
