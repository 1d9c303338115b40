package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableCommit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * The versions of one table: which chunks of each are stored, its commit and the sequence of the
 * record that brought it, whether it failed to build; and the latest activate record. It applies
 * the model-topic records of its table, with every rule a record must pass before it is kept
 * ({@link RecordBounds}, signatures, versions that only increase, immutable commits), and keeps what
 * it accepts in a {@link ModelStore}: the global state store in the application, where a restart
 * reads it back ({@link #recover}), or {@link ModelStore#NONE} for {@code publish}, which scans the
 * model topic through a catalog of its own so that it applies the same rules and the same
 * {@link RetentionPolicy}.
 *
 * <p>Sequences order records: the model-topic offset of each record when the caller knows it (the
 * application always does), so that every instance orders commits and activate records alike;
 * otherwise the next local number. They survive restarts (kept with each stored record).
 *
 * <p>Versions depend on others through {@link Version#dependencies()} (none for a full version):
 * {@link RetentionPolicy} never drops a version that a kept one depends on.
 *
 * <p>Not thread-safe: one thread (the registry's) owns it.
 */
public final class VersionCatalog {

    private static final Logger log = LoggerFactory.getLogger(VersionCatalog.class);
    private static final long[] NO_DEPENDENCIES = {};

    /** What the catalog knows of one version. Read-only outside the catalog. */
    public static final class Version {
        private final long version;
        private ChunkSet chunks = new ChunkSet();
        private long maxChunkSeq = -1;
        private TableCommit commit;
        private long commitSeq = -1;
        private TableRejectedException rejected;
        private TableRejectedException refused;

        Version(long version) {
            this.version = version;
        }

        public long version() { return version; }
        /** The accepted commit, or null. */
        public TableCommit commit() { return commit; }
        public boolean committed() { return commit != null; }
        /** Sequence of the commit record, -1 without one. */
        public long commitSeq() { return commitSeq; }
        /** Stored chunks. */
        public long chunkCount() { return chunks.size(); }
        /** Stored chunks among those the commit names. */
        public long committedChunksPresent() { return commit == null ? 0 : chunks.countBelow(commit.getChunks()); }
        /** Committed, with every chunk the commit names stored. */
        public boolean complete() { return commit != null && chunks.containsAllBelow(commit.getChunks()); }
        /** Why the version failed to build (it never becomes active), or null. */
        public TableRejectedException rejection() { return rejected; }
        /** Why its last commit record was refused (none kept), or null; a later valid commit is still accepted. */
        public TableRejectedException refusal() { return refused; }

        /** Versions this one is built from besides its own chunks (a delta's base); none for a full version. */
        public long[] dependencies() { return NO_DEPENDENCIES; }

        /** Visits the indexes of its stored chunks, ascending. */
        public void forEachChunk(java.util.function.IntConsumer visitor) { chunks.forEach(visitor); }

        /** Its chunk indexes, for tests. */
        ChunkSet chunks() { return chunks; }
    }

    /** What {@link #apply} did with an accepted record. */
    public enum Applied {
        /** Stored; the catalog changed. */
        STORED,
        /** A commit identical (in every signed field) to the one already accepted for its version: nothing to do. */
        UNCHANGED
    }

    private final String table;
    private final RecordBounds bounds;
    private final ModelDecoder decoder;
    private final CommitVerifier verifier;
    private ModelStore store = ModelStore.NONE;
    private final TreeMap<Long, Version> versions = new TreeMap<>();
    private final TreeSet<Long> committed = new TreeSet<>();
    private long activateVersion = -1;
    private long activateSeq = -1;
    private long nextSeq;
    private long lastSeq = -1;

    /**
     * @param decoder  decodes stored commits on {@link #recover}
     * @param verifier null, or the signature every commit needs ({@code tokvec.table.trusted.keys})
     */
    public VersionCatalog(String table, RecordBounds bounds, ModelDecoder decoder, CommitVerifier verifier) {
        this.table = Objects.requireNonNull(table);
        this.bounds = Objects.requireNonNull(bounds);
        this.decoder = decoder;
        this.verifier = verifier;
    }

    public String table() { return table; }
    public RecordBounds bounds() { return bounds; }

    /** Keeps what it accepts in {@code store} from now on. */
    public VersionCatalog attach(ModelStore store) {
        this.store = Objects.requireNonNull(store);
        return this;
    }

    // ---- queries ----

    /** The version, or null when nothing of it is known. */
    public Version get(long version) {
        return versions.get(version);
    }

    /** Every known version (committed or with chunks), by number. */
    public NavigableMap<Long, Version> versions() {
        return Collections.unmodifiableNavigableMap(versions);
    }

    /** The committed versions, by number. */
    public NavigableSet<Long> committedVersions() {
        return Collections.unmodifiableNavigableSet(committed);
    }

    /** The highest committed version, or -1. */
    public long newestCommitted() {
        return committed.isEmpty() ? -1 : committed.last();
    }

    /** Version named by the latest activate record, or -1. */
    public long activateVersion() { return activateVersion; }

    /** Sequence of the latest activate record, or -1. */
    public long activateSeq() { return activateSeq; }

    /** Sequence of the last record applied (or read back by {@link #recover}), -1 before any. */
    public long lastSeq() { return lastSeq; }

    // ---- records ----

    /**
     * Applies one record of this table: checks it and keeps it ({@code value}, its bytes, goes to the
     * store). {@code offset} is its model-topic offset, or -1.
     *
     * @throws TableRejectedException when the record is refused; nothing is kept and no version is
     *     marked, so a later valid record under the same key is accepted
     */
    public Applied apply(ModelKey key, ModelRecord record, byte[] value, long offset) throws TableRejectedException {
        if (!key.table().equals(table)) {
            throw new IllegalArgumentException("record of table " + key.table() + " given to the catalog of " + table);
        }
        Version known = key.kind() == ModelKey.Kind.ACTIVATE ? null : versions.get(key.version());
        if (key.kind() == ModelKey.Kind.COMMIT) {
            try {
                checkCommit(key, record, known);
            } catch (TableRejectedException e) {
                if (known != null && known.commit == null) {
                    known.refused = e;
                }
                throw e;
            }
            if (known != null && known.commit != null) {
                return Applied.UNCHANGED; // checkCommit let only an identical commit through
            }
        } else {
            bounds.check(key, record, known == null ? null : known.commit);
        }
        long seq = offset >= 0 ? Math.max(offset, nextSeq) : nextSeq;
        nextSeq = seq + 1;
        lastSeq = seq;
        store.put(key.storeKey(), StoredRecord.encode(seq, value));
        switch (key.kind()) {
            case CHUNK -> {
                Version v = state(key.version());
                v.chunks.add(key.index());
                v.maxChunkSeq = Math.max(v.maxChunkSeq, seq);
                writeChunkIndex(v);
            }
            case COMMIT -> {
                Version v = state(key.version());
                v.commit = (TableCommit) record.getBody();
                v.commitSeq = seq;
                v.refused = null;
                committed.add(v.version);
            }
            case ACTIVATE -> {
                activateVersion = record.getVersion();
                activateSeq = seq;
            }
        }
        return Applied.STORED;
    }

    /**
     * Notes a chunk key seen on the model topic without checking or keeping its record: for
     * {@code publish}, which tombstones every chunk key of a version it drops, refused ones included.
     */
    public void noteChunk(ModelKey key, long offset) {
        if (key.kind() != ModelKey.Kind.CHUNK || !key.table().equals(table)) {
            throw new IllegalArgumentException("not a chunk key of table " + table + ": " + key);
        }
        long seq = offset >= 0 ? Math.max(offset, nextSeq) : nextSeq;
        nextSeq = seq + 1;
        lastSeq = seq;
        state(key.version()).chunks.add(key.index());
    }

    /** A commit's bounds, signature, uniqueness and order; lets an identical duplicate through. */
    private void checkCommit(ModelKey key, ModelRecord record, Version known) throws TableRejectedException {
        bounds.check(key, record, null);
        TableCommit commit = (TableCommit) record.getBody();
        long v = key.version();
        if (verifier != null) {
            verifier.verify(table, v, commit);
        }
        if (known != null && known.commit != null) {
            if (sameSignedContent(known.commit, commit)) {
                return;
            }
            throw new TableRejectedException(TableRejectedException.Reason.DUPLICATE_VERSION, "table " + table + ": v" + v
                    + " is already committed as " + signedContent(known.commit) + "; a different commit (" + signedContent(commit)
                    + ") is refused: versions are immutable, publish a new version");
        }
        long newest = newestCommitted();
        if (newest >= 0 && v < newest) {
            throw new TableRejectedException(TableRejectedException.Reason.VERSION_NOT_NEWER, "table " + table + ": commit of v"
                    + v + " arrives after v" + newest + "; versions must increase (use an activate record to roll back)");
        }
    }

    /** Whether two commits agree in every field a signature covers ({@link CommitSignature}). */
    static boolean sameSignedContent(TableCommit a, TableCommit b) {
        return a.getRows() == b.getRows() && a.getDim() == b.getDim() && a.getChunks() == b.getChunks()
                && Objects.equals(a.getChecksum(), b.getChecksum()) && Objects.equals(a.getVocabChecksum(), b.getVocabChecksum());
    }

    private static String signedContent(TableCommit c) {
        return c.getRows() + " x " + c.getDim() + " in " + c.getChunks() + " chunks, checksum " + c.getChecksum()
                + ", vocab_checksum " + c.getVocabChecksum();
    }

    /** Applies a tombstone (a null value under {@code key}). */
    public void remove(ModelKey key) {
        if (!key.table().equals(table)) {
            throw new IllegalArgumentException("record of table " + key.table() + " given to the catalog of " + table);
        }
        store.delete(key.storeKey());
        Version v = key.kind() == ModelKey.Kind.ACTIVATE ? null : versions.get(key.version());
        switch (key.kind()) {
            case CHUNK -> {
                if (v != null && v.chunks.remove(key.index())) {
                    writeChunkIndex(v);
                }
            }
            case COMMIT -> {
                if (v != null) {
                    v.commit = null;
                    v.commitSeq = -1;
                    committed.remove(v.version);
                }
            }
            case ACTIVATE -> {
                activateVersion = -1;
                activateSeq = -1;
            }
        }
        if (v != null && v.commit == null && v.chunks.isEmpty()) {
            versions.remove(v.version);
        }
    }

    /** Marks a committed version as failed to build: it is never tried again (also after {@link #recover}). */
    public void markRejected(long version, TableRejectedException e) {
        Version v = versions.get(version);
        if (v != null && v.rejected == null) {
            v.rejected = e;
        }
    }

    /** Removes a version and everything the store holds of it (retention). */
    public void drop(long version) {
        Version v = versions.remove(version);
        if (v == null) {
            return;
        }
        committed.remove(version);
        v.chunks.forEach(i -> store.delete(ModelKey.chunk(table, version, i).storeKey()));
        store.delete(ModelKey.chunkIndexKey(table, version));
        store.delete(ModelKey.commit(table, version).storeKey());
    }

    // ---- the store ----

    /**
     * Rebuilds the catalog from what the store holds (after a restart, or when the store was restored
     * without replaying records), keeping the versions that failed to build marked. Reads the
     * {@link ChunkIndex} of each version and the commits, not the chunks, except for a version whose
     * index is missing, overflowed or lags its commit, and once for a store written before indexes
     * (or before ranged indexes) were kept.
     *
     * @param refused hears a stored commit that is refused now (the trusted keys changed since)
     */
    public void recover(BiConsumer<Long, TableRejectedException> refused) {
        Map<Long, TableRejectedException> rejected = new TreeMap<>();
        versions.forEach((n, v) -> {
            if (v.rejected != null) rejected.put(n, v.rejected);
        });
        versions.clear();
        committed.clear();
        activateVersion = -1;
        activateSeq = -1;
        long[] maxSeq = {-1};
        Set<Version> lookUp = new LinkedHashSet<>(); // identity: Version has no equals
        if (store.get(ModelKey.chunkIndexMarkerKey(table)) != null) {
            // a few bytes per version instead of reading every chunk (a multi-GB table) back from the store
            store.scan(ModelKey.chunkIndexPrefix(table), (key, stored) -> readIndex(key, stored, false, maxSeq, lookUp));
        } else if (store.get(ModelKey.legacyChunkIndexMarkerKey(table)) != null) {
            // indexes of an older tokvec (bit sets): converted once
            List<String> legacy = new ArrayList<>();
            store.scan(ModelKey.legacyChunkIndexPrefix(table), (key, stored) -> {
                legacy.add(key);
                readIndex(key, stored, true, maxSeq, lookUp);
            });
            for (Version v : versions.values()) {
                if (!lookUp.contains(v)) writeChunkIndex(v);
            }
            legacy.forEach(store::delete);
            store.delete(ModelKey.legacyChunkIndexMarkerKey(table));
            store.put(ModelKey.chunkIndexMarkerKey(table), new byte[] {1});
        } else {
            // a store written before chunk indexes were kept (or a new one): read the chunks once, then keep indexes
            store.scan(ModelKey.chunksPrefix(table), (key, stored) -> {
                ModelKey k = ModelKey.fromStoreKey(key);
                Version v = state(k.version());
                v.chunks.add(k.index());
                v.maxChunkSeq = Math.max(v.maxChunkSeq, StoredRecord.seq(stored));
                maxSeq[0] = Math.max(maxSeq[0], v.maxChunkSeq);
            });
            versions.values().forEach(this::writeChunkIndex);
            store.put(ModelKey.chunkIndexMarkerKey(table), new byte[] {1});
        }
        store.scan(ModelKey.commitPrefix(table), (key, stored) -> {
            ModelKey k = ModelKey.fromStoreKey(key);
            long seq = StoredRecord.seq(stored);
            maxSeq[0] = Math.max(maxSeq[0], seq);
            try {
                TableCommit commit = (TableCommit) StoredRecord.decodeValue(stored, decoder).getBody();
                if (verifier != null) {
                    verifier.verify(table, k.version(), commit); // the trusted keys may have changed since it was stored
                }
                Version v = state(k.version());
                v.commit = commit;
                v.commitSeq = seq;
                committed.add(v.version);
            } catch (TableRejectedException e) {
                refused.accept(k.version(), e);
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
        for (Version v : versions.values()) {
            if (!lookUp.contains(v) && v.commit != null && !v.complete()) {
                // the index may lag chunks written without it (an older tokvec ran on this store in between): look once
                lookUp.add(v);
            }
        }
        for (Version v : lookUp) {
            maxSeq[0] = Math.max(maxSeq[0], rescanChunks(v));
        }
        versions.values().removeIf(v -> v.commit == null && v.chunks.isEmpty());
        nextSeq = Math.max(nextSeq, maxSeq[0] + 1);
        lastSeq = maxSeq[0];
        rejected.forEach(this::markRejected); // a version refused once stays refused: not rebuilt, not counted again
    }

    private void readIndex(String key, byte[] stored, boolean legacy, long[] maxSeq, Set<Version> lookUp) {
        Version v = state(ModelKey.chunkIndexVersion(key));
        try {
            ChunkIndex idx = legacy ? ChunkIndex.decodeLegacy(stored) : ChunkIndex.decode(stored);
            maxSeq[0] = Math.max(maxSeq[0], idx.maxSeq());
            v.maxChunkSeq = idx.maxSeq();
            if (idx.overflow()) {
                lookUp.add(v);
            } else {
                v.chunks = idx.chunks();
            }
        } catch (IllegalArgumentException e) {
            log.warn("table {}: chunk index of v{} is unreadable ({}); looking its chunks up", table, v.version, e.getMessage());
            lookUp.add(v);
        }
    }

    /** Reads which chunks of one version the store holds (their keys and sequences), rewrites its index; returns the highest sequence. */
    private long rescanChunks(Version v) {
        ChunkSet found = new ChunkSet();
        long[] max = {-1};
        store.scan(ModelKey.chunkPrefix(table, v.version), (key, stored) -> {
            found.add(ModelKey.fromStoreKey(key).index());
            max[0] = Math.max(max[0], StoredRecord.seq(stored));
        });
        v.chunks = found;
        v.maxChunkSeq = max[0];
        writeChunkIndex(v);
        return max[0];
    }

    /** Keeps the version's {@link ChunkIndex} in step with its stored chunks (deleted with the last one). */
    private void writeChunkIndex(Version v) {
        String key = ModelKey.chunkIndexKey(table, v.version);
        if (v.chunks.isEmpty()) {
            store.delete(key);
        } else {
            store.put(key, ChunkIndex.encode(v.maxChunkSeq, v.chunks));
        }
    }

    private Version state(long version) {
        return versions.computeIfAbsent(version, Version::new);
    }
}
