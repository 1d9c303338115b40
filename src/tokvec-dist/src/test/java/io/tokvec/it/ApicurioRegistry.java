package io.tokvec.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Apicurio Registry (the Maven Central {@code io.apicurio:apicurio-registry-app} tar.gz that the dist
 * module's build unpacks into {@code target/apicurio-registry}) as a child process on a free loopback
 * port, in-memory storage (its default), management interface off. It serves Confluent's API at
 * {@link #confluentApi()}. It needs Java 21 or newer: {@link #findJava21()}.
 */
final class ApicurioRegistry implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(120);

    private final Process process;
    private final int port;
    private final Path log;

    private ApicurioRegistry(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** The unpacked app ({@code quarkus-run.jar} inside), as set by failsafe. */
    static Path appDir() {
        return Path.of(System.getProperty("tokvec.apicurio.dir", "src/tokvec-dist/target/apicurio-registry"));
    }

    /**
     * A {@code bin/java} of major version 21 or newer: {@code -Dtokvec.java21.home}, {@code JAVA21_HOME},
     * the running JVM, or the newest JDK under {@code /usr/lib/jvm}.
     */
    static Optional<Path> findJava21() {
        List<Path> homes = new ArrayList<>();
        String prop = System.getProperty("tokvec.java21.home");
        if (prop != null) homes.add(Path.of(prop));
        String env = System.getenv("JAVA21_HOME");
        if (env != null) homes.add(Path.of(env));
        if (Runtime.version().feature() >= 21) homes.add(Path.of(System.getProperty("java.home")));
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            List<Path> found = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(jvms)) {
                ds.forEach(found::add);
            } catch (IOException e) {
                // no candidates from there
            }
            found.sort(Comparator.comparingInt(ApicurioRegistry::majorVersion).reversed());
            homes.addAll(found);
        }
        return homes.stream().filter(h -> majorVersion(h) >= 21).map(h -> h.resolve("bin/java"))
                .filter(Files::isExecutable).findFirst();
    }

    /** JAVA_VERSION's major number from a JDK's {@code release} file, or -1. */
    private static int majorVersion(Path home) {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release)) return -1;
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(release)) {
            p.load(in);
        } catch (IOException e) {
            return -1;
        }
        String v = p.getProperty("JAVA_VERSION", "").replace("\"", "");
        try {
            return Integer.parseInt(v.split("[.+-]")[0]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Starts the registry with {@code java} and waits until its Confluent API answers. */
    static ApicurioRegistry start(Path java, Path logDir) throws IOException, InterruptedException {
        Path jar = appDir().resolve("quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the dist module's build unpacks it in pre-integration-test "
                    + "(run the ITs through mvn verify)");
        }
        IllegalStateException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            int port = freePort();
            Path log = logDir.resolve("apicurio-" + attempt + ".log");
            Process p = new ProcessBuilder(java.toString(), "-Xmx384m", "-XX:+UseSerialGC",
                    "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
                    "-Dquarkus.management.enabled=false", "-Dquarkus.log.console.level=WARN",
                    "-jar", jar.toString())
                    .directory(appDir().toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            ApicurioRegistry r = new ApicurioRegistry(p, port, log);
            try {
                r.awaitReady();
                return r;
            } catch (IllegalStateException e) {
                r.close();
                last = e;
                if (!Files.readString(log).contains("already in use")) throw e;
            }
        }
        throw last;
    }

    private void awaitReady() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        await("Apicurio Registry's Confluent API on port " + port + " (log " + log + ")").atMost(STARTUP).pollInSameThread().until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("Apicurio Registry exited with " + process.exitValue() + "; see " + log);
            }
            try {
                return http.send(HttpRequest.newBuilder(URI.create(confluentApi() + "/subjects")).timeout(Duration.ofSeconds(5))
                        .GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            } catch (IOException e) {
                return false; // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        });
    }

    /** Base URL of the Confluent Schema Registry API (v7), what {@code schema.registry.url} takes. */
    String confluentApi() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    Path log() {
        return log;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            return s.getLocalPort();
        }
    }

    /** SIGTERM to this process only, then SIGKILL if it has not ended within 20 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
