package io.tokvec.model;

import io.tokvec.testutil.InMemoryModelStore;
import io.tokvec.avro.ModelRecord;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.serde.ConfluentAvroDeserializer;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.MockSchemaRegistry;
import io.tokvec.serde.SchemaRegistryClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records of tables the application does not serve are ignored, and each other table name is logged
 * once at INFO (a table published under the wrong name does not go unnoticed) and listed in the
 * registry's snapshot ({@code /tables}: {@code other_tables}).
 */
class OtherTablesLogTest {

    private static final String SCOPE = "OtherTablesLogTest";
    private final SchemaRegistryClient client = MockSchemaRegistry.getClientForScope(SCOPE);
    private final ConfluentAvroSerializer<ModelRecord> ser = new ConfluentAvroSerializer<>(client, false);
    private final ConfluentAvroDeserializer<ModelRecord> de = new ConfluentAvroDeserializer<>(ModelRecord.class, client, false);

    @AfterEach
    void drop() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    private void publish(TableRegistry r, ModelStore store, EmbeddingTable t) {
        ModelChunker c = new ModelChunker(t, 16);
        c.chunks().forEachRemaining(k -> r.onRecord(store, k.key().topicKey(), ser.serialize("model", k.record())));
        ModelChunker.Keyed commit = c.commit(Map.of());
        r.onRecord(store, commit.key().topicKey(), ser.serialize("model", commit.record()));
    }

    @Test
    void shouldLogEachOtherTableNameOnceAndListItWithoutKeepingItsRecords() {
        InMemoryModelStore store = new InMemoryModelStore();
        TableRegistry r = new TableRegistry("embeddings", -1, 2, Long.MAX_VALUE, false, (b, off, len) -> de.deserialize("model", b, off, len));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            publish(r, store, EmbeddingTable.fromFloats("glove", 1, 3, 2, new float[6], null)); // several records of 'glove'
            publish(r, store, EmbeddingTable.fromFloats("glove", 2, 3, 2, new float[6], null));
            publish(r, store, EmbeddingTable.fromFloats("other", 1, 3, 2, new float[6], null));
        } finally {
            System.setErr(saved);
        }
        List<String> lines = err.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("are ignored")).toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).contains("INFO").endsWith("model records of table 'glove' are ignored: this application serves"
                + " table 'embeddings' (tokvec.table); publish with --table embeddings or run an application with"
                + " tokvec.table=glove to serve them");
        assertThat(lines.get(1)).contains("model records of table 'other' are ignored");
        assertThat(r.snapshot().otherTables()).containsExactly("glove", "other");
        assertThat(r.activeVersion()).isEqualTo(-1);
        assertThat(r.rejectedCount()).as("not rejections: another application may serve them").isZero();
        assertThat(store.entries()).as("nothing kept of other tables").isEmpty();
    }
}
