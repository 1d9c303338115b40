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

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void nodeOneOfThreeAloneSaysSoInOneLineWaitsAndServesOnceASecondNodeStarts() throws Exception {
        int base = LoopbackPorts.freeBase(3);
        Path dir = tmp.resolve("cluster");
        Child one = Child.start(tmp, "node1", "broker", "--nodes", "3", "--node-id", "1", "--port", String.valueOf(base),
                "--dir", dir.toString(), "--startup-check-timeout-ms", "2000");
        started.add(one.process);
        String notice = "broker: node 1 of 3: no other controller answers within 2 s (node 2 at 127.0.0.1:"
                + (base + 101) + ", node 3 at 127.0.0.1:" + (base + 102) + "); still waiting for a majority: start them with"
                + " 'broker --nodes 3 --port " + base + " --node-id K'";
        one.awaitLine(notice::equals, READY_TIMEOUT);
        // waiting, not failing: well past Kafka's own first-registration timeout would have been 60 s; here 2 checks
        Thread.sleep(4_000);
        assertThat(one.process.isAlive()).as("node 1 waits for the others; stderr:%n%s", one.stderr()).isTrue();
        assertThat(one.stderr()).as("the raft client's reconnect warnings stay out of the console")
                .doesNotContain("could not be established").doesNotContain("\tat ");

        Child two = Child.start(tmp, "node2", "broker", "--nodes", "3", "--node-id", "2", "--port", String.valueOf(base),
                "--dir", dir.toString(), "--startup-check-timeout-ms", "2000");
        started.add(two.process);
        one.awaitLine(l -> l.startsWith("broker: node 1 of 3 listening on 127.0.0.1:" + base + " "), READY_TIMEOUT);
        two.awaitLine(l -> l.startsWith("broker: node 2 of 3 listening on 127.0.0.1:" + (base + 1) + " "), READY_TIMEOUT);
        String notUpYet = "broker: node 1 of 3 serves with 2 of 3 nodes; not up yet: node 3 at 127.0.0.1:" + (base + 102)
                + " (its connection warnings are held back until it is)";
        one.awaitLine(notUpYet::equals, WAIT);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:" + base + ",127.0.0.1:" + (base + 1)))) {
            assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).as("two brokers serve").hasSize(2);
        }
        assertThat(one.stdout()).as("one notice, not one per check").containsOnlyOnce(notice);
        assertThat(one.stderr() + two.stderr()).doesNotContain("could not be established").doesNotContain("\tat ");

        one.process.destroy(); // SIGTERM
        two.process.destroy();
        assertThat(one.process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("node 1 stopped").isTrue();
        assertThat(two.process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("node 2 stopped").isTrue();
        assertThat(one.process.exitValue()).as("node 1's exit status; stderr:%n%s", one.stderr()).isZero();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void nodeAloneWithAQuorumTimeoutExitsOneInOneLine() throws Exception {
        int base = LoopbackPorts.freeBase(3);
        Child one = Child.start(tmp, "alone", "broker", "--nodes", "3", "--node-id", "1", "--port", String.valueOf(base),
                "--dir", tmp.resolve("alone").toString(), "--startup-check-timeout-ms", "1000", "--quorum-timeout", "5");
        started.add(one.process);
        long t0 = System.nanoTime();
        assertThat(one.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("gave up; stderr:%n%s", one.stderr()).isTrue();
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertThat(one.process.exitValue()).isEqualTo(1);
        assertThat(seconds).as("gave up after --quorum-timeout 5, not Kafka's 60 s").isLessThan(55);
        List<String> messages = one.stderrMessages();
        assertThat(messages).containsExactly("broker: node 1 of 3: no controller quorum within 5 s (no other controller"
                + " answers: node 2 at 127.0.0.1:" + (base + 101) + ", node 3 at 127.0.0.1:" + (base + 102)
                + "); exiting (--quorum-timeout 0 waits as long as it takes)");
        assertThat(one.stderr()).doesNotContain("could not be established").doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void nodesThatAnswerButCannotFormAQuorumAreNamedInOneLine() throws Exception {
        int base = LoopbackPorts.freeBase(3);
        // two nodes of one cluster with different cluster ids: each answers the other's connection, and
        // refuses its votes (INCONSISTENT_CLUSTER_ID), so no quorum forms
        Child one = Child.start(tmp, "id1", "broker", "--nodes", "3", "--node-id", "1", "--port", String.valueOf(base),
                "--dir", tmp.resolve("ids").toString(), "--cluster-id", "MkU3OEVBNTcwNTJENDM2Qg", "--startup-check-timeout-ms", "2000");
        started.add(one.process);
        Child two = Child.start(tmp, "id2", "broker", "--nodes", "3", "--node-id", "2", "--port", String.valueOf(base),
                "--dir", tmp.resolve("ids").toString(), "--cluster-id", "NzFDMDI3QkE1NkYxNEU4Mg", "--startup-check-timeout-ms", "2000");
        started.add(two.process);
        String noQuorum = "broker: node 1 of 3: controllers of nodes [2] have answered for 6 s, but no quorum has formed;"
                + " still waiting (every node needs the same --nodes, --port and cluster id)";
        one.awaitLine(noQuorum::equals, READY_TIMEOUT);
        assertThat(one.stdout()).as("one notice of it").containsOnlyOnce(noQuorum).noneMatch(l -> l.contains(" listening on "));
        assertThat(one.process.isAlive()).isTrue();
        assertThat(one.stderr()).doesNotContain("\tat ");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void sigtermWhileWaitingForTheQuorumExitsZeroAtOnce() throws Exception {
        int base = LoopbackPorts.freeBase(3);
        Child one = Child.start(tmp, "waiting", "broker", "--nodes", "3", "--node-id", "3", "--port", String.valueOf(base),
                "--dir", tmp.resolve("waiting").toString(), "--startup-check-timeout-ms", "1000");
        started.add(one.process);
        one.awaitLine(l -> l.startsWith("broker: node 3 of 3: no other controller answers within 1 s"), READY_TIMEOUT);
        long t0 = System.nanoTime();
        one.process.destroy(); // SIGTERM
        assertThat(one.process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        System.out.printf("waiting node stopped %d ms after SIGTERM%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        assertThat(one.process.exitValue()).as("stderr:%n%s", one.stderr()).isZero();
        one.awaitLine("broker: node 3 of 3 stopped before its cluster formed (it served nothing)"::equals, WAIT);
        assertThat(one.stderr()).doesNotContain("\tat ").doesNotContain("failed to start");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aPortInUseIsOneLineAndExitOne() throws Exception {
        try (ServerSocket held = new ServerSocket()) {
            held.bind(new InetSocketAddress("127.0.0.1", 0));
            int busy = held.getLocalPort();
            Child single = Child.start(tmp, "busy", "broker", "--port", String.valueOf(busy), "--dir", tmp.resolve("busy").toString(),
                    "--registry-port", "-1");
            started.add(single.process);
            assertThat(single.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(single.process.exitValue()).isEqualTo(1);
            assertThat(single.stderrMessages()).containsExactly("broker: cannot listen on 127.0.0.1:" + busy
                    + " (--port): Address already in use; is another broker running there? (another --port)");
            assertThat(single.stderr()).doesNotContain("\tat ");

            int base = LoopbackPorts.freeBase(3);
            try (ServerSocket controller = new ServerSocket()) {
                controller.bind(new InetSocketAddress("127.0.0.1", base + 101));
                Child two = Child.start(tmp, "busy2", "broker", "--nodes", "3", "--node-id", "2", "--port", String.valueOf(base),
                        "--dir", tmp.resolve("busy2").toString());
                started.add(two.process);
                assertThat(two.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                assertThat(two.process.exitValue()).isEqualTo(1);
                assertThat(two.stderrMessages()).containsExactly("broker: cannot listen on 127.0.0.1:" + (base + 101)
                        + " (node 2's controller port): Address already in use; is another broker running there? (another --port)");
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * {@code java -jar target/tokvec.jar ARGS} with its stdout and stderr in files (a pipe would lose what it prints in
     * its shutdown hook: {@link Process#destroy()} closes the pipes as it sends SIGTERM).
     */
    private record Child(Process process, Path stdoutFile, Path stderrFile) {

        static Child start(Path tmp, String name, String... args) throws IOException {
            String jar = System.getProperty("tokvec.jar", "target/tokvec.jar");
            assertThat(Paths.get(jar)).as("the shaded jar (mvn package)").isRegularFile();
            Path stdout = tmp.resolve(name + ".stdout.log");
            Path stderr = tmp.resolve(name + ".stderr.log");
            List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx384m", "-XX:+UseSerialGC", "-jar", jar));
            command.addAll(List.of(args));
            Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            return new Child(process, stdout, stderr);
        }

        void awaitLine(java.util.function.Predicate<String> line, Duration within) {
            await("a line on stdout").atMost(within).pollInSameThread()
                    .untilAsserted(() -> assertThat(stdout()).as("stdout (alive: %s); stderr:%n%s", process.isAlive(), stderr())
                            .anyMatch(line));
        }

        List<String> stdout() {
            return read(stdoutFile).lines().toList();
        }

        String stderr() {
            return read(stderrFile);
        }

        /** The stderr lines that are not log lines (slf4j-simple's start with the time). */
        List<String> stderrMessages() {
            return stderr().lines().filter(l -> !l.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[.*")).toList();
        }
    }

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
