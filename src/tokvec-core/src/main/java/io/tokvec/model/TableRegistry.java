package io.tokvec.model;

import io.tokvec.avro.ModelRecord;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.RowOverlay;
import io.tokvec.core.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The versions of one table and which one is active (src/site/markdown/model-topic.md, "Swap
 * guarantees"): a thin orchestrator over parts with one job each.
 *
 * <ul>
 *   <li>{@link VersionCatalog}: the versions the model store holds, and every rule a record must pass
 *       to be kept ({@link RecordBounds}: bounded before anything is allocated; signatures; versions
 *       that only increase; immutable commits);</li>
 *   <li>{@link ActivationPolicy}: which version should serve (pin, newest commit or activate record,
 *       fallback past versions that failed to build);</li>
 *   <li>{@link TableBuilder}: builds and verifies a version (or maps its verified snapshot);</li>
 *   <li>{@link ActiveSlot}: the active version, leased by readers ({@link #acquire()}), swapped by a
 *       pointer flip, the old one freed when its last lease closes;</li>
 *   <li>{@link RetentionPolicy}: which versions the store keeps (the same policy {@code publish} uses);</li>
 *   <li>{@link RejectionLog}: every refusal, logged, counted and listed;</li>
 *   <li>{@link RegistrySnapshot}: what the registry looks like, published after every record for the
 *       operations endpoint and the metrics, which never wait for the registry.</li>
 * </ul>
 *
 * <p>Threads: {@link #onRecord}, {@link #recover} and {@link #restoring} run on the one thread that
 * owns the model store (the global stream thread); building happens there, never on a processing
 * thread, so processing does not wait, and at most two dense tables exist at once (the active one
 * and the one being built). Everything else is safe from any thread.
 *
 * <p>No model record, however malformed or hostile, makes {@link #onRecord} throw, stall or allocate
 * more than the bytes the record carries plus a fixed amount: it is rejected with a reason and the
 * active version keeps serving. Only a failure of the store itself ({@link ModelStore.StoreException})
 * goes through.
 */
public final class TableRegistry implements ActiveTable {

    private static final Logger log = LoggerFactory.getLogger(TableRegistry.class);

    /** What a swap listener hears. {@code previous} is -1 for the first table. */
    public record Swap(String table, long previous, long version, int rows, int dim, long bytes, long buildMillis) {
    }

    /** How many rejections {@link #recentRejections()} keeps. */
    public static final int RECENT_REJECTIONS = RejectionLog.RECENT;

    /** How many versions (the newest) a {@link RegistrySnapshot} lists. */
    public static final int LISTED_VERSIONS = 100;

    private final String table;
    private final TableBuilder builder;
    private final TableSnapshots snapshots;
    private final ModelDecoder decoder;
    private final boolean requiresSignatures;
    private final VersionCatalog catalog;
    private final ActivationPolicy policy;
    private final RetentionPolicy retention;
    private final ActiveSlot slot = new ActiveSlot();
    private final VersionAssembler assembler;
    private final RejectionLog rejections;
    private final OtherTables otherTables;

    private final AtomicLong swaps = new AtomicLong();
    private final List<Consumer<Swap>> swapListeners = new CopyOnWriteArrayList<>();
    private volatile RegistrySnapshot snapshot;
    private ModelStore store = ModelStore.NONE;
    private boolean restoring;
    private long building = -1;

    /** Default of {@link #foldChainsLongerThan}: bounds what a restart replays, see {@code tokvec.delta.max.chain}. */
    public static final int DEFAULT_MAX_CHAIN = 256;
    /** Default of {@link #foldOverlaysLargerThan}: see {@code tokvec.delta.fold.overlay.ratio}. */
    public static final double DEFAULT_FOLD_OVERLAY_RATIO = 0.1;
    private final DeltaFolder folder;
    private int maxChain = DEFAULT_MAX_CHAIN;
    private double foldOverlayRatio = DEFAULT_FOLD_OVERLAY_RATIO;
    private final AtomicLong folds = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean foldCancel = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicReference<FoldResult> pendingFold = new java.util.concurrent.atomic.AtomicReference<>();
    /** Runs folds: a new daemon thread each (they are rare); tests queue them to run at a chosen moment. */
    private java.util.concurrent.Executor foldExecutor = task -> {
        Thread t = new Thread(task, "tokvec-fold");
        t.setDaemon(true);
        t.start();
    };
    /** The running fold's end, or null when none runs. */
    private CountDownLatch foldEnded;

    /** A fold's outcome, waiting to be swapped in by the registry's thread: {@code folded} is {@code source}'s version, dense. */
    private record FoldResult(EmbeddingTable source, EmbeddingTable folded, long millis) {
    }

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
     * @param builder   builds versions (dtype, memory, limits: the catalog bounds records by the same limits)
     * @param snapshots null, or the snapshot directory the builder keeps verified tables in
     * @param verifier  null, or the signature check of commits: a commit that fails it is refused
     *     ({@code UNSIGNED}, {@code BAD_SIGNATURE}) without being stored and without marking its version,
     *     so a forged commit neither swaps in a table nor blocks the genuine commit of that version
     */
    public TableRegistry(String table, long pinnedVersion, int retainVersions, TableBuilder builder, TableSnapshots snapshots,
                         ModelDecoder decoder, CommitVerifier verifier) {
        String problem = ModelKey.tableNameProblem(table);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        this.table = table;
        this.builder = builder;
        this.snapshots = snapshots;
        this.decoder = decoder;
        this.requiresSignatures = verifier != null;
        this.catalog = new VersionCatalog(table, builder.bounds(), decoder, verifier);
        this.assembler = new VersionAssembler(table, builder);
        this.folder = new DeltaFolder(table, builder);
        this.policy = new ActivationPolicy(pinnedVersion);
        this.retention = new RetentionPolicy(retainVersions);
        this.rejections = new RejectionLog(table);
        this.otherTables = new OtherTables(table);
        publishSnapshot();
    }

    // ---- what readers see (any thread) ----

    @Override
    public String table() { return table; }

    /** The active table, or null when no version is active yet (name, version and shape only: {@link #acquire()} to read values). */
    @Override
    public EmbeddingTable active() {
        Activation a = slot.activation();
        return a == null ? null : a.table();
    }

    @Override
    public Activation activation() { return slot.activation(); }

    @Override
    public Activation awaitSequence(long sequence, long timeoutMs, Ticker ticker) throws InterruptedException {
        return slot.awaitSequence(sequence, timeoutMs, ticker);
    }

    @Override
    public TableLease acquire() { return slot.acquire(); }

    /** The registry as it was after the last record (or recovery, restore or build step). */
    public RegistrySnapshot snapshot() { return snapshot; }

    /** Active version, or -1. */
    public long activeVersion() { return slot.version(); }

    public long swapCount() { return swaps.get(); }
    public long rejectedCount() { return rejections.total(); }
    public long rejectedCount(TableRejectedException.Reason reason) { return rejections.count(reason); }
    public void onSwap(Consumer<Swap> listener) { swapListeners.add(listener); }
    public void onRejection(Consumer<RejectionLog.Rejection> listener) { rejections.onRejection(listener); }

    /** Whether commits must carry a trusted signature. */
    public boolean requiresSignatures() { return requiresSignatures; }

    /** The last {@value #RECENT_REJECTIONS} rejections, oldest first. */
    public List<RejectionLog.Rejection> recentRejections() { return rejections.recent(); }

    /** The known versions (the newest {@value #LISTED_VERSIONS}) and their status, by version (see {@link RegistrySnapshot.VersionStatus}). */
    public Map<Long, String> describeVersions() { return snapshot.describeVersions(); }

    /**
     * Stops serving: the active version is retired but its verified snapshot file kept, so that the
     * next start maps it; nothing is leased any more. Call after processing has stopped; a build still
     * running is discarded when it ends.
     */
    public void close() {
        foldCancel.set(true); // a fold still running is dropped when it notices, or when its result finds the slot closed
        slot.close();
        snapshot = snapshot.closed(); // not from the catalog: the model store's thread may still own it
    }

    /**
     * Folds the active version into a dense table of its own, in the background, once more than
     * {@code maxChain} deltas lie over its dense root ({@code tokvec.delta.max.chain}). Call before use.
     */
    public TableRegistry foldChainsLongerThan(int maxChain) {
        if (maxChain < 1) {
            throw new IllegalArgumentException("maxChain must be >= 1, got " + maxChain);
        }
        this.maxChain = maxChain;
        return this;
    }

    /**
     * Folds the active version into a dense table of its own, in the background, once its overlay
     * ({@link RowOverlay#bytes()}: the chain's delta rows, superseded ones included, and their index)
     * is larger than {@code ratio} times the dense table a fold writes ({@code tokvec.delta.fold.overlay.ratio}).
     * Each byte published in deltas thus costs at most {@code 1 / ratio} bytes of fold copy, and the
     * overlay never holds more than that share of the table. Call before use.
     */
    public TableRegistry foldOverlaysLargerThan(double ratio) {
        if (!(ratio >= 0)) {
            throw new IllegalArgumentException("ratio must be >= 0, got " + ratio);
        }
        this.foldOverlayRatio = ratio;
        return this;
    }

    /**
     * Copies a fold's table at most {@code bytesPerSecond} bytes a second ({@code tokvec.delta.fold.max.bytes.per.second},
     * 200,000,000 in the application; 0, this registry's own default when not called: as fast as it can). Call before use.
     */
    public TableRegistry foldAtMostBytesPerSecond(long bytesPerSecond) {
        folder.pace(bytesPerSecond, DeltaFolder.Pacer.SYSTEM);
        return this;
    }

    /** Whether {@code t}, a delta version, is due for a fold: its chain longer than {@link #maxChain}, or its overlay too large. */
    boolean foldDue(EmbeddingTable t) {
        RowOverlay overlay = t.overlay();
        if (overlay == null) {
            return false;
        }
        double folded = (double) t.rows() * t.segments().rowBytes();
        return overlay.layers().size() > maxChain || overlay.bytes() > foldOverlayRatio * folded;
    }

    /** How many folds were swapped in. */
    public long foldCount() { return folds.get(); }

    // ---- the model store's thread ----

    /**
     * Rebuilds the catalog from what the store already holds (after a restart, or when the store was
     * restored from a checkpoint without replaying records through the processor), then activates
     * what should be active. Idempotent.
     */
    public synchronized void recover(ModelStore store) {
        attach(store);
        try {
            catalog.recover((version, e) -> reject(version, e));
            if (!catalog.versions().isEmpty() || catalog.activateVersion() >= 0) {
                publishSnapshot();
                log.info("table {}: recovered from the model store: versions {}", table, describeVersions());
            }
            reconcile();
        } finally {
            publishSnapshot();
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
        if (!replaying) {
            try {
                reconcile();
            } finally {
                publishSnapshot();
            }
        }
    }

    /** As {@link #onRecord(ModelStore, String, byte[], long)}, with no model-topic offset (the next local sequence is used). */
    public synchronized void onRecord(ModelStore store, String topicKey, byte[] value) {
        onRecord(store, topicKey, value, -1);
    }

    /**
     * Handles one model-topic record (value null: a tombstone) found at {@code offset} of the model
     * topic (-1: unknown); the offset becomes the record's sequence, so that every instance orders
     * commits and activate records alike. Records of other tables are ignored (each other name is
     * logged once). Never throws for a record: a bad one is rejected (logged, counted, listed) and
     * leaves the active table alone.
     */
    public synchronized void onRecord(ModelStore store, String topicKey, byte[] value, long offset) {
        attach(store);
        try {
            handle(topicKey, value, offset);
        } catch (ModelStore.StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            log.error("table {}: unexpected failure on model record '{}'", table, ModelKey.printable(String.valueOf(topicKey)), e);
            reject(-1, new TableRejectedException(TableRejectedException.Reason.BAD_RECORD, "model record '"
                    + ModelKey.printable(String.valueOf(topicKey)) + "' could not be handled: " + e));
        } finally {
            publishSnapshot();
        }
    }

    private void handle(String topicKey, byte[] value, long offset) {
        ModelKey key;
        try {
            key = ModelKey.parse(topicKey);
        } catch (IllegalArgumentException e) {
            reject(-1, new TableRejectedException(TableRejectedException.Reason.BAD_RECORD, e.getMessage()));
            return;
        }
        if (!key.table().equals(table)) {
            otherTables.seen(key.table());
            return;
        }
        if (value == null) {
            catalog.remove(key);
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
        VersionCatalog.Applied applied;
        try {
            applied = catalog.apply(key, record, value, offset);
        } catch (TableRejectedException e) {
            reject(key.kind() == ModelKey.Kind.ACTIVATE ? record.getVersion() : key.version(), e);
            return;
        }
        switch (key.kind()) {
            case CHUNK, DELTA_CHUNK -> {
                VersionCatalog.Version v = catalog.get(key.version());
                if (v.complete() && v.rejection() == null) {
                    reconcile();
                }
            }
            case COMMIT, DELTA_COMMIT -> {
                VersionCatalog.Version v = catalog.get(key.version());
                if (applied == VersionCatalog.Applied.UNCHANGED) {
                    log.info("table {}: v{} committed again with the same content; ignored", table, v.version());
                    return;
                }
                if (!v.complete()) {
                    log.info("table {}: v{} committed ({}{} x {}, {} chunks); waiting for {} missing chunk(s)", table, v.version(),
                            v.isDelta() ? "delta over v" + v.base() + ", " : "", v.rows(), v.dim(), v.committedChunks(),
                            v.committedChunks() - v.committedChunksPresent());
                }
                reconcile();
            }
            case ACTIVATE -> {
                long target = record.getVersion();
                log.info("table {}: activate record for v{}", table, target);
                VersionCatalog.Version v = catalog.get(target);
                if (v == null || !v.committed()) {
                    reject(target, new TableRejectedException(TableRejectedException.Reason.UNKNOWN_VERSION,
                            "table " + table + ": cannot activate v" + target + ": not committed or no longer retained"));
                }
                reconcile();
            }
        }
    }

    private void attach(ModelStore store) {
        if (this.store != store) {
            this.store = store;
            catalog.attach(store);
        }
    }

    /** Makes the version that should be active active, if it can be built; then applies retention. */
    private void reconcile() {
        if (restoring) {
            return;
        }
        Activation current = slot.activation();
        ActivationPolicy.Plan plan = policy.plan(catalog, current == null ? -1 : current.version(),
                current == null ? -1 : current.sequence());
        if (plan.resequence() >= 0) {
            // the same version chosen again by a later record: every instance moves to the later sequence alike
            slot.resequence(plan.resequence());
        }
        for (ActivationPolicy.Candidate c : plan.build()) {
            if (build(c)) {
                break;
            }
        }
        applyRetention();
    }

    /** Builds a candidate and swaps it in; false (and the version rejected) if it fails. */
    private boolean build(ActivationPolicy.Candidate c) {
        VersionCatalog.Version v = catalog.get(c.version());
        building = v.version();
        publishSnapshot();
        long t0 = System.nanoTime();
        EmbeddingTable built;
        try (TableLease lease = slot.acquire()) {
            if (foldEnded != null && assembler.needsDense(catalog, v.version(), lease.table())) {
                cancelFold(); // at most two dense tables at once: the active one and the one being built
            }
            built = assembler.assemble(catalog, store, v.version(), lease.table(), (below, why) -> {
                catalog.markRejected(below, why);
                reject(below, why);
            });
        } catch (TableRejectedException e) {
            catalog.markRejected(v.version(), e);
            reject(v.version(), e);
            return false;
        } finally {
            building = -1;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Activation previous;
        try {
            previous = slot.swap(new Activation(built, c.sequence()));
        } catch (IllegalStateException closed) {
            log.info("table {}: v{} built after the registry was closed; discarded", table, v.version());
            return true;
        }
        if (swaps.incrementAndGet() == 1 && snapshots != null) {
            snapshots.deleteAllBut(storageNames(built));
        }
        long previousVersion = previous == null ? -1 : previous.version();
        Swap swap = new Swap(table, previousVersion, built.version(), built.rows(), built.dim(), built.sizeBytes(), ms);
        RowOverlay overlay = built.overlay();
        log.info("table {}: swapped {} -> v{} ({} x {}, {}, built and verified in {} ms)", table,
                previous == null ? "none" : "v" + previousVersion, built.version(), built.rows(), built.dim(),
                overlay == null ? String.format("%.1f MiB", built.sizeBytes() / 1048576.0)
                        : String.format("%d rows of %d delta(s) over v%d, %.1f MiB of them", overlay.changedRows(),
                                overlay.layers().size(), overlay.rootVersion(), overlay.bytes() / 1048576.0), ms);
        publishSnapshot();
        swapListeners.forEach(l -> l.accept(swap));
        maybeFold();
        return true;
    }

    /** Starts a fold of the active version when it is {@linkplain #foldDue due} and none runs. */
    private void maybeFold() {
        Activation a = slot.activation();
        if (a == null || foldEnded != null || slot.isClosed()) {
            return;
        }
        EmbeddingTable t = a.table();
        VersionCatalog.Version v = catalog.get(t.version());
        if (!foldDue(t) || v == null || v.contentId() == null || !t.retain()) {
            return;
        }
        String contentId = v.contentId();
        foldCancel.set(false);
        CountDownLatch ended = new CountDownLatch(1);
        foldEnded = ended;
        log.info("table {}: folding v{} ({} deltas, {} rows over v{}, overlay {} MiB) into a dense table in the background", table,
                t.version(), t.overlay().layers().size(), t.overlay().changedRows(), t.rootVersion(),
                String.format("%.1f", t.overlay().bytes() / 1048576.0));
        foldExecutor.execute(() -> {
            long t0 = System.nanoTime();
            EmbeddingTable folded = null;
            try {
                folded = folder.fold(t, contentId, foldCancel::get);
            } catch (TableRejectedException e) {
                log.warn("table {}: cannot fold v{} ({} deltas over v{}); it keeps serving as it is: {}", table, t.version(),
                        t.overlay().layers().size(), t.rootVersion(), e.getMessage());
            } catch (RuntimeException e) {
                log.error("table {}: folding v{} failed; it keeps serving as it is", table, t.version(), e);
            } finally {
                t.release();
            }
            if (folded != null) {
                pendingFold.set(new FoldResult(t, folded, (System.nanoTime() - t0) / 1_000_000));
            }
            ended.countDown();
            applyFold(ended);
        });
    }

    /**
     * Swaps in a fold that finished: the folded table itself when its version is still active, or the
     * active version re-made over it when deltas went live on top meanwhile (same version, same
     * sequence: outputs keep naming it); dropped when the active version left its chain.
     */
    private synchronized void applyFold(CountDownLatch ended) {
        FoldResult r = pendingFold.getAndSet(null);
        if (foldEnded == ended) {
            foldEnded = null;
        }
        if (r == null) {
            return;
        }
        Activation a = slot.activation();
        EmbeddingTable active = a == null ? null : a.table();
        EmbeddingTable next = null;
        if (active == r.source()) {
            next = r.folded();
        } else if (active != null && active.rootVersion() == r.source().rootVersion()) {
            next = DeltaFolder.rebase(r.folded(), active);
        }
        if (next != r.folded()) {
            r.folded().retire(); // dropped, or read by its re-made successor
        }
        if (next == null || slot.isClosed()) {
            if (next != null) next.retire();
            log.info("table {}: the fold of v{} is not used: v{} is active now, off its chain", table, r.source().version(),
                    active == null ? -1 : active.version());
            return;
        }
        try {
            slot.swap(new Activation(next, a.sequence()));
        } catch (IllegalStateException closed) {
            return;
        }
        folds.incrementAndGet();
        log.info("table {}: v{} folded into a dense table in {} ms; v{} now reads it{}", table, r.source().version(), r.millis(),
                next.version(), next.overlay() == null ? "" : " with " + next.overlay().layers().size() + " delta(s) on top");
        publishSnapshot();
        maybeFold();
    }

    /** Stops a running fold and waits until it has let go of its memory (a few thousand rows' copy at most). Registry's thread. */
    private void cancelFold() {
        CountDownLatch ended = foldEnded;
        if (ended == null) {
            return;
        }
        foldCancel.set(true);
        boolean interrupted = false;
        while (true) {
            try {
                ended.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        FoldResult r = pendingFold.getAndSet(null);
        if (r != null) {
            r.folded().retire();
        }
        log.info("table {}: fold cancelled: a version is being built", table);
        foldEnded = null;
    }

    /** Runs folds with {@code executor} (tests: to run them at a chosen moment). Call before use. */
    TableRegistry foldWith(java.util.concurrent.Executor executor) {
        this.foldExecutor = executor;
        return this;
    }

    /** The names of the storage a table reads (its root's file and its deltas'), as {@link TableSnapshots} names files. */
    private Set<String> storageNames(EmbeddingTable t) {
        Set<String> names = new HashSet<>();
        names.add(TableSnapshots.fileName(table, t.rootVersion(), t.dtype()));
        if (t.overlay() != null) {
            t.overlay().layers().forEach(d -> names.add(DeltaBuilder.fileName(table, d.version(), t.dtype())));
        }
        return names;
    }

    /** Drops the versions {@link RetentionPolicy} lets go, never the active, intended or pinned one. */
    private void applyRetention() {
        Set<Long> keep = new HashSet<>();
        keep.add(slot.version());
        ActivationPolicy.Candidate intended = policy.intended(catalog);
        if (intended != null) keep.add(intended.version());
        if (policy.pinned() >= 0) keep.add(policy.pinned());
        for (long v : retention.victims(catalog, keep)) {
            catalog.drop(v);
            log.info("table {}: v{} dropped from the store (tokvec.retain.versions={})", table, v, retention.retain());
        }
    }

    private void reject(long version, TableRejectedException e) {
        rejections.reject(version, e, slot.version());
    }

    private void publishSnapshot() {
        Activation a = slot.activation();
        long active = a == null ? -1 : a.version();
        List<RegistrySnapshot.VersionStatus> listed = new ArrayList<>();
        for (VersionCatalog.Version v : catalog.versions().descendingMap().values()) {
            if (listed.size() == LISTED_VERSIONS) break;
            listed.add(new RegistrySnapshot.VersionStatus(v.version(), status(v, active)));
        }
        Collections.reverse(listed);
        EmbeddingTable t = a == null ? null : a.table();
        snapshot = new RegistrySnapshot(table, active, a == null ? -1 : a.sequence(), t == null ? 0 : t.rows(),
                t == null ? 0 : t.dim(), swaps.get(), building, List.copyOf(listed), catalog.versions().size(),
                rejections.total(), rejections.byReason(), rejections.recent(), otherTables.names(), requiresSignatures);
    }

    private String status(VersionCatalog.Version v, long active) {
        if (v.version() == building) return "building";
        if (v.rejection() != null) return "rejected:" + v.rejection().reason();
        if (!v.committed()) return v.refusal() != null ? "rejected:" + v.refusal().reason() : "chunks:" + v.chunkCount();
        if (!v.complete()) return "waiting:" + v.committedChunksPresent() + "/" + v.committedChunks();
        long base = catalog.waitingBase(v.version());
        if (base >= 0) return "waiting:v" + base;
        return v.version() == active ? "active" : "committed";
    }
}
