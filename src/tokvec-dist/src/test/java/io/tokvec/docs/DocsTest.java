package io.tokvec.docs;

import io.tokvec.config.TokvecConfig;
import io.tokvec.devkit.BrokerCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The docs hold together: README stays a front door, every relative link of README.md and of the
 * pages in src/site/markdown reaches a file (and a heading, for {@code #anchor}s), every block a
 * reader would run says whether the examples' test runs it, and the shipped local config names
 * the ports {@code tokvec broker} listens on.
 */
class DocsTest {

    static final Set<String> RUNNABLE = Set.of("bash", "sh", "python");
    static final Pattern DIRECTIVE = Pattern.compile("^(run(: .+)?|not run: \\S.*|file: \\S+|output)$");

    @Test
    void shouldKeepTheReadmeWithinThreeHundredLines() throws Exception {
        assertThat(Files.readAllLines(Path.of("README.md"))).hasSizeLessThanOrEqualTo(300);
    }

    @Test
    void shouldResolveEveryRelativeLinkToAFileAndAHeading() {
        List<String> broken = new ArrayList<>();
        List<Path> pages = MarkdownPage.all();
        assertThat(pages).contains(Path.of("README.md"), Path.of("src/site/markdown/configuration.md"),
                Path.of("src/site/markdown/first-hour.md"));
        for (Path page : pages) {
            for (MarkdownPage.Link link : new MarkdownPage(page).links) {
                String target = link.target();
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                Path resolved = file.isEmpty() ? page : page.resolveSibling(URI.create(file).getPath()).normalize();
                String where = page + ":" + link.line() + ": " + target;
                if (!Files.exists(resolved)) {
                    broken.add(where + " (no such file: " + resolved + ")");
                } else if (hash >= 0) {
                    String anchor = target.substring(hash + 1);
                    if (!resolved.toString().endsWith(".md")) {
                        broken.add(where + " (an anchor into a file that is not markdown)");
                    } else if (!new MarkdownPage(resolved).anchors.contains(anchor)) {
                        broken.add(where + " (no heading '" + anchor + "' in " + resolved + ")");
                    }
                }
            }
        }
        assertThat(broken).as("broken links").isEmpty();
    }

    @Test
    void shouldSayOfEveryRunnableBlockWhetherItIsRunWhenDocumented() {
        List<String> unmarked = new ArrayList<>();
        for (Path page : MarkdownPage.all()) {
            List<MarkdownPage.Block> blocks = new MarkdownPage(page).blocks();
            for (int i = 0; i < blocks.size(); i++) {
                MarkdownPage.Block b = blocks.get(i);
                String where = page + ":" + b.line();
                if (b.directive() != null && !DIRECTIVE.matcher(b.directive()).matches()) {
                    unmarked.add(where + ": unknown directive <!-- " + b.directive() + " -->");
                } else if (RUNNABLE.contains(b.language()) && (b.directive() == null || b.directive().equals("output"))) {
                    unmarked.add(where + ": a " + b.language() + " block needs <!-- run -->, <!-- not run: why --> or <!-- file: NAME -->");
                } else if ("output".equals(b.directive())
                        && (i == 0 || blocks.get(i - 1).directive() == null || !blocks.get(i - 1).directive().startsWith("run"))) {
                    unmarked.add(where + ": <!-- output --> must follow a block that is run");
                }
            }
        }
        assertThat(unmarked).isEmpty();
    }

    @Test
    void shouldNotSpeakOfTheProjectsHistoryWhenDocumenting() throws Exception {
        Pattern history = Pattern.compile("(?i)\\b(this|that|previous|earlier|next|last) round\\b|\\bissue \\d+|\\bthis branch\\b|\\bmain branch\\b"
                + "|\\bSPEC\\b|\\.\\./shared\\b");
        List<String> found = new ArrayList<>();
        for (Path page : MarkdownPage.all()) {
            List<String> lines = Files.readAllLines(page);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = history.matcher(lines.get(i));
                if (m.find()) found.add(page + ":" + (i + 1) + ": " + m.group());
            }
        }
        assertThat(found).isEmpty();
    }

    @Test
    void shouldNameHeadingsAsGitHubDoesWhenLinking() {
        assertThat(MarkdownPage.slug("Beyond pad_sequences")).isEqualTo("beyond-pad_sequences");
        assertThat(MarkdownPage.slug("1. A broker")).isEqualTo("1-a-broker");
        assertThat(MarkdownPage.slug("Clients: the wire format, registries, Python, kcat, Java"))
                .isEqualTo("clients-the-wire-format-registries-python-kcat-java");
        assertThat(MarkdownPage.slug("The `enrich` command")).isEqualTo("the-enrich-command");
    }

    @Test
    void shouldMatchAnOutputLineWithWildcardsWhenCheckingExamples() {
        String line = "publish: embeddings v1: 13 rows x 8 dim, 0.0 MiB in 1 chunks, 4.13 s";

        assertThat(PageRunner.matches(line, "publish: embeddings v1: 13 rows x 8 dim, 0.0 MiB in 1 chunks, … s")).isTrue();
        assertThat(PageRunner.matches(line, "publish: embeddings v2: … s")).isFalse();
        assertThat(PageRunner.matches(line, "… 13 rows … 8 dim")).isTrue();
        assertThat(PageRunner.matches(line, "… 8 dim … 13 rows")).isFalse();
    }

    @Test
    void shouldPointTheLocalConfigAtThePortsTheBrokerCommandOpens() {
        Properties local = TokvecConfig.load(Path.of("config/local.properties"));
        CommandLine.Model.CommandSpec broker = new CommandLine(new BrokerCommand()).getCommandSpec();

        assertThat(local.getProperty("bootstrap.servers")).isEqualTo("127.0.0.1:" + broker.findOption("--port").defaultValue());
        assertThat(local.getProperty(TokvecConfig.SCHEMA_REGISTRY_URL))
                .isEqualTo("http://127.0.0.1:" + broker.findOption("--registry-port").defaultValue());
        assertThat(TokvecConfig.of(local).table()).isEqualTo("embeddings");
    }
}
