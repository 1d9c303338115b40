package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TableDeltaCommit;
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
 * <p>A version is full (chunks and a {@link TableCommit}) or a delta over a base version (delta chunks
 * and a {@link TableDeltaCommit}). A delta depends on its base ({@link Version#dependencies()}):
 * {@link RetentionPolicy} never drops a version that a kept one depends on. A delta commit is kept
 * only if its base is committed and not known to have failed, of the shape the delta says, and its
 * content id chains from the base's ({@link ContentIds}).
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
        private ChunkSet deltaChunks = new ChunkSet();
        private long maxDeltaChunkSeq = -1;
        private TableCommit commit;
        private TableDeltaCommit delta;
        private long commitSeq = -1;
        private String contentId;
        private boolean vocabulary;
        private TableRejectedException rejected;
        private TableRejectedException refused;

        Version(long version) {
            this.version = version;
        }

        public long version() { return version; }
        /** The accepted commit of a full version, or null. */
        public TableCommit commit() { return commit; }
        /** The accepted commit of a delta version, or null. */
        public TableDeltaCommit deltaCommit() { return delta; }
        /** Committed (full or delta). */
        public boolean committed() { return commit != null || delta != null; }
        /** Committed as a delta. */
        public boolean isDelta() { return delta != null; }
        /** The base of a delta version, or -1. */
        public long base() { return delta == null ? -1 : delta.getBaseVersion(); }
        /** Rows as committed (0 when not committed). */
        public long rows() { return commit != null ? commit.getRows() : delta != null ? delta.getRows() : 0; }
        /** Dim as committed (0 when not committed). */
        public int dim() { return commit != null ? commit.getDim() : delta != null ? delta.getDim() : 0; }
        /** Chunks the commit names (0 when not committed). */
        public int committedChunks() { return commit != null ? commit.getChunks() : delta != null ? delta.getChunks() : 0; }
        /** Whether the committed version has a vocabulary (a delta has its base's). */
        public boolean hasVocabulary() { return vocabulary; }
        /** The content id of the committed version ({@link ContentIds}), or null. */
        public String contentId() { return contentId; }
        /** Sequence of the commit record, -1 without one. */
        public long commitSeq() { return commitSeq; }
        /** Stored chunks (of either kind). */
        public long chunkCount() { return chunks.size() + deltaChunks.size(); }
        /** Stored chunks among those the commit names. */
        public long committedChunksPresent() {
            return commit != null ? chunks.countBelow(commit.getChunks()) : delta != null ? deltaChunks.countBelow(delta.getChunks()) : 0;
        }
        /** Committed, with every chunk the commit names stored (a delta's base may still be incomplete). */
        public boolean complete() {
            return commit != null ? chunks.containsAllBelow(commit.getChunks())
                    : delta != null && deltaChunks.containsAllBelow(delta.getChunks());
        }
        /** Why the version failed to build (it never becomes active), or null. */
        public TableRejectedException rejection() { return rejected; }
        /** Why its last commit record was refused (none kept), or null; a later valid commit is still accepted. */
        public TableRejectedException refusal() { return refused; }

        /** Versions this one is built from besides its own chunks: a delta's base; none for a full version. */
        public long[] dependencies() { return delta == null ? NO_DEPENDENCIES : new long[] {delta.getBaseVersion()}; }

        /** Visits the indexes of its stored (full-version) chunks, ascending. */
        public void forEachChunk(java.util.function.IntConsumer visitor) { chunks.forEach(visitor); }

        /** The model-topic keys of everything stored of it: chunks of both kinds, then its commit. */
        public List<ModelKey> keys(String table) {
            List<ModelKey> keys = new ArrayList<>();
            chunks.forEach(i -> keys.add(ModelKey.chunk(table, version, i)));
            deltaChunks.forEach(i -> keys.add(ModelKey.deltaChunk(table, version, i)));
            if (commit != null) keys.add(ModelKey.commit(table, version));
            if (delta != null) keys.add(ModelKey.deltaCommit(table, version));
            return keys;
        }

        /** Its chunk indexes, for tests. */
        ChunkSet chunks() { return chunks; }

        /** Its delta chunk indexes, for tests. */
        ChunkSet deltaChunks() { return deltaChunks; }
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

    /**
     * The version under {@code version} in its chain of bases that is committed but still waiting for
     * chunks, or -1 (none: a full version, or every base complete, or one missing or rejected, which
     * building reports).
     */
    public long waitingBase(long version) {
        Version v = versions.get(version);
        while (v != null && v.delta != null) {
            Version base = versions.get(v.delta.getBaseVersion());
            if (base == null || !base.committed() || base.rejected != null) {
                return -1;
            }
            if (!base.complete()) {
                return base.version;
            }
            v = base;
        }
        return -1;
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
        if (key.kind().commit()) {
            try {
                checkCommit(key, record, known);
            } catch (TableRejectedException e) {
                if (known != null && !known.committed()) {
                    known.refused = e;
                }
                throw e;
            }
            if (known != null && known.committed()) {
                return Applied.UNCHANGED; // checkCommit let only an identical commit through
            }
        } else {
            bounds.check(key, record, known == null ? null : known.commit, known == null ? null : known.delta);
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
                v.contentId = ContentIds.of(v.commit);
                v.vocabulary = v.commit.getVocabChecksum() != null;
                committed.add(v.version);
            }
            case DELTA_CHUNK -> {
                Version v = state(key.version());
                v.deltaChunks.add(key.index());
                v.maxDeltaChunkSeq = Math.max(v.maxDeltaChunkSeq, seq);
                writeDeltaChunkIndex(v);
            }
            case DELTA_COMMIT -> {
                Version v = state(key.version());
                v.delta = (TableDeltaCommit) record.getBody();
                v.commitSeq = seq;
                v.refused = null;
                v.contentId = v.delta.getContentId().toLowerCase(java.util.Locale.ROOT);
                v.vocabulary = versions.get(v.delta.getBaseVersion()).vocabulary; // checkCommit found the base
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
        if (!key.kind().chunk() || !key.table().equals(table)) {
            throw new IllegalArgumentException("not a chunk key of table " + table + ": " + key);
        }
        long seq = offset >= 0 ? Math.max(offset, nextSeq) : nextSeq;
        nextSeq = seq + 1;
        lastSeq = seq;
        Version v = state(key.version());
        (key.kind() == ModelKey.Kind.CHUNK ? v.chunks : v.deltaChunks).add(key.index());
    }

    /**
     * A commit's (full or delta) bounds, signature, uniqueness and order, and a delta's base; lets an
     * identical duplicate through.
     */
    private void checkCommit(ModelKey key, ModelRecord record, Version known) throws TableRejectedException {
        bounds.check(key, record, null, null);
        Object body = record.getBody();
        long v = key.version();
        if (verifier != null) {
            if (body instanceof TableDeltaCommit d) {
                verifier.verify(table, v, d);
            } else {
                verifier.verify(table, v, (TableCommit) body);
            }
        }
        if (known != null && known.committed()) {
            Object mine = known.commit != null ? known.commit : known.delta;
            if (sameSignedContent(mine, body)) {
                return;
            }
            throw new TableRejectedException(TableRejectedException.Reason.DUPLICATE_VERSION, "table " + table + ": v" + v
                    + " is already committed as " + signedContent(mine) + "; a different commit (" + signedContent(body)
                    + ") is refused: versions are immutable, publish a new version");
        }
        long newest = newestCommitted();
        if (newest >= 0 && v < newest) {
            throw new TableRejectedException(TableRejectedException.Reason.VERSION_NOT_NEWER, "table " + table + ": commit of v"
                    + v + " arrives after v" + newest + "; versions must increase (use an activate record to roll back)");
        }
        if (body instanceof TableDeltaCommit d) {
            checkBase(v, d);
        }
    }

    /** A delta's base: committed and retained, not failed, of the delta's shape and content id. */
    private void checkBase(long v, TableDeltaCommit d) throws TableRejectedException {
        String what = "table " + table + ": delta v" + v;
        long b = d.getBaseVersion();
        Version base = versions.get(b);
        if (base == null || !base.committed()) {
            throw new TableRejectedException(TableRejectedException.Reason.UNKNOWN_BASE, what + " names base v" + b
                    + ", which is not committed or no longer retained (committed: " + committedVersions() + ")");
        }
        if (base.rejected != null) {
            throw new TableRejectedException(TableRejectedException.Reason.BASE_REJECTED, what + " names base v" + b
                    + ", which was rejected (" + base.rejected.reason() + ")");
        }
        if (base.rows() != d.getBaseRows() || base.dim() != d.getDim()) {
            throw new TableRejectedException(TableRejectedException.Reason.BASE_MISMATCH, what + " is made for a base of "
                    + d.getBaseRows() + " x " + d.getDim() + ", but base v" + b + " is " + base.rows() + " x " + base.dim());
        }
        boolean appends = d.getRows() > d.getBaseRows();
        if (d.getTokensChecksum() != null && (!base.vocabulary || !appends)) {
            throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH, what + " carries tokens, but "
                    + (!base.vocabulary ? "base v" + b + " has no vocabulary" : "it appends no row"));
        }
        if (d.getTokensChecksum() == null && base.vocabulary && appends) {
            throw new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH, what + " appends "
                    + (d.getRows() - d.getBaseRows()) + " rows without tokens (no tokens_checksum), but base v" + b
                    + " has a vocabulary: each appended row brings its token");
        }
        String expected = ContentIds.of(base.contentId, d);
        if (!expected.equalsIgnoreCase(d.getContentId())) {
            throw new TableRejectedException(TableRejectedException.Reason.BASE_MISMATCH, what + ": content_id is "
                    + d.getContentId() + " but chained from base v" + b + " (content id " + base.contentId + ") it is " + expected
                    + ": the delta was made over other contents than v" + b + "'s");
        }
    }

    /** Whether two commits (full or delta) agree in every field a signature covers ({@link CommitSignature}). */
    static boolean sameSignedContent(Object a, Object b) {
        if (a instanceof TableCommit x && b instanceof TableCommit y) {
            return x.getRows() == y.getRows() && x.getDim() == y.getDim() && x.getChunks() == y.getChunks()
                    && Objects.equals(x.getChecksum(), y.getChecksum()) && Objects.equals(x.getVocabChecksum(), y.getVocabChecksum());
        }
        if (a instanceof TableDeltaCommit x && b instanceof TableDeltaCommit y) {
            return x.getBaseVersion() == y.getBaseVersion() && x.getBaseRows() == y.getBaseRows() && x.getRows() == y.getRows()
                    && x.getDim() == y.getDim() && x.getDeltaRows() == y.getDeltaRows() && x.getChunks() == y.getChunks()
                    && Objects.equals(x.getDeltaChecksum(), y.getDeltaChecksum())
                    && Objects.equals(x.getTokensChecksum(), y.getTokensChecksum())
                    && Objects.equals(x.getContentId(), y.getContentId());
        }
        return false;
    }

    private static String signedContent(Object commit) {
        if (commit instanceof TableDeltaCommit d) {
            return "a delta over v" + d.getBaseVersion() + " (" + d.getBaseRows() + " -> " + d.getRows() + " x " + d.getDim() + ", "
                    + d.getDeltaRows() + " rows in " + d.getChunks() + " chunks, content_id " + d.getContentId() + ")";
        }
        TableCommit c = (TableCommit) commit;
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
            case COMMIT, DELTA_COMMIT -> {
                // a tombstone of one kind of commit key leaves a commit of the other kind (another topic key) alone
                if (v != null && (key.kind() == ModelKey.Kind.COMMIT ? v.commit != null : v.delta != null)) {
                    v.commit = null;
                    v.delta = null;
                    v.contentId = null;
                    v.commitSeq = -1;
                    committed.remove(v.version);
                }
            }
            case DELTA_CHUNK -> {
                if (v != null && v.deltaChunks.remove(key.index())) {
                    writeDeltaChunkIndex(v);
                }
            }
            case ACTIVATE -> {
                activateVersion = -1;
                activateSeq = -1;
            }
        }
        if (v != null && !v.committed() && v.chunks.isEmpty() && v.deltaChunks.isEmpty()) {
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
        v.deltaChunks.forEach(i -> store.delete(ModelKey.deltaChunk(table, version, i).storeKey()));
        store.delete(ModelKey.chunkIndexKey(table, version));
        store.delete(ModelKey.deltaChunkIndexKey(table, version));
        store.delete(ModelKey.commit(table, version).storeKey());
        store.delete(ModelKey.deltaCommit(table, version).storeKey());
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
        // delta chunks always have their index (they came with it); one lagging its commit is looked up below
        Set<Version> lookUpDeltas = new LinkedHashSet<>();
        store.scan(ModelKey.deltaChunkIndexPrefix(table), (key, stored) -> {
            Version v = state(ModelKey.chunkIndexVersion(key));
            try {
                ChunkIndex idx = ChunkIndex.decode(stored);
                maxSeq[0] = Math.max(maxSeq[0], idx.maxSeq());
                v.maxDeltaChunkSeq = idx.maxSeq();
                if (idx.overflow()) {
                    lookUpDeltas.add(v);
                } else {
                    v.deltaChunks = idx.chunks();
                }
            } catch (IllegalArgumentException e) {
                log.warn("table {}: delta chunk index of v{} is unreadable ({}); looking its chunks up", table, v.version, e.getMessage());
                lookUpDeltas.add(v);
            }
        });
        BiConsumer<String, byte[]> readCommit = (key, stored) -> {
            ModelKey k = ModelKey.fromStoreKey(key);
            long seq = StoredRecord.seq(stored);
            maxSeq[0] = Math.max(maxSeq[0], seq);
            try {
                Object body = StoredRecord.decodeValue(stored, decoder).getBody();
                if (verifier != null) { // the trusted keys may have changed since it was stored
                    if (body instanceof TableDeltaCommit d) {
                        verifier.verify(table, k.version(), d);
                    } else {
                        verifier.verify(table, k.version(), (TableCommit) body);
                    }
                }
                Version v = state(k.version());
                if (body instanceof TableDeltaCommit d) {
                    v.delta = d;
                } else {
                    v.commit = (TableCommit) body;
                }
                v.commitSeq = seq;
                committed.add(v.version);
            } catch (TableRejectedException e) {
                refused.accept(k.version(), e);
            } catch (RuntimeException e) {
                log.warn("table {}: stored commit of v{} does not decode: {}", table, k.version(), e.getMessage());
            }
        };
        store.scan(ModelKey.commitPrefix(table), readCommit);
        store.scan(ModelKey.deltaCommitPrefix(table), readCommit);
        // content ids and vocabularies chain from bases, which are older: in version order
        for (Version v : versions.values()) {
            if (v.commit != null) {
                v.contentId = ContentIds.of(v.commit);
                v.vocabulary = v.commit.getVocabChecksum() != null;
            } else if (v.delta != null) {
                v.contentId = v.delta.getContentId().toLowerCase(java.util.Locale.ROOT);
                Version base = versions.get(v.delta.getBaseVersion());
                v.vocabulary = base != null && base.vocabulary;
            }
        }
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
            if (v.delta != null && !v.complete()) {
                lookUpDeltas.add(v);
            }
        }
        for (Version v : lookUp) {
            maxSeq[0] = Math.max(maxSeq[0], rescanChunks(v));
        }
        for (Version v : lookUpDeltas) {
            maxSeq[0] = Math.max(maxSeq[0], rescanDeltaChunks(v));
        }
        versions.values().removeIf(v -> !v.committed() && v.chunks.isEmpty() && v.deltaChunks.isEmpty());
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

    /** As {@link #rescanChunks}, for a version's delta chunks. */
    private long rescanDeltaChunks(Version v) {
        ChunkSet found = new ChunkSet();
        long[] max = {-1};
        store.scan(ModelKey.deltaChunkPrefix(table, v.version), (key, stored) -> {
            found.add(ModelKey.fromStoreKey(key).index());
            max[0] = Math.max(max[0], StoredRecord.seq(stored));
        });
        v.deltaChunks = found;
        v.maxDeltaChunkSeq = max[0];
        writeDeltaChunkIndex(v);
        return max[0];
    }

    /** Keeps the version's delta {@link ChunkIndex} in step with its stored delta chunks (deleted with the last one). */
    private void writeDeltaChunkIndex(Version v) {
        String key = ModelKey.deltaChunkIndexKey(table, v.version);
        if (v.deltaChunks.isEmpty()) {
            store.delete(key);
        } else {
            store.put(key, ChunkIndex.encode(v.maxDeltaChunkSeq, v.deltaChunks));
        }
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
