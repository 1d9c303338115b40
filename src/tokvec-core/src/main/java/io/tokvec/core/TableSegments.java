package io.tokvec.core;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The bytes of one table version: {@code rows} rows of {@code rowBytes} bytes in little-endian
 * buffers ("segments") of {@code 2^shift} whole rows each, so no row is ever split and no single
 * buffer comes near the 2 GiB a {@link ByteBuffer} can address. Row {@code r} lives in segment
 * {@code r >>> shift} at byte {@code (r & mask) * rowBytes}; a gather is one bulk copy from there.
 *
 * <p>The segments are direct or memory-mapped buffers (off-heap: the Java heap does not grow with
 * the table) or, for small tables built from a byte array, one heap buffer. {@link #free()}
 * releases them at once (unmap / free of the direct memory) and runs the owner's release action
 * (memory budget, deleting a backing file); it is called by {@link EmbeddingTable} when the last
 * reader is done, never while one holds the table, so there is no access after free.
 *
 * <p>Several table versions may share one storage (a delta version reads its base's rows where it
 * does not change them): each owner takes a share ({@link #share()}) and gives it back
 * ({@link #unshare()}); the last one frees the storage. The creator holds the first share.
 */
public final class TableSegments {

    /** Default largest segment: 1 GiB. */
    public static final long DEFAULT_SEGMENT_BYTES = 1L << 30;

    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method invoke = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            invoke = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // no jdk.unsupported: buffers are then freed by the garbage collector
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = invoke;
    }

    private final int rows;
    private final int rowBytes;
    private final int shift;
    private final int mask;
    private final ByteBuffer[] segments;
    private final Consumer<TableSegments> onFree;
    private volatile boolean keepBacking;
    private final AtomicBoolean freed = new AtomicBoolean();
    private final AtomicInteger owners = new AtomicInteger(1);

    /**
     * @param segments segment {@code i} holds rows {@code [i << shift, min(rows, (i + 1) << shift))}, exactly
     * @param onFree   run once by {@link #free()} after the buffers are released (may be null)
     */
    public TableSegments(int rows, int rowBytes, int shift, ByteBuffer[] segments, Consumer<TableSegments> onFree) {
        if (rows < 1 || rowBytes < 1 || shift < 0 || shift > 30) {
            throw new IllegalArgumentException("rows " + rows + ", rowBytes " + rowBytes + ", shift " + shift);
        }
        if (segments.length != segmentCount(rows, shift)) {
            throw new IllegalArgumentException(segments.length + " segments for " + rows + " rows of 2^" + shift);
        }
        for (int i = 0; i < segments.length; i++) {
            long want = (long) segmentRows(rows, shift, i) * rowBytes;
            if (segments[i].capacity() != want) {
                throw new IllegalArgumentException("segment " + i + " holds " + segments[i].capacity() + " bytes, not " + want);
            }
            segments[i].order(ByteOrder.LITTLE_ENDIAN);
        }
        this.rows = rows;
        this.rowBytes = rowBytes;
        this.shift = shift;
        this.mask = (1 << shift) - 1;
        this.segments = segments;
        this.onFree = onFree;
    }

    /** One heap segment around a byte array (kept, not copied). */
    public static TableSegments wrap(int rows, int rowBytes, byte[] data) {
        if ((long) rows * rowBytes != data.length) {
            throw new IllegalArgumentException(data.length + " bytes are not " + rows + " rows of " + rowBytes);
        }
        int shift = 32 - Integer.numberOfLeadingZeros(Math.max(0, rows - 1));
        return new TableSegments(rows, rowBytes, Math.min(shift, 30), new ByteBuffer[] {ByteBuffer.wrap(data)}, null);
    }

    /**
     * Maps {@code rows} rows of a file from byte {@code offset} on, in segments of at most
     * {@code maxSegmentBytes} (the mappings stay valid after the channel is closed).
     */
    public static TableSegments map(FileChannel ch, long offset, int rows, int rowBytes, long maxSegmentBytes,
                                    boolean writable, Consumer<TableSegments> onFree) throws IOException {
        int shift = shiftFor(rows, rowBytes, maxSegmentBytes);
        ByteBuffer[] segs = new ByteBuffer[segmentCount(rows, shift)];
        try {
            long at = offset;
            for (int i = 0; i < segs.length; i++) {
                long len = (long) segmentRows(rows, shift, i) * rowBytes;
                segs[i] = ch.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, at, len);
                at += len;
            }
        } catch (IOException | RuntimeException e) {
            for (ByteBuffer b : segs) {
                if (b != null) release(b);
            }
            throw e;
        }
        return new TableSegments(rows, rowBytes, shift, segs, onFree);
    }

    /** log2 of the rows per segment: the most rows (a power of two) whose bytes fit {@code maxSegmentBytes}. */
    public static int shiftFor(int rows, int rowBytes, long maxSegmentBytes) {
        long perSegment = Math.max(1, maxSegmentBytes / rowBytes);
        int shift = 63 - Long.numberOfLeadingZeros(perSegment);
        int needed = 32 - Integer.numberOfLeadingZeros(Math.max(0, rows - 1)); // no more than the table needs
        return Math.min(Math.min(shift, needed), 30);
    }

    public static int segmentCount(int rows, int shift) {
        return (int) (((long) rows + (1L << shift) - 1) >>> shift);
    }

    /** Rows in segment {@code i}. */
    public static int segmentRows(int rows, int shift, int i) {
        long first = (long) i << shift;
        return (int) Math.min(1L << shift, rows - first);
    }

    public int rows() { return rows; }
    public int rowBytes() { return rowBytes; }
    public int shift() { return shift; }
    public int count() { return segments.length; }
    public long bytes() { return (long) rows * rowBytes; }

    /** Whether the bytes live outside the Java heap. */
    public boolean offHeap() {
        return segments[0].isDirect();
    }

    /** The segment holding {@code row} (absolute access only: never change its position or limit). */
    public ByteBuffer segmentOf(int row) {
        return segments[row >>> shift];
    }

    /** Byte offset of {@code row} in its segment. */
    public int offsetOf(int row) {
        return (row & mask) * rowBytes;
    }

    /** Segment {@code i} (absolute access only). */
    public ByteBuffer segment(int i) {
        return segments[i];
    }

    /** Asks the owner to keep the backing file when freeing (a verified snapshot for the next start). */
    public void keepBackingFile() {
        keepBacking = true;
    }

    public boolean keepsBackingFile() {
        return keepBacking;
    }

    public boolean freed() {
        return freed.get();
    }

    /** Takes one more owner's share; false if the storage was freed already (then it must not be used). */
    public boolean share() {
        while (true) {
            int n = owners.get();
            if (n <= 0) {
                return false;
            }
            if (owners.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back a share ({@link #share()}, or the creator's); the last one frees the storage. */
    public void unshare() {
        int n = owners.decrementAndGet();
        if (n == 0) {
            free();
        } else if (n < 0) {
            throw new IllegalStateException("table storage unshared more often than shared");
        }
    }

    /** Releases the memory now (idempotent). Only the owner calls this, once no reader holds the table. */
    public void free() {
        if (!freed.compareAndSet(false, true)) {
            return;
        }
        for (ByteBuffer b : segments) {
            release(b);
        }
        if (onFree != null) {
            onFree.accept(this);
        }
    }

    /** Frees a direct or mapped buffer now; the garbage collector frees heap buffers. */
    static void release(ByteBuffer b) {
        Objects.requireNonNull(b);
        if (!b.isDirect() || INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, b);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // a slice or duplicate cannot be freed explicitly: the garbage collector will
        }
    }
}
