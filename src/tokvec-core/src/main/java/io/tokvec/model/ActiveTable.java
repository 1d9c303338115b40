package io.tokvec.model;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.Ticker;

/**
 * What the enrichment path may see of the versioned table: the configured table's name and the one
 * complete, verified version that is active right now, leased for reading. Read-only: staging,
 * verification, swaps and rollback stay behind {@link TableRegistry}, which implements this view.
 */
public interface ActiveTable {

    /** The configured table name. */
    String table();

    /**
     * The active version, or null while no version of the table has been activated. Its name, version
     * and shape may be read at any time; to read its values, {@link #acquire()} it.
     */
    EmbeddingTable active();

    /** The active version with the sequence of the record that chose it ({@link Activation}), read together; or null. */
    Activation activation();

    /**
     * Waits at most {@code timeoutMs}, as {@code ticker} measures and waits, until the active
     * version's sequence is at least {@code sequence}; returns the activation then (still older, or
     * null, on timeout).
     */
    Activation awaitSequence(long sequence, long timeoutMs, Ticker ticker) throws InterruptedException;

    /**
     * A lease on the active version: its memory stays valid, even if a swap retires it meanwhile,
     * until the lease is closed ({@code try (TableLease lease = tables.acquire()) {...}}). Empty when no
     * version is active yet or the registry is closed.
     */
    TableLease acquire();
}
