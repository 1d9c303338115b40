package io.tokvec.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One immutable, dense, verified embedding table version: {@code rows x dim} values stored in
 * {@link TableSegments} (off-heap for tables the app builds, so the Java heap does not grow with
 * the table) in the element type {@link #dtype()}, little-endian row-major, with an optional
 * vocabulary of {@code rows} tokens.
 *
 * <p>Reading: {@link #copyRow} is the gather (one bulk copy of a row when the stored and the output
 * type are the same, a conversion per value otherwise); {@link #get} and {@link #readRow} give float32
 * values. Every value read as float32 from a float16 / bfloat16 table is exact ({@link Half}).
 *
 * <p>A delta version ({@link #withDelta}) reads the storage of the dense version under its chain (the
 * root) with a {@link RowOverlay} of the rows the chain changed on top: it shares the root's and the
 * deltas' storage ({@link TableSegments#share()}) instead of copying the table.
 *
 * <p>Lifetime (off-heap memory is freed deterministically, never under a reader): the table starts
 * with one reference, its owner's. A reader that may race with the owner retiring the table takes a
 * reference with {@link #retain()} and gives it back with {@link #release()}
 * (the registry's {@code ActiveTable.acquire()} does the retain loop). {@link #retire()} gives back the
 * owner's reference; when the count reaches zero, i.e. when the last event that was enriched from
 * this version is done, the table gives back its shares of the storage, which is freed when no other
 * version reads it.
 */
public final class EmbeddingTable {

    private static final VarHandle F32 = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * Largest table one Java array can hold: the limit of a heap copy ({@link #data()},
     * {@code NpyReader.read}); tables loaded from files are off-heap, of any size.
     */
    public static final long MAX_HEAP_BYTES = Integer.MAX_VALUE - 16L;

    private final String name;
    private final long version;
    private final int rows;
    private final int dim;
    private final TableDtype dtype;
    private final int rowBytes;
    private final TableSegments segments;
    private final RowOverlay overlay;
    private final Vocabulary vocabulary;
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicInteger retired = new AtomicInteger();

    /**
     * A float32 table on the heap.
     *
     * @param data little-endian float32 row-major bytes, {@code rows * dim * 4} of them; kept, not copied
     * @param vocabulary null, or exactly {@code rows} tokens
     */
    public EmbeddingTable(String name, long version, int rows, int dim, byte[] data, Vocabulary vocabulary) {
        this(name, version, rows, dim, TableDtype.FLOAT32, heap(rows, dim, data), vocabulary);
    }

    /** A table over segments of {@code rows} rows of {@code dim} values of {@code dtype}. */
    public EmbeddingTable(String name, long version, int rows, int dim, TableDtype dtype, TableSegments segments,
                          Vocabulary vocabulary) {
        this(name, version, rows, dim, dtype, segments, null, vocabulary);
    }

    /** A table over the root {@code segments} with {@code overlay} on top (whose shares it owns from now on), or none. */
    private EmbeddingTable(String name, long version, int rows, int dim, TableDtype dtype, TableSegments segments,
                           RowOverlay overlay, Vocabulary vocabulary) {
        this.name = Objects.requireNonNull(name, "name");
        if (rows < 1) {
            throw new IllegalArgumentException("a table needs at least one row (row 0 is padding), got " + rows);
        }
        if (dim < 1) {
            throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        }
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        if ((overlay == null ? segments.rows() != rows : segments.rows() > rows)
                || (long) segments.rowBytes() != (long) dim * dtype.bytes()) {
            throw new IllegalArgumentException("table storage holds " + segments.rows() + " rows of " + segments.rowBytes()
                    + " bytes but " + rows + " x " + dim + " " + dtype.configName() + " needs rows of " + ((long) dim * dtype.bytes()));
        }
        if (vocabulary != null && vocabulary.size() != rows) {
            throw new IllegalArgumentException("vocabulary has " + vocabulary.size() + " tokens but the table has " + rows + " rows");
        }
        this.version = version;
        this.rows = rows;
        this.dim = dim;
        this.rowBytes = segments.rowBytes();
        this.segments = segments;
        this.overlay = overlay;
        this.vocabulary = vocabulary;
    }

    /**
     * The delta version {@code delta} makes of this one: this table's rows with the delta's replaced
     * and appended, reading this table's storage and the delta's (shared, not copied).
     *
     * @param vocabulary the new version's vocabulary (this one's with the appended tokens), or null without one
     * @throws IllegalStateException when this table's storage was freed already (hold a lease on it)
     */
    public EmbeddingTable withDelta(TableDelta delta, Vocabulary vocabulary) {
        if (delta.baseRows() != rows || delta.data().rowBytes() != rowBytes) {
            throw new IllegalArgumentException("delta v" + delta.version() + " is for " + delta.baseRows() + " rows of "
                    + delta.data().rowBytes() + " bytes, not " + this);
        }
        RowOverlay next = overlay == null ? RowOverlay.of(version, java.util.List.of(delta)) : overlay.with(delta);
        return over(delta.version(), delta.rows(), next, vocabulary);
    }

    /**
     * This table with the given deltas on top (oldest first, each over the previous, the first over this
     * table): a chain re-made over a new root (a fold). The result is the last delta's version.
     */
    public EmbeddingTable withDeltas(java.util.List<TableDelta> deltas, Vocabulary vocabulary) {
        if (deltas.isEmpty()) {
            throw new IllegalArgumentException("no delta to add to " + this);
        }
        java.util.List<TableDelta> all = new java.util.ArrayList<>(overlay == null ? java.util.List.of() : overlay.layers());
        all.addAll(deltas);
        TableDelta top = deltas.get(deltas.size() - 1);
        return over(top.version(), top.rows(), RowOverlay.of(rootVersion(), all), vocabulary);
    }

    /**
     * The version {@code v} of this table's chain, reading the same storage: the root ({@code v} =
     * {@link #rootVersion()}) or the root with the deltas up to {@code v} (one of them being v's), or this
     * version itself.
     *
     * @param vocabulary v's vocabulary, or null without one
     */
    public EmbeddingTable asOf(long v, Vocabulary vocabulary) {
        if (v == version) {
            return over(version, rows, overlay == null ? null : RowOverlay.of(overlay.rootVersion(), overlay.layers()), vocabulary);
        }
        if (overlay == null) {
            throw new IllegalArgumentException(this + " has no version " + v + " in its chain");
        }
        java.util.List<TableDelta> ls = overlay.layersUpTo(v);
        if (ls.isEmpty()) {
            if (v != overlay.rootVersion()) {
                throw new IllegalArgumentException(this + " has no version " + v + " in its chain");
            }
            return over(v, segments.rows(), null, vocabulary);
        }
        TableDelta top = ls.get(ls.size() - 1);
        if (top.version() != v) {
            throw new IllegalArgumentException(this + " has no version " + v + " in its chain");
        }
        return over(v, top.rows(), RowOverlay.of(overlay.rootVersion(), ls), vocabulary);
    }

    /** Whether {@link #asOf} can make version {@code v} from this table: its own, its root's, or one of its deltas'. */
    public boolean chainHas(long v) {
        if (v == version || v == rootVersion()) return true;
        if (overlay == null) return false;
        for (TableDelta d : overlay.layers()) {
            if (d.version() == v) return true;
        }
        return false;
    }

    private EmbeddingTable over(long newVersion, int newRows, RowOverlay next, Vocabulary vocabulary) {
        if (!segments.share()) {
            if (next != null) next.release();
            throw new IllegalStateException(this + " was freed already");
        }
        try {
            return new EmbeddingTable(name, newVersion, newRows, dim, dtype, segments, next, vocabulary);
        } catch (RuntimeException e) {
            segments.unshare();
            if (next != null) next.release();
            throw e;
        }
    }

    /** The rows a chain of deltas changed over the root storage, or null for a dense version. */
    public RowOverlay overlay() { return overlay; }

    /** The version whose dense storage this table reads ({@link #segments()}): its own for a dense version. */
    public long rootVersion() { return overlay == null ? version : overlay.rootVersion(); }

    private static TableSegments heap(int rows, int dim, byte[] data) {
        if (rows < 1) {
            throw new IllegalArgumentException("a table needs at least one row (row 0 is padding), got " + rows);
        }
        if (dim < 1) {
            throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        }
        if ((long) rows * dim * Float.BYTES != data.length) {
            throw new IllegalArgumentException("table data holds " + data.length + " bytes but " + rows + " x " + dim
                    + " float32 needs " + ((long) rows * dim * Float.BYTES));
        }
        return TableSegments.wrap(rows, dim * Float.BYTES, data);
    }

    /** Builds a table from floats in row-major order (tests, small tables). */
    public static EmbeddingTable fromFloats(String name, long version, int rows, int dim, float[] values, List<String> vocab) {
        if (values.length != (long) rows * dim) {
            throw new IllegalArgumentException(values.length + " values do not make a " + rows + " x " + dim + " table");
        }
        byte[] bytes = new byte[values.length * Float.BYTES];
        for (int i = 0; i < values.length; i++) {
            F32.set(bytes, i * Float.BYTES, values[i]);
        }
        return new EmbeddingTable(name, version, rows, dim, bytes, vocab == null ? null : Vocabulary.of(vocab));
    }

    public String name() { return name; }
    public long version() { return version; }
    public int rows() { return rows; }
    public int dim() { return dim; }
    public Vocabulary vocabulary() { return vocabulary; }
    /** Element type of the stored values. */
    public TableDtype dtype() { return dtype; }
    /** Bytes of the storage it reads: {@code rows * dim * dtype.bytes()} for a dense version; the root's plus the overlay's for a delta. */
    public long sizeBytes() { return overlay == null ? segments.bytes() : segments.bytes() + overlay.bytes(); }
    /** The dense storage: all rows of a dense version, the root's of a delta version (for builders, snapshots and tests). */
    public TableSegments segments() { return segments; }

    /**
     * The values as little-endian float32 bytes, copied onto the heap (at most {@link #MAX_HEAP_BYTES}).
     *
     * @deprecated a copy of the whole table: read rows with {@link #copyRow} or {@link #readRow}
     */
    @Deprecated
    public byte[] data() {
        long bytes = (long) rows * dim * Float.BYTES;
        if (bytes > MAX_HEAP_BYTES) {
            throw new IllegalStateException(this + " has " + bytes + " float32 bytes, more than one array holds");
        }
        byte[] out = new byte[(int) bytes];
        copyRowsFloat32(0, rows, out, 0);
        return out;
    }

    /** Value {@code [row, col]} as float32. */
    public float get(int row, int col) {
        TableSegments s = segments;
        int r = row;
        if (overlay != null) {
            long loc = overlay.locate(row);
            if (loc >= 0) {
                s = overlay.layerData(loc);
                r = RowOverlay.indexIn(loc);
            }
        }
        ByteBuffer seg = s.segmentOf(r);
        int at = s.offsetOf(r) + col * dtype.bytes();
        return switch (dtype) {
            case FLOAT32 -> seg.getFloat(at);
            case FLOAT16 -> Half.halfToFloat(seg.getShort(at));
            case BFLOAT16 -> Half.bfloat16ToFloat(seg.getShort(at));
        };
    }

    /** Row {@code row} as float32 values into {@code dst[off .. off + dim)}. */
    public void readRow(int row, float[] dst, int off) {
        TableSegments s = segments;
        int r = row;
        if (overlay != null) {
            long loc = overlay.locate(row);
            if (loc >= 0) {
                s = overlay.layerData(loc);
                r = RowOverlay.indexIn(loc);
            }
        }
        ByteBuffer seg = s.segmentOf(r);
        int at = s.offsetOf(r);
        switch (dtype) {
            case FLOAT32 -> {
                for (int k = 0; k < dim; k++) dst[off + k] = seg.getFloat(at + k * 4);
            }
            case FLOAT16 -> {
                for (int k = 0; k < dim; k++) dst[off + k] = Half.halfToFloat(seg.getShort(at + k * 2));
            }
            case BFLOAT16 -> {
                for (int k = 0; k < dim; k++) dst[off + k] = Half.bfloat16ToFloat(seg.getShort(at + k * 2));
            }
        }
    }

    /**
     * The gather: row {@code row} as little-endian {@code out} values ({@code dim * out.bytes()} bytes) into
     * {@code dst} at {@code off}. One bulk copy when {@code out} is the stored type.
     */
    public void copyRow(int row, TableDtype out, byte[] dst, int off) {
        TableSegments s = segments;
        int r = row;
        if (overlay != null) {
            long loc = overlay.locate(row);
            if (loc >= 0) {
                s = overlay.layerData(loc);
                r = RowOverlay.indexIn(loc);
            }
        }
        ByteBuffer seg = s.segmentOf(r);
        int at = s.offsetOf(r);
        if (out == dtype) {
            seg.get(at, dst, off, rowBytes);
            return;
        }
        switch (out) {
            case FLOAT32 -> {
                if (dtype == TableDtype.FLOAT16) {
                    for (int k = 0; k < dim; k++) I32.set(dst, off + k * 4, Half.halfToFloatBits(seg.getShort(at + k * 2)));
                } else {
                    for (int k = 0; k < dim; k++) I32.set(dst, off + k * 4, Half.bfloat16ToFloatBits(seg.getShort(at + k * 2)));
                }
            }
            case FLOAT16 -> {
                if (dtype == TableDtype.FLOAT32) {
                    for (int k = 0; k < dim; k++) I16.set(dst, off + k * 2, Half.floatToHalf(seg.getFloat(at + k * 4)));
                } else {
                    for (int k = 0; k < dim; k++) {
                        I16.set(dst, off + k * 2, Half.floatToHalf(Half.bfloat16ToFloat(seg.getShort(at + k * 2))));
                    }
                }
            }
            case BFLOAT16 -> {
                for (int k = 0; k < dim; k++) I16.set(dst, off + k * 2, Half.floatToBfloat16(floatAt(seg, at, k)));
            }
        }
    }

    private float floatAt(ByteBuffer seg, int at, int col) {
        return switch (dtype) {
            case FLOAT32 -> seg.getFloat(at + col * 4);
            case FLOAT16 -> Half.halfToFloat(seg.getShort(at + col * 2));
            case BFLOAT16 -> Half.bfloat16ToFloat(seg.getShort(at + col * 2));
        };
    }

    /** Rows {@code [first, first + count)} as little-endian float32 into {@code dst} at {@code off}. */
    public void copyRowsFloat32(int first, int count, byte[] dst, int off) {
        int outRow = dim * Float.BYTES;
        for (int r = 0; r < count; r++) {
            copyRow(first + r, TableDtype.FLOAT32, dst, off + r * outRow);
        }
    }

    /** Index ({@code row * dim + col}) of the first NaN or infinite value, or -1. */
    public long firstNonFinite() {
        float[] row = new float[dim];
        for (int r = 0; r < rows; r++) {
            readRow(r, row, 0);
            for (int k = 0; k < dim; k++) {
                if (!Float.isFinite(row[k])) {
                    return (long) r * dim + k;
                }
            }
        }
        return -1;
    }

    // ---- lifetime ----

    /** Takes a reader's reference; false if the table is already freed (read the active table again). */
    public boolean retain() {
        while (true) {
            int n = refs.get();
            if (n <= 0) {
                return false;
            }
            if (refs.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back a reference taken with {@link #retain()}; the last one frees the storage. */
    public void release() {
        int n = refs.decrementAndGet();
        if (n == 0) {
            segments.unshare();
            if (overlay != null) {
                overlay.release();
            }
        } else if (n < 0) {
            throw new IllegalStateException(this + " released more often than retained");
        }
    }

    /** The owner gives up the table: freed now, or when the last reader releases it. Idempotent. */
    public void retire() {
        if (retired.compareAndSet(0, 1)) {
            release();
        }
    }

    /**
     * Retires the table but keeps its backing file, if it has one (the verified snapshot the next
     * start maps instead of rebuilding).
     */
    public void retireKeepingSnapshot() {
        segments.keepBackingFile();
        retire();
    }

    /** Whether the table gave back its storage (no reader may touch it any more; storage other versions share lives on). */
    public boolean freed() {
        return refs.get() <= 0;
    }

    // ---- little-endian float32 byte arrays ----

    /** Reads one float from little-endian float32 bytes. */
    public static float floatAt(byte[] bytes, int floatIndex) {
        return (float) F32.get(bytes, floatIndex * Float.BYTES);
    }

    /** Writes one float into little-endian float32 bytes. */
    public static void putFloat(byte[] bytes, int floatIndex, float v) {
        F32.set(bytes, floatIndex * Float.BYTES, v);
    }

    /** Reads one float16 from little-endian float16 bytes, as float32. */
    public static float halfAt(byte[] bytes, int index) {
        return Half.halfToFloat((short) I16.get(bytes, index * 2));
    }

    /** Index of the first NaN or infinite value, or -1. */
    public static long firstNonFinite(byte[] bytes) {
        int n = bytes.length / Float.BYTES;
        for (int i = 0; i < n; i++) {
            int bits = (int) I32.get(bytes, i * Float.BYTES);
            if ((bits & 0x7f800000) == 0x7f800000) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return name + " v" + version + " [" + rows + " x " + dim + (dtype != TableDtype.FLOAT32 ? " " + dtype.configName() : "")
                + (vocabulary != null ? ", vocab" : "")
                + (overlay != null ? ", " + overlay.changedRows() + " rows over v" + overlay.rootVersion() : "") + "]";
    }
}
