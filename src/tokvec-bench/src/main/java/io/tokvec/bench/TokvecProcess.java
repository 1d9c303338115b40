package io.tokvec.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * {@code tokvec run --config FILE} in a process of its own, as users run it: the config written from
 * a map, the JVM's defaults unless options are given, the operations endpoint on a free port (the
 * config must set {@code tokvec.http.port=0}), which tells when the instance is ready.
 */
final class TokvecProcess implements AutoCloseable {

    private static final Pattern OPS_PORT = Pattern.compile("operations endpoint on http://[^:]+:(\\d+)/");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final ChildProcess process;
    private int port = -1;

    private TokvecProcess(ChildProcess process) {
        this.process = process;
    }

    /** Writes {@code config} to {@code configFile} and starts {@code tokvec run} on it. */
    static TokvecProcess start(String name, Map<String, String> config, Path configFile, List<String> jvmOptions, Path log)
            throws IOException {
        StringBuilder sb = new StringBuilder("# written by tokvec bench\n");
        config.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(configFile, sb.toString());
        return new TokvecProcess(ChildProcess.start(name, ChildProcess.java(jvmOptions, "io.tokvec.cli.Main",
                List.of("run", "--config", configFile.toString())), log));
    }

    /** JVM options from a space-separated system property (none when unset). */
    static List<String> jvmOptions(String property) {
        String opts = System.getProperty(property, "").trim();
        return opts.isEmpty() ? List.of() : List.of(opts.split("\\s+"));
    }

    ChildProcess process() {
        return process;
    }

    long pid() {
        return process.pid();
    }

    double cpuSeconds() {
        return process.cpuSeconds();
    }

    boolean alive() {
        return process.alive();
    }

    /** Waits until {@code /health/ready} answers 200 (running, a table active). */
    void awaitReady(Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (port < 0) {
            port = Integer.parseInt(process.awaitLine(OPS_PORT, timeout).group(1));
        }
        while (!ready()) {
            if (!process.alive()) {
                throw new IllegalStateException(process.name() + " exited; last lines:\n" + process.tail(20));
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(process.name() + " not ready within " + timeout + "; see " + process.logFile());
            }
            Thread.sleep(100);
        }
    }

    /** Whether {@code /health/ready} answers 200 now. */
    boolean ready() {
        try {
            return port > 0 && HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The body of a GET of the operations endpoint ({@code path} from the root, e.g. {@code /tables}). */
    String get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** SIGTERM (tokvec closes Kafka Streams cleanly), then SIGKILL after 30 s. */
    @Override
    public void close() {
        process.close();
    }

    static List<Long> pids(List<TokvecProcess> ps) {
        List<Long> l = new ArrayList<>();
        ps.forEach(p -> l.add(p.pid()));
        return l;
    }
}
