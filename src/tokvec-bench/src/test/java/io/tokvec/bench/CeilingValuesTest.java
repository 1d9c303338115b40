package io.tokvec.bench;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The compressed ceilings' values: tokvec's outputs for the workload's events, written to a file and
 * read back as {@link CeilingProducer} reads them, decoded with tokvec's own deserializer and checked
 * against the workload's raw token ids and table bytes (Keras' pre padding and pre truncation,
 * padding rows = row 0).
 */
class CeilingValuesTest {

    private static final int MAX_LEN = 16;
    private static final int DIM = 8;
    private final String scope = "ceiling-values-test-" + System.nanoTime();

    @TempDir
    Path tmp;

    @AfterEach
    void dropScope() {
        MockSchemaRegistry.dropScope(scope);
    }

    private static Workload tinyWorkload() {
        BenchSettings q = BenchSettings.quickPreset();
        return new Workload(new BenchSettings(true, 1000, DIM, MAX_LEN, 32, 50, 42L, q.warmupSeconds(), q.seconds(),
                q.naiveEvents(), q.e2eWarmup(), q.e2eEvents(), q.e2eRounds(), q.swapRows(), q.swapBeforeSeconds(),
                q.swapAfterSeconds(), 1, q.guarantee(), Set.of("bytes"), null));
    }

    @Test
    void shouldWriteTokvecsOutputRecordsOfTheWorkloadsEventsThatDecodeToItsPaddedIdsAndTableRows() throws IOException {
        Workload workload = tinyWorkload();
        TokvecConfig cfg = TopologyBench.config(scope, tmp.resolve("state"), MAX_LEN);
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(scope);
        int n = 40;
        byte[][] values = CeilingValues.enrich(workload, cfg, registry, n);
        Path file = tmp.resolve("values.bin");
        CeilingValues.write(file, values);
        byte[][] read = CeilingValues.read(file);
        assertThat(read).hasNumberOfRows(n);
        for (int i = 0; i < n; i++) {
            assertThat(read[i]).as("value %d", i).isEqualTo(values[i]);
        }

        ConfluentAvroDeserializer<EnrichedEvent> deserializer = new ConfluentAvroDeserializer<>(EnrichedEvent.class, registry, false);
        byte[] table = workload.table().data();
        int rowBytes = DIM * Float.BYTES;
        Set<Boolean> truncatedSeen = new java.util.HashSet<>();
        for (int e = 0; e < n; e++) {
            EnrichedEvent out = deserializer.deserialize(cfg.outputTopic(), read[e]);
            int[] tokens = workload.ids(e);
            int kept = Math.min(tokens.length, MAX_LEN);
            List<Integer> ids = new ArrayList<>();
            for (int p = 0; p < MAX_LEN - kept; p++) {
                ids.add(0); // pre padding
            }
            for (int t = tokens.length - kept; t < tokens.length; t++) {
                ids.add(tokens[t]); // pre truncation keeps the last MAX_LEN tokens
            }
            ByteBuffer embeddings = ByteBuffer.allocate(MAX_LEN * rowBytes);
            for (int id : ids) {
                embeddings.put(table, id * rowBytes, rowBytes); // padding: row 0, as Keras' Embedding
            }
            assertThat(out.getId()).isEqualTo("e" + e);
            assertThat(out.getTable()).isEqualTo(Workload.TABLE);
            assertThat(out.getTableVersion()).isEqualTo(1L);
            assertThat(out.getIds()).isEqualTo(ids);
            assertThat(out.getMask()).isEqualTo(ids.stream().map(id -> id != 0).toList());
            assertThat(out.getLength()).isEqualTo(kept);
            assertThat(out.getTruncated()).isEqualTo(tokens.length > MAX_LEN);
            assertThat(out.getDim()).isEqualTo(DIM);
            assertThat(out.getDtype()).isEqualTo("float32");
            byte[] actual = new byte[out.getEmbeddings().remaining()];
            out.getEmbeddings().duplicate().get(actual);
            assertThat(actual).as("embeddings of e%d", e).isEqualTo(embeddings.array());
            truncatedSeen.add(out.getTruncated());
        }
        assertThat(truncatedSeen).as("padded and truncated events both among the first %d", n).containsExactlyInAnyOrder(true, false);
    }

    @Test
    void shouldRefuseATruncatedValuesFile() throws IOException {
        Path file = tmp.resolve("values.bin");
        CeilingValues.write(file, new byte[][] {{1, 2, 3}, {4, 5, 6, 7}});
        assertThat(CeilingValues.read(file)).isDeepEqualTo(new byte[][] {{1, 2, 3}, {4, 5, 6, 7}});
        byte[] all = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(all, all.length - 1));
        assertThatThrownBy(() -> CeilingValues.read(file)).isInstanceOf(IOException.class)
                .hasMessageContaining("value 1 at byte 7 claims 4 bytes; the file has 3 left");
        Files.write(file, new byte[0]);
        assertThatThrownBy(() -> CeilingValues.read(file)).isInstanceOf(IOException.class).hasMessageContaining("no values");
    }
}
