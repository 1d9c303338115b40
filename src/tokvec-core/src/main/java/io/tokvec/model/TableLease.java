package io.tokvec.model;

import io.tokvec.core.EmbeddingTable;

/**
 * A reader's hold on the active table version, from {@link ActiveTable#acquire()}: while it is open,
 * the version's memory stays valid even if a swap retires it meanwhile; {@link #close()} gives it
 * back (a retired version is freed when its last lease closes). Use it in try-with-resources:
 *
 * <pre>{@code
 * try (TableLease lease = tables.acquire()) {
 *     if (lease.isEmpty()) { ... no version active, or closed ... }
 *     EmbeddingTable table = lease.table();
 * }
 * }</pre>
 *
 * <p>One thread uses a lease; closing it twice is harmless.
 */
public final class TableLease implements AutoCloseable {

    private static final TableLease NONE = new TableLease(null, false);
    private static final TableLease CLOSED = new TableLease(null, true);

    private final Activation activation;
    private final boolean slotClosed;
    private boolean released;

    private TableLease(Activation activation, boolean slotClosed) {
        this.activation = activation;
        this.slotClosed = slotClosed;
    }

    /** A lease on {@code a}, whose table the caller has retained. */
    static TableLease of(Activation a) {
        return new TableLease(a, false);
    }

    /** No version is active yet. */
    static TableLease none() {
        return NONE;
    }

    /** The registry is closed (shutting down). */
    static TableLease closed() {
        return CLOSED;
    }

    /** Whether it holds no table (none active yet, or the registry closed). */
    public boolean isEmpty() {
        return activation == null;
    }

    /** Whether it is empty because the registry was closed. */
    public boolean registryClosed() {
        return slotClosed;
    }

    /** The leased version with the sequence of the record that chose it, or null when empty. */
    public Activation activation() {
        return activation;
    }

    /** The leased table, or null when empty. */
    public EmbeddingTable table() {
        return activation == null ? null : activation.table();
    }

    @Override
    public void close() {
        if (activation != null && !released) {
            released = true;
            activation.table().release();
        }
    }
}
