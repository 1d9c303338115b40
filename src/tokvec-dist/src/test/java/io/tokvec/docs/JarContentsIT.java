package io.tokvec.docs;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two jars the build assembles: {@code target/tokvec-app.jar}, what the Docker image runs, holds
 * production code only (no embedded broker, no test utilities, no test kit, no benchmarks);
 * {@code target/tokvec.jar}, what the README runs, holds every command. And the plain jars users depend
 * on ({@code mvn install} puts them in the local repository): the library {@code tokvec-streams}, whose
 * POM brings no test utilities, CLI, HTTP server or logging binding, and the test kit
 * {@code tokvec-testkit}, whose POM brings Kafka's test utilities.
 */
class JarContentsIT {

    static final Path APP_JAR = Path.of(System.getProperty("tokvec.app.jar", "target/tokvec-app.jar"));
    static final Path FULL_JAR = Path.of(System.getProperty("tokvec.jar", "target/tokvec.jar"));
    static final Path LIBRARY_JAR = Path.of(System.getProperty("tokvec.streams.jar"));
    static final Path TEST_KIT_JAR = Path.of(System.getProperty("tokvec.testkit.jar"));
    static final String TEST_UTILS = "org.apache.kafka:kafka-streams-test-utils";

    /** Class-file prefixes that must stay out of the production jar. */
    static final List<String> NOT_IN_PRODUCTION = List.of(
            "io/tokvec/broker/", "io/tokvec/devkit/", "io/tokvec/bench/",
            "kafka/server/", "kafka/tools/", "scala/", "org/apache/kafka/raft/", "org/apache/kafka/controller/",
            "org/apache/kafka/streams/TopologyTestDriver", "org/junit/", "org/assertj/", "io/tokvec/testkit/",
            "io/tokvec/example/");

    @Test
    void shouldHoldProductionCodeOnlyWhenTheAppJarIsBuilt() throws IOException {
        List<String> entries = entries(APP_JAR);

        assertThat(entries).contains("io/tokvec/cli/Main.class", "io/tokvec/streams/TokvecTopology.class",
                "io/tokvec/streams/TokvecEnrichment.class", "io/tokvec/app/TokvecApp.class",
                "io/tokvec/core/Enricher.class", "io/tokvec/config/TokvecConfig.class", "librocksdbjni-linux64.so",
                "librocksdbjni-linux-aarch64.so");
        assertThat(entries).noneMatch(e -> NOT_IN_PRODUCTION.stream().anyMatch(e::startsWith));
        assertThat(entries).noneMatch(e -> e.startsWith("librocksdbjni-osx") || e.startsWith("librocksdbjni-win"));
    }

    @Test
    void shouldOfferProductionCommandsOnlyWhenTheAppJarRuns() throws Exception {
        String help = run(APP_JAR, "--help");

        assertThat(commands(help)).containsExactly("help", "enrich", "publish", "run");
    }

    @Test
    void shouldOfferEveryCommandWhenTheFullJarRuns() throws Exception {
        String help = run(FULL_JAR, "--help");

        assertThat(commands(help)).containsExactlyInAnyOrder("help", "enrich", "publish", "run", "broker", "demo", "bench");
        assertThat(entries(FULL_JAR)).contains("io/tokvec/broker/EmbeddedKafkaBroker.class",
                "io/tokvec/bench/BenchCommand.class", "org/apache/kafka/streams/TopologyTestDriver.class");
    }

    @Test
    void shouldHoldTheLibraryOnlyWithRealDependenciesWhenTheLibraryJarIsBuilt() throws IOException {
        List<String> entries = entries(LIBRARY_JAR);
        Map<String, String> dependencies = dependencies(LIBRARY_JAR, "tokvec-streams");

        assertThat(entries).contains("io/tokvec/streams/TokvecEnrichment.class", "io/tokvec/serde/ConfluentAvroSerde.class",
                "io/tokvec/config/TokvecConfig.class");
        assertThat(entries).as("a plain jar: no dependency shaded in, no application")
                .noneMatch(e -> e.startsWith("org/apache/") || e.startsWith("io/tokvec/core/") || e.startsWith("io/tokvec/cli/")
                        || e.startsWith("io/tokvec/testkit/") || e.startsWith("io/tokvec/app/"));
        assertThat(dependencies).containsEntry("io.tokvec:tokvec-core", "compile")
                .containsEntry("org.apache.kafka:kafka-streams", "compile")
                .containsEntry(TEST_UTILS, "test")
                .containsEntry("org.slf4j:slf4j-simple", "test")
                .doesNotContainKeys("info.picocli:picocli", "io.micrometer:micrometer-core", "io.tokvec:tokvec-app");
    }

    @Test
    void shouldCarryKafkasTestUtilitiesWhenTheTestKitJarIsBuilt() throws IOException {
        List<String> entries = entries(TEST_KIT_JAR);
        Map<String, String> dependencies = dependencies(TEST_KIT_JAR, "tokvec-testkit");

        assertThat(entries).contains("io/tokvec/testkit/TokvecTestKit.class").noneMatch(e -> e.startsWith("io/tokvec/streams/"));
        assertThat(dependencies).containsEntry("io.tokvec:tokvec-streams", "compile").containsEntry(TEST_UTILS, "compile");
    }

    /**
     * The dependencies the jar's own POM ({@code META-INF/maven/io.tokvec/ARTIFACT/pom.xml}, what
     * {@code mvn install} installs beside it) declares, as groupId:artifactId to scope (compile when
     * the POM says none; versions and scopes of the parent's dependencyManagement apply).
     */
    static Map<String, String> dependencies(Path jar, String artifactId) throws IOException {
        String pom;
        try (JarFile f = new JarFile(jar.toFile())) {
            JarEntry e = f.getJarEntry("META-INF/maven/io.tokvec/" + artifactId + "/pom.xml");
            assertThat(e).as("the POM in %s", jar).isNotNull();
            pom = new String(f.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, String> deps = new TreeMap<>();
        Matcher m = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL).matcher(pom);
        while (m.find()) {
            String d = m.group(1);
            if (tag(d, "type") != null) continue; // test-jars
            deps.put(tag(d, "groupId") + ":" + tag(d, "artifactId"), tag(d, "scope") == null ? "compile" : tag(d, "scope"));
        }
        return deps;
    }

    private static String tag(String xml, String tag) {
        Matcher m = Pattern.compile("<" + tag + ">([^<]*)</" + tag + ">").matcher(xml);
        return m.find() ? m.group(1).trim() : null;
    }

    static List<String> entries(Path jar) throws IOException {
        assertThat(jar).as("jar built by mvn package").isRegularFile();
        try (JarFile f = new JarFile(jar.toFile())) {
            return f.stream().map(e -> e.getName()).collect(Collectors.toList());
        }
    }

    /** The subcommand names picocli lists under "Commands:". */
    static List<String> commands(String help) {
        String after = help.substring(help.indexOf("Commands:") + "Commands:".length());
        return after.lines().filter(l -> l.startsWith("  ") && !l.startsWith("   ")).map(l -> l.trim().split("\\s+")[0])
                .collect(Collectors.toList());
    }

    static String run(Path jar, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("exit code of %s", cmd).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }
}
