package org.keyinitd.service;

import java.util.Optional;
import org.keyinitd.linux.KernelException;
import org.keyinitd.linux.Passwd;

/** Resolves user names through NSS. */
@FunctionalInterface
public interface UserDirectory {
    Optional<Passwd> byName(String name) throws KernelException;
}
