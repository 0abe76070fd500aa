package org.keyinitd.linux;

/** System call numbers for the architectures keyinitd supports (asm/unistd_64.h, asm-generic). */
record Syscalls(long setresuid, long getresuid, long setresgid, long getresgid, long addKey, long keyctl,
                long pidfdOpen, long accept4, int epollEventSize, int epollDataOffset) {

    static final Syscalls CURRENT = forArch(System.getProperty("os.arch"));

    static Syscalls forArch(String arch) {
        return switch (arch) {
            // struct epoll_event is packed on x86_64 (12 bytes), naturally aligned elsewhere (16).
            case "amd64", "x86_64" -> new Syscalls(117, 118, 119, 120, 248, 250, 434, 288, 12, 4);
            case "aarch64", "arm64" -> new Syscalls(147, 148, 149, 150, 217, 219, 434, 242, 16, 8);
            default -> throw new UnsupportedOperationException("keyinitd has no syscall table for " + arch);
        };
    }
}
