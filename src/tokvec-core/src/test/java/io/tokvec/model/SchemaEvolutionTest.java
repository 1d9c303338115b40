package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableActivate;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.core.EmbeddingTable;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The model schema before and after delta versions ({@code src/test/resources/schemas/ModelRecord-v1.avsc}
 * is {@code schemas/ModelRecord.avsc} as tokvec had it before deltas): records written before decode
 * unchanged, and a tokvec that predates deltas refuses delta records with a clear reason instead of
 * misreading them.
 */
class SchemaEvolutionTest {

    /** Initialises ModelRecords, which trusts tokvec's generated classes for decoding. */
    private static final ModelDecoder TRUSTED = ModelRecords.DECODER;
    private static final Schema V1 = v1();
    private static final Schema CURRENT = ModelRecord.getClassSchema();

    private static Schema v1() {
        try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/schemas/ModelRecord-v1.avsc")) {
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] write(Schema schema, Object datum) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder e = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<>(schema).write(datum, e);
        e.flush();
        return out.toByteArray();
    }

    private static GenericRecord body(Schema schema, String name) {
        Schema union = schema.getField("body").schema();
        return new GenericData.Record(union.getTypes().stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow());
    }

    private static GenericRecord record(Schema schema, long version, GenericRecord body) {
        GenericRecord r = new GenericData.Record(schema);
        r.put("table", "t");
        r.put("version", version);
        r.put("body", body);
        return r;
    }

    @Test
    void shouldDecodeRecordsWrittenBeforeDeltasUnchanged() throws Exception {
        GenericRecord chunk = body(V1, "TableChunk");
        chunk.put("index", 0);
        chunk.put("row_offset", 0L);
        chunk.put("row_count", 1);
        chunk.put("dim", 2);
        chunk.put("data", ByteBuffer.wrap(new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40}));
        chunk.put("tokens", List.of(""));
        GenericRecord commit = body(V1, "TableCommit");
        commit.put("rows", 1L);
        commit.put("dim", 2);
        commit.put("chunks", 1);
        commit.put("checksum", "sha256:" + "a".repeat(64));
        commit.put("vocab_checksum", null);
        commit.put("created_ms", 7L);
        commit.put("metadata", Map.of("k", "v"));
        commit.put("signature", null);
        commit.put("key_id", null);
        GenericRecord activate = body(V1, "TableActivate");
        activate.put("reason", "back");

        SpecificDatumReader<ModelRecord> reader = new SpecificDatumReader<>(V1, CURRENT);
        ModelRecord c = reader.read(null, DecoderFactory.get().binaryDecoder(write(V1, record(V1, 1, chunk)), null));
        TableChunk tc = (TableChunk) c.getBody();
        assertThat(tc.getDim()).isEqualTo(2);
        assertThat(EmbeddingTable.floatAt(tc.getData().array(), 1)).isEqualTo(2f);
        assertThat(tc.getTokens()).containsExactly("");
        ModelRecord m = reader.read(null, DecoderFactory.get().binaryDecoder(write(V1, record(V1, 1, commit)), null));
        assertThat(((TableCommit) m.getBody()).getChecksum()).isEqualTo("sha256:" + "a".repeat(64));
        assertThat(((TableCommit) m.getBody()).getMetadata()).containsEntry("k", "v");
        ModelRecord a = reader.read(null, DecoderFactory.get().binaryDecoder(write(V1, record(V1, 3, activate)), null));
        assertThat(((TableActivate) a.getBody()).getReason()).isEqualTo("back");
        assertThat(a.getVersion()).isEqualTo(3);
    }

    /** The key rules of tokvec before deltas ({@code ModelKey.parse} then): the three forms, nothing else. */
    private static String olderKeyRules(String key) {
        String[] p = key.split("/", -1);
        if ((p.length == 2 && p[1].equals("activate")) || (p.length == 3 && p[2].equals("commit"))
                || (p.length == 4 && p[2].equals("chunk"))) {
            return null;
        }
        return "model key '" + key + "' is not '<table>/<version>/chunk/<index>', '<table>/<version>/commit' or '<table>/activate'";
    }

    @Test
    void shouldBeRefusedByKeyByATokvecThatPredatesDeltasBeforeItDecodesAnything() throws Exception {
        DeltaGolden golden = new DeltaGolden();
        DeltaGolden.Version v2 = golden.get(2);
        List<ModelChunker.Keyed> records = v2.records("t", golden.get(1), 48);
        for (ModelChunker.Keyed r : records) {
            // what the older tokvec logs and counts as BAD_RECORD: the key names the record a delta
            assertThat(olderKeyRules(r.key().topicKey())).isNotNull().contains("/2/delta");
        }
        // Why delta records could not share the chunk and commit keys: the older reader's Avro resolution
        // reads an unknown record branch as the first branch of its union that it matches structurally,
        // and TableActivate (one field, with a default) matches any record. Under a commit key that would
        // be refused only as "holds a TableActivate": a misleading reason.
        byte[] deltaCommit = ModelRecords.encode(records.get(records.size() - 1).record());
        GenericRecord misread = new GenericDatumReader<GenericRecord>(CURRENT, V1).read(null,
                DecoderFactory.get().binaryDecoder(deltaCommit, null));
        assertThat(((GenericRecord) misread.get("body")).getSchema().getName()).isEqualTo("TableActivate");
        // and the records of full versions keep their keys: the older rules accept them
        assertThat(olderKeyRules(ModelKey.chunk("t", 1, 0).topicKey())).isNull();
        assertThat(olderKeyRules(ModelKey.commit("t", 1).topicKey())).isNull();
        assertThat(olderKeyRules(ModelKey.activate("t").topicKey())).isNull();
    }
}
