package io.tokvec.cli;

import io.tokvec.kafka.ClosedPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the CLI says when things go wrong, and about itself: one line per error with the right exit
 * status (a cluster or registry that cannot be reached, an unknown option, a missing required one),
 * the stack trace only with --verbose, the build's version, and required options marked in the help.
 */
class CommandLineMessagesTest {

    /** How long the startup checks wait where nothing listens: each such test takes this long. */
    private static final String SHORT_CHECK = "tokvec.startup.check.timeout.ms=300";

    @TempDir
    Path dir;

    @Test
    void shouldStopRunInOneLineWhenNothingListensAtBootstrapServers() throws IOException {
        try (ClosedPort kafka = new ClosedPort(); ClosedPort registry = new ClosedPort()) {
            Result r = cli("run", "--config", config(kafka, registry).toString(), "-p", SHORT_CHECK);

            assertThat(r.exit).isEqualTo(1);
            assertThat(r.errLines()).containsExactly("run: cannot reach the Kafka cluster at 127.0.0.1:" + kafka.port()
                    + " (bootstrap.servers) within 0.3 s: connection refused");
            assertThat(r.out).isEmpty();
        }
    }

    @Test
    void shouldStopPublishInOneLineWhenNothingListensAtBootstrapServers() throws IOException {
        Path glove = Files.writeString(dir.resolve("t.txt"), "king 0.5 0.25\nqueen 0.125 1.0\n");
        try (ClosedPort kafka = new ClosedPort(); ClosedPort registry = new ClosedPort()) {
            String config = config(kafka, registry).toString();
            String expected = "publish: cannot reach the Kafka cluster at 127.0.0.1:" + kafka.port()
                    + " (bootstrap.servers) within 0.3 s: connection refused";

            Result publish = cli("publish", "--config", config, "-p", SHORT_CHECK, "--version", "1", "--file", glove.toString(),
                    "--format", "glove");
            Result activate = cli("publish", "--config", config, "-p", SHORT_CHECK, "--activate", "1");

            assertThat(publish.exit).isEqualTo(1);
            assertThat(publish.errLines()).containsExactly(expected);
            assertThat(activate.exit).isEqualTo(1);
            assertThat(activate.errLines()).containsExactly(expected);
        }
    }

    @Test
    void shouldPrintTheStackTraceTooWithVerbose() throws IOException {
        try (ClosedPort kafka = new ClosedPort(); ClosedPort registry = new ClosedPort()) {
            Result r = cli("run", "--config", config(kafka, registry).toString(), "-p", SHORT_CHECK, "--verbose");

            assertThat(r.exit).isEqualTo(1);
            assertThat(r.errLines().get(0)).isEqualTo("run: cannot reach the Kafka cluster at 127.0.0.1:" + kafka.port()
                    + " (bootstrap.servers) within 0.3 s: connection refused");
            assertThat(r.err).contains("io.tokvec.kafka.StartupCheckException: cannot reach the Kafka cluster")
                    .contains("at io.tokvec.kafka.ClusterCheck.").contains("Caused by: java.net.ConnectException");
        }
    }

    @Test
    void shouldNameAnUnknownOptionAndSuggestTheRightOne() throws IOException {
        Result maxlen = cli("enrich", "--maxlen", "3");
        Result bogus = cli("run", "--config", "x.properties", "--bogus");
        Result command = cli("pubish");

        assertThat(maxlen.exit).isEqualTo(2);
        assertThat(maxlen.errLines()).containsExactly(
                "tokvec enrich: unknown option '--maxlen' (did you mean --max-len?); see 'tokvec enrich --help'");
        assertThat(bogus.exit).isEqualTo(2);
        assertThat(bogus.errLines()).containsExactly("tokvec run: unknown option '--bogus'; see 'tokvec run --help'");
        assertThat(command.exit).isEqualTo(2);
        assertThat(command.errLines()).containsExactly(
                "tokvec: unexpected argument 'pubish' (did you mean publish?); see 'tokvec --help'");
    }

    @Test
    void shouldSayInOneLineWhichRequiredOptionIsMissing() throws IOException {
        Result r = cli("run");

        assertThat(r.exit).isEqualTo(2);
        assertThat(r.errLines()).containsExactly("tokvec run: Missing required option: '--config=FILE'; see 'tokvec run --help'");
    }

    @Test
    void shouldMarkRequiredOptionsInTheHelp() throws IOException {
        String run = cli("run", "--help").out;
        String publish = cli("publish", "--help").out;
        String enrich = cli("enrich", "--help").out;

        // picocli's synopsis: [--option] is optional, a bare --option required
        assertThat(synopsis(run)).contains(" --config=FILE ").doesNotContain("[--config=FILE]");
        assertThat(synopsis(publish)).contains("[--config=FILE]");
        assertThat(synopsis(enrich)).contains(" --max-len=N ").doesNotContain("[--max-len=N]");
    }

    @Test
    void shouldPrintTheVersionOfTheBuild() throws IOException {
        String expected = "tokvec " + pomVersion() + " (Java " + System.getProperty("java.version") + ")";

        Result top = cli("-V");
        Result run = cli("run", "-V");

        assertThat(top.exit).isZero();
        assertThat(top.outLines()).containsExactly(expected);
        assertThat(run.outLines()).containsExactly(expected);
    }

    @Test
    void shouldNameTheExceptionAndPointAtVerboseWhenACommandFailsUnexpectedly() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setErr(new PrintWriter(err));

        int exit = Main.failure(new NullPointerException("x is null"), cl, false);

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString().lines().toList()).containsExactly(
                "tokvec: failed: NullPointerException: x is null (--verbose prints the stack trace)");
    }

    /** The version in the project's pom.xml, read independently of the build's resource filtering. */
    private static String pomVersion() throws IOException {
        String pom = Files.readString(Path.of(System.getProperty("tokvec.root.dir", ".")).resolve("pom.xml"));
        Matcher m = Pattern.compile("<artifactId>tokvec-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertThat(m.find()).as("project version in pom.xml").isTrue();
        return m.group(1);
    }

    /** The usage synopsis, unwrapped: the "Usage:" line and its indented continuation lines. */
    private static String synopsis(String help) {
        List<String> lines = help.lines().dropWhile(l -> !l.startsWith("Usage:")).toList();
        StringBuilder s = new StringBuilder(lines.get(0));
        for (String l : lines.subList(1, lines.size())) {
            if (!l.startsWith(" ")) break;
            s.append(' ').append(l.trim());
        }
        return s.append(' ').toString().replaceAll("\\s+", " ");
    }

    private Path config(ClosedPort kafka, ClosedPort registry) throws IOException {
        return Files.writeString(dir.resolve("tokvec.properties"), String.join("\n",
                "bootstrap.servers=127.0.0.1:" + kafka.port(),
                "schema.registry.url=http://127.0.0.1:" + registry.port(),
                "state.dir=" + dir.resolve("state"),
                "tokvec.max.len=4",
                ""));
    }

    private record Result(int exit, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }

        List<String> outLines() {
            return out.lines().toList();
        }
    }

    /** Runs a command line with stdout and stderr captured (where slf4j-simple logs too: a stray log line shows). */
    private static synchronized Result cli(String... args) throws IOException {
        PrintStream savedOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int exit = EnrichCommandGoldenTest.withStderr(err, () -> Main.execute(args));
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
        }
    }
}
