package io.tokvec.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.core.EmbeddingTable;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The golden delta chain computed with numpy and hashlib by {@code src/test/python/gen_delta_golden.py}
 * (src/test/resources/delta/delta_golden.json): a full v1 and deltas over it, each with its ids and
 * rows as published, its checksums and content id, and the whole table W (numpy).
 */
final class DeltaGolden {

    /** One version of the golden chain. */
    record Version(long version, long base, int baseRows, int rows, int dim, int[] ids, float[] rowsData, List<String> appendedTokens,
                   String deltaChecksum, String tokensChecksum, String contentId, float[] w, List<String> vocab) {

        /** The whole version as numpy computed it. */
        EmbeddingTable table(String name) {
            return EmbeddingTable.fromFloats(name, version, rows, dim, w, vocab);
        }

        /** The records {@link DeltaChunker} makes of this delta over {@code base}, chunks of at most {@code chunkBytes}. */
        List<ModelChunker.Keyed> records(String table, Version baseVersion, int chunkBytes) {
            DeltaChunker c = chunker(table, baseVersion, chunkBytes);
            List<ModelChunker.Keyed> out = new ArrayList<>();
            c.chunks().forEachRemaining(out::add);
            out.add(c.commit(java.util.Map.of()));
            return out;
        }

        DeltaChunker chunker(String table, Version baseVersion, int chunkBytes) {
            DeltaChunker.Base b = new DeltaChunker.Base(baseVersion.version, baseVersion.rows, dim, baseVersion.contentId, true);
            return new DeltaChunker(table, version, b, ids, (i, dst, off) -> {
                for (int k = 0; k < dim; k++) EmbeddingTable.putFloat(dst, off / 4 + k, rowsData[i * dim + k]);
            }, appendedTokens.isEmpty() ? null : appendedTokens, chunkBytes);
        }
    }

    final List<Version> versions = new ArrayList<>();

    DeltaGolden() {
        try (InputStream in = DeltaGolden.class.getResourceAsStream("/delta/delta_golden.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            for (JsonNode v : root.get("versions")) {
                boolean delta = v.has("base");
                versions.add(new Version(v.get("version").asLong(), delta ? v.get("base").asLong() : -1,
                        delta ? v.get("base_rows").asInt() : v.get("rows").asInt(), v.get("rows").asInt(), v.get("dim").asInt(),
                        delta ? ints(v.get("ids")) : null, delta ? floats(v.get("rows_data")) : null,
                        delta ? strings(v.get("appended_tokens")) : List.of(),
                        delta ? v.get("delta_checksum").asText() : null,
                        delta && !v.get("tokens_checksum").isNull() ? v.get("tokens_checksum").asText() : null,
                        v.get("content_id").asText(), floats(v.get("W")), strings(v.get(delta ? "vocab" : "tokens"))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Version get(long version) {
        return versions.stream().filter(v -> v.version == version).findFirst().orElseThrow();
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    /** float32 values from their uint32 bit patterns. */
    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = Float.intBitsToFloat((int) a.get(i).asLong());
        return out;
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(n -> out.add(n.asText()));
        return out;
    }
}
