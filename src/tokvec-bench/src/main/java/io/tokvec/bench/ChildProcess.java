package io.tokvec.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A process the bench starts (a broker, a tokvec instance, the Python peer, a producer), with its
 * stdout and stderr merged into a log file and kept in memory line by line, so that the bench can
 * wait for a line ("listening on ...") and read what the process printed. {@link #close()} sends
 * SIGTERM, waits, then kills.
 */
final class ChildProcess implements AutoCloseable {

    /** Children still running: a bench stopped by a signal takes them down too. */
    private static final java.util.Set<Process> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "bench-children-stop"));
    }

    private final String name;
    private final Process process;
    private final Path log;
    private final List<String> lines = new ArrayList<>();
    private final List<Long> arrivals = new ArrayList<>(); // wall-clock ms each line was read
    private final Thread pump;

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.pump = new Thread(this::pump, "bench-child-" + name);
        pump.setDaemon(true);
        pump.start();
    }

    /** Starts {@code command}, its output going to {@code log}. */
    static ChildProcess start(String name, List<String> command, Path log) throws IOException {
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        LIVE.add(p);
        p.onExit().thenRun(() -> LIVE.remove(p));
        return new ChildProcess(name, p, log);
    }

    /**
     * A command that runs {@code mainClass} in a new JVM with this JVM's class path (the jar, or the
     * test class path), the given JVM options first.
     */
    static List<String> java(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    private void pump() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                synchronized (this) {
                    lines.add(line);
                    arrivals.add(System.currentTimeMillis());
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the process went away: what it printed so far stays
        } finally {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    Path logFile() {
        return log;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** CPU time the process has used so far (user + system), in seconds; NaN when the OS does not say. */
    double cpuSeconds() {
        return process.toHandle().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    /**
     * Waits for a line matching {@code pattern} and returns its match.
     *
     * @throws TimeoutException      naming the process and its last lines when none came in time
     * @throws IllegalStateException when the process exited first
     */
    synchronized Matcher awaitLine(Pattern pattern, Duration timeout) throws InterruptedException, TimeoutException {
        return awaitLineAt(pattern, timeout).matcher();
    }

    /** A matching line and the wall-clock time (ms) the bench read it. */
    record Line(Matcher matcher, long arrivedMs) {
    }

    /** As {@link #awaitLine}, with the time the line was read (the child's output is not buffered: about when it was written). */
    synchronized Line awaitLineAt(Pattern pattern, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        while (true) {
            for (; seen < lines.size(); seen++) {
                Matcher m = pattern.matcher(lines.get(seen));
                if (m.find()) {
                    return new Line(m, arrivals.get(seen));
                }
            }
            if (!process.isAlive() && !pump.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before printing /" + pattern
                        + "/; last lines:\n" + tail(20));
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException(name + " printed no /" + pattern + "/ within " + timeout + "; last lines:\n" + tail(20));
            }
            wait(Math.max(1, Math.min(200, left / 1_000_000)));
        }
    }

    /** Waits for the process to exit by itself; its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException, TimeoutException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException(name + " did not exit within " + timeout + "; last lines:\n" + tail(20));
        }
        Joins.join(pump, 5_000);
        return process.exitValue();
    }

    /** The last {@code n} lines printed. */
    synchronized String tail(int n) {
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    /** Every line printed so far. */
    synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** SIGTERM, up to 30 s for a clean exit, then SIGKILL. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        Joins.join(pump, 5_000);
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ", log " + log + ")";
    }

    static void checkExit(ChildProcess p, int code) {
        if (code != 0) {
            throw new IllegalStateException(p.name() + " exited with " + code + "; last lines:\n" + p.tail(20));
        }
    }
}
