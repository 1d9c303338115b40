package io.tokvec.model;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.Ticker;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one active table version that processing threads read, and the only place that hands it out:
 * {@link #acquire()} leases it ({@link TableLease}: the reference count of {@link EmbeddingTable} taken
 * and given back), {@link #swap} puts the next version in place with one pointer flip and retires the
 * previous one, which is freed once its last lease closes, so no reader touches freed memory.
 * After {@link #close()} nothing is leased any more.
 *
 * <p>Threads: {@link #swap}, {@link #resequence} and {@link #close} run on the registry's thread;
 * everything else on any thread.
 */
public final class ActiveSlot {

    private final AtomicReference<Activation> current = new AtomicReference<>();
    private final Object changed = new Object();
    private volatile boolean closed;

    /** The active version and its sequence, or null. Its name, version and shape may be read; to read values, {@link #acquire()}. */
    public Activation activation() {
        return current.get();
    }

    /** The active version, or -1. */
    public long version() {
        Activation a = current.get();
        return a == null ? -1 : a.version();
    }

    /** A lease on the active version (empty when none is active, or after {@link #close()}). */
    public TableLease acquire() {
        while (true) {
            Activation a = current.get();
            if (a == null) {
                return closed ? TableLease.closed() : TableLease.none();
            }
            if (a.table().retain()) {
                return TableLease.of(a);
            }
            // retired and freed between the read and the retain: a newer version is in place already
        }
    }

    /**
     * Makes {@code next} active and retires the version it replaces (freed when its last lease
     * closes). Returns the replaced activation, or null.
     */
    public Activation swap(Activation next) {
        if (closed) {
            next.table().retire();
            throw new IllegalStateException("the active slot is closed");
        }
        Activation previous = current.getAndSet(next);
        if (previous != null && previous.table() != next.table()) {
            previous.table().retire();
        }
        signal();
        return previous;
    }

    /** Keeps the active version under the later {@code sequence} (chosen again by a later record). */
    public void resequence(long sequence) {
        Activation a = current.get();
        if (a != null && sequence > a.sequence()) {
            current.set(new Activation(a.table(), sequence));
            signal();
        }
    }

    /**
     * Waits at most {@code timeoutMs} until the active version's sequence is at least {@code sequence};
     * returns the activation then (still older, or null, on timeout).
     */
    public Activation awaitSequence(long sequence, long timeoutMs, Ticker ticker) throws InterruptedException {
        long deadline = ticker.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (changed) {
            while (true) {
                Activation a = current.get();
                long left = deadline - ticker.nanoTime();
                if ((a != null && a.sequence() >= sequence) || left <= 0 || closed) {
                    return a;
                }
                ticker.timedWait(changed, left);
            }
        }
    }

    /**
     * Stops handing out the table: retires the active version but keeps its backing file (the
     * verified snapshot the next start maps). Leases still open stay valid until they close. Idempotent.
     */
    public void close() {
        closed = true;
        Activation a = current.getAndSet(null);
        if (a != null) {
            a.table().retireKeepingSnapshot();
        }
        signal();
    }

    public boolean isClosed() {
        return closed;
    }

    private void signal() {
        synchronized (changed) {
            changed.notifyAll();
        }
    }
}
