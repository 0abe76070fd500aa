package org.keyinitd.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * With mvn -Psanitize (what scripts/test.sh runs), every integration test drives
 * asan/pam_keyinitd.so through pam_harness-asan. This proves that the pair can fail a test at
 * all: a module with deliberate bugs (pam-shim/test/asan_canary.c), dlopen()ed by libpam into the
 * harness, must end in a sanitizer report that {@link PamHarness} turns into a failure.
 */
class SanitizersIT {
    @TempDir
    static Path dir;
    static PamHarness pam;

    @BeforeAll
    static void setUp() throws Exception {
        Root.require();
        Assumptions.assumeTrue(Boolean.getBoolean("keyinitd.sanitized"),
                "only with the sanitized module and harness (mvn -Psanitize, scripts/test.sh)");
        pam = new PamHarness(dir.resolve("pam.d"));
    }

    @ParameterizedTest
    @CsvSource({
        "overflow, ERROR: AddressSanitizer: heap-buffer-overflow",
        "leak,     ERROR: LeakSanitizer: detected memory leaks",
        "ubsan,    runtime error: signed integer overflow",
    })
    void aBugInADlopenedModuleFailsTheTest(String bug, String report) throws Exception {
        Path canary = PamHarness.module().resolveSibling("pam_asan_canary.so");
        assertThat(canary).exists();
        pam.service("canary-" + bug, "session required " + canary + " " + bug);
        assertThatThrownBy(() -> pam.run("canary-" + bug, "root"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("sanitizer report").hasMessageContaining(report);
    }

    @Test
    void theCanaryWithoutABugPasses() throws Exception {
        Path canary = PamHarness.module().resolveSibling("pam_asan_canary.so");
        pam.service("canary-none", "session required " + canary + " none");
        PamHarness.Result r = pam.run("canary-none", "root");
        assertThat(r.getInt("open_rc")).as(r.output()).isZero();
    }
}
