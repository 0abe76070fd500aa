package org.keyinitd.linux;

/** System call numbers for the architectures keyinitd supports (asm/unistd_64.h, asm-generic). */
record Syscalls(long setresuid, long getresuid, long setresgid, long getresgid, long addKey, long keyctl,
                long gettid) {

    static final Syscalls CURRENT = forArch(System.getProperty("os.arch"));

    static Syscalls forArch(String arch) {
        return switch (arch) {
            case "amd64", "x86_64" -> new Syscalls(117, 118, 119, 120, 248, 250, 186);
            case "aarch64", "arm64" -> new Syscalls(147, 148, 149, 150, 217, 219, 178);
            default -> throw new UnsupportedOperationException("keyinitd has no syscall table for " + arch);
        };
    }
}
