package io.tokvec.it;

import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.devkit.LocalSchemaRegistryServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the Python package's tests ({@code src/tokvec-python/tests}, pytest) against the in-process
 * broker and the devkit schema registry, with the jar this build made (the tests start
 * {@code tokvec run} and {@code tokvec publish} from it): Python publishers, readers and writers
 * against the Java application and publisher. Needs Debian's python3 with python3-confluent-kafka,
 * python3-avro, python3-numpy and python3-pytest (installed by .ci/run); skipped, saying which are
 * missing, where they are not. The pytest output is in {@code target/python-tests.log}, its report
 * in {@code target/pytest-reports/}.
 */
class PythonPackageIT {

    static final Path ROOT = Path.of(System.getProperty("tokvec.root.dir", "."));
    static final Path TESTS = ROOT.resolve("src/tokvec-python/tests");
    /** Debian's python3 (where apt installs python3-confluent-kafka etc.), before any other on the PATH. */
    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    static final List<String> MODULES = List.of("confluent_kafka", "avro", "numpy", "pytest");
    static final long TIMEOUT_MINUTES = 20;

    @TempDir
    static Path dir;
    static EmbeddedKafkaBroker broker;
    static LocalSchemaRegistryServer registry;

    @BeforeAll
    static void start() throws Exception {
        List<String> missing = new ArrayList<>();
        for (String module : MODULES) {
            if (exitOf(List.of(PYTHON, "-c", "import " + module)) != 0) {
                missing.add(module);
            }
        }
        assumeTrue(missing.isEmpty(), PYTHON + " lacks " + missing
                + " (Debian: python3-confluent-kafka python3-avro python3-numpy python3-pytest): Python package tests skipped");
        broker = EmbeddedKafkaBroker.builder().build().start();
        registry = new LocalSchemaRegistryServer(0, dir.resolve("schemas.jsonl"));
    }

    @AfterAll
    static void stop() {
        if (registry != null) registry.close();
        if (broker != null) broker.close();
    }

    @Test
    void shouldPassThePythonPackagesTests() throws Exception {
        Path jar = ChildProcessApp.jar();
        Path target = ROOT.resolve("target");
        Path log = target.resolve("python-tests.log");
        Files.createDirectories(target);
        ProcessBuilder pb = new ProcessBuilder(PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", "--durations=8",
                "--junitxml=" + target.resolve("pytest-reports/TEST-tokvec-python.xml"),
                "--basetemp=" + dir.resolve("pytest"), TESTS.toString())
                .directory(ROOT.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("TOKVEC_BOOTSTRAP_SERVERS", broker.bootstrapServers());
        env.put("TOKVEC_SCHEMA_REGISTRY_URL", registry.url());
        env.put("TOKVEC_JAR", jar.toAbsolutePath().toString());
        env.put("JAVA_HOME", System.getProperty("java.home")); // the tests' `tokvec run` uses this JVM's java
        env.put("PYTHONDONTWRITEBYTECODE", "1"); // no __pycache__ in the source tree
        Process p = pb.start();
        boolean ended = p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly); // the applications pytest started
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(ended).as("pytest ended within %d minutes:\n%s", TIMEOUT_MINUTES, tail(out)).isTrue();
        assertThat(p.exitValue()).as("pytest exit value (0: every test passed):\n%s", tail(out)).isZero();
        assertThat(out).as("pytest ran tests").containsPattern("\\d+ passed");
    }

    private static String tail(String out) {
        return out.length() <= 20_000 ? out : "...\n" + out.substring(out.length() - 20_000);
    }

    private static int exitOf(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
