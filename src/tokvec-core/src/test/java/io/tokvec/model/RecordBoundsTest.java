package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TableDeltaChunk;
import io.tokvec.avro.TableDeltaCommit;
import io.tokvec.core.TableDtype;
import io.tokvec.model.TableRejectedException.Reason;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static io.tokvec.model.ModelRecords.chunk;
import static io.tokvec.model.ModelRecords.commit;
import static io.tokvec.model.ModelRecords.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Every number of a model record is checked against the others, the limit and the commit, with a reason. */
class RecordBoundsTest {

    /** 1 GiB of float32: at most 2^28 values. */
    private final RecordBounds bounds = new RecordBounds(1L << 30, TableDtype.FLOAT32);

    private Reason refusal(ModelKey key, ModelRecord r, TableCommit committed) {
        TableRejectedException e = catchThrowableOfType(TableRejectedException.class, () -> bounds.check(key, r, committed));
        return e == null ? null : e.reason();
    }

    private Reason chunkRefusal(TableChunk c, TableCommit committed) {
        return refusal(ModelKey.chunk("t", 5, c.getIndex()), record("t", 5, c), committed);
    }

    @Test
    void shouldAcceptAChunkAndACommitThatFit() {
        assertThat(chunkRefusal(chunk(0, 0, 3, 4), null)).isNull();
        assertThat(chunkRefusal(chunk(2, 6, 3, 4), commit(9, 4, 3))).isNull();
        assertThat(refusal(ModelKey.commit("t", 5), record("t", 5, commit(9, 4, 3)), null)).isNull();
    }

    @Test
    void shouldRefuseTheHostileChunksOfTheIssueWithAReason() {
        assertThat(chunkRefusal(chunk(Integer.MAX_VALUE - 1, 0, 1, 4), null)).as("index near 2^31 at row 0").isEqualTo(Reason.BAD_CHUNK);
        assertThat(chunkRefusal(chunk(0, Long.MAX_VALUE - 10, 1, 4), null)).as("row offset near 2^63").isEqualTo(Reason.TOO_LARGE);
        TableChunk wideClaim = chunk(0, 0, 1, 4);
        wideClaim.setDim(1_000_000); // says dim 10^6, carries 16 bytes
        assertThat(chunkRefusal(wideClaim, null)).as("dim 10^6 without its data").isEqualTo(Reason.BAD_CHUNK);
        assertThat(chunkRefusal(chunk(0, 0, 1, 4), commit(9, 8, 3))).as("dim other than the commit's").isEqualTo(Reason.WRONG_DIM);
        assertThat(new RecordBounds(1L << 20, TableDtype.FLOAT32).maxDim()).isEqualTo(1 << 18);
        TableChunk tooWide = chunk(0, 0, 1, 1 << 18);
        assertThat(catchThrowableOfType(TableRejectedException.class, () -> new RecordBounds(1L << 20, TableDtype.FLOAT32)
                .check(ModelKey.chunk("t", 5, 0), record("t", 5, tooWide), null))).isNull();
        tooWide.setDim((1 << 18) + 1);
        assertThat(catchThrowableOfType(TableRejectedException.class, () -> new RecordBounds(1L << 20, TableDtype.FLOAT32)
                .check(ModelKey.chunk("t", 5, 0), record("t", 5, tooWide), null)).reason()).isEqualTo(Reason.TOO_LARGE);
    }

    @Test
    void shouldRefuseAChunkWhoseNumbersDisagreeWithEachOtherOrTheCommit() {
        assertThat(chunkRefusal(chunk(0, 0, 0, 4), null)).as("no rows").isEqualTo(Reason.BAD_CHUNK);
        assertThat(chunkRefusal(chunk(0, -1, 1, 4), null)).as("negative offset").isEqualTo(Reason.BAD_CHUNK);
        assertThat(chunkRefusal(chunk(4, 3, 1, 4), null)).as("index 4 starting at row 3").isEqualTo(Reason.BAD_CHUNK);
        TableChunk shortData = chunk(0, 0, 2, 4);
        shortData.setData(ByteBuffer.wrap(new byte[31]));
        assertThat(chunkRefusal(shortData, null)).isEqualTo(Reason.BAD_CHUNK);
        TableChunk tokens = chunk(0, 0, 2, 4);
        tokens.setTokens(List.of("a"));
        assertThat(chunkRefusal(tokens, null)).isEqualTo(Reason.VOCAB_MISMATCH);
        assertThat(chunkRefusal(chunk(3, 6, 3, 4), commit(9, 4, 3))).as("index beyond the commit's chunks").isEqualTo(Reason.BAD_CHUNK);
        assertThat(chunkRefusal(chunk(2, 7, 3, 4), commit(9, 4, 3))).as("rows beyond the commit's").isEqualTo(Reason.BAD_CHUNK);
        assertThat(refusal(ModelKey.chunk("t", 5, 1), record("t", 5, chunk(0, 0, 1, 4)), null)).as("key index 1, value index 0")
                .isEqualTo(Reason.BAD_RECORD);
        assertThat(refusal(ModelKey.chunk("t", 5, 0), record("t", 6, chunk(0, 0, 1, 4)), null)).isEqualTo(Reason.BAD_RECORD);
        assertThat(refusal(ModelKey.chunk("t", 5, 0), record("u", 5, chunk(0, 0, 1, 4)), null)).isEqualTo(Reason.BAD_RECORD);
        assertThat(refusal(ModelKey.commit("t", 5), record("t", 5, chunk(0, 0, 1, 4)), null)).isEqualTo(Reason.BAD_RECORD);
    }

    @Test
    void shouldRefuseACommitForTrillionsOfRowsOrMoreChunksThanRowsOrAMalformedChecksum() {
        TableRejectedException huge = catchThrowableOfType(TableRejectedException.class,
                () -> bounds.checkCommit("t", 5, commit(4_000_000_000_000L, 8, 2_000_000_000)));
        assertThat(huge.reason()).isEqualTo(Reason.TOO_LARGE);
        assertThat(huge.getMessage()).isEqualTo("t v5: 4000000000000 x 8 float32 is 128000000000000 bytes, over"
                + " tokvec.table.max.bytes=1073741824 (and over the 2^31-1 rows a table may have)");
        assertThat(catchThrowableOfType(TableRejectedException.class, () -> bounds.checkCommit("t", 5, commit(3, 8, 4))).reason())
                .isEqualTo(Reason.BAD_RECORD);
        assertThat(catchThrowableOfType(TableRejectedException.class, () -> bounds.checkCommit("t", 5, commit(0, 8, 1))).reason())
                .isEqualTo(Reason.BAD_RECORD);
        TableCommit badSum = commit(3, 8, 1);
        badSum.setChecksum("sha256:xyz");
        assertThat(catchThrowableOfType(TableRejectedException.class, () -> bounds.checkCommit("t", 5, badSum)).reason())
                .isEqualTo(Reason.BAD_RECORD);
        TableCommit badVocab = commit(3, 8, 1);
        badVocab.setVocabChecksum("sha256:" + "0".repeat(63) + "\uff10"); // a full-width digit is not hex
        assertThat(catchThrowableOfType(TableRejectedException.class, () -> bounds.checkCommit("t", 5, badVocab)).reason())
                .isEqualTo(Reason.BAD_RECORD);
        assertThat(refusal(ModelKey.activate("t"), ModelRecords.activate("t", 0), null)).isEqualTo(Reason.BAD_RECORD);
    }

    /** A delta chunk of the given ids and zero rows of dim 4. */
    private static TableDeltaChunk deltaChunk(int index, int... ids) {
        ByteBuffer b = ByteBuffer.allocate(ids.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < ids.length; i++) b.putInt(i * 4, ids[i]);
        return TableDeltaChunk.newBuilder().setIndex(index).setIds(b).setDim(4)
                .setData(ByteBuffer.wrap(new byte[ids.length * 16])).setTokens(null).build();
    }

    private static TableDeltaCommit deltaCommit(long base, long baseRows, long rows, long deltaRows, int chunks) {
        return TableDeltaCommit.newBuilder().setBaseVersion(base).setBaseRows(baseRows).setRows(rows).setDim(4)
                .setDeltaRows(deltaRows).setChunks(chunks).setDeltaChecksum("sha256:" + "0".repeat(64)).setTokensChecksum(null)
                .setContentId("sha256:" + "1".repeat(64)).setCreatedMs(0).setMetadata(java.util.Map.of()).build();
    }

    private Reason deltaRefusal(TableDeltaChunk c, TableDeltaCommit committed) {
        TableRejectedException e = catchThrowableOfType(TableRejectedException.class,
                () -> bounds.check(ModelKey.deltaChunk("t", 5, c.getIndex()), record("t", 5, c), null, committed));
        return e == null ? null : e.reason();
    }

    private Reason deltaCommitRefusal(TableDeltaCommit c) {
        TableRejectedException e = catchThrowableOfType(TableRejectedException.class,
                () -> bounds.check(ModelKey.deltaCommit("t", 5), record("t", 5, c), null, null));
        return e == null ? null : e.reason();
    }

    @Test
    void shouldBoundADeltaChunkByItsBytesAndItsCommit() {
        assertThat(deltaRefusal(deltaChunk(0, 1, 5, 9), null)).isNull();
        assertThat(deltaRefusal(deltaChunk(1, 1, 5, 9), deltaCommit(4, 9, 10, 4, 2))).isNull();
        assertThat(deltaRefusal(deltaChunk(0, 5, 5), null)).as("a duplicate id").isEqualTo(Reason.BAD_DELTA);
        assertThat(deltaRefusal(deltaChunk(0, 5, 3), null)).as("descending ids").isEqualTo(Reason.BAD_DELTA);
        assertThat(deltaRefusal(deltaChunk(0, -1), null)).as("a negative id").isEqualTo(Reason.BAD_DELTA);
        assertThat(deltaRefusal(deltaChunk(0, 1 << 26), null)).as("an id beyond the limit's rows").isEqualTo(Reason.BAD_DELTA);
        assertThat(deltaRefusal(deltaChunk(0, 10), deltaCommit(4, 9, 10, 4, 2))).as("an id beyond the rows").isEqualTo(Reason.BAD_DELTA);
        assertThat(deltaRefusal(deltaChunk(2, 1), deltaCommit(4, 9, 10, 4, 2))).as("beyond the chunks").isEqualTo(Reason.BAD_CHUNK);
        assertThat(deltaRefusal(deltaChunk(0, 1, 2, 3), deltaCommit(4, 9, 9, 2, 1))).as("more rows than the delta")
                .isEqualTo(Reason.BAD_DELTA);
        assertThat(deltaRefusal(deltaChunk(Integer.MAX_VALUE, 1), null)).as("an index beyond any row count").isEqualTo(Reason.TOO_LARGE);
        TableDeltaChunk claim = deltaChunk(0, 1);
        claim.setDim(1_000_000); // says dim 10^6, carries 16 bytes
        assertThat(deltaRefusal(claim, null)).isEqualTo(Reason.BAD_CHUNK);
        TableDeltaChunk ragged = deltaChunk(0, 1, 2);
        ragged.setIds(ByteBuffer.wrap(new byte[7]));
        assertThat(deltaRefusal(ragged, null)).as("ids of 7 bytes").isEqualTo(Reason.BAD_CHUNK);
        TableDeltaChunk tokens = deltaChunk(0, 1);
        tokens.setTokens(List.of("a", "b"));
        assertThat(deltaRefusal(tokens, null)).isEqualTo(Reason.VOCAB_MISMATCH);
        TableDeltaChunk wrongDim = deltaChunk(0, 1);
        TableDeltaCommit dim8 = deltaCommit(4, 9, 9, 2, 1);
        dim8.setDim(8);
        assertThat(deltaRefusal(wrongDim, dim8)).isEqualTo(Reason.WRONG_DIM);
        assertThat(refusal(ModelKey.deltaChunk("t", 5, 0), record("t", 5, chunk(0, 0, 1, 4)), null)).as("a full chunk under a delta key")
                .isEqualTo(Reason.BAD_RECORD);
        assertThat(refusal(ModelKey.chunk("t", 5, 0), record("t", 5, deltaChunk(0, 1)), null)).as("a delta chunk under a chunk key")
                .isEqualTo(Reason.BAD_RECORD);
    }

    @Test
    void shouldRefuseADeltaCommitWhoseNumbersDisagree() {
        assertThat(deltaCommitRefusal(deltaCommit(4, 9, 11, 3, 2))).isNull();
        assertThat(deltaCommitRefusal(deltaCommit(5, 9, 11, 3, 2))).as("its own version as base").isEqualTo(Reason.BAD_RECORD);
        assertThat(deltaCommitRefusal(deltaCommit(0, 9, 11, 3, 2))).as("base v0").isEqualTo(Reason.BAD_RECORD);
        assertThat(deltaCommitRefusal(deltaCommit(4, 9, 8, 3, 2))).as("fewer rows than the base").isEqualTo(Reason.BAD_RECORD);
        assertThat(deltaCommitRefusal(deltaCommit(4, 9, 11, 1, 1))).as("not every appended row").isEqualTo(Reason.BAD_DELTA);
        assertThat(deltaCommitRefusal(deltaCommit(4, 9, 11, 12, 1))).as("more rows than the version").isEqualTo(Reason.BAD_DELTA);
        assertThat(deltaCommitRefusal(deltaCommit(4, 9, 11, 3, 4))).as("more chunks than rows").isEqualTo(Reason.BAD_RECORD);
        assertThat(deltaCommitRefusal(deltaCommit(4, 9, 1L << 40, 3, 2))).isEqualTo(Reason.TOO_LARGE);
        TableDeltaCommit badId = deltaCommit(4, 9, 11, 3, 2);
        badId.setContentId("sha256:nope");
        assertThat(deltaCommitRefusal(badId)).isEqualTo(Reason.BAD_RECORD);
        assertThat(refusal(ModelKey.commit("t", 5), record("t", 5, deltaCommit(4, 9, 11, 3, 2)), null)).as("under a commit key")
                .isEqualTo(Reason.BAD_RECORD);
    }
}
