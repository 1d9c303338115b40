package io.tokvec.docs;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two jars the build assembles: {@code target/tokvec-app.jar}, what the Docker image runs, holds
 * production code only (no embedded broker, no test utilities, no benchmarks); {@code target/tokvec.jar},
 * what the README runs, holds every command.
 */
class JarContentsIT {

    static final Path APP_JAR = Path.of(System.getProperty("tokvec.app.jar", "target/tokvec-app.jar"));
    static final Path FULL_JAR = Path.of(System.getProperty("tokvec.jar", "target/tokvec.jar"));

    /** Class-file prefixes that must stay out of the production jar. */
    static final List<String> NOT_IN_PRODUCTION = List.of(
            "io/tokvec/broker/", "io/tokvec/devkit/", "io/tokvec/bench/",
            "kafka/server/", "kafka/tools/", "scala/", "org/apache/kafka/raft/", "org/apache/kafka/controller/",
            "org/apache/kafka/streams/TopologyTestDriver", "org/junit/", "org/assertj/");

    @Test
    void shouldHoldProductionCodeOnlyWhenTheAppJarIsBuilt() throws IOException {
        List<String> entries = entries(APP_JAR);

        assertThat(entries).contains("io/tokvec/cli/Main.class", "io/tokvec/streams/TokvecTopology.class",
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
