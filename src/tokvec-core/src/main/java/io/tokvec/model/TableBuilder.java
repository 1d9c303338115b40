package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableChecksum;
import io.tokvec.core.Vocabulary;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Assembles one committed version from its chunks in the store into a dense {@link EmbeddingTable}
 * and verifies it: every chunk present and decodable, chunks tiling rows {@code [0, rows)} in index
 * order, dim as committed, SHA-256 of the table (and of the vocabulary) as committed, no NaN or
 * infinity unless allowed, size within the limit. Only a table that passes everything is returned.
 */
public final class TableBuilder {

    private final long maxBytes;
    private final boolean allowNonFinite;
    private final ModelDecoder decoder;

    public TableBuilder(long maxBytes, boolean allowNonFinite, ModelDecoder decoder) {
        this.maxBytes = Math.min(maxBytes, EmbeddingTable.MAX_BYTES);
        this.allowNonFinite = allowNonFinite;
        this.decoder = Objects.requireNonNull(decoder);
    }

    /** Checks a commit's own numbers before any chunk is read. */
    public void checkCommit(String table, long version, TableCommit commit) throws TableRejectedException {
        if (commit.getRows() < 1 || commit.getDim() < 1 || commit.getChunks() < 1) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_RECORD, table + " v" + version
                    + ": commit needs rows, dim and chunks >= 1, got rows=" + commit.getRows() + " dim=" + commit.getDim()
                    + " chunks=" + commit.getChunks());
        }
        long bytes = commit.getRows() * commit.getDim() * (long) Float.BYTES;
        if (bytes > maxBytes || commit.getRows() > Integer.MAX_VALUE) {
            throw new TableRejectedException(TableRejectedException.Reason.TOO_LARGE, table + " v" + version + ": "
                    + commit.getRows() + " x " + commit.getDim() + " float32 is " + bytes + " bytes, over tokvec.table.max.bytes="
                    + maxBytes);
        }
        if (!commit.getChecksum().startsWith(TableChecksum.PREFIX)) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_RECORD, table + " v" + version
                    + ": checksum must start with '" + TableChecksum.PREFIX + "', got '" + commit.getChecksum() + "'");
        }
    }

    /** Builds and verifies the version; the store must hold all of its chunks. */
    public EmbeddingTable build(ModelStore store, String table, long version, TableCommit commit) throws TableRejectedException {
        checkCommit(table, version, commit);
        final int rows = (int) commit.getRows();
        final int dim = commit.getDim();
        final int rowBytes = dim * Float.BYTES;
        final byte[] data = new byte[Math.multiplyExact(rows, rowBytes)];
        final List<String> vocab = new ArrayList<>();
        final int[] state = {0, 0, -1}; // chunks seen, next row, whether chunks carry tokens (-1 unknown, 0 no, 1 yes)
        final TableRejectedException[] failure = {null};
        final String what = table + " v" + version;

        store.scan(ModelKey.chunkPrefix(table, version), (key, stored) -> {
            if (failure[0] != null) {
                return;
            }
            try {
                ModelKey k = ModelKey.fromStoreKey(key);
                TableChunk chunk = decodeChunk(stored, what, k.index());
                if (k.index() != state[0]) {
                    throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK,
                            what + ": chunk " + state[0] + " is missing (next present is " + k.index() + ")");
                }
                if (chunk.getDim() != dim) {
                    throw new TableRejectedException(TableRejectedException.Reason.WRONG_DIM,
                            what + ": chunk " + k.index() + " has dim " + chunk.getDim() + " but the commit says " + dim);
                }
                if (chunk.getRowOffset() != state[1] || chunk.getRowCount() < 1
                        || chunk.getRowOffset() + chunk.getRowCount() > rows) {
                    throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK, what + ": chunk " + k.index()
                            + " covers rows [" + chunk.getRowOffset() + ", " + (chunk.getRowOffset() + chunk.getRowCount())
                            + ") but rows [" + state[1] + ", ...) of " + rows + " come next");
                }
                ByteBuffer src = chunk.getData();
                if (src.remaining() != chunk.getRowCount() * rowBytes) {
                    throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK, what + ": chunk " + k.index()
                            + " holds " + src.remaining() + " bytes, " + chunk.getRowCount() + " rows x " + dim + " float32 need "
                            + (chunk.getRowCount() * rowBytes));
                }
                src.get(data, state[1] * rowBytes, src.remaining());
                int hasTokens = chunk.getTokens() != null ? 1 : 0;
                if (state[2] >= 0 && state[2] != hasTokens) {
                    throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH,
                            what + ": some chunks carry vocabulary tokens and others do not (chunk " + k.index() + ")");
                }
                state[2] = hasTokens;
                if (hasTokens == 1) {
                    if (chunk.getTokens().size() != chunk.getRowCount()) {
                        throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH, what + ": chunk "
                                + k.index() + " has " + chunk.getTokens().size() + " tokens for " + chunk.getRowCount() + " rows");
                    }
                    vocab.addAll(chunk.getTokens());
                }
                state[0]++;
                state[1] += chunk.getRowCount();
            } catch (TableRejectedException e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        if (state[0] != commit.getChunks() || state[1] != rows) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_CHUNK, what + ": " + state[0]
                    + " chunks cover " + state[1] + " rows but the commit says " + commit.getChunks() + " chunks and " + rows + " rows");
        }

        MessageDigest md = TableChecksum.sha256();
        md.update(data);
        String sum = TableChecksum.format(md);
        if (!sum.equalsIgnoreCase(commit.getChecksum())) {
            throw new TableRejectedException(TableRejectedException.Reason.CHECKSUM_MISMATCH,
                    what + ": table checksum is " + sum + " but the commit says " + commit.getChecksum());
        }
        Vocabulary vocabulary = null;
        if (state[2] == 1 || commit.getVocabChecksum() != null) {
            if (state[2] != 1 || commit.getVocabChecksum() == null) {
                throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH, what
                        + ": the chunks " + (state[2] == 1 ? "carry" : "carry no") + " vocabulary but the commit "
                        + (commit.getVocabChecksum() == null ? "has no" : "has a") + " vocab_checksum");
            }
            String vsum = TableChecksum.ofVocabulary(vocab);
            if (!vsum.equalsIgnoreCase(commit.getVocabChecksum())) {
                throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH,
                        what + ": vocabulary checksum is " + vsum + " but the commit says " + commit.getVocabChecksum());
            }
            try {
                vocabulary = Vocabulary.of(vocab);
            } catch (IllegalArgumentException e) {
                throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH, what + ": " + e.getMessage());
            }
        }
        if (!allowNonFinite) {
            long bad = EmbeddingTable.firstNonFinite(data);
            if (bad >= 0) {
                throw new TableRejectedException(TableRejectedException.Reason.NON_FINITE, what + ": value at row "
                        + (bad / dim) + ", column " + (bad % dim) + " is " + EmbeddingTable.floatAt(data, (int) bad)
                        + " (set tokvec.table.allow.nonfinite=true to accept NaN/Inf)");
            }
        }
        return new EmbeddingTable(table, version, rows, dim, data, vocabulary);
    }

    private TableChunk decodeChunk(byte[] stored, String what, int index) throws TableRejectedException {
        ModelRecord r;
        try {
            r = StoredRecord.decodeValue(stored, decoder);
        } catch (RuntimeException e) {
            throw new TableRejectedException(TableRejectedException.Reason.UNDECODABLE,
                    what + ": chunk " + index + " does not decode: " + e.getMessage());
        }
        if (!(r.getBody() instanceof TableChunk c)) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_RECORD,
                    what + ": record under chunk key " + index + " is not a TableChunk");
        }
        return c;
    }
}
