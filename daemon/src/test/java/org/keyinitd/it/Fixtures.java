package org.keyinitd.it;

/** Teardown shared by the integration tests. */
final class Fixtures {
    private Fixtures() {
    }

    /** Closes each non-null resource in order (the daemon before the users it served), all of them even if one fails. */
    static void closeAll(AutoCloseable... resources) throws Exception {
        Exception first = null;
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                r.close();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
