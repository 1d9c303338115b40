package io.tokvec.testutil;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableDeltaChunk;
import io.tokvec.avro.TableDeltaCommit;
import io.tokvec.core.TableChecksum;
import io.tokvec.model.ContentIds;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.ModelKey;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Delta records made by hand, chunk by chunk as given (no check of what they say, unlike
 * {@code DeltaChunker}), with the checksums and content id of what they carry: for hostile deltas
 * that differ from a valid one in exactly one way. The row of id {@code i} holds {@code i + 0.5} in
 * every column.
 */
public final class DeltaRecords {

    private DeltaRecords() {
    }

    /** What a delta is made over. */
    public record Base(long version, long rows, int dim, String contentId) {
    }

    /**
     * The delta chunks (chunk {@code c} holds {@code chunkIds[c]}, with the tokens {@code chunkTokens.get(c)}
     * or none when {@code chunkTokens} is null) and the delta commit of {@code version} over {@code base},
     * saying {@code rows} rows.
     */
    public static List<ModelChunker.Keyed> delta(String table, long version, Base base, long rows, int[][] chunkIds,
                                                 List<List<String>> chunkTokens) {
        int dim = base.dim();
        List<ModelChunker.Keyed> out = new ArrayList<>();
        MessageDigest md = TableChecksum.sha256();
        MessageDigest tmd = TableChecksum.sha256();
        long total = 0;
        boolean tokens = false;
        for (int c = 0; c < chunkIds.length; c++) {
            ByteBuffer ids = ByteBuffer.allocate(chunkIds[c].length * 4).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer data = ByteBuffer.allocate(chunkIds[c].length * dim * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < chunkIds[c].length; i++) {
                ids.putInt(i * 4, chunkIds[c][i]);
                for (int k = 0; k < dim; k++) data.putFloat((i * dim + k) * 4, chunkIds[c][i] + 0.5f);
                ContentIds.addDeltaRow(md, chunkIds[c][i], data.slice(i * dim * 4, dim * 4));
            }
            List<String> ts = chunkTokens == null ? null : chunkTokens.get(c);
            if (ts != null) {
                tokens = true;
                ts.forEach(t -> TableChecksum.addToken(tmd, t));
            }
            total += chunkIds[c].length;
            TableDeltaChunk chunk = TableDeltaChunk.newBuilder().setIndex(c).setIds(ids).setDim(dim).setData(data).setTokens(ts).build();
            out.add(new ModelChunker.Keyed(ModelKey.deltaChunk(table, version, c), record(table, version, chunk)));
        }
        TableDeltaCommit commit = TableDeltaCommit.newBuilder().setBaseVersion(base.version()).setBaseRows(base.rows()).setRows(rows)
                .setDim(dim).setDeltaRows(total).setChunks(chunkIds.length).setDeltaChecksum(TableChecksum.format(md))
                .setTokensChecksum(tokens ? TableChecksum.format(tmd) : null).setContentId("")
                .setCreatedMs(0).setMetadata(Map.of()).build();
        commit.setContentId(ContentIds.of(base.contentId(), commit));
        out.add(new ModelChunker.Keyed(ModelKey.deltaCommit(table, version), record(table, version, commit)));
        return out;
    }

    /** The commit of records {@link #delta} made (the last one), to alter it. */
    public static TableDeltaCommit commitOf(List<ModelChunker.Keyed> records) {
        return (TableDeltaCommit) records.get(records.size() - 1).record().getBody();
    }

    private static ModelRecord record(String table, long version, Object body) {
        return ModelRecord.newBuilder().setTable(table).setVersion(version).setBody(body).build();
    }
}
