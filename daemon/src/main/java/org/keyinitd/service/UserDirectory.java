package org.keyinitd.service;

import java.util.Optional;
import java.util.Set;
import org.keyinitd.linux.KernelException;
import org.keyinitd.linux.Passwd;

/** Resolves users and their groups through NSS. */
public interface UserDirectory {
    Optional<Passwd> byName(String name) throws KernelException;

    /** Names and numeric gids of the user's primary and supplementary groups. */
    Set<String> groupsOf(Passwd user) throws KernelException;
}
