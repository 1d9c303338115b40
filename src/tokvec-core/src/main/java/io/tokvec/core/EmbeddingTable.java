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
 * <p>Lifetime (off-heap memory is freed deterministically, never under a reader): the table starts
 * with one reference, its owner's. A reader that may race with the owner retiring the table takes a
 * reference with {@link #retain()} and gives it back with {@link #release()}
 * (the registry's {@code ActiveTable.acquire()} does the retain loop). {@link #retire()} gives back the
 * owner's reference; the segments are freed when the count reaches zero, i.e. when the last event
 * that was enriched from this version is done.
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
        this.name = Objects.requireNonNull(name, "name");
        if (rows < 1) {
            throw new IllegalArgumentException("a table needs at least one row (row 0 is padding), got " + rows);
        }
        if (dim < 1) {
            throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        }
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        if (segments.rows() != rows || (long) segments.rowBytes() != (long) dim * dtype.bytes()) {
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
        this.vocabulary = vocabulary;
    }

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
    /** Bytes the values take in storage ({@code rows * dim * dtype.bytes()}). */
    public long sizeBytes() { return segments.bytes(); }
    /** The storage (for builders, snapshots and tests). */
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
        ByteBuffer seg = segments.segmentOf(row);
        int at = segments.offsetOf(row) + col * dtype.bytes();
        return switch (dtype) {
            case FLOAT32 -> seg.getFloat(at);
            case FLOAT16 -> Half.halfToFloat(seg.getShort(at));
            case BFLOAT16 -> Half.bfloat16ToFloat(seg.getShort(at));
        };
    }

    /** Row {@code row} as float32 values into {@code dst[off .. off + dim)}. */
    public void readRow(int row, float[] dst, int off) {
        ByteBuffer seg = segments.segmentOf(row);
        int at = segments.offsetOf(row);
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
        ByteBuffer seg = segments.segmentOf(row);
        int at = segments.offsetOf(row);
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
                for (int k = 0; k < dim; k++) I16.set(dst, off + k * 2, Half.floatToBfloat16(get(row, k)));
            }
        }
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
            segments.free();
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

    /** Whether the storage is freed (no reader may touch it any more). */
    public boolean freed() {
        return segments.freed();
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
                + (vocabulary != null ? ", vocab" : "") + "]";
    }
}
