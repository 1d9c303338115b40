package io.tokvec.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Tables in memory-mapped files under one directory (the app uses
 * {@code <state.dir>/<application.id>/tokvec-tables}). The file of a version is written once while
 * it is built and verified, then only read; the kernel keeps it resident like anonymous memory but
 * may write it back and drop clean pages under pressure, and the JVM's heap and direct-memory
 * limits do not apply. Freeing unmaps the segments and deletes the file, unless the owner asked to
 * keep it (the active version at shutdown, reopened by {@link #open} on the next start); its
 * sidecar files ({@code .meta}, {@code .vocab}) go with it.
 *
 * <p>Refused, as {@link TableMemoryException}: a table beyond the budget, a table the file system has
 * no room for, a file that cannot be created or mapped.
 */
public final class MappedTableMemory implements TableMemory {

    /** Disk space left free when creating a table file. */
    private static final long DISK_MARGIN = 64L << 20;

    /** Files next to a table file that belong to it (the snapshot meta and vocabulary), deleted with it. */
    private static final String[] SIDECARS = {".meta", ".vocab"};

    private final Path dir;
    private final MemoryBudget budget;
    private final long segmentBytes;

    public MappedTableMemory(Path dir, long budgetBytes) {
        this(dir, budgetBytes, TableSegments.DEFAULT_SEGMENT_BYTES);
    }

    public MappedTableMemory(Path dir, long budgetBytes, long segmentBytes) {
        this.dir = dir;
        this.budget = new MemoryBudget(budgetBytes);
        this.segmentBytes = segmentBytes;
    }

    /** The default budget: 85% of the machine's physical memory. */
    public static long defaultBudget() {
        return MemoryBudget.physicalMemoryFraction(0.85);
    }

    /** {@code fraction} of the machine's physical memory (Long.MAX_VALUE if the JVM cannot tell). */
    public static long physicalMemoryFraction(double fraction) {
        return MemoryBudget.physicalMemoryFraction(fraction);
    }

    public Path dir() { return dir; }

    public Path file(String name) {
        return dir.resolve(name);
    }

    @Override
    public TableSegments allocate(String name, int rows, int rowBytes) throws TableMemoryException {
        long bytes = (long) rows * rowBytes;
        budget.reserve(name, bytes);
        Path file = file(name);
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(file);
            long usable = Files.getFileStore(dir).getUsableSpace();
            if (usable < bytes + DISK_MARGIN) {
                throw new TableMemoryException(name + " needs " + bytes + " bytes of disk in " + dir + " for its mapped file but "
                        + usable + " are free");
            }
            return map(file, name, rows, rowBytes, true);
        } catch (IOException | RuntimeException e) {
            budget.release(bytes);
            deleteQuietly(file);
            throw new TableMemoryException(name + ": cannot create the mapped table file " + file + ": " + e, e);
        } catch (TableMemoryException e) {
            budget.release(bytes);
            deleteQuietly(file);
            throw e;
        }
    }

    /**
     * Maps an existing table file read-only; null if it is missing or not exactly
     * {@code rows * rowBytes} long. Counts against the budget like a new table.
     */
    public TableSegments open(String name, int rows, int rowBytes) throws TableMemoryException {
        long bytes = (long) rows * rowBytes;
        Path file = file(name);
        try {
            if (!Files.isRegularFile(file) || Files.size(file) != bytes) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        budget.reserve(name, bytes);
        try {
            return map(file, name, rows, rowBytes, false);
        } catch (IOException | RuntimeException e) {
            budget.release(bytes);
            throw new TableMemoryException(name + ": cannot map " + file + ": " + e, e);
        }
    }

    private TableSegments map(Path file, String name, int rows, int rowBytes, boolean create) throws IOException {
        long bytes = (long) rows * rowBytes;
        try (FileChannel ch = create
                ? FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(file, StandardOpenOption.READ)) {
            if (create) {
                ch.write(ByteBuffer.allocate(1), bytes - 1); // sets the length; the file stays sparse
            }
            Object fileKey = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            return TableSegments.map(ch, 0, rows, rowBytes, segmentBytes, create, s -> {
                budget.release(bytes);
                // a later table of the same name may have replaced the file meanwhile (a version rebuilt while an
                // older copy of it still had readers): only this table's own file goes
                if (!s.keepsBackingFile() && sameFile(file, fileKey)) {
                    deleteQuietly(file);
                    for (String sidecar : SIDECARS) {
                        deleteQuietly(file.resolveSibling(file.getFileName() + sidecar));
                    }
                }
            });
        }
    }

    @Override
    public long usedBytes() { return budget.used(); }

    @Override
    public long budgetBytes() { return budget.budget(); }

    /** Whether {@code file} is still the file whose key was {@code fileKey} (true when the file system has no keys). */
    private static boolean sameFile(Path file, Object fileKey) {
        if (fileKey == null) {
            return true;
        }
        try {
            return fileKey.equals(Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey());
        } catch (IOException e) {
            return false; // gone already
        }
    }

    /** Deletes a table file; false if it could not be (it is then overwritten by the next table of that name). */
    static boolean deleteQuietly(Path file) {
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            return false;
        }
    }
}
