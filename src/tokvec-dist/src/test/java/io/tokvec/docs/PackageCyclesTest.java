package io.tokvec.docs;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import io.tokvec.avro.DeadLetter;
import io.tokvec.model.ActiveTable;
import io.tokvec.model.TableRegistry;

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
 * ({@code core}, {@code tables}, {@code model}) use no Kafka and nothing of the application;
 * generated Avro classes ({@code io.tokvec.avro}) depend on nothing of ours; the enrichment
 * processor sees the table registry only through the read-only {@link ActiveTable} view; and
 * {@code streams.DeadLetters} is the one place that builds dead-letter records.
 */
@AnalyzeClasses(packages = "io.tokvec", importOptions = PackageCyclesTest.ProductionClasses.class)
class PackageCyclesTest {

    /** The core packages: the arithmetic, table files and the versioned registry, without Kafka. */
    static final String[] CORE = {"io.tokvec.core..", "io.tokvec.tables..", "io.tokvec.model.."};

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
                "io.tokvec.http", "io.tokvec.broker", "io.tokvec.devkit", "io.tokvec.bench");
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
    static final ArchRule AVRO_CLASSES_DEPEND_ON_NOTHING_OF_OURS = noClasses().that().resideInAPackage("io.tokvec.avro..")
            .should().dependOnClassesThat(resideInAPackage("io.tokvec..").and(not(resideInAPackage("io.tokvec.avro.."))));

    @ArchTest
    static final ArchRule ENRICHMENT_SEES_THE_REGISTRY_READ_ONLY = noClasses()
            .that().haveSimpleName("EnrichProcessor").or().haveSimpleName("PartitionVersions")
            .should().dependOnClassesThat().areAssignableTo(TableRegistry.class)
            .because("the enrichment path reads the table through ActiveTable, which cannot stage, verify or swap");

    @ArchTest
    static final ArchRule DEAD_LETTERS_BUILT_IN_ONE_PLACE = noClasses()
            .that().doNotHaveFullyQualifiedName("io.tokvec.streams.DeadLetters").and().resideOutsideOfPackage("io.tokvec.avro..")
            .should().callCodeUnitWhere(target(owner(equivalentTo(DeadLetter.class))).and(target(name("newBuilder").or(name("<init>")))))
            .because("streams.DeadLetters is the one place that builds dead-letter records");
}
