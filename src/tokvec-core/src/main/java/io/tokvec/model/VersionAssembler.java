package io.tokvec.model;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableDelta;
import io.tokvec.core.Vocabulary;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BiConsumer;

/**
 * Makes any committed version into a table: a full version with {@link TableBuilder}; a delta version
 * from the table of its base, found down its chain of bases, and its rows ({@link DeltaBuilder}). The
 * chain starts from the first version down it that is at hand without reading a table: a version in
 * the chain of the active table (which is shared, so a delta over the active version, or a rollback
 * to a version of the active chain, costs its deltas only), or a folded version's verified snapshot;
 * otherwise from the full version at its bottom (its snapshot, or built from the store).
 */
final class VersionAssembler {

    private final String table;
    private final TableBuilder builder;
    private final DeltaBuilder deltas;

    VersionAssembler(String table, TableBuilder builder) {
        this.table = table;
        this.builder = builder;
        this.deltas = new DeltaBuilder(builder);
    }

    /**
     * Builds version {@code version} of {@code catalog} from {@code store}, reusing the storage of
     * {@code from} (a table the caller holds, usually the active one; may be null).
     *
     * @param failedBelow hears a version under {@code version} in its chain that failed to build, with why
     *     (the caller marks it rejected); {@code version} itself is then rejected as {@code BASE_REJECTED}
     */
    EmbeddingTable assemble(VersionCatalog catalog, ModelStore store, long version, EmbeddingTable from,
                            BiConsumer<Long, TableRejectedException> failedBelow) throws TableRejectedException {
        VersionCatalog.Version top = catalog.get(version);
        if (!top.isDelta()) {
            return builder.build(store, table, version, top.commit());
        }
        Deque<VersionCatalog.Version> chain = new ArrayDeque<>(); // deltas to apply, lowest on top
        EmbeddingTable start = null;
        long x = version;
        while (start == null) {
            VersionCatalog.Version v = catalog.get(x);
            if (x != version) {
                checkBase(version, x, v);
            }
            if (from != null && from.chainHas(x)) {
                start = from.asOf(x, vocabularyOf(from, x));
            } else if (v.isDelta() && builder.snapshots() != null
                    && (start = builder.snapshots().openFolded(table, x, v.contentId(), (int) v.rows(), v.dim(), builder.dtype(), v.hasVocabulary())) != null) {
                break;
            } else if (v.isDelta()) {
                chain.push(v);
                x = v.base();
            } else {
                try {
                    start = builder.build(store, table, x, v.commit());
                } catch (TableRejectedException e) {
                    throw below(version, x, e, failedBelow);
                }
            }
        }
        EmbeddingTable t = start;
        try {
            while (!chain.isEmpty()) {
                VersionCatalog.Version d = chain.pop();
                EmbeddingTable next;
                try {
                    next = deltas.build(store, table, d.version(), d.deltaCommit(), t, catalog.get(d.base()).contentId());
                } catch (TableRejectedException e) {
                    throw d.version() == version ? e : below(version, d.version(), e, failedBelow);
                }
                t.retire(); // the intermediate version: its storage lives on in the next one
                t = next;
            }
            return t;
        } catch (TableRejectedException | RuntimeException | Error e) {
            t.retire();
            throw e;
        }
    }

    /**
     * Whether making {@code version} may build or map a dense table (a full version, or a chain that
     * does not start from {@code from}'s storage), rather than only deltas over {@code from}.
     */
    boolean needsDense(VersionCatalog catalog, long version, EmbeddingTable from) {
        for (long x = version; ; ) {
            VersionCatalog.Version v = catalog.get(x);
            if (from != null && from.chainHas(x)) {
                return false;
            }
            if (v == null || !v.isDelta()) {
                return v != null;
            }
            x = v.base();
        }
    }

    /** A version under {@code version} in its chain, before anything is built of it. */
    private void checkBase(long version, long x, VersionCatalog.Version v) throws TableRejectedException {
        String what = table + " v" + version;
        if (v == null || !v.committed()) {
            throw new TableRejectedException(TableRejectedException.Reason.UNKNOWN_BASE, what + ": v" + x
                    + " under it is not committed or no longer retained");
        }
        if (v.rejection() != null) {
            throw new TableRejectedException(TableRejectedException.Reason.BASE_REJECTED, what + ": v" + x
                    + " under it was rejected (" + v.rejection().reason() + ")");
        }
        if (!v.complete()) {
            throw new TableRejectedException(TableRejectedException.Reason.BASE_REJECTED, what + ": v" + x
                    + " under it is missing chunks (" + v.committedChunksPresent() + " of " + v.committedChunks() + ")");
        }
    }

    private TableRejectedException below(long version, long x, TableRejectedException e, BiConsumer<Long, TableRejectedException> failedBelow) {
        failedBelow.accept(x, e);
        return new TableRejectedException(TableRejectedException.Reason.BASE_REJECTED, table + " v" + version + ": v" + x
                + " under it failed to build (" + e.reason() + ": " + e.getMessage() + ")");
    }

    /** The vocabulary of version {@code x} of {@code from}'s chain (null without one). */
    static Vocabulary vocabularyOf(EmbeddingTable from, long x) {
        Vocabulary v = from.vocabulary();
        if (v == null || x == from.version()) {
            return v;
        }
        Vocabulary root = v.root();
        if (x == from.rootVersion()) {
            return root;
        }
        Vocabulary.Appender a = new Vocabulary.Appender(root, 0);
        for (TableDelta d : from.overlay().layersUpTo(x)) {
            if (d.appendedTokens() != null) {
                d.appendedTokens().forEach(a::add);
            }
        }
        return a.build();
    }
}
