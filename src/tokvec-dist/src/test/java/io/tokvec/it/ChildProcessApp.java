package io.tokvec.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code java -jar tokvec.jar run --config FILE} as a child process, its output written to a log
 * file. Only this process is ever signalled: {@link #kill()} is SIGKILL
 * ({@link Process#destroyForcibly()}), {@link #stop()} SIGTERM ({@link Process#destroy()}), which
 * runs the application's shutdown hook.
 */
final class ChildProcessApp implements AutoCloseable {

    /** Exit value of a JVM ended by SIGKILL (128 + 9). */
    static final int SIGKILL_EXIT = 137;

    private final Process process;
    private final Path log;

    private ChildProcessApp(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** The application jar the build made ({@code tokvec.jar}, set by failsafe). */
    static Path jar() {
        String jar = System.getProperty("tokvec.jar");
        assertThat(jar).as("system property tokvec.jar (set by failsafe)").isNotBlank();
        Path p = Path.of(jar);
        assertThat(p).as("the application jar (run `mvn verify`, which packages it first)").isRegularFile();
        return p;
    }

    static ChildProcessApp start(Path config, Path log) throws IOException {
        return start(config, log, "512m");
    }

    /** As {@link #start(Path, Path)}, with the given maximum heap ({@code -Xmx}). */
    static ChildProcessApp start(Path config, Path log, String maxHeap) throws IOException {
        return start(config, log, maxHeap, List.of());
    }

    /**
     * As {@link #start(Path, Path, String)}, with more JVM options; the environment variable
     * {@code TOKVEC_IT_CHILD_OPTS} adds options to every child (e.g.
     * {@code -Dorg.slf4j.simpleLogger.log.org.apache.kafka=info} for the Kafka clients' logs).
     */
    static ChildProcessApp start(Path config, Path log, String maxHeap, List<String> jvmOptions) throws IOException {
        Files.createDirectories(log.getParent());
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new java.util.ArrayList<>(List.of(java.toString(), "-Xmx" + maxHeap, "-XX:+UseSerialGC"));
        command.addAll(jvmOptions);
        String extra = System.getenv("TOKVEC_IT_CHILD_OPTS");
        if (extra != null && !extra.isBlank()) command.addAll(List.of(extra.trim().split("\\s+")));
        command.addAll(List.of("-jar", jar().toString(), "run", "--config", config.toString()));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        return new ChildProcessApp(pb.start(), log);
    }

    /** Writes an application's settings as the properties file {@code run --config} reads. */
    static Path writeConfig(Map<String, String> settings, Path file) throws IOException {
        Properties p = new Properties();
        p.putAll(settings);
        try (OutputStream out = Files.newOutputStream(file)) {
            p.store(out, "tokvec integration test");
        }
        return file;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    private static final Pattern HTTP_PORT = Pattern.compile("operations endpoint on http://[^:]+:(\\d+)/");

    /** The port of the child's operations endpoint ({@code tokvec.http.port=0}), read from its log line. */
    int awaitHttpPort(java.time.Duration timeout) {
        return await("the operations endpoint of " + log).atMost(timeout).ignoreException(IOException.class).until(() -> {
            Matcher m = HTTP_PORT.matcher(Files.readString(log));
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        }, port -> port > 0);
    }

    /** SIGKILL: no shutdown hook, no flush, no commit; returns the exit value. */
    int kill() throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("child %d ended after SIGKILL", pid()).isTrue();
        return process.exitValue();
    }

    /** SIGTERM: the shutdown hook closes the application cleanly; returns the exit value. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
