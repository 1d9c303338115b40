package io.tokvec.streams;

import io.tokvec.config.TokvecConfig;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.ModelKey;
import io.tokvec.serde.ConfluentAvroSerializer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad events, bad model records and fuzzed bytes: nothing escapes, nothing is lost, metrics count it. */
class RobustnessTopologyTest {

    @RegisterExtension
    final TopologyHarnesses topology = new TopologyHarnesses();

    private TopologyHarness h;

    private TopologyHarness harness(Map<String, String> overrides) {
        h = topology.start(overrides);
        return h;
    }

    @Test
    void shouldDeadLetterEveryKindOfBadEventAndEnrichTheGoodOnesAroundThem() {
        harness(Map.of());
        h.publish(TokvecTopologyTest.smallTable(1));
        List<Integer> huge = new ArrayList<>(Collections.nCopies(1_000_000, 2));
        h.pipeIds("good-1", 2);
        h.input.pipeInput("k".getBytes(), "{\"id\": 1}".getBytes());                  // BAD_MAGIC (JSON)
        h.input.pipeInput("k".getBytes(), new byte[] {0, 0, 0, 0x7f, 0, 2});         // UNKNOWN_SCHEMA
        h.input.pipeInput("k".getBytes(), (byte[]) null);                            // NULL_VALUE
        h.pipe(TokenEvent.newBuilder().setId("none").build());                      // NO_TOKENS
        h.pipe(TokenEvent.newBuilder().setId("both").setTokenIds(List.of(1)).setTokens(List.of("cat")).build());
        h.pipeIds("neg", -1);                                                        // ID_OUT_OF_RANGE
        h.pipeIds("big", 4);                                                         // ID_OUT_OF_RANGE (rows = 4)
        h.pipe(TokenEvent.newBuilder().setId("huge").setTokenIds(huge).build());    // TOO_MANY_TOKENS
        h.pipeIds("empty");                                                          // fine: all padding
        h.pipeIds("good-2", 3);
        assertThat(h.outputs()).extracting(EnrichedEvent::getId).containsExactly("good-1", "empty", "good-2");
        List<DeadLetter> dls = h.deadLetters();
        assertThat(dls).extracting(DeadLetter::getReason).containsExactly("BAD_MAGIC", "UNKNOWN_SCHEMA", "NULL_VALUE",
                "NO_TOKENS", "BOTH_TOKENS", "ID_OUT_OF_RANGE", "ID_OUT_OF_RANGE", "TOO_MANY_TOKENS");
        assertThat(dls).extracting(DeadLetter::getOffset).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        assertThat(dls).allSatisfy(d -> assertThat(d.getTopic()).isEqualTo(TopologyHarness.INPUT));
        assertThat(h.metrics.deadLetterCount(DeadLetterReason.ID_OUT_OF_RANGE)).isEqualTo(2);
        assertThat(h.metrics.deadLetterCount()).isEqualTo(8);
    }

    @Test
    void shouldRegisterTokvecMetricsInKafkaStreamsMetrics() {
        harness(Map.of(TokvecConfig.MAX_LEN, "2"));
        h.publish(TokvecTopologyTest.smallTable(1));
        h.pipeTokens("a", "cat", "zebra", "dog");   // truncated, one OOV kept
        h.pipeIds("b", 9);                           // dead letter
        Map<String, Double> m = new HashMap<>();
        for (Map.Entry<MetricName, ? extends Metric> e : h.driver.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (!n.group().equals(TokvecMetrics.GROUP)) continue;
            String key = n.name() + (n.tags().containsKey("reason") ? "/" + n.tags().get("reason") : "");
            m.put(key, ((Number) e.getValue().metricValue()).doubleValue());
        }
        assertThat(m).containsEntry("active-table-version", 1.0)
                .containsEntry("table-swaps-total", 1.0)
                .containsEntry("events-enriched-total", 1.0)
                .containsEntry("dead-letters-total", 1.0)
                .containsEntry("dead-letters-total/id_out_of_range", 1.0)
                .containsEntry("oov-rate", 0.5)
                .containsEntry("truncation-rate", 1.0)
                .containsKey("enrichment-latency-avg-us")
                .containsEntry("table-versions-rejected-total", 0.0);
        // counted once: the table's metrics once per application (no thread-id), the events' per stream thread
        for (Map.Entry<MetricName, ? extends Metric> e : h.driver.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (!n.group().equals(TokvecMetrics.GROUP)) continue;
            boolean tableMetric = n.name().equals("active-table-version") || n.name().startsWith("table-");
            assertThat(n.tags().containsKey("thread-id")).as("%s has a thread-id tag", n).isEqualTo(!tableMetric);
        }
        assertThat(h.driver.metrics().keySet()).filteredOn(n -> n.name().equals("active-table-version")).hasSize(1);
        double avg = m.get("enrichment-latency-avg-us");
        double max = metric(h, "enrichment-latency-max-us");
        assertThat(avg).as("the one event's time, over the window").isPositive().isEqualTo(max);
        h.publish(EmbeddingTable.fromFloats(TopologyHarness.TABLE, 2, 2, 1, new float[] {0, Float.NaN}, null));
        double rejected = h.driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().name().equals("table-versions-rejected-total")
                        && "non_finite".equals(e.getKey().tags().get("reason")))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
        assertThat(rejected).isEqualTo(1.0);
    }

    private static double metric(TopologyHarness h, String name) {
        return h.driver.metrics().entrySet().stream().filter(e -> e.getKey().name().equals(name))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue()).sum();
    }

    /** Fuzz: random and mutated input bytes; every record must end as an output or a dead letter. */
    @Test
    void shouldTurnEveryFuzzedInputIntoAnOutputOrADeadLetter() {
        harness(Map.of(TokvecConfig.MAX_TOKENS, "1000"));
        h.publish(TokvecTopologyTest.smallTable(1));
        ConfluentAvroSerializer<TokenEvent> ser = new ConfluentAvroSerializer<>(h.registryClient, false);
        byte[] valid = ser.serialize(TopologyHarness.INPUT,
                TokenEvent.newBuilder().setId("seed").setTokenIds(List.of(1, 2, 3)).setTokens(null).build());
        byte[] validStrings = ser.serialize(TopologyHarness.INPUT,
                TokenEvent.newBuilder().setId("seed2").setTokens(List.of("cat", "dog")).build());
        Random rnd = new Random(20261121);
        int cases = 5000;
        for (int i = 0; i < cases; i++) {
            byte[] b;
            switch (i % 4) {
                case 0 -> { b = new byte[rnd.nextInt(64)]; rnd.nextBytes(b); }
                case 1 -> b = mutate(valid, rnd);
                case 2 -> b = mutate(validStrings, rnd);
                default -> { b = mutate(valid, rnd); if (b.length > 0) b[0] = 0; }
            }
            h.input.pipeInput(("k" + i).getBytes(), b);
        }
        int outputs = h.output.readValuesToList().size();
        List<DeadLetter> dls = h.deadLetters();
        assertThat(outputs + dls.size()).isEqualTo(cases);
        assertThat(dls).allSatisfy(d -> assertThat(DeadLetterReason.valueOf(d.getReason())).isNotNull());
        assertThat(dls).noneMatch(d -> d.getReason().equals("PROCESSING_ERROR"));
        assertThat(outputs).isPositive();
    }

    /** Fuzz: random and mutated model records never throw, never activate anything broken. */
    @Test
    void shouldSurviveFuzzedModelRecords() {
        harness(Map.of());
        EmbeddingTable good = TokvecTopologyTest.smallTable(1);
        h.publish(good);
        ConfluentAvroSerializer<ModelRecord> ser = new ConfluentAvroSerializer<>(h.registryClient, false);
        ModelChunker c = new ModelChunker(TokvecTopologyTest.smallTable(2), 40);
        List<byte[]> seeds = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < c.chunkCount(); i++) {
            seeds.add(ser.serialize(TopologyHarness.MODEL, c.chunk(i).record()));
            keys.add(c.chunk(i).key().topicKey());
        }
        seeds.add(ser.serialize(TopologyHarness.MODEL, c.commit(Map.of()).record()));
        keys.add(ModelKey.commit(TopologyHarness.TABLE, 2).topicKey());
        Random rnd = new Random(7);
        for (int i = 0; i < 3000; i++) {
            int s = rnd.nextInt(seeds.size());
            byte[] b = i % 3 == 0 ? randomBytes(rnd) : mutate(seeds.get(s), rnd);
            String key = i % 5 == 0 ? "emb/" + rnd.nextInt(5) + "/chunk/" + rnd.nextInt(4) : keys.get(s);
            h.pipeModel(key, b);
        }
        // whatever happened, the active table is a complete, verified version: v1 (or v2 if every
        // chunk and the commit happened to survive intact, which mutation makes impossible here)
        assertThat(h.registry.activeVersion()).isEqualTo(1);
        h.pipeIds("after-fuzz", 3);
        EnrichedEvent o = h.outputs().get(0);
        assertThat(TokvecTopologyTest.floats(o.getEmbeddings())[7]).isEqualTo(-3f);
        assertThat(h.registry.rejectedCount()).isPositive();
    }

    private static byte[] randomBytes(Random rnd) {
        byte[] b = new byte[rnd.nextInt(200)];
        rnd.nextBytes(b);
        return b;
    }

    /** Flips, inserts, deletes or truncates a few bytes (never returns the input unchanged). */
    static byte[] mutate(byte[] seed, Random rnd) {
        byte[] b = seed.clone();
        int ops = 1 + rnd.nextInt(4);
        for (int k = 0; k < ops; k++) {
            int op = rnd.nextInt(4);
            if (b.length == 0) op = 1;
            switch (op) {
                case 0 -> b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
                case 1 -> {
                    int at = rnd.nextInt(b.length + 1);
                    byte[] n = new byte[b.length + 1];
                    System.arraycopy(b, 0, n, 0, at);
                    n[at] = (byte) rnd.nextInt(256);
                    System.arraycopy(b, at, n, at + 1, b.length - at);
                    b = n;
                }
                case 2 -> {
                    int at = rnd.nextInt(b.length);
                    byte[] n = new byte[b.length - 1];
                    System.arraycopy(b, 0, n, 0, at);
                    System.arraycopy(b, at + 1, n, at, b.length - at - 1);
                    b = n;
                }
                default -> b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length));
            }
        }
        if (java.util.Arrays.equals(b, seed)) {
            b = java.util.Arrays.copyOf(seed, seed.length + 1);
        }
        return b;
    }
}
