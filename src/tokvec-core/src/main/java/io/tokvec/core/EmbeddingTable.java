package io.tokvec.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;

/**
 * One immutable, dense, verified embedding table version: {@code rows x dim} float32 held as
 * little-endian row-major bytes (exactly the output encoding, so a gather is a memory copy),
 * with an optional vocabulary of {@code rows} tokens.
 */
public final class EmbeddingTable {

    private static final VarHandle F32 = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** Largest table held in one array (the JVM's array limit). */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 16L;

    private final String name;
    private final long version;
    private final int rows;
    private final int dim;
    private final byte[] data;
    private final Vocabulary vocabulary;

    /**
     * @param data little-endian float32 row-major bytes, {@code rows * dim * 4} of them; kept, not copied
     * @param vocabulary null, or exactly {@code rows} tokens
     */
    public EmbeddingTable(String name, long version, int rows, int dim, byte[] data, Vocabulary vocabulary) {
        this.name = Objects.requireNonNull(name, "name");
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
        if (vocabulary != null && vocabulary.size() != rows) {
            throw new IllegalArgumentException("vocabulary has " + vocabulary.size() + " tokens but the table has " + rows + " rows");
        }
        this.version = version;
        this.rows = rows;
        this.dim = dim;
        this.data = data;
        this.vocabulary = vocabulary;
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
    public long sizeBytes() { return data.length; }

    /** The raw little-endian float32 bytes; do not modify. */
    public byte[] data() { return data; }

    public float get(int row, int col) {
        return (float) F32.get(data, (row * dim + col) * Float.BYTES);
    }

    /** Reads one float from little-endian float32 bytes. */
    public static float floatAt(byte[] bytes, int floatIndex) {
        return (float) F32.get(bytes, floatIndex * Float.BYTES);
    }

    /** Writes one float into little-endian float32 bytes. */
    public static void putFloat(byte[] bytes, int floatIndex, float v) {
        F32.set(bytes, floatIndex * Float.BYTES, v);
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
        return name + " v" + version + " [" + rows + " x " + dim + (vocabulary != null ? ", vocab" : "") + "]";
    }
}
