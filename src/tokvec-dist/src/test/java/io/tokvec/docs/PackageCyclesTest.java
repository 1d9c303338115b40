package io.tokvec.docs;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import io.tokvec.avro.DeadLetter;
import io.tokvec.model.ActiveTable;
import io.tokvec.model.TableRegistry;

import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package rules of the production code (every module's main classes, read from their bytecode
 * by ArchUnit): the packages {@code io.tokvec.X} form no dependency cycle; the core packages
 * ({@code core}, {@code tables}, {@code model}) use no Kafka and nothing of the application; the
 * library ({@code config}, {@code serde}, {@code streams}: the tokvec-streams artifact users depend on)
 * uses nothing of the standalone application, the developer kit or the test kit; no production code
 * but the test kit and the benchmarks touches Kafka's test utilities; the example application (main
 * and test classes) uses the library's public packages and the test kit only; generated Avro classes
 * ({@code io.tokvec.avro}) depend on nothing of ours; the enrichment path sees the table registry only
 * through the read-only {@link ActiveTable} view; and {@code streams.DeadLetters} is the one place that
 * builds dead-letter records.
 */
@AnalyzeClasses(packages = "io.tokvec", importOptions = PackageCyclesTest.ProductionClasses.class)
class PackageCyclesTest {

    /** The core packages: the arithmetic, table files and the versioned registry, without Kafka. */
    static final String[] CORE = {"io.tokvec.core..", "io.tokvec.tables..", "io.tokvec.model.."};

    /** The library (the tokvec-streams artifact): what users' applications depend on. */
    static final String[] LIBRARY = {"io.tokvec.config..", "io.tokvec.serde..", "io.tokvec.streams.."};

    /** What the example application, a user's, may use of ours: the library's public packages and the test kit. */
    static final String[] PUBLIC_API = {"io.tokvec.streams..", "io.tokvec.config..", "io.tokvec.avro..", "io.tokvec.testkit..",
            "io.tokvec.example.."};

    /** Kafka's test utilities ({@code kafka-streams-test-utils}), and the test kit over them. */
    static final DescribedPredicate<JavaClass> TEST_UTILITIES = resideInAnyPackage("io.tokvec.testkit..", "org.apache.kafka.streams.test..")
            .or(name("org.apache.kafka.streams.TopologyTestDriver")).or(name("org.apache.kafka.streams.TestInputTopic"))
            .or(name("org.apache.kafka.streams.TestOutputTopic"));

    /** Main classes only: no test classes, whether from a test-classes directory or a test-jar. */
    static final class ProductionClasses implements ImportOption {
        @Override
        public boolean includes(Location location) {
            return !location.contains("/test-classes/") && !location.contains("-tests.jar");
        }
    }

    @ArchTest
    static void shouldReadTheClassesOfEveryModule(JavaClasses classes) {
        Set<String> packages = new TreeSet<>();
        for (JavaClass c : classes) {
            packages.add(c.getPackageName());
        }
        assertThat(packages).contains("io.tokvec.avro", "io.tokvec.core", "io.tokvec.model", "io.tokvec.tables",
                "io.tokvec.config", "io.tokvec.serde", "io.tokvec.kafka", "io.tokvec.streams", "io.tokvec.cli",
                "io.tokvec.http", "io.tokvec.app", "io.tokvec.broker", "io.tokvec.devkit", "io.tokvec.bench",
                "io.tokvec.testkit", "io.tokvec.example");
        assertThat(classes.contain("io.tokvec.streams.TopologyHarness")).as("test classes are left out").isFalse();
    }

    @ArchTest
    static final ArchRule NO_CYCLE_BETWEEN_PACKAGES = slices().matching("io.tokvec.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule CORE_WITHOUT_KAFKA = noClasses().that().resideInAnyPackage(CORE)
            .should().dependOnClassesThat().resideInAPackage("org.apache.kafka..");

    @ArchTest
    static final ArchRule CORE_WITHOUT_THE_APPLICATION = noClasses().that().resideInAnyPackage(CORE)
            .should().dependOnClassesThat(resideInAPackage("io.tokvec..")
                    .and(not(resideInAnyPackage("io.tokvec.core..", "io.tokvec.tables..", "io.tokvec.model..", "io.tokvec.avro.."))));

    @ArchTest
    static final ArchRule LIBRARY_WITHOUT_THE_APPLICATION = noClasses().that().resideInAnyPackage(LIBRARY)
            .should().dependOnClassesThat(resideInAPackage("io.tokvec..")
                    .and(not(resideInAnyPackage(LIBRARY))).and(not(resideInAnyPackage(CORE))).and(not(resideInAPackage("io.tokvec.avro.."))))
            .because("users depend on the library (tokvec-streams) without the application, the developer kit or the test kit");

    @ArchTest
    static final ArchRule TEST_UTILITIES_IN_THE_TEST_KIT_ONLY = noClasses()
            .that().resideOutsideOfPackages("io.tokvec.testkit..", "io.tokvec.bench..")
            .should().dependOnClassesThat(TEST_UTILITIES)
            .because("kafka-streams-test-utils is a dependency of the test kit (and the benchmarks), not of the library or the application");

    @ArchTest
    static final ArchRule EXAMPLE_USES_THE_PUBLIC_API_ONLY = examplesRule();

    /** The example's test classes (its main classes are in the imported production classes): the public API and the kit only. */
    @ArchTest
    static void shouldTestTheExampleWithThePublicApiAndTheKitOnly(JavaClasses ignored) {
        Path testClasses = Path.of("src/tokvec-example/target/test-classes");
        assertThat(testClasses).as("the example's compiled tests").isDirectory();
        JavaClasses tests = new ClassFileImporter().importPath(testClasses);
        assertThat(tests.contain("io.tokvec.example.ChatEnrichmentTest")).isTrue();
        examplesRule().check(tests);
    }

    private static ArchRule examplesRule() {
        return noClasses().that().resideInAPackage("io.tokvec.example..")
                .should().dependOnClassesThat(resideInAPackage("io.tokvec..").and(not(resideInAnyPackage(PUBLIC_API))))
                .because("the example is a user's application: the library's public packages and the test kit are all it has");
    }

    @ArchTest
    static final ArchRule AVRO_CLASSES_DEPEND_ON_NOTHING_OF_OURS = noClasses().that().resideInAPackage("io.tokvec.avro..")
            .should().dependOnClassesThat(resideInAPackage("io.tokvec..").and(not(resideInAPackage("io.tokvec.avro.."))));

    @ArchTest
    static final ArchRule ENRICHMENT_SEES_THE_REGISTRY_READ_ONLY = noClasses()
            .that().haveSimpleName("EnrichCore").or().haveSimpleName("EnrichProcessor").or().haveSimpleName("EnrichValuesProcessor")
            .or().haveSimpleName("EventReader").or().haveSimpleName("EnrichSpec").or().haveSimpleName("PartitionVersions")
            .should().dependOnClassesThat().areAssignableTo(TableRegistry.class)
            .because("the enrichment path reads the table through ActiveTable, which cannot stage, verify or swap");

    @ArchTest
    static final ArchRule DEAD_LETTERS_BUILT_IN_ONE_PLACE = noClasses()
            .that().doNotHaveFullyQualifiedName("io.tokvec.streams.DeadLetters").and().resideOutsideOfPackage("io.tokvec.avro..")
            .should().callCodeUnitWhere(target(owner(equivalentTo(DeadLetter.class))).and(target(name("newBuilder").or(name("<init>")))))
            .because("streams.DeadLetters is the one place that builds dead-letter records");
}
