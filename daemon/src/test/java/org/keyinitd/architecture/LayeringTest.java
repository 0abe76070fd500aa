package org.keyinitd.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The dependencies docs/architecture.md draws, checked on the compiled classes. */
class LayeringTest {
    private static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.keyinitd");
    }

    @Test
    void packagesHaveNoCycles() {
        slices().matching("org.keyinitd.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theWireFormatAndThePolicyDependOnNothingOfKeyinitd() {
        noClasses().that().resideInAPackage("org.keyinitd.protocol..").should().dependOnClassesThat()
                .resideInAnyPackage("org.keyinitd.policy..", "org.keyinitd.service..", "org.keyinitd.server..",
                        "org.keyinitd.keyring..", "org.keyinitd.linux..", "org.keyinitd.config..")
                .check(classes);
        noClasses().that().resideInAPackage("org.keyinitd.policy..").should().dependOnClassesThat()
                .resideInAnyPackage("org.keyinitd.protocol..", "org.keyinitd.service..", "org.keyinitd.server..",
                        "org.keyinitd.keyring..", "org.keyinitd.linux..", "org.keyinitd.config..")
                .check(classes);
    }

    @Test
    void onlyTheLinuxPackageTouchesNativeCode() {
        noClasses().that().resideOutsideOfPackage("org.keyinitd.linux..").should().dependOnClassesThat()
                .resideInAnyPackage("com.sun.jna..").check(classes);
    }

    @Test
    void theCommandLineClientIsNotTheDaemon() {
        noClasses().that().resideInAPackage("org.keyinitd.ctl..").should().dependOnClassesThat()
                .resideInAnyPackage("org.keyinitd.service..", "org.keyinitd.admin..", "org.keyinitd.keyring..",
                        "org.keyinitd.server..", "org.keyinitd.session..", "org.keyinitd.launcher..")
                .check(classes);
        noClasses().that().resideInAnyPackage("org.keyinitd.service..", "org.keyinitd.admin..")
                .should().dependOnClassesThat().resideInAnyPackage("org.keyinitd.ctl..", "org.keyinitd.launcher..")
                .check(classes);
    }
}
