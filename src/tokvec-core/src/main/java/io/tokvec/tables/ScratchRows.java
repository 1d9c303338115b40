package io.tokvec.tables;

import io.tokvec.core.TableSegments;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Off-heap, writable rows for a table converted from a file (GloVe, word2vec, reassembled shards,
 * big-endian or column-major {@code .npy}): a temporary file in {@code java.io.tmpdir}, memory-mapped
 * in {@link TableSegments} of at most 1 GiB of whole rows, so the Java heap does not grow with the
 * table and there is no 2 GiB cap; the limit is the disk (or, for a tmpfs, the memory) of the
 * temporary directory, checked before anything is written.
 *
 * <p>The file is unlinked as soon as it is mapped (where the file system allows that, e.g. Linux and
 * macOS): its blocks then belong to the mappings alone and are released when the table is freed
 * ({@link TableSegments#free()}, called by {@code EmbeddingTable.retire()}) or the JVM ends, however
 * it ends, so nothing is ever left behind. Where it cannot be unlinked while open, it is deleted
 * when the table is freed and, failing that, when the JVM exits.
 *
 * <p>Use: {@link #allocate} with the most rows the file may hold, {@link #put} the rows, then
 * {@link #finish} with the rows actually written (fewer is fine: the storage is trimmed to them).
 * {@link #close()} frees the storage unless it was finished (a file that failed to load).
 */
final class ScratchRows implements Closeable {

    /** Largest segment (a package-private knob: tests make it small so that rows cross segments). */
    static volatile long segmentBytes = TableSegments.DEFAULT_SEGMENT_BYTES;
    /** Directory of the temporary files; null: {@code java.io.tmpdir} (a knob for tests). */
    static volatile Path dirOverride;

    /** Disk space left free when creating the file. */
    private static final long DISK_MARGIN = 64L << 20;

    private final Path source;
    private final Path file;
    private final int rowBytes;
    private final int capacity;
    private final boolean unlinked;
    private FileChannel channel;
    private TableSegments segments;
    private boolean finished;

    private ScratchRows(Path source, Path file, int rowBytes, int capacity, boolean unlinked, FileChannel channel,
                        TableSegments segments) {
        this.source = source;
        this.file = file;
        this.rowBytes = rowBytes;
        this.capacity = capacity;
        this.unlinked = unlinked;
        this.channel = channel;
        this.segments = segments;
    }

    /** The directory the temporary files go to. */
    static Path dir() {
        Path d = dirOverride;
        return d != null ? d : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * Storage for up to {@code rows} rows of {@code rowBytes} bytes, all zeros.
     *
     * @param source the file being read (named in errors)
     * @param what   the table, for errors, e.g. {@code "3000002 rows x 300 float32"}
     * @throws TableFormatException naming {@code source} and the size when the disk or the address space cannot hold it
     */
    static ScratchRows allocate(Path source, String what, long rows, int rowBytes) throws TableFormatException {
        if (rows < 1 || rows > Integer.MAX_VALUE) {
            throw new TableFormatException(source, null, what + ": " + rows + " rows; a table holds 1 to "
                    + Integer.MAX_VALUE + " rows");
        }
        long bytes = rows * rowBytes;
        Path dir = dir();
        Path file = null;
        FileChannel ch = null;
        try {
            Files.createDirectories(dir);
            long usable = Files.getFileStore(dir).getUsableSpace();
            if (usable < bytes + DISK_MARGIN) {
                throw new TableFormatException(source, null, what + " need " + bytes + " bytes off the heap, in a temporary "
                        + "file in " + dir + ", but only " + usable + " bytes are free there (set -Djava.io.tmpdir=DIR to "
                        + "a larger disk)");
            }
            file = Files.createTempFile(dir, "tokvec-load-", ".f32");
            ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            ch.write(ByteBuffer.allocate(1), bytes - 1); // sets the length; the file stays sparse until written
            TableSegments segs = TableSegments.map(ch, 0, (int) rows, rowBytes, segmentBytes, true, null);
            boolean unlinked = unlink(file);
            return new ScratchRows(source, file, rowBytes, (int) rows, unlinked, ch, segs);
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            closeQuietly(ch);
            if (file != null) unlink(file);
            if (e instanceof TableFormatException tfe) {
                throw tfe;
            }
            throw new TableFormatException(source, null, what + " need " + bytes + " bytes off the heap, but the temporary "
                    + "file in " + dir + " cannot be created or mapped: " + e);
        }
    }

    int rowBytes() {
        return rowBytes;
    }

    int capacity() {
        return capacity;
    }

    /** Writes row {@code row} from {@code src[off, off + rowBytes)}. */
    void put(int row, byte[] src, int off) throws TableFormatException {
        try {
            segments.segmentOf(row).put(segments.offsetOf(row), src, off, rowBytes);
        } catch (InternalError e) {
            throw writeFailed(e);
        }
    }

    /** The storage being written, for callers that scatter values (absolute access only). */
    TableSegments segments() {
        return segments;
    }

    /** A write to the mapped file failed (SIGBUS: the file system filled up after the check). */
    TableFormatException writeFailed(Throwable e) {
        return new TableFormatException(source, null, "cannot write the " + ((long) capacity * rowBytes) + " bytes of its table "
                + "to the temporary file in " + dir() + " (disk full?): " + e);
    }

    /**
     * The first {@code rows} rows as the table's storage, which now owns the memory: freeing it
     * unmaps the file (and deletes it, if it could not be unlinked before).
     */
    TableSegments finish(int rows) throws TableFormatException {
        if (rows < 1 || rows > capacity) {
            throw new IllegalArgumentException(rows + " rows of " + capacity);
        }
        TableSegments built;
        try {
            built = TableSegments.map(channel, 0, rows, rowBytes, segmentBytes, false, s -> {
                if (!unlinked) unlink(file);
            });
        } catch (IOException | RuntimeException e) {
            throw new TableFormatException(source, null, "cannot map the " + ((long) rows * rowBytes) + " bytes of its table "
                    + "from the temporary file in " + dir() + ": " + e);
        }
        segments.free(); // the new mappings share the pages: nothing is copied
        segments = null;
        try {
            if (rows < capacity) {
                channel.truncate((long) rows * rowBytes); // the unused tail (never written: sparse)
            }
        } catch (IOException e) {
            // the tail stays until the file goes
        }
        closeQuietly(channel);
        channel = null;
        finished = true;
        return built;
    }

    /** Frees the storage of a table that was not finished (a load that failed). Idempotent. */
    @Override
    public void close() {
        if (finished) {
            return;
        }
        finished = true;
        if (segments != null) {
            segments.free();
            segments = null;
        }
        closeQuietly(channel);
        channel = null;
        if (!unlinked) unlink(file);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }

    /** Deletes the file now; if that fails (a file system that keeps open files), when the JVM exits. */
    private static boolean unlink(Path file) {
        try {
            Files.deleteIfExists(file);
            return true;
        } catch (IOException | RuntimeException e) {
            file.toFile().deleteOnExit();
            return false;
        }
    }
}
