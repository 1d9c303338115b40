package io.tokvec.it;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.Vocabulary;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Test tables whose every value says which version, row and column it is, and the expected output
 * computed independently of tokvec's own code: Keras {@code pad_sequences(padding='pre',
 * truncating='pre', value=0)}, then a numpy gather (what {@code Embedding} does), mask
 * {@code ids != 0}, row 0 at padded positions ({@code tokvec.pad.vector=table}).
 */
final class TestTables {

    static final String TABLE = "emb";
    /** A token in no test vocabulary: maps to the OOV row 1. */
    static final String UNKNOWN_WORD = "never-seen";

    /** Token to row, per table (by identity). */
    private static final Map<EmbeddingTable, Map<String, Integer>> VOCAB_ROWS = Collections.synchronizedMap(new IdentityHashMap<>());

    private TestTables() {
    }

    /**
     * A table of {@code rows x dim} with value {@code version * 1000 + row + col / 64} (exact in
     * float32), so that any two versions differ in every value, padding row 0 included. Its
     * vocabulary is {@code '', '[UNK]', w2, w3, ...} for odd versions; even versions number the
     * same words in reverse order, so a string event maps to different ids under each version.
     */
    static EmbeddingTable table(long version, int rows, int dim) {
        float[] values = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < dim; c++) {
                values[r * dim + c] = version * 1000f + r + c / 64f;
            }
        }
        List<String> vocab = new ArrayList<>(rows);
        vocab.add("");
        vocab.add("[UNK]");
        for (int r = 2; r < rows; r++) {
            vocab.add(word(version % 2 == 1 ? r : rows + 1 - r));
        }
        return EmbeddingTable.fromFloats(TABLE, version, rows, dim, values, vocab);
    }

    /** The word of row {@code row} in an odd version's vocabulary. */
    static String word(int row) {
        return "w" + row;
    }

    /** The event's token ids under {@code table}: its token_ids, or its tokens looked up in the table's vocabulary. */
    static int[] tokenIds(TokenEvent event, EmbeddingTable table) {
        if (event.getTokenIds() != null) {
            return event.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
        }
        Map<String, Integer> rows = VOCAB_ROWS.computeIfAbsent(table, t -> {
            Map<String, Integer> m = new HashMap<>();
            List<String> words = t.vocabulary().tokens();
            for (int r = 0; r < words.size(); r++) {
                m.put(words.get(r), r);
            }
            return m;
        });
        List<String> tokens = event.getTokens();
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            String t = tokens.get(i);
            ids[i] = t.isEmpty() ? Vocabulary.PAD : rows.getOrDefault(t, Vocabulary.OOV);
        }
        return ids;
    }

    /** Keras {@code pad_sequences(padding='pre', truncating='pre')} of one sequence. */
    static int[] padPre(int[] ids, int maxLen) {
        int[] out = new int[maxLen];
        int keep = Math.min(ids.length, maxLen);
        System.arraycopy(ids, ids.length - keep, out, maxLen - keep, keep);
        return out;
    }

    /** The rows of {@code ids}, gathered from the table, as little-endian float32 bytes. */
    static byte[] gather(int[] ids, EmbeddingTable table) {
        ByteBuffer out = ByteBuffer.allocate(ids.length * table.dim() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) {
            for (int c = 0; c < table.dim(); c++) {
                out.putFloat(table.get(id, c));
            }
        }
        return out.array();
    }

    static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    /** Asserts every field of {@code out} is what {@code table} makes of {@code in} with max_len {@code maxLen}. */
    static void assertEnriched(EnrichedEvent out, TokenEvent in, EmbeddingTable table, int maxLen) {
        int[] ids = tokenIds(in, table);
        int[] padded = padPre(ids, maxLen);
        List<Integer> expectedIds = new ArrayList<>();
        List<Boolean> expectedMask = new ArrayList<>();
        for (int id : padded) {
            expectedIds.add(id);
            expectedMask.add(id != 0);
        }
        String what = "output of event " + in.getId() + " (v" + out.getTableVersion() + ")";
        assertThat(out.getId()).as(what).isEqualTo(in.getId());
        assertThat(out.getTable()).as(what).isEqualTo(table.name());
        assertThat(out.getTableVersion()).as(what).isEqualTo(table.version());
        assertThat(out.getIds()).as(what + ": ids").isEqualTo(expectedIds);
        assertThat(out.getMask()).as(what + ": mask").isEqualTo(expectedMask);
        assertThat(out.getLength()).as(what + ": length").isEqualTo(Math.min(ids.length, maxLen));
        assertThat(out.getTruncated()).as(what + ": truncated").isEqualTo(ids.length > maxLen);
        assertThat(out.getDim()).as(what + ": dim").isEqualTo(table.dim());
        assertThat(bytes(out.getEmbeddings())).as(what + ": embeddings").isEqualTo(gather(padded, table));
        assertThat(out.getTimestampMs()).as(what + ": timestamp_ms").isEqualTo(in.getTimestampMs());
        assertThat(out.getMetadata()).as(what + ": metadata").isEqualTo(in.getMetadata());
    }
}
