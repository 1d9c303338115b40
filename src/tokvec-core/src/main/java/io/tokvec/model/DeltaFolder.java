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
 * live meanwhile back on top of the folded table. The copy of the root can be paced ({@link #pace}),
 * so that it takes less of the memory bandwidth the stream threads use.
 */
final class DeltaFolder {

    /** How many rows are copied between two looks at the cancel flag. */
    private static final int CHECK_EVERY = 4096;

    /** The longest a paced fold sleeps before it looks at the cancel flag again. */
    static final long MAX_PAUSE_NANOS = 100_000_000L;

    /** The clock and the sleep a paced fold uses (tests: a clock that only sleeping moves). */
    interface Pacer {
        long nanoTime();

        void sleepNanos(long nanos) throws InterruptedException;

        Pacer SYSTEM = new Pacer() {
            @Override
            public long nanoTime() { return System.nanoTime(); }

            @Override
            public void sleepNanos(long nanos) throws InterruptedException {
                Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            }
        };
    }

    private final String table;
    private final TableBuilder builder;
    private volatile long bytesPerSecond;
    private volatile Pacer pacer = Pacer.SYSTEM;

    DeltaFolder(String table, TableBuilder builder) {
        this.table = table;
        this.builder = builder;
    }

    /** Copies at most {@code bytesPerSecond} bytes a second (0: as fast as it can), with {@code pacer}'s clock. */
    void pace(long bytesPerSecond, Pacer pacer) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("bytesPerSecond must be >= 0, got " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.pacer = pacer;
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
            long rate = bytesPerSecond;
            long t0 = pacer.nanoTime();
            for (int r = 0; r < root.rows(); r++) {
                if (r % CHECK_EVERY == 0 && (cancelled.getAsBoolean() || !waitForPace(t0, (long) r * rowBytes, rate, cancelled))) {
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

    /**
     * Waits until copying {@code copied} bytes since {@code t0} keeps to {@code rate} bytes a second (0: no
     * wait), in pauses of at most {@link #MAX_PAUSE_NANOS}; false when {@code cancelled} turned true meanwhile.
     */
    private boolean waitForPace(long t0, long copied, long rate, BooleanSupplier cancelled) {
        if (rate <= 0) {
            return true;
        }
        long due = t0 + (long) (copied * 1e9 / rate);
        for (long now = pacer.nanoTime(); now < due; now = pacer.nanoTime()) {
            try {
                pacer.sleepNanos(Math.min(due - now, MAX_PAUSE_NANOS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (cancelled.getAsBoolean()) {
                return false;
            }
        }
        return true;
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
