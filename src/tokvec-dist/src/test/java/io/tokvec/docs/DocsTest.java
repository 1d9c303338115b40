package io.tokvec.docs;

import io.tokvec.config.TokvecConfig;
import io.tokvec.devkit.BrokerCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;
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
 * reader would run says whether the examples' test runs it, the shipped local config names
 * the ports {@code tokvec broker} listens on, every code block marked {@code <!-- snippet: FILE#TAG -->}
 * is the code between {@code tag::TAG[]} and {@code end::TAG[]} in FILE (the library page's Java is the
 * example application's real code), and the Maven coordinates the library page gives are the build's.
 */
class DocsTest {

    static final Set<String> RUNNABLE = Set.of("bash", "sh", "python");
    static final Pattern DIRECTIVE = Pattern.compile("^(run(: .+)?|not run: \\S.*|file: \\S+|output|snippet: \\S+#[\\w-]+|coordinates)$");
    static final Pattern SNIPPET = Pattern.compile("^snippet: (\\S+)#([\\w-]+)$");
    static final Path LIBRARY_PAGE = Path.of("src/site/markdown/library.md");

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

    @Test
    void shouldShowTheRealCodeWhenABlockIsASnippet() {
        List<String> drifted = new ArrayList<>();
        int snippets = 0;
        for (Path page : MarkdownPage.all()) {
            for (MarkdownPage.Block b : new MarkdownPage(page).blocks()) {
                Matcher m = b.directive() == null ? null : SNIPPET.matcher(b.directive());
                if (m == null || !m.matches()) continue;
                snippets++;
                String code = snippet(Path.of(m.group(1)), m.group(2));
                if (!code.equals(b.text())) {
                    drifted.add(page + ":" + b.line() + ": not the code of " + b.directive() + "; it is now:\n" + code);
                }
            }
        }
        assertThat(drifted).isEmpty();
        assertThat(snippets).as("snippet blocks").isGreaterThanOrEqualTo(10);
    }

    @Test
    void shouldShowOnlySnippetsOfRealCodeWhenTheLibraryPageShowsJava() {
        List<MarkdownPage.Block> blocks = new MarkdownPage(LIBRARY_PAGE).blocks();
        assertThat(blocks).filteredOn(b -> b.language().equals("java") || b.language().equals("properties"))
                .isNotEmpty()
                .allSatisfy(b -> assertThat(b.directive()).as("%s:%d", LIBRARY_PAGE, b.line()).startsWith("snippet: "));
    }

    @Test
    void shouldGiveTheBuildsOwnCoordinatesWhenTheLibraryPageShowsDependencies() throws Exception {
        String root = Files.readString(Path.of("pom.xml"));
        String version = tag(root.substring(root.indexOf("<artifactId>tokvec-parent</artifactId>")), "version");
        List<MarkdownPage.Block> blocks = new MarkdownPage(LIBRARY_PAGE).blocks().stream()
                .filter(b -> "coordinates".equals(b.directive())).toList();
        assertThat(blocks).hasSize(1);
        Matcher d = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL).matcher(blocks.get(0).text());
        List<String> artifacts = new ArrayList<>();
        while (d.find()) {
            String dep = d.group(1);
            String artifact = tag(dep, "artifactId");
            artifacts.add(artifact + ":" + tag(dep, "scope"));
            assertThat(tag(dep, "groupId")).isEqualTo("io.tokvec");
            assertThat(tag(dep, "version")).as(artifact).isEqualTo(version);
            Path pom = Path.of("src", artifact, "pom.xml");
            assertThat(pom).as("a module of this build").isRegularFile();
            assertThat(Files.readString(pom)).contains("<artifactId>" + artifact + "</artifactId>");
        }
        assertThat(artifacts).containsExactly("tokvec-streams:null", "tokvec-testkit:test");
    }

    /** The lines between {@code tag::NAME[]} and {@code end::NAME[]} of {@code file}, without their common indentation. */
    static String snippet(Path file, String name) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("no file " + file, e);
        }
        int start = -1;
        int end = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("tag::" + name + "[]")) start = i;
            if (lines.get(i).contains("end::" + name + "[]")) end = i;
        }
        assertThat(start).as("tag::%s[] in %s", name, file).isNotNegative();
        assertThat(end).as("end::%s[] in %s", name, file).isGreaterThan(start);
        List<String> body = lines.subList(start + 1, end);
        int indent = body.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder out = new StringBuilder();
        for (String l : body) {
            out.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        }
        return out.toString();
    }

    private static String tag(String xml, String tag) {
        Matcher m = Pattern.compile("<" + tag + ">([^<]*)</" + tag + ">").matcher(xml);
        return m.find() ? m.group(1).trim() : null;
    }
}
