package dev.autoif.activities;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** No two packages of this module depend on each other, directly or through others: each dependency points one way. */
@AnalyzeClasses(packages = "dev.autoif.activities", importOptions = ImportOption.DoNotIncludeTests.class)
class PackageCyclesTest {
    @ArchTest
    static final ArchRule packagesAreFreeOfCycles = slices().matching("dev.autoif.(**)").should().beFreeOfCycles();
}
