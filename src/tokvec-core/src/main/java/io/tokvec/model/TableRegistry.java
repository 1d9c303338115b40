package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableActivate;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.core.EmbeddingTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The versions of one table and which one is active (src/site/markdown/model-topic.md, "Swap guarantees").
 *
 * <p>Threads: {@link #onRecord} and {@link #recover} run on the one thread that owns the model
 * store (the global stream thread); {@link #active()} is read by any number of processing threads.
 * The active table is an immutable {@link EmbeddingTable} behind an {@link AtomicReference}: a
 * processing thread reads it once per event, so every output record is computed from exactly one
 * complete version, and a swap is a pointer flip after the new table is fully built and verified.
 * Building happens on the store's thread, never on a processing thread, so processing does not
 * wait; at most two dense tables exist at once (the active one and the one being built). The
 * version swapped out is retired: its off-heap memory is freed as soon as the last event that
 * acquired it ({@link ActiveTable#acquire()}) releases it, so memory returns deterministically and
 * no reader ever touches freed memory.
 *
 * <p>Which version should be active: a pinned version ({@code tokvec.table.version}) if set;
 * otherwise the version named by the newest commit or activate record (in model-topic order),
 * falling back past rejected versions; while the newest is still waiting for chunks, the active
 * one stays.
 *
 * <p>With a {@link CommitVerifier} ({@code tokvec.table.trusted.keys}), a commit counts only when one
 * of the trusted keys signed it; an unsigned or wrongly signed commit is rejected ({@code UNSIGNED},
 * {@code BAD_SIGNATURE}) without being stored and without marking its version, so a forged commit
 * neither swaps in a table nor blocks the genuine commit of that version.
 *
 * <p>The active table is published as an {@link Activation}: the table with the sequence of the
 * record that chose it. Sequences are model-topic offsets when the caller passes them (the
 * application always does), so all instances agree on them; they only grow: a swap, a rollback by
 * an activate record, or an activate record naming the active version again all move to the
 * later record's sequence.
 */
public final class TableRegistry implements ActiveTable {

    private static final Logger log = LoggerFactory.getLogger(TableRegistry.class);

    /** What a swap listener hears. {@code previous} is -1 for the first table. */
    public record Swap(String table, long previous, long version, int rows, int dim, long bytes, long buildMillis) {
    }

    /** What a rejection listener hears; {@code timeMs} is the wall-clock time of the rejection. */
    public record Rejection(String table, long version, TableRejectedException.Reason reason, String message, long timeMs) {
    }

    /** How many rejections {@link #recentRejections()} keeps. */
    public static final int RECENT_REJECTIONS = 20;

    private static final class VersionState {
        final long version;
        BitSet chunks = new BitSet();
        /** Highest sequence among the stored chunks, -1 for none (kept in the {@link ChunkIndex}). */
        long maxChunkSeq = -1;
        TableCommit commit;
        long commitSeq = -1;
        TableRejectedException rejected;

        VersionState(long version) {
            this.version = version;
        }

        boolean complete() {
            return commit != null && chunks.nextClearBit(0) >= commit.getChunks();
        }
    }

    private final String table;
    private final long pinnedVersion;
    private final int retainVersions;
    private final TableBuilder builder;
    private final TableSnapshots snapshots;
    private final ModelDecoder decoder;
    private final CommitVerifier verifier; // null: signatures are not required

    private final AtomicReference<Activation> active = new AtomicReference<>();
    /** Notified whenever {@link #active} changes, for {@link #awaitSequence}. */
    private final Object activationChanged = new Object();
    private final TreeMap<Long, VersionState> versions = new TreeMap<>();
    private long nextSeq;
    private boolean restoring;
    private ModelStore lastStore;
    private long activateVersion = -1;
    private long activateSeq = -1;

    private final AtomicLong swaps = new AtomicLong();
    private final AtomicLong rejectedTotal = new AtomicLong();
    private final Map<TableRejectedException.Reason, AtomicLong> rejectedByReason = new EnumMap<>(TableRejectedException.Reason.class);
    private final List<Consumer<Swap>> swapListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Rejection>> rejectionListeners = new CopyOnWriteArrayList<>();
    private final Deque<Rejection> recentRejections = new ArrayDeque<>();

    /**
     * @param pinnedVersion  -1 to follow commits and activate records, else the only version to serve
     * @param retainVersions committed versions kept in the store for rollback (the active one always is)
     */
    public TableRegistry(String table, long pinnedVersion, int retainVersions, long maxBytes, boolean allowNonFinite,
                         ModelDecoder decoder) {
        this(table, pinnedVersion, retainVersions, new TableBuilder(maxBytes, allowNonFinite, decoder), null, decoder, null);
    }

    /**
     * @param verifier when not null, a commit becomes a candidate only with a signature it accepts
     *     ({@code tokvec.table.trusted.keys}); others are rejected as {@code UNSIGNED} or {@code BAD_SIGNATURE}
     */
    public TableRegistry(String table, long pinnedVersion, int retainVersions, long maxBytes, boolean allowNonFinite,
                         ModelDecoder decoder, CommitVerifier verifier) {
        this(table, pinnedVersion, retainVersions, new TableBuilder(maxBytes, allowNonFinite, decoder), null, decoder, verifier);
    }

    /**
     * @param builder   builds versions (dtype, memory, limits)
     * @param snapshots null, or the snapshot directory the builder keeps verified tables in
     */
    public TableRegistry(String table, long pinnedVersion, int retainVersions, TableBuilder builder, TableSnapshots snapshots,
                         ModelDecoder decoder) {
        this(table, pinnedVersion, retainVersions, builder, snapshots, decoder, null);
    }

    /**
     * @param builder   builds versions (dtype, memory, limits)
     * @param snapshots null, or the snapshot directory the builder keeps verified tables in
     * @param verifier  null, or the signature check of commits (see above)
     */
    public TableRegistry(String table, long pinnedVersion, int retainVersions, TableBuilder builder, TableSnapshots snapshots,
                         ModelDecoder decoder, CommitVerifier verifier) {
        this.table = table;
        this.verifier = verifier;
        this.pinnedVersion = pinnedVersion;
        this.retainVersions = retainVersions;
        this.decoder = decoder;
        this.builder = builder;
        this.snapshots = snapshots;
        for (TableRejectedException.Reason r : TableRejectedException.Reason.values()) {
            rejectedByReason.put(r, new AtomicLong());
        }
    }

    public String table() { return table; }

    /** The active table, or null when no version is active yet. Safe from any thread. */
    @Override
    public EmbeddingTable active() {
        Activation a = active.get();
        return a == null ? null : a.table();
    }

    /** The active version and its sequence, read together; null when no version is active yet. Safe from any thread. */
    @Override
    public Activation activation() { return active.get(); }

    /**
     * Waits until the active version's sequence is at least {@code sequence} (the table caught up
     * with a decision some other instance already acted on), at most {@code timeoutMs}; returns the
     * activation then (which may still be older, or null, on timeout).
     */
    @Override
    public Activation awaitSequence(long sequence, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (activationChanged) {
            while (true) {
                Activation a = active.get();
                long left = deadline - System.nanoTime();
                if ((a != null && a.sequence() >= sequence) || left <= 0) {
                    return a;
                }
                TimeUnit.NANOSECONDS.timedWait(activationChanged, left);
            }
        }
    }

    private void activate(Activation a) {
        active.set(a);
        synchronized (activationChanged) {
            activationChanged.notifyAll();
        }
    }

    /**
     * Stops serving: retires the active version but keeps its verified snapshot file, so that the
     * next start maps it. Call after processing has stopped.
     */
    public synchronized void close() {
        Activation a = active.getAndSet(null);
        EmbeddingTable t = a == null ? null : a.table();
        if (t != null) {
            t.retireKeepingSnapshot();
        }
    }

    /** Active version, or -1. */
    public long activeVersion() {
        Activation a = active.get();
        return a == null ? -1 : a.version();
    }

    public long swapCount() { return swaps.get(); }
    public long rejectedCount() { return rejectedTotal.get(); }
    public long rejectedCount(TableRejectedException.Reason reason) { return rejectedByReason.get(reason).get(); }
    public void onSwap(Consumer<Swap> listener) { swapListeners.add(listener); }
    public void onRejection(Consumer<Rejection> listener) { rejectionListeners.add(listener); }

    /** Whether commits must carry a trusted signature. */
    public boolean requiresSignatures() { return verifier != null; }

    /** The last {@value #RECENT_REJECTIONS} rejections, oldest first. Safe from any thread. */
    public List<Rejection> recentRejections() {
        synchronized (recentRejections) {
            return List.copyOf(recentRejections);
        }
    }

    /** Versions known (committed or with chunks) and their status, for logs and tests. */
    public synchronized Map<Long, String> describeVersions() {
        Map<Long, String> m = new TreeMap<>();
        versions.forEach((v, s) -> m.put(v, s.rejected != null ? "rejected:" + s.rejected.reason()
                : s.commit == null ? "chunks:" + s.chunks.cardinality()
                : s.complete() ? (v == activeVersion() ? "active" : "committed")
                : "waiting:" + s.chunks.cardinality() + "/" + s.commit.getChunks()));
        return m;
    }

    /**
     * Rebuilds the index from what the store already holds (after a restart, or when the store
     * was restored from a checkpoint without replaying records through the processor), then
     * activates what should be active. Idempotent. Reads the {@link ChunkIndex} of each version and
     * the commits, not the chunks (except once, for a store written before indexes were kept).
     */
    public synchronized void recover(ModelStore store) {
        lastStore = store;
        Map<Long, TableRejectedException> rejected = new TreeMap<>();
        versions.forEach((v, s) -> {
            if (s.rejected != null) rejected.put(v, s.rejected);
        });
        versions.clear();
        activateVersion = -1;
        activateSeq = -1;
        long[] maxSeq = {-1};
        if (store.get(ModelKey.chunkIndexMarkerKey(table)) != null) {
            // a few bytes per version instead of reading every chunk (a multi-GB table) back from the store
            store.scan(ModelKey.chunkIndexPrefix(table), (key, stored) -> {
                ChunkIndex idx = ChunkIndex.decode(stored);
                VersionState s = state(ModelKey.chunkIndexVersion(key));
                s.chunks = idx.chunks();
                s.maxChunkSeq = idx.maxSeq();
                maxSeq[0] = Math.max(maxSeq[0], idx.maxSeq());
            });
        } else {
            // a store written before chunk indexes were kept (or a new one): read the chunks once, then keep indexes
            store.scan(ModelKey.chunksPrefix(table), (key, stored) -> {
                ModelKey k = ModelKey.fromStoreKey(key);
                VersionState s = state(k.version());
                s.chunks.set(k.index());
                s.maxChunkSeq = Math.max(s.maxChunkSeq, StoredRecord.seq(stored));
                maxSeq[0] = Math.max(maxSeq[0], s.maxChunkSeq);
            });
            versions.values().forEach(s -> writeChunkIndex(store, s));
            store.put(ModelKey.chunkIndexMarkerKey(table), new byte[] {1});
        }
        store.scan(ModelKey.commitPrefix(table), (key, stored) -> {
            ModelKey k = ModelKey.fromStoreKey(key);
            long seq = StoredRecord.seq(stored);
            maxSeq[0] = Math.max(maxSeq[0], seq);
            try {
                ModelRecord r = StoredRecord.decodeValue(stored, decoder);
                TableCommit commit = (TableCommit) r.getBody();
                if (verifier != null) {
                    verifier.verify(table, k.version(), commit); // the trusted keys may have changed since it was stored
                }
                VersionState s = state(k.version());
                s.commit = commit;
                s.commitSeq = seq;
            } catch (TableRejectedException e) {
                reject(k.version(), e, false);
            } catch (RuntimeException e) {
                log.warn("table {}: stored commit of v{} does not decode: {}", table, k.version(), e.getMessage());
            }
        });
        byte[] act = store.get(ModelKey.activate(table).storeKey());
        if (act != null) {
            long seq = StoredRecord.seq(act);
            maxSeq[0] = Math.max(maxSeq[0], seq);
            try {
                activateVersion = StoredRecord.decodeValue(act, decoder).getVersion();
                activateSeq = seq;
            } catch (RuntimeException e) {
                log.warn("table {}: stored activate record does not decode: {}", table, e.getMessage());
            }
        }
        for (VersionState s : versions.values()) {
            if (s.commit != null && !s.complete()) {
                // the index may lag chunks written without it (an older tokvec ran on this store in between): look once
                maxSeq[0] = Math.max(maxSeq[0], rescanChunks(store, s));
            }
        }
        nextSeq = Math.max(nextSeq, maxSeq[0] + 1);
        rejected.forEach((v, e) -> {
            VersionState s = versions.get(v);
            if (s != null) s.rejected = e; // a version refused once stays refused: not rebuilt, not counted again
        });
        if (!versions.isEmpty() || activateVersion >= 0) {
            log.info("table {}: recovered from the model store: versions {}", table, describeVersions());
        }
        reconcile(store);
    }

    /**
     * Handles one model-topic record (value null = tombstone). Records of other tables are ignored.
     * Never throws for bad records: they are logged, counted and leave the active table alone.
     */
    public synchronized void onRecord(ModelStore store, String topicKey, byte[] value) {
        onRecord(store, topicKey, value, -1);
    }

    /**
     * As {@link #onRecord(ModelStore, String, byte[])}, for the record at {@code offset} of the
     * model topic: the offset becomes the record's sequence (-1: unknown, the next local number is
     * used), so that every instance orders commits and activate records alike.
     */
    public synchronized void onRecord(ModelStore store, String topicKey, byte[] value, long offset) {
        lastStore = store;
        ModelKey key;
        try {
            key = ModelKey.parse(topicKey);
        } catch (IllegalArgumentException e) {
            reject(-1, new TableRejectedException(TableRejectedException.Reason.BAD_RECORD, e.getMessage()));
            return;
        }
        if (!key.table().equals(table)) {
            return;
        }
        if (value == null) {
            onTombstone(store, key);
            return;
        }
        ModelRecord record;
        try {
            record = decoder.decode(value);
        } catch (RuntimeException e) {
            reject(key.version(), new TableRejectedException(TableRejectedException.Reason.UNDECODABLE,
                    "model record " + key + " does not decode: " + e.getMessage()));
            return;
        }
        try {
            checkAgrees(key, record);
        } catch (TableRejectedException e) {
            reject(key.version(), e);
            return;
        }
        long seq = offset >= 0 ? Math.max(offset, nextSeq) : nextSeq;
        nextSeq = seq + 1;
        switch (key.kind()) {
            case CHUNK -> {
                VersionState s = state(key.version());
                store.put(key.storeKey(), StoredRecord.encode(seq, value));
                s.chunks.set(key.index());
                s.maxChunkSeq = Math.max(s.maxChunkSeq, seq);
                writeChunkIndex(store, s);
                if (s.complete() && s.rejected == null) {
                    reconcile(store);
                }
            }
            case COMMIT -> onCommit(store, key, (TableCommit) record.getBody(), seq, value);
            case ACTIVATE -> {
                store.put(key.storeKey(), StoredRecord.encode(seq, value));
                activateVersion = record.getVersion();
                activateSeq = seq;
                log.info("table {}: activate record for v{}", table, activateVersion);
                VersionState s = versions.get(activateVersion);
                if (s == null || s.commit == null) {
                    reject(activateVersion, new TableRejectedException(TableRejectedException.Reason.UNKNOWN_VERSION,
                            "table " + table + ": cannot activate v" + activateVersion + ": not committed or no longer retained"));
                }
                reconcile(store);
            }
        }
    }

    private void onCommit(ModelStore store, ModelKey key, TableCommit commit, long seq, byte[] value) {
        long v = key.version();
        if (verifier != null) {
            try {
                verifier.verify(table, v, commit);
            } catch (TableRejectedException e) {
                // not stored and the version is not marked: a forged commit must not block the real one
                reject(v, e, false);
                return;
            }
        }
        VersionState s = state(v);
        if (s.commit != null) {
            if (s.commit.getChecksum().equals(commit.getChecksum()) && s.commit.getRows() == commit.getRows()
                    && s.commit.getDim() == commit.getDim() && s.commit.getChunks() == commit.getChunks()) {
                log.info("table {}: v{} committed again with the same content; ignored", table, v);
                return;
            }
            reject(v, new TableRejectedException(TableRejectedException.Reason.DUPLICATE_VERSION, "table " + table + ": v" + v
                    + " is already committed with checksum " + s.commit.getChecksum() + "; a different commit ("
                    + commit.getChecksum() + ") is refused: versions are immutable, publish a new version"), false);
            return;
        }
        Long newest = newestCommitted();
        if (newest != null && v < newest) {
            reject(v, new TableRejectedException(TableRejectedException.Reason.VERSION_NOT_NEWER, "table " + table + ": commit of v"
                    + v + " arrives after v" + newest + "; versions must increase (use an activate record to roll back)"));
            return;
        }
        try {
            builder.checkCommit(table, v, commit);
        } catch (TableRejectedException e) {
            reject(v, e);
            return;
        }
        store.put(key.storeKey(), StoredRecord.encode(seq, value));
        s.commit = commit;
        s.commitSeq = seq;
        if (!s.complete()) {
            log.info("table {}: v{} committed ({} x {}, {} chunks); waiting for {} missing chunk(s)", table, v,
                    commit.getRows(), commit.getDim(), commit.getChunks(), commit.getChunks() - s.chunks.get(0, commit.getChunks()).cardinality());
        }
        reconcile(store);
    }

    private void onTombstone(ModelStore store, ModelKey key) {
        store.delete(key.storeKey());
        VersionState s = versions.get(key.version());
        switch (key.kind()) {
            case CHUNK -> {
                if (s != null) {
                    s.chunks.clear(key.index());
                    writeChunkIndex(store, s);
                }
            }
            case COMMIT -> {
                if (s != null) {
                    s.commit = null;
                    s.commitSeq = -1;
                }
            }
            case ACTIVATE -> {
                activateVersion = -1;
                activateSeq = -1;
            }
        }
        if (s != null && s.commit == null && s.chunks.isEmpty()) {
            versions.remove(key.version());
        }
    }

    /** Reads which chunks of one version the store holds (their keys and sequences), rewrites its index; returns the highest sequence. */
    private long rescanChunks(ModelStore store, VersionState s) {
        BitSet found = new BitSet();
        long[] max = {-1};
        store.scan(ModelKey.chunkPrefix(table, s.version), (key, stored) -> {
            found.set(ModelKey.fromStoreKey(key).index());
            max[0] = Math.max(max[0], StoredRecord.seq(stored));
        });
        if (!found.equals(s.chunks)) {
            s.chunks = found;
            s.maxChunkSeq = max[0];
            writeChunkIndex(store, s);
        }
        return max[0];
    }

    /** Keeps the version's {@link ChunkIndex} in step with its stored chunks (deleted with the last one). */
    private void writeChunkIndex(ModelStore store, VersionState s) {
        String key = ModelKey.chunkIndexKey(table, s.version);
        if (s.chunks.isEmpty()) {
            store.delete(key);
        } else {
            store.put(key, new ChunkIndex(s.maxChunkSeq, s.chunks).encode());
        }
    }

    private void checkAgrees(ModelKey key, ModelRecord r) throws TableRejectedException {
        String problem = null;
        if (!key.table().equals(r.getTable())) {
            problem = "names table '" + r.getTable() + "'";
        } else if (key.kind() != ModelKey.Kind.ACTIVATE && key.version() != r.getVersion()) {
            problem = "names version " + r.getVersion();
        } else {
            Object body = r.getBody();
            boolean kindOk = switch (key.kind()) {
                case CHUNK -> body instanceof TableChunk c && c.getIndex() == key.index();
                case COMMIT -> body instanceof TableCommit;
                case ACTIVATE -> body instanceof TableActivate;
            };
            if (!kindOk) {
                problem = "holds a " + body.getClass().getSimpleName()
                        + (body instanceof TableChunk c ? " with index " + c.getIndex() : "");
            }
        }
        if (problem != null) {
            throw new TableRejectedException(TableRejectedException.Reason.BAD_RECORD,
                    "model record under key '" + key + "' " + problem);
        }
    }

    /**
     * Called when Kafka Streams starts and ends replaying the model topic into an empty or stale
     * store (global restore). While it replays, records are indexed but no version is built, so a
     * restart builds once, the version that should be active at the end, instead of every
     * historical version in turn. Processing cannot start before the restore ends.
     */
    public synchronized void restoring(boolean replaying) {
        restoring = replaying;
        if (!replaying && lastStore != null) {
            reconcile(lastStore);
        }
    }

    /**
     * Makes the version that should be active active, if it can be built. With an active table,
     * only the newest candidate is tried and the active one stays if that fails; with none (at
     * start), older candidates are tried in turn.
     */
    private void reconcile(ModelStore store) {
        if (restoring) {
            return;
        }
        for (Candidate c : candidates()) {
            VersionState s = c.state();
            Activation current = active.get();
            boolean haveActive = current != null;
            if (s.version == activeVersion()) {
                if (c.sequence() > current.sequence()) {
                    // the same version chosen again by a later record (e.g. an activate record naming
                    // the active version): every instance moves to the later sequence alike
                    activate(new Activation(current.table(), c.sequence()));
                }
                return;
            }
            if (s.rejected != null || s.commit == null) {
                if (haveActive) return;
                continue;
            }
            if (!s.complete()) {
                if (haveActive) return; // the newest is still arriving: keep the active one
                continue; // nothing active yet: serve the newest complete version meanwhile
            }
            long t0 = System.nanoTime();
            EmbeddingTable built;
            try {
                built = builder.build(store, table, s.version, s.commit);
            } catch (TableRejectedException e) {
                reject(s.version, e);
                if (haveActive) return;
                continue;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            EmbeddingTable previous = haveActive ? current.table() : null;
            activate(new Activation(built, c.sequence()));
            if (previous != null) {
                previous.retire(); // freed once the events enriched from it are done (see EmbeddingTable)
            }
            if (swaps.incrementAndGet() == 1 && snapshots != null) {
                snapshots.deleteAllBut(TableSnapshots.fileName(table, built.version(), built.dtype()));
            }
            Swap swap = new Swap(table, previous == null ? -1 : previous.version(), built.version(), built.rows(), built.dim(),
                    built.sizeBytes(), ms);
            log.info("table {}: swapped {} -> v{} ({} x {}, {} MiB, built and verified in {} ms)", table,
                    previous == null ? "none" : "v" + previous.version(), built.version(), built.rows(), built.dim(),
                    String.format("%.1f", built.sizeBytes() / 1048576.0), ms);
            swapListeners.forEach(l -> l.accept(swap));
            prune(store);
            return;
        }
    }

    /** A version to try, with the sequence of the record that makes it a candidate (its commit, or the activate record). */
    private record Candidate(VersionState state, long sequence) {
    }

    /** Versions in the order they should be tried: pinned only, or newest commit/activate record first. */
    private List<Candidate> candidates() {
        List<Candidate> out = new ArrayList<>();
        if (pinnedVersion >= 0) {
            VersionState s = versions.get(pinnedVersion);
            if (s != null) out.add(new Candidate(s, s.commitSeq));
            return out;
        }
        List<VersionState> committed = new ArrayList<>();
        for (VersionState s : versions.values()) {
            if (s.commit != null) committed.add(s);
        }
        committed.sort((a, b) -> Long.compare(b.commitSeq, a.commitSeq));
        boolean activateFirst = activateVersion >= 0 && (committed.isEmpty() || activateSeq > committed.get(0).commitSeq);
        VersionState activated = activateFirst ? versions.get(activateVersion) : null;
        if (activated != null) {
            out.add(new Candidate(activated, activateSeq));
        }
        for (VersionState s : committed) {
            if (s != activated) out.add(new Candidate(s, s.commitSeq));
        }
        return out;
    }

    /** Removes versions beyond the retention count (older than the newest {@code retain} committed ones). */
    private void prune(ModelStore store) {
        List<Long> committed = new ArrayList<>();
        versions.descendingMap().forEach((v, s) -> {
            if (s.commit != null && s.rejected == null) committed.add(v);
        });
        if (committed.size() <= retainVersions) {
            return;
        }
        long oldestKept = committed.get(retainVersions - 1);
        long keepAlso = activeVersion();
        List<Long> drop = new ArrayList<>();
        for (Long v : versions.headMap(oldestKept, false).keySet()) {
            if (v != keepAlso && v != pinnedVersion) drop.add(v);
        }
        for (Long v : drop) {
            VersionState s = versions.remove(v);
            for (int i = s.chunks.nextSetBit(0); i >= 0; i = s.chunks.nextSetBit(i + 1)) {
                store.delete(ModelKey.chunk(table, v, i).storeKey());
            }
            store.delete(ModelKey.chunkIndexKey(table, v));
            store.delete(ModelKey.commit(table, v).storeKey());
            log.info("table {}: v{} dropped from the store (tokvec.retain.versions={})", table, v, retainVersions);
        }
    }

    private Long newestCommitted() {
        for (VersionState s : versions.descendingMap().values()) {
            if (s.commit != null) return s.version;
        }
        return null;
    }

    private VersionState state(long version) {
        return versions.computeIfAbsent(version, VersionState::new);
    }

    private void reject(long version, TableRejectedException e) {
        reject(version, e, true);
    }

    private void reject(long version, TableRejectedException e, boolean markVersion) {
        if (markVersion && version >= 0) {
            VersionState s = versions.get(version);
            if (s != null && s.rejected == null && s.version != activeVersion()) {
                s.rejected = e;
            }
        }
        rejectedTotal.incrementAndGet();
        rejectedByReason.get(e.reason()).incrementAndGet();
        log.warn("table {}: rejected{} [{}]: {}; active stays {}", table, version >= 0 ? " v" + version : "", e.reason(),
                e.getMessage(), activeVersion() < 0 ? "none" : "v" + activeVersion());
        Rejection r = new Rejection(table, version, e.reason(), e.getMessage(), System.currentTimeMillis());
        synchronized (recentRejections) {
            if (recentRejections.size() == RECENT_REJECTIONS) {
                recentRejections.removeFirst();
            }
            recentRejections.addLast(r);
        }
        rejectionListeners.forEach(l -> l.accept(r));
    }
}
