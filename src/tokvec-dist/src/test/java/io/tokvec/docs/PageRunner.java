package io.tokvec.docs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.config.TokvecConfig;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs the examples of one page as a reader would, top to bottom, in a folder of its own that looks
 * like the checkout (links to {@code target/}, {@code schemas/}, {@code src/}; a copy of
 * {@code config/}), with {@code java} and Debian's {@code python3} first on the PATH. The only change
 * to what the page says: the ports 9092, 8081 and 8080 (broker, schema registry, operations endpoint,
 * in the blocks and in the copied config files) become free ports, so that runs do not collide.
 *
 * <p>What a block's directive (the HTML comment right above it) asks for:
 * <ul>
 *   <li>{@code <!-- run -->}: run it ({@code bash} with {@code -e}, {@code python} with python3) and
 *   expect exit 0; options: {@code exit=N} another status; {@code retry-until="TEXT"} run it again
 *   until its output holds TEXT; {@code background until="TEXT"} leave it running (stopped at the end)
 *   once its output holds TEXT; {@code active-version=N} then wait until the operations endpoint's
 *   {@code /tables} shows version N of the table the config serves active, which is how a publishing
 *   example proves it published the table that is served;</li>
 *   <li>{@code <!-- output -->} (a block after a run block): each of its lines appears in that run's
 *   output, {@code …} standing for anything within a line;</li>
 *   <li>{@code <!-- file: NAME -->}: save the block as NAME (the reader is told to);</li>
 *   <li>{@code <!-- not run: WHY -->}: skip it; {@code <!-- setup: broker run -->} (not a block):
 *   start the broker, then the application, with the README's commands, for the blocks after it.</li>
 * </ul>
 */
final class PageRunner implements AutoCloseable {

    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Duration BLOCK_TIMEOUT = Duration.ofMinutes(4);
    static final Duration WAIT = Duration.ofMinutes(3);
    /** The README's commands that {@code <!-- setup: broker run -->} stands for. */
    static final Map<String, List<String>> SETUP = Map.of(
            "broker", List.of("java -jar target/tokvec.jar broker --port 9092 --registry-port 8081 --dir tokvec-broker-data",
                    "broker: schema registry on"),
            "run", List.of("java -jar target/tokvec.jar run --config config/local.properties", "REBALANCING -> RUNNING"));
    private static final Pattern OPTION = Pattern.compile("([a-z-]+)(?:=(?:\"([^\"]*)\"|'([^']*)'|(\\S+)))?");

    private final MarkdownPage page;
    private final Path root;
    private final Path dir;
    private final Map<String, Integer> ports = new HashMap<>();
    private final List<Process> background = new ArrayList<>();
    private int runs;

    /** Output of a block that was run, kept for the output block that may follow it. */
    private record Ran(MarkdownPage.Block block, String output) {
    }

    PageRunner(MarkdownPage page, Path root) throws IOException {
        this.page = page;
        this.root = root.toAbsolutePath().normalize();
        this.dir = Files.createTempDirectory("tokvec-docs-");
        ports.put("9092", freePort());
        ports.put("8081", freePort());
        ports.put("8080", freePort());
        for (String link : List.of("target", "schemas", "src")) {
            Files.createSymbolicLink(dir.resolve(link), this.root.resolve(link));
        }
        Files.createDirectories(dir.resolve("config"));
        try (Stream<Path> files = Files.list(this.root.resolve("config"))) {
            for (Path f : files.toList()) {
                Files.writeString(dir.resolve("config").resolve(f.getFileName()), withPorts(Files.readString(f)));
            }
        }
        Path bin = Files.createDirectories(dir.resolve(".bin"));
        Files.createSymbolicLink(bin.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
        Files.createSymbolicLink(bin.resolve("python3"), PYTHON);
    }

    /** The page's text with the test's ports instead of 9092, 8081 and 8080. */
    String withPorts(String text) {
        for (Map.Entry<String, Integer> e : ports.entrySet()) {
            text = text.replaceAll("\\b" + e.getKey() + "\\b", Integer.toString(e.getValue()));
        }
        return text;
    }

    void run() throws Exception {
        Ran last = null;
        for (Object step : page.steps) {
            if (step instanceof MarkdownPage.Setup setup) {
                for (String what : setup.what().split("\\s+")) {
                    List<String> command = SETUP.get(what);
                    if (command == null) throw new AssertionError(where(setup.line()) + "unknown setup '" + what + "'");
                    startBackground(setup.line(), "bash", command.get(0), command.get(1));
                }
                continue;
            }
            MarkdownPage.Block block = (MarkdownPage.Block) step;
            String directive = block.directive();
            if (directive == null || directive.startsWith("not run:")) {
                continue;
            }
            if (directive.equals("output")) {
                if (last == null) throw new AssertionError(where(block.line()) + "an output block without a block run before it");
                assertOutput(block, last);
            } else if (directive.startsWith("file:")) {
                Files.writeString(dir.resolve(directive.substring("file:".length()).trim()), withPorts(block.text()));
            } else if (directive.equals("run") || directive.startsWith("run:")) {
                last = run(block, options(directive.equals("run") ? "" : directive.substring("run:".length())));
            }
        }
    }

    private Ran run(MarkdownPage.Block block, Map<String, String> options) throws Exception {
        if (options.containsKey("background")) {
            startBackground(block.line(), block.language(), block.text(), options.get("until"));
            return new Ran(block, "");
        }
        String output;
        if (options.containsKey("retry-until")) {
            String wanted = options.get("retry-until");
            String[] seen = {""};
            try {
                Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
                    seen[0] = runToEnd(block, expectedExit(options));
                    return seen[0].contains(wanted);
                });
            } catch (ConditionTimeoutException e) {
                throw new AssertionError(where(block.line()) + "the output never held '" + wanted + "'; last output:\n" + seen[0]);
            }
            output = seen[0];
        } else {
            output = runToEnd(block, expectedExit(options));
        }
        if (options.containsKey("active-version")) {
            awaitServedVersion(block, Long.parseLong(options.get("active-version")));
        }
        return new Ran(block, output);
    }

    private static int expectedExit(Map<String, String> options) {
        return Integer.parseInt(options.getOrDefault("exit", "0"));
    }

    private String runToEnd(MarkdownPage.Block block, int expectedExit) throws IOException, InterruptedException {
        Path log = dir.resolve(".run-" + (++runs) + ".log");
        Process p = start(block.language(), withPorts(block.text()), log);
        boolean ended = p.waitFor(BLOCK_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!ended) {
            stop(p);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (!ended) throw new AssertionError(where(block.line()) + "did not end within " + BLOCK_TIMEOUT + "; output:\n" + output);
        if (p.exitValue() != expectedExit) {
            throw new AssertionError(where(block.line()) + "exited " + p.exitValue() + " (expected " + expectedExit + "); output:\n" + output);
        }
        return output;
    }

    private void startBackground(int line, String language, String text, String until) throws IOException {
        if (until == null) throw new AssertionError(where(line) + "a background block needs until=\"TEXT\"");
        Path log = dir.resolve(".bg-" + (++runs) + ".log");
        Process p = start(language, withPorts(text), log);
        background.add(p);
        try {
            Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> !p.isAlive() || Files.readString(log, StandardCharsets.UTF_8).contains(until));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(where(line) + "never printed '" + until + "'; output:\n" + Files.readString(log));
        }
        if (!p.isAlive()) {
            throw new AssertionError(where(line) + "ended (exit " + p.exitValue() + ") instead of running; output:\n" + Files.readString(log));
        }
    }

    private Process start(String language, String text, Path log) throws IOException {
        List<String> command = switch (language) {
            case "bash", "sh" -> List.of("bash", "-e", "-o", "pipefail", "-c", text);
            case "python" -> List.of(PYTHON.toString(), "-c", text);
            default -> throw new AssertionError("cannot run a " + language + " block");
        };
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().put("PATH", dir.resolve(".bin") + ":" + System.getenv("PATH"));
        return pb.start();
    }

    /** The table the copied config/local.properties serves reaches {@code version}, as /tables reports it. */
    private void awaitServedVersion(MarkdownPage.Block block, long version) {
        String table = TokvecConfig.of(TokvecConfig.load(dir.resolve("config/local.properties"))).table();
        URI tables = URI.create("http://127.0.0.1:" + ports.get("8080") + "/tables");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        JsonNode[] seen = {null};
        try {
            Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
                String body = http.send(HttpRequest.newBuilder(tables).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                seen[0] = new ObjectMapper().readTree(body);
                return table.equals(seen[0].path("table").asText()) && seen[0].path("active_version").asLong() == version;
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(where(block.line()) + "the application never served " + table + " v" + version
                    + " (a published table must be the one config/local.properties serves); /tables: " + seen[0]);
        }
    }

    /** Every line of the output block appears in the output; '…' stands for anything within a line. */
    private void assertOutput(MarkdownPage.Block expected, Ran ran) {
        List<String> lines = ran.output().lines().toList();
        for (String want : withPorts(expected.text()).lines().filter(l -> !l.isBlank()).toList()) {
            if (lines.stream().noneMatch(line -> matches(line, want))) {
                throw new AssertionError(where(expected.line()) + "the output of the block at line " + ran.block().line()
                        + " has no line like\n  " + want + "\noutput:\n" + ran.output());
            }
        }
    }

    static boolean matches(String line, String pattern) {
        int at = 0;
        for (String piece : pattern.strip().split("…", -1)) {
            int found = line.indexOf(piece, at);
            if (found < 0) return false;
            at = found + piece.length();
        }
        return true;
    }

    private static Map<String, String> options(String text) {
        Map<String, String> options = new HashMap<>();
        Matcher m = OPTION.matcher(text);
        while (m.find()) {
            String value = m.group(2) != null ? m.group(2) : m.group(3) != null ? m.group(3) : m.group(4);
            options.put(m.group(1), value);
        }
        return options;
    }

    private String where(int line) {
        return page.path + ":" + line + ": ";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** SIGTERM to the process and its children, then SIGKILL to what is left after 30 s. */
    private static void stop(Process p) {
        List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
        all.add(p.toHandle());
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                h.destroyForcibly();
            } catch (InterruptedException e) {
                h.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops what runs in the background (the application before the broker), then deletes the folder. */
    @Override
    public void close() throws IOException {
        for (int i = background.size() - 1; i >= 0; i--) {
            stop(background.get(i));
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.delete(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
