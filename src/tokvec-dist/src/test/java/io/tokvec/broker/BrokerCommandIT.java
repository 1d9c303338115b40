package io.tokvec.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar target/tokvec.jar broker} as a child process: ready line, real clients, SIGTERM, restart. */
class BrokerCommandIT {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() throws InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void runsInTheForegroundStopsCleanlyOnSigtermAndRestartsOnTheSameDir() throws Exception {
        int port = freePort();
        Path dir = tmp.resolve("broker-data");
        String bootstrap = "127.0.0.1:" + port;
        Map<String, Object> client = Map.of("bootstrap.servers", bootstrap);

        Running first = startBroker(port, dir, "run1");
        assertThat(first.readyLine).isEqualTo("broker: listening on " + bootstrap + " (data dir " + dir.toAbsolutePath() + ")");
        assertThat(dir.resolve("meta.properties")).isRegularFile();

        String clusterId;
        try (Admin admin = Admin.create(client)) {
            clusterId = admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
        }
        TestClients.produce(client, "cli-topic", Map.of("greeting", "hello from the child broker"));
        assertThat(TestClients.readAll(client, "cli-topic", 1, WAIT))
                .containsEntry("greeting", "hello from the child broker");

        stopWithSigterm(first);

        Running second = startBroker(port, dir, "run2");
        try (Admin admin = Admin.create(client)) {
            assertThat(admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS))
                    .as("same cluster id after a restart on the same dir").isEqualTo(clusterId);
        }
        assertThat(TestClients.readAll(client, "cli-topic", 1, WAIT))
                .containsEntry("greeting", "hello from the child broker");
        stopWithSigterm(second);
    }

    // ------------------------------------------------------------------ helpers

    private record Running(Process process, String readyLine, Path stderr) {
    }

    private Running startBroker(int port, Path dir, String name) throws Exception {
        String jar = System.getProperty("tokvec.jar", "target/tokvec.jar");
        assertThat(Paths.get(jar)).as("the shaded jar (mvn package)").isRegularFile();
        Path stderr = tmp.resolve(name + ".stderr.log");
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-jar", jar,
                "broker", "--port", String.valueOf(port), "--dir", dir.toString())
                .redirectError(stderr.toFile());
        Process process = pb.start();
        started.add(process);

        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "broker-stdout-" + name);
        reader.setDaemon(true);
        reader.start();

        List<String> stdout = new ArrayList<>();
        Supplier<String> state = () -> "the broker's stdout (alive: " + process.isAlive() + "): " + stdout + "\nstderr:\n" + read(stderr);
        await("the broker's ready line").atMost(READY_TIMEOUT).pollInSameThread()
                // its stdout ended (it exited) and held no ready line: no use waiting on
                .failFast("the broker exited without a ready line", () -> assertThat(!reader.isAlive() && lines.isEmpty()
                        && stdout.stream().noneMatch(BrokerCommandIT::isReadyLine)).as(state).isFalse())
                .untilAsserted(() -> {
                    lines.drainTo(stdout);
                    assertThat(stdout).as(state).anyMatch(BrokerCommandIT::isReadyLine);
                });
        return new Running(process, stdout.stream().filter(BrokerCommandIT::isReadyLine).findFirst().orElseThrow(), stderr);
    }

    private static boolean isReadyLine(String line) {
        return line.startsWith("broker: listening on ");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    private static void stopWithSigterm(Running r) throws Exception {
        long t0 = System.nanoTime();
        r.process.destroy(); // SIGTERM
        boolean exited = r.process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        String stderr = Files.readString(r.stderr);
        assertThat(exited).as("exited within %s after SIGTERM; stderr:%n%s", STOP_TIMEOUT, stderr).isTrue();
        assertThat(r.process.exitValue()).as("exit code after SIGTERM; stderr:%n%s", stderr).isZero();
        assertThat(stderr).contains("[tokvec-broker-shutdown]").contains("Broker stopped cleanly")
                .doesNotContain("did not shut down cleanly");
        System.out.printf("broker child stopped %d ms after SIGTERM%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }
}
