package io.tokvec.core;

/**
 * Where table versions get their off-heap bytes. Implementations keep a byte budget over all the
 * versions they hold at once (the active one and the one being built) and refuse, with a
 * {@link TableMemoryException}, what does not fit or what the system will not give (direct memory
 * exhausted, no disk space for a mapped file): the caller rejects that version and keeps serving
 * the active one.
 */
public interface TableMemory {

    /**
     * Zero-filled, writable storage for {@code rows x rowBytes} bytes in segments of whole rows.
     *
     * @param name identifies the storage (the file name of a mapped table); unique per table version and dtype
     */
    TableSegments allocate(String name, int rows, int rowBytes) throws TableMemoryException;

    /** Bytes held right now by the storage this allocator handed out and that is not freed yet. */
    long usedBytes();

    /** The most bytes it hands out at once. */
    long budgetBytes();

    /** A table that could not get its memory. */
    final class TableMemoryException extends Exception {
        public TableMemoryException(String message) {
            super(message);
        }

        public TableMemoryException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
