package io.tokvec.streams;

import io.tokvec.core.Ticker;
import io.tokvec.model.Activation;
import io.tokvec.model.ActiveTable;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Keeps table versions from going back within one input partition (one instance per task), across
 * rebalances too. The newest activation used for an output of the partition (its sequence, see
 * {@link Activation}, and version) is kept in the task's changelogged store
 * {@link TokvecTopology#VERSION_STORE}, written only when it grows, so the instance that takes the
 * partition over restores it before its first record. When this instance's active table is older
 * than that, {@link #admit} waits in place, at most {@code tokvec.version.catchup.timeout.ms} from
 * the first record found behind, for the table to catch up; past that it stops waiting and the
 * caller dead-letters ({@code VERSION_BEHIND}) until the table has caught up. A rollback is an
 * activate record, whose sequence is newer: it is never held back. The time of the wait is the
 * {@link Ticker}'s (the system's in production).
 */
final class PartitionVersions {

    private static final Logger log = LoggerFactory.getLogger(PartitionVersions.class);

    private final KeyValueStore<String, byte[]> store;
    private final String key;
    private final long timeoutMs;
    private final boolean enforce;
    private final String where;
    private final Ticker ticker;
    private long usedSequence = -1;
    private long usedVersion = -1;
    private long behindSince = -1;
    private boolean loaded;

    /**
     * @param key     the store key (the table name)
     * @param enforce false for a pinned instance, which serves its one version whatever was used before
     * @param where   names the partition in logs
     * @param ticker  measures the wait and waits
     */
    PartitionVersions(KeyValueStore<String, byte[]> store, String key, long timeoutMs, boolean enforce, String where,
                      Ticker ticker) {
        this.store = store;
        this.ticker = ticker;
        this.key = key;
        this.timeoutMs = timeoutMs;
        this.enforce = enforce;
        this.where = where;
    }

    /** Reads the store on first use (after Kafka Streams restored it, which happens before any record). */
    private void load() {
        if (loaded) {
            return;
        }
        loaded = true;
        byte[] kept = store.get(key);
        if (kept != null && kept.length == 2 * Long.BYTES) {
            ByteBuffer b = ByteBuffer.wrap(kept);
            usedSequence = b.getLong();
            usedVersion = b.getLong();
        }
    }

    /** Sequence of the newest activation used for this partition, or -1. */
    long usedSequence() {
        return usedSequence;
    }

    /** Version of the newest activation used for this partition, or -1. */
    long usedVersion() {
        return usedVersion;
    }

    /**
     * The activation to enrich with: {@code current} if it is not older than what the partition
     * used, else what the table has become after waiting (still older when the wait ran out; the
     * caller then dead-letters). Never null for a non-null {@code current}.
     */
    Activation admit(Activation current, ActiveTable tables) throws InterruptedException {
        load();
        if (!enforce || current.sequence() >= usedSequence) {
            caughtUp(current);
            return current;
        }
        long now = ticker.nanoTime();
        if (behindSince < 0) {
            behindSince = now;
            log.info("{}: table at v{} (model offset {}) is older than v{} (model offset {}) already used here;"
                    + " waiting up to {} ms for it to catch up", where, current.version(), current.sequence(), usedVersion,
                    usedSequence, timeoutMs);
        }
        long left = timeoutMs - TimeUnit.NANOSECONDS.toMillis(now - behindSince);
        Activation a = left > 0 ? tables.awaitSequence(usedSequence, left, ticker) : current;
        if (a == null || a.sequence() < usedSequence) {
            return a == null ? current : a;
        }
        caughtUp(a);
        return a;
    }

    /** Whether {@code a} is older than what this partition used (only after {@link #admit} ran out of time). */
    boolean behind(Activation a) {
        return enforce && a.sequence() < usedSequence;
    }

    /** Records that an output of this partition was computed from {@code a}. */
    void used(Activation a) {
        load();
        if (a.sequence() > usedSequence) {
            usedSequence = a.sequence();
            usedVersion = a.version();
            store.put(key, ByteBuffer.allocate(2 * Long.BYTES).putLong(usedSequence).putLong(usedVersion).array());
        }
    }

    private void caughtUp(Activation a) {
        if (behindSince >= 0) {
            log.info("{}: table caught up with v{} (model offset {}) after {} ms", where, a.version(), a.sequence(),
                    TimeUnit.NANOSECONDS.toMillis(ticker.nanoTime() - behindSince));
            behindSince = -1;
        }
    }
}
