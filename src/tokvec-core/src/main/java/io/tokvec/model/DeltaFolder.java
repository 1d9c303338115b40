package io.tokvec.model;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.RowOverlay;
import io.tokvec.core.TableDelta;
import io.tokvec.core.TableMemory;
import io.tokvec.core.TableSegments;
import io.tokvec.core.Vocabulary;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Folds a delta version (its root's storage with the overlay of a chain of deltas) into a dense
 * table of its own: the root's rows copied once, each delta's rows written over them in chain order,
 * the vocabulary made whole; sealed as a verified snapshot named by the version's content id
 * ({@link TableSnapshots#sealFolded}) so that a restart maps it. It reads only immutable storage, so
 * it runs on a thread of its own while the version serves. {@link #rebase} puts the deltas that went
 * live meanwhile back on top of the folded table.
 */
final class DeltaFolder {

    /** How many rows are copied between two looks at the cancel flag. */
    private static final int CHECK_EVERY = 4096;

    private final String table;
    private final TableBuilder builder;

    DeltaFolder(String table, TableBuilder builder) {
        this.table = table;
        this.builder = builder;
    }

    /**
     * The dense table of {@code src}'s version (held by the caller until this returns), or null when
     * {@code cancelled} turned true meanwhile (nothing is left allocated then).
     */
    EmbeddingTable fold(EmbeddingTable src, String contentId, BooleanSupplier cancelled) throws TableRejectedException {
        String what = table + " v" + src.version();
        int rowBytes = src.segments().rowBytes();
        TableSegments dst;
        try {
            dst = builder.memory().allocate(TableSnapshots.fileName(table, src.version(), src.dtype()), src.rows(), rowBytes);
        } catch (TableMemory.TableMemoryException e) {
            throw new TableRejectedException(TableRejectedException.Reason.OUT_OF_MEMORY, what + ": cannot fold: " + e.getMessage());
        }
        boolean ok = false;
        try {
            TableSegments root = src.segments();
            for (int r = 0; r < root.rows(); r++) {
                if (r % CHECK_EVERY == 0 && cancelled.getAsBoolean()) {
                    return null;
                }
                copy(root, r, dst, r, rowBytes);
            }
            RowOverlay overlay = src.overlay();
            if (overlay != null) {
                for (TableDelta d : overlay.layers()) {
                    int[] ids = d.ids();
                    for (int i = 0; i < ids.length; i++) {
                        copy(d.data(), i, dst, ids[i], rowBytes);
                    }
                    if (cancelled.getAsBoolean()) {
                        return null;
                    }
                }
            }
            Vocabulary vocabulary = null;
            if (src.vocabulary() != null) {
                Vocabulary.Builder b = new Vocabulary.Builder(src.rows());
                src.vocabulary().tokens().forEach(b::add);
                vocabulary = b.build();
            }
            EmbeddingTable folded = new EmbeddingTable(table, src.version(), src.rows(), src.dim(), src.dtype(), dst, vocabulary);
            if (builder.snapshots() != null) {
                builder.snapshots().sealFolded(folded, contentId);
            }
            ok = true;
            return folded;
        } catch (OutOfMemoryError | InternalError e) {
            throw new TableRejectedException(TableRejectedException.Reason.OUT_OF_MEMORY, what + ": out of memory while folding ("
                    + e + ")");
        } finally {
            if (!ok) {
                dst.free();
            }
        }
    }

    private static void copy(TableSegments from, int fromRow, TableSegments to, int toRow, int rowBytes) {
        ByteBuffer src = from.segmentOf(fromRow);
        to.segmentOf(toRow).put(to.offsetOf(toRow), src, from.offsetOf(fromRow), rowBytes);
    }

    /**
     * {@code active}'s version (a later one) re-made over {@code folded} (a dense table of a version in
     * {@code active}'s chain): the folded storage with the deltas above that version on top; null when
     * {@code active}'s chain does not pass through it. Reads shared storage only: costs the deltas' index.
     */
    static EmbeddingTable rebase(EmbeddingTable folded, EmbeddingTable active) {
        RowOverlay overlay = active.overlay();
        if (overlay == null) {
            return null;
        }
        List<TableDelta> layers = overlay.layers();
        int at = -1;
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).version() == folded.version()) at = i;
        }
        if (at < 0) {
            return null;
        }
        List<TableDelta> above = layers.subList(at + 1, layers.size());
        Vocabulary vocabulary = null;
        if (folded.vocabulary() != null) {
            Vocabulary.Appender a = new Vocabulary.Appender(folded.vocabulary(), active.rows() - folded.rows());
            for (TableDelta d : above) {
                if (d.appendedTokens() != null) d.appendedTokens().forEach(a::add);
            }
            vocabulary = a.build();
        }
        return folded.withDeltas(above, vocabulary);
    }
}
