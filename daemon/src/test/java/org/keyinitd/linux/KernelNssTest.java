package org.keyinitd.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The NSS lookups' buffer handling and struct layouts, without root: a fake *_r call stands for
 * NSS answering ERANGE until the buffer is large enough (a group with thousands of members in AD
 * or LDAP), and real getpwnam_r/getgrgid_r read through the declared structs.
 */
class KernelNssTest {
    private static final Libc LIBC = Libc.INSTANCE;

    @Test
    void theBufferGrowsOnErangeUntilTheEntryFits() throws Exception {
        List<Long> sizes = new ArrayList<>();
        Memory name = new Memory(16);
        name.setString(0, "bigGroup");
        Kernel.GroupStruct grp = new Kernel.GroupStruct();
        boolean found = Kernel.nssLookup("getgrgid_r(4242)", grp, (out, buf, size, result) -> {
            sizes.add(size);
            if (size < 100_000) {
                return KernelException.ERANGE; // what glibc says when the members do not fit
            }
            Kernel.GroupStruct g = Structure.newInstance(Kernel.GroupStruct.class, out);
            g.gr_name = name;
            g.gr_gid = 4242;
            g.write();
            result.setValue(out);
            return 0;
        }, LIBC);
        assertThat(found).isTrue();
        assertThat(sizes).containsExactly(16384L, 32768L, 65536L, 131072L);
        assertThat(grp.gr_name.getString(0)).isEqualTo("bigGroup");
        assertThat(grp.gr_gid).isEqualTo(4242);
    }

    @Test
    void anEntryLargerThanTheCapIsAnErrorNotAMiss() {
        assertThatThrownBy(() -> Kernel.nssLookup("getgrgid_r(1)", new Kernel.GroupStruct(),
                (out, buf, size, result) -> KernelException.ERANGE, LIBC))
                .isInstanceOfSatisfying(KernelException.class, e -> assertThat(e.errno()).isEqualTo(KernelException.ERANGE));
    }

    @Test
    void otherErrorsAndMissesAreReported() throws Exception {
        assertThatThrownBy(() -> Kernel.nssLookup("getpwnam_r(x)", new Kernel.PasswdStruct(),
                (out, buf, size, result) -> KernelException.EACCES, LIBC))
                .isInstanceOfSatisfying(KernelException.class, e -> assertThat(e.errno()).isEqualTo(KernelException.EACCES));
        assertThat(Kernel.nssLookup("getpwnam_r(x)", new Kernel.PasswdStruct(), (out, buf, size, result) -> 0, LIBC))
                .as("no entry").isFalse();
    }

    @Test
    void theStructsHaveGlibcsLayout() {
        // pwd.h/grp.h on LP64: 5 pointers and 2 ints; 3 pointers and an int, padded
        if (Native.POINTER_SIZE == 8) {
            assertThat(new Kernel.PasswdStruct().size()).isEqualTo(48);
            assertThat(new Kernel.GroupStruct().size()).isEqualTo(32);
        } else {
            assertThat(new Kernel.PasswdStruct().size()).isEqualTo(28);
            assertThat(new Kernel.GroupStruct().size()).isEqualTo(16);
        }
    }

    @Test
    void realLookupsReadRootsEntries() throws Exception {
        Kernel k = new Kernel();
        Passwd root = k.passwdByName("root").orElseThrow();
        assertThat(root.uid()).isZero();
        assertThat(root.gid()).isZero();
        assertThat(root.home()).isEqualTo("/root");
        assertThat(k.passwdByName("no-such-user-kit")).isEmpty();
        assertThat(k.groupsOf("root", 0)).contains("0", "root");
    }
}
