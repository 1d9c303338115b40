package io.tokvec.it;

import io.tokvec.broker.LoopbackPorts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cluster of {@code java -jar tokvec.jar broker --nodes N --node-id K --port BASE --dir DIR} child processes, one
 * per node, each with its own log file: what a user runs by hand, and what can be killed with SIGKILL. Only these
 * processes are ever signalled.
 */
final class BrokerProcesses implements AutoCloseable {

    /** JVM options of a broker child: a small heap, and a light JIT and GC for a machine shared by many processes. */
    static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    private static final Duration READY = Duration.ofSeconds(180);

    private final int nodes;
    private final int base;
    private final Path dir;
    private final Path logs;
    private final IntFunction<List<String>> extraArgs;
    private final Map<String, String> env;
    private final Map<Integer, Process> running = new TreeMap<>();
    private final Map<Integer, Integer> starts = new HashMap<>();

    private BrokerProcesses(int nodes, int base, Path dir, Path logs, IntFunction<List<String>> extraArgs, Map<String, String> env) {
        this.nodes = nodes;
        this.base = base;
        this.dir = dir;
        this.logs = logs;
        this.extraArgs = extraArgs;
        this.env = Map.copyOf(env);
    }

    /**
     * Starts {@code nodes} broker processes on a free base port and waits until every one printed its ready line.
     * A free base may be taken before the brokers bind it: then everything is started again on another one.
     *
     * @param extraArgs more options of node K's command line
     * @param env       more environment variables of every node
     */
    static BrokerProcesses start(int nodes, Path dir, Path logs, IntFunction<List<String>> extraArgs, Map<String, String> env)
            throws IOException, InterruptedException {
        AssertionError last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            BrokerProcesses cluster = new BrokerProcesses(nodes, LoopbackPorts.freeBase(nodes), dir.resolve("try-" + attempt),
                    logs, extraArgs, env);
            try {
                for (int k = 1; k <= nodes; k++) {
                    cluster.launch(k);
                }
                for (int k = 1; k <= nodes; k++) {
                    cluster.awaitReady(k);
                }
                return cluster;
            } catch (AssertionError e) {
                cluster.close();
                if (!cluster.anyLogContains("Address already in use")) throw e;
                last = e;
            }
        }
        throw last;
    }

    int base() {
        return base;
    }

    int port(int node) {
        return base + node - 1;
    }

    String bootstrapServers() {
        return IntStream.rangeClosed(1, nodes).mapToObj(k -> "127.0.0.1:" + port(k)).collect(Collectors.joining(","));
    }

    boolean isRunning(int node) {
        Process p = running.get(node);
        return p != null && p.isAlive();
    }

    /** The node whose client port is {@code port}. */
    int nodeOfPort(int port) {
        return port - base + 1;
    }

    /** SIGKILL: no shutdown hook, no controlled shutdown; returns the exit value (137). */
    int kill(int node) throws InterruptedException {
        Process p = running.remove(node);
        assertThat(p).as("node %d is running", node).isNotNull();
        p.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("node %d ended after SIGKILL", node).isTrue();
        return p.exitValue();
    }

    /** SIGTERM: a clean, controlled shutdown; returns the exit value (0). */
    int stop(int node) throws InterruptedException {
        Process p = running.remove(node);
        assertThat(p).as("node %d is running", node).isNotNull();
        p.destroy();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("node " + node + " did not stop within 120 s of SIGTERM (log " + log(node) + ")");
        }
        return p.exitValue();
    }

    /** Starts a stopped node again on its ports and data dir, and waits for its ready line. */
    void restart(int node) throws IOException {
        assertThat(isRunning(node)).as("node %d is stopped", node).isFalse();
        launch(node);
        awaitReady(node);
    }

    private void launch(int node) throws IOException {
        int run = starts.merge(node, 1, Integer::sum);
        Path log = logs.resolve("node-" + node + "-" + run + ".log");
        Files.createDirectories(logs);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM);
        cmd.addAll(List.of("-jar", ChildProcessApp.jar().toString(), "broker", "--nodes", Integer.toString(nodes),
                "--node-id", Integer.toString(node), "--port", Integer.toString(base), "--dir", dir.toString()));
        cmd.addAll(extraArgs.apply(node));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        running.put(node, pb.start());
    }

    private Path log(int node) {
        return logs.resolve("node-" + node + "-" + starts.get(node) + ".log");
    }

    private void awaitReady(int node) {
        String ready = "broker: node " + node + " of " + nodes + " listening on";
        Await.until(READY, "node " + node + " ready (log " + log(node) + ")", () -> {
            Process p = running.get(node);
            if (p == null || !p.isAlive()) {
                throw new AssertionError("node " + node + " ended before it was ready; log " + log(node) + ":\n" + tail(log(node)));
            }
            return tail(log(node)).contains(ready);
        });
    }

    private boolean anyLogContains(String text) {
        return starts.keySet().stream().anyMatch(k -> tail(log(k)).contains(text));
    }

    private static String tail(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : running.values()) {
            p.destroyForcibly();
        }
        for (Process p : running.values()) {
            p.waitFor(30, TimeUnit.SECONDS);
        }
        running.clear();
    }
}
