package io.tokvec.it;

import io.tokvec.broker.LoopbackPorts;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.tables.TableFiles;
import io.tokvec.tables.TableFormat;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Three {@code tokvec broker --nodes 3 --node-id K} processes started by hand (the registry on node 1) form one
 * cluster that real clients use: {@code tokvec publish} and {@code tokvec run} (child processes), Python's
 * confluent-kafka producing events and reading the enriched ones, kcat reading them too. Then node 3 is killed with
 * SIGKILL, and the same clients go on with the two nodes left: every event, before and after, is enriched once.
 * Needs /usr/bin/python3 with confluent_kafka and avro, and kcat (Debian packages, installed by .ci/run).
 */
@Tag(ItTags.FAILOVER)
class BrokerProcessesClientsIT {

    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    private static final Path CLIENT = Path.of("src/tokvec-dist/src/test/python/cluster_client.py");
    private static final Path GLOVE = Path.of("src/tokvec-devkit/src/main/resources/demo/glove-sample.txt");
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final int MAX_LEN = 6;
    private static final int BATCH = 30;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 900, unit = TimeUnit.SECONDS)
    void shouldServeRunPublishPythonAndKcatAndGoOnWhenOneBrokerIsKilled() throws Exception {
        assumeTrue(run(List.of(PYTHON, "-c", "import confluent_kafka, avro")).exit() == 0,
                "python3 with confluent_kafka and avro is not installed");
        assumeTrue(run(List.of("kcat", "-V")).exit() == 0, "kcat is not installed");
        Path logs = ChildProcessApp.jar().getParent().resolve("it-logs").resolve("BrokerProcessesClientsIT");
        int registryPort = LoopbackPorts.freePort();
        String registry = "http://127.0.0.1:" + registryPort;
        try (BrokerProcesses cluster = BrokerProcesses.start(3, tmp.resolve("brokers"), logs,
                node -> node == 1 ? List.of("--registry-port", Integer.toString(registryPort)) : List.of(), Map.of())) {
            String bootstrap = cluster.bootstrapServers();
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("bootstrap.servers", bootstrap);
            settings.put("schema.registry.url", registry);
            settings.put("application.id", "cluster-cli");
            settings.put("state.dir", tmp.resolve("state").toString());
            settings.put("processing.guarantee", "exactly_once_v2");
            settings.put("session.timeout.ms", "6000");
            settings.put("heartbeat.interval.ms", "1000");
            settings.put("tokvec.table", "glove");
            settings.put("tokvec.max.len", Integer.toString(MAX_LEN));
            settings.put("tokvec.topic.partitions", "3");
            Path config = ChildProcessApp.writeConfig(settings, tmp.resolve("tokvec.properties"));

            Commands.Result publish = run(List.of(java(), "-Xmx256m", "-jar", ChildProcessApp.jar().toString(), "publish", "--config",
                    config.toString(), "--version", "1", "--file", GLOVE.toString(), "--format", "glove"));
            assertThat(publish.exit()).as(publish.out()).isZero();
            assertThat(publish.out()).contains("publish: glove v1: 13 rows");

            try (ChildProcessApp app = ChildProcessApp.start(config, logs.resolve("run.log"), "256m")) {
                Map<String, List<Integer>> expected = new HashMap<>();
                produce(bootstrap, registry, 0, expected);
                assertClientsSee(bootstrap, registry, expected);

                int killed = 3;
                assertThat(cluster.kill(killed)).isEqualTo(ChildProcessApp.SIGKILL_EXIT);
                produce(bootstrap, registry, BATCH, expected);
                assertClientsSee(bootstrap, registry, expected);
                System.out.printf("BrokerProcessesClientsIT: %d events produced by Python, enriched by tokvec run, read by"
                        + " Python and kcat, half of them after SIGKILL of node %d of 3 (%s)%n", expected.size(), killed, bootstrap);
                assertThat(app.stop()).as("exit of tokvec run after SIGTERM (log %s)", app.log()).isIn(0, 143);
            }
        }
    }

    /** Python produces events py-first .. py-(first+BATCH-1); {@code expected} gets the padded ids tokvec must output for each. */
    private void produce(String bootstrap, String registry, int first, Map<String, List<Integer>> expected) throws IOException {
        Commands.Result r = run(List.of(PYTHON, CLIENT.toString(), "produce", bootstrap, registry, "tokvec-events",
                Integer.toString(first), Integer.toString(BATCH)));
        assertThat(r.exit()).as(r.out()).isZero();
        EmbeddingTable glove = TableFiles.load(GLOVE, TableFormat.GLOVE, null, "glove", 1);
        Map<String, Integer> rows = new HashMap<>();
        List<String> vocab = glove.vocabulary().tokens();
        for (int i = 0; i < vocab.size(); i++) rows.put(vocab.get(i), i);
        List<String> words = List.of("the", "national", "day", "country", "second", "unknown-word");
        for (int i = first; i < first + BATCH; i++) {
            int[] ids = new int[i % 5];
            for (int k = 0; k < ids.length; k++) ids[k] = rows.getOrDefault(words.get((i + k) % words.size()), 1);
            List<Integer> padded = new ArrayList<>();
            for (int id : TestTables.padPre(ids, MAX_LEN)) padded.add(id);
            expected.put("py-" + i, padded);
        }
    }

    /** Waits until kcat reads an output of every expected event, then checks each one Python reads. */
    private void assertClientsSee(String bootstrap, String registry, Map<String, List<Integer>> expected) {
        Set<String> keys = new TreeSet<>();
        Await.until(WAIT, "kcat reads " + expected.size() + " outputs", () -> {
            Commands.Result k = run(List.of("kcat", "-b", bootstrap, "-t", "tokvec-enriched", "-C", "-e", "-q",
                    "-X", "isolation.level=read_committed", "-f", "%k\\n"));
            keys.clear();
            k.out().lines().filter(l -> l.startsWith("py-")).forEach(keys::add);
            return k.exit() == 0 && keys.size() >= expected.size();
        }, () -> keys.size() + " keys read by kcat");
        assertThat(keys).isEqualTo(new TreeSet<>(expected.keySet()));

        Commands.Result py = run(List.of(PYTHON, CLIENT.toString(), "consume", bootstrap, registry, "tokvec-enriched",
                Integer.toString(expected.size())));
        assertThat(py.exit()).as(py.out()).isZero();
        Map<String, String> seen = new HashMap<>();
        for (String line : py.out().lines().filter(l -> l.startsWith("py-")).toList()) {
            String[] f = line.split(" ");
            assertThat(seen.put(f[0], line)).as("second output of %s", f[0]).isNull();
            assertThat(f[1] + " v" + f[2]).as(line).isEqualTo("glove v1");
            assertThat(f[3]).as(line).isEqualTo(expected.get(f[0]).stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        assertThat(seen.keySet()).isEqualTo(expected.keySet());
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Commands.Result run(List<String> cmd) {
        return Commands.run(cmd, null, 180);
    }
}
