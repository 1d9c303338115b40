package io.tokvec.docs;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every example of the docs that a reader would run, run as written (see {@link PageRunner}): the
 * README's local run and Python clients, the first hour, publishing from the command line and from
 * Python, the operations endpoint, kcat, offline enrichment. One test per page, against the jar
 * {@code mvn verify} has just built and, where a page needs them, a broker and the application started
 * with the shipped {@code config/local.properties} on free ports. Needs Debian's python3 with
 * confluent_kafka, avro and numpy, curl and kcat (what .ci/run installs); a page that needs a missing
 * one is skipped. {@code -Dtokvec.docs.page=first-hour} runs the pages whose path holds that text only.
 */
class DocsExamplesIT {

    static final Path ROOT = Path.of(System.getProperty("tokvec.root.dir", ".")).toAbsolutePath().normalize();

    @TestFactory
    Stream<DynamicTest> shouldRunEveryExampleOfEveryPageAsWritten() {
        Path jar = Path.of(System.getProperty("tokvec.jar", "target/tokvec.jar"));
        assertThat(jar).as("target/tokvec.jar (mvn verify packages it first)").isRegularFile();
        List<Path> pages = MarkdownPage.all();
        assertThat(pages).contains(Path.of("README.md"), Path.of("src/site/markdown/first-hour.md"));
        return pages.stream()
                .filter(path -> path.toString().contains(System.getProperty("tokvec.docs.page", "")))
                .map(MarkdownPage::new)
                .filter(page -> page.blocks().stream().anyMatch(b -> b.directive() != null && b.directive().startsWith("run")))
                .map(page -> DynamicTest.dynamicTest(page.path.toString(), () -> {
                    assumeTools(page);
                    try (PageRunner runner = new PageRunner(page, ROOT)) {
                        runner.run();
                    }
                }));
    }

    /** Skips a page whose blocks need a tool this machine lacks. */
    private static void assumeTools(MarkdownPage page) {
        String text = String.join("\n", page.lines);
        if (page.blocks().stream().anyMatch(b -> b.language().equals("python")) || text.contains("python3 ")) {
            assumeTrue(succeeds(PageRunner.PYTHON.toString(), "-c", "import confluent_kafka, avro, numpy"),
                    "/usr/bin/python3 with confluent_kafka, avro and numpy is not installed");
        }
        if (text.contains("curl ")) assumeTrue(succeeds("curl", "--version"), "curl is not installed");
        if (text.contains("kcat ")) assumeTrue(succeeds("kcat", "-V"), "kcat is not installed");
    }

    private static boolean succeeds(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
