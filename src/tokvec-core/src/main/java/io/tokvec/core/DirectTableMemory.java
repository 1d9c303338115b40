package io.tokvec.core;

import java.nio.ByteBuffer;

/**
 * Tables in direct buffers ({@code ByteBuffer.allocateDirect}), freed explicitly when a version is
 * retired. The JVM caps direct memory at {@code -XX:MaxDirectMemorySize} (by default the heap
 * size), so this suits tests and small tables; the app uses {@link MappedTableMemory}.
 */
public final class DirectTableMemory implements TableMemory {

    private final MemoryBudget budget;
    private final long segmentBytes;

    public DirectTableMemory(long budgetBytes) {
        this(budgetBytes, TableSegments.DEFAULT_SEGMENT_BYTES);
    }

    public DirectTableMemory(long budgetBytes, long segmentBytes) {
        this.budget = new MemoryBudget(budgetBytes);
        this.segmentBytes = segmentBytes;
    }

    @Override
    public TableSegments allocate(String name, int rows, int rowBytes) throws TableMemoryException {
        long bytes = (long) rows * rowBytes;
        budget.reserve(name, bytes);
        int shift = TableSegments.shiftFor(rows, rowBytes, segmentBytes);
        ByteBuffer[] segs = new ByteBuffer[TableSegments.segmentCount(rows, shift)];
        try {
            for (int i = 0; i < segs.length; i++) {
                segs[i] = ByteBuffer.allocateDirect(TableSegments.segmentRows(rows, shift, i) * rowBytes);
            }
        } catch (OutOfMemoryError e) {
            for (ByteBuffer b : segs) {
                if (b != null) TableSegments.release(b);
            }
            budget.release(bytes);
            throw new TableMemoryException(name + ": " + bytes + " bytes of direct memory are not available ("
                    + e.getMessage() + "; see -XX:MaxDirectMemorySize)", e);
        }
        return new TableSegments(rows, rowBytes, shift, segs, s -> budget.release(bytes));
    }

    @Override
    public long usedBytes() { return budget.used(); }

    @Override
    public long budgetBytes() { return budget.budget(); }
}
