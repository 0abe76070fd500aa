package org.keyinitd.service;

import java.util.Optional;
import java.util.Set;
import org.keyinitd.linux.Kernel;
import org.keyinitd.linux.KernelException;
import org.keyinitd.linux.Passwd;

/** Users and groups as the system's NSS configuration (files, sssd, ldap...) sees them. */
public final class NssUsers implements UserDirectory {
    private final Kernel kernel;

    public NssUsers(Kernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public Optional<Passwd> byName(String name) throws KernelException {
        return kernel.passwdByName(name);
    }

    @Override
    public Set<String> groupsOf(Passwd user) throws KernelException {
        return kernel.groupsOf(user.name(), user.gid());
    }
}
