package io.tokvec.docs;

import io.tokvec.broker.EmbeddedKafkaBroker;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.model.ModelChunker;
import io.tokvec.devkit.LocalSchemaRegistryServer;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.streams.TokvecApp;
import io.tokvec.config.TokvecConfig;
import io.tokvec.tables.TableFiles;
import io.tokvec.tables.TableFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the docs' Python snippets (README: produce an event, consume and decode the output with numpy;
 * model-topic.md: publish a table) and a kcat consumer against a real broker and tokvec, so the docs
 * stay true. Needs python3 with confluent_kafka, avro and numpy, and kcat (Debian packages, installed by
 * .ci/run); skipped where they are missing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadmeClientsIT {

    static final List<Path> DOCS = List.of(Path.of("README.md"), Path.of("src/site/markdown/model-topic.md"));
    /** Debian's python3 (where apt installs python3-confluent-kafka etc.), before any other on the PATH. */
    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    @TempDir
    static Path dir;
    static EmbeddedKafkaBroker broker;
    static LocalSchemaRegistryServer registryServer;
    static TokvecApp app;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(run(List.of(PYTHON, "-c", "import confluent_kafka, avro, numpy"), null).exit == 0,
                "python3 with confluent_kafka, avro and numpy is not installed");
        broker = EmbeddedKafkaBroker.builder().build().start();
        registryServer = new LocalSchemaRegistryServer(0, dir.resolve("schemas.jsonl"));
        Map<String, String> p = new HashMap<>();
        p.put("bootstrap.servers", broker.bootstrapServers());
        p.put(TokvecConfig.SCHEMA_REGISTRY_URL, registryServer.url());
        p.put("application.id", "readme-it");
        p.put("state.dir", dir.resolve("state").toString());
        p.put(TokvecConfig.TABLE, "embeddings");
        p.put(TokvecConfig.MAX_LEN, "6");
        TokvecConfig cfg = new TokvecConfig(p);
        app = new TokvecApp(cfg).createTopics().start();
        assertThat(app.awaitRunning(Duration.ofSeconds(90))).isTrue();
        try (SchemaRegistryClient client = SchemaRegistries.forConfig(cfg.clientProps());
             ModelPublisher publisher = new ModelPublisher(cfg, client)) {
            publisher.publish(TableFiles.load(Path.of("src/tokvec-devkit/src/main/resources/demo/glove-sample.txt"), TableFormat.GLOVE, null, "embeddings", 1),
                    ModelChunker.DEFAULT_CHUNK_BYTES, Map.of(), null);
        }
        awaitVersion(1);
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
        if (registryServer != null) registryServer.close();
        if (broker != null) broker.close();
    }

    static void awaitVersion(long v) {
        await("table v" + v + " active").atMost(Duration.ofSeconds(60)).until(() -> app.registry().activeVersion() == v);
    }

    /** The python block of the docs whose first line is {@code # FIRST...}, pointed at the test's broker and registry. */
    static String snippet(String first) throws IOException {
        for (Path doc : DOCS) {
            Matcher m = Pattern.compile("```python\\n(# " + Pattern.quote(first) + ".*?)```", Pattern.DOTALL)
                    .matcher(Files.readString(doc, StandardCharsets.UTF_8));
            if (m.find()) {
                return m.group(1).replace("127.0.0.1:9092", broker.bootstrapServers())
                        .replace("http://127.0.0.1:8081", registryServer.url());
            }
        }
        throw new AssertionError("no python block starting with '# " + first + "' in " + DOCS);
    }

    record Result(int exit, String out) {
    }

    static Result run(List<String> cmd, String stdin) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, out + "\n(timed out)");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, e.toString());
        }
    }

    static Result python(String name) throws IOException {
        return run(List.of(PYTHON, "-"), snippet(name));
    }

    @Test
    @Order(1)
    void shouldSwapToATablePublishedByTheReadmesPythonTrainerSnippet() throws Exception {
        Result r = python("Publish a numpy table");
        assertThat(r.exit).as(r.out).isZero();
        awaitVersion(2);
        assertThat(app.registry().active().vocabulary().tokens()).startsWith("", "[UNK]", "w2");
    }

    @Test
    @Order(2)
    void shouldEnrichAnEventProducedByTheReadmeSnippetAndDecodeItWithNumpy() throws Exception {
        Result produced = python("Produce a TokenEvent");
        assertThat(produced.exit).as(produced.out).isZero();
        Result consumed = python("Consume one enriched record");
        assertThat(consumed.exit).as(consumed.out).isZero();
        // "the national day" is not in the Python trainer's vocabulary: three OOV ids under v2
        assertThat(consumed.out).contains("py-1 embeddings 2 3 [0, 1, 1, 1] [False, True, True, True]")
                .contains("(6, 8) float32");
    }

    @Test
    @Order(3)
    void shouldReadTheOutputTopicWithKcat() {
        assumeTrue(run(List.of("kcat", "-V"), null).exit == 0, "kcat is not installed");
        Result r = run(List.of("kcat", "-b", broker.bootstrapServers(), "-t", "tokvec-enriched", "-C", "-e",
                "-f", "key=%k value_bytes=%S offset=%o\\n"), null);
        assertThat(r.exit).as(r.out).isZero();
        assertThat(r.out).contains("key=py-1 value_bytes=");
        Result produced = run(List.of("kcat", "-b", broker.bootstrapServers(), "-t", "scratch", "-P"), "hello\nworld\n");
        assertThat(produced.exit).as(produced.out).isZero();
        Result consumed = run(List.of("kcat", "-b", broker.bootstrapServers(), "-t", "scratch", "-C", "-e"), null);
        assertThat(consumed.out).contains("hello").contains("world");
    }
}
