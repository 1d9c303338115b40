package io.tokvec.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The rows a chain of delta versions changed over a dense table version (the root): where each
 * changed row lives, the newest delta's row winning. A delta version is read as its root's storage
 * with this overlay on top ({@link EmbeddingTable#withDelta}): making it costs the delta's rows and
 * this index, not the table.
 *
 * <p>The index is one open-addressing hash of {@code int} keys (row + 1, 0 for a free slot), at most
 * half full, with the location of each row ({@code layer << 32 | index in that layer}) in a parallel
 * array: a lookup of an unchanged row (most of them) costs one or two probes of a small array, the
 * same whatever the chain's length.
 *
 * <p>Every overlay holds a share of each layer's storage ({@link TableDelta#data()}) until
 * {@link #release()}; overlays of successive versions share layers.
 */
public final class RowOverlay {

    private final long rootVersion;
    private final TableDelta[] layers;
    private final int[] keys;
    private final long[] locations;
    private final int mask;
    private final int entries;
    private final long layerBytes;

    private RowOverlay(long rootVersion, TableDelta[] layers, int[] keys, long[] locations, int entries) {
        this.rootVersion = rootVersion;
        this.layers = layers;
        this.keys = keys;
        this.locations = locations;
        this.mask = keys.length - 1;
        this.entries = entries;
        long bytes = 0;
        for (TableDelta d : layers) bytes += d.bytes();
        this.layerBytes = bytes;
    }

    /** The overlay of {@code layers} (oldest first) over root version {@code rootVersion}; takes a share of each layer. */
    public static RowOverlay of(long rootVersion, List<TableDelta> layers) {
        TableDelta[] ls = layers.toArray(new TableDelta[0]);
        long total = 0;
        for (TableDelta d : ls) total += d.size();
        int[] keys = new int[capacityFor(total)];
        long[] locations = new long[keys.length];
        int entries = 0;
        for (int l = 0; l < ls.length; l++) {
            entries += insert(keys, locations, l, ls[l]);
        }
        share(ls);
        return new RowOverlay(rootVersion, ls, keys, locations, entries);
    }

    /** This overlay with {@code layer} on top (its rows win); takes a share of every layer. */
    public RowOverlay with(TableDelta layer) {
        TableDelta[] ls = java.util.Arrays.copyOf(layers, layers.length + 1);
        ls[layers.length] = layer;
        long needed = capacityFor((long) entries + layer.size());
        if (needed > keys.length) {
            return of(rootVersion, List.of(ls));
        }
        int[] k = keys.clone();
        long[] loc = locations.clone();
        int added = insert(k, loc, layers.length, layer);
        share(ls);
        return new RowOverlay(rootVersion, ls, k, loc, entries + added);
    }

    private static void share(TableDelta[] layers) {
        for (int i = 0; i < layers.length; i++) {
            if (!layers[i].data().share()) {
                for (int j = 0; j < i; j++) layers[j].data().unshare();
                throw new IllegalStateException("the rows of delta v" + layers[i].version() + " were freed already");
            }
        }
    }

    private static int capacityFor(long rows) {
        long want = Math.max(16, 2 * rows);
        if (want > 1 << 30) {
            throw new IllegalArgumentException("an overlay of " + rows + " rows is larger than tokvec indexes (fold the chain)");
        }
        return Integer.highestOneBit((int) want - 1) << 1;
    }

    /** Inserts a layer's rows (replacing older locations of the same rows); returns how many rows were new to the index. */
    private static int insert(int[] keys, long[] locations, int layer, TableDelta d) {
        int mask = keys.length - 1;
        int[] ids = d.ids();
        int added = 0;
        for (int i = 0; i < ids.length; i++) {
            int key = ids[i] + 1;
            int slot = slot(ids[i]) & mask;
            while (keys[slot] != 0 && keys[slot] != key) {
                slot = slot + 1 & mask;
            }
            if (keys[slot] == 0) {
                keys[slot] = key;
                added++;
            }
            locations[slot] = (long) layer << 32 | i;
        }
        return added;
    }

    private static int slot(int row) {
        int h = row * 0x9E3779B9;
        return h ^ h >>> 16;
    }

    /** Where {@code row} lives in the overlay ({@link #layerData} and {@link #indexIn}), or -1 when the root holds it. */
    public long locate(int row) {
        int key = row + 1;
        int s = slot(row) & mask;
        while (true) {
            int k = keys[s];
            if (k == key) {
                return locations[s];
            }
            if (k == 0) {
                return -1;
            }
            s = s + 1 & mask;
        }
    }

    /** The storage of a location {@link #locate} returned. */
    public TableSegments layerData(long location) {
        return layers[(int) (location >>> 32)].data();
    }

    /** The row within {@link #layerData} of a location {@link #locate} returned. */
    public static int indexIn(long location) {
        return (int) location;
    }

    /** The dense version under the chain. */
    public long rootVersion() { return rootVersion; }

    /** The deltas, oldest first. */
    public List<TableDelta> layers() { return Collections.unmodifiableList(java.util.Arrays.asList(layers)); }

    /** The deltas of versions up to {@code version}, oldest first. */
    public List<TableDelta> layersUpTo(long version) {
        List<TableDelta> out = new ArrayList<>();
        for (TableDelta d : layers) {
            if (d.version() <= version) out.add(d);
        }
        return out;
    }

    /** Distinct rows the overlay holds. */
    public int changedRows() { return entries; }

    /** Bytes of the layers' rows plus the index. */
    public long bytes() {
        return layerBytes + (long) keys.length * (Integer.BYTES + Long.BYTES);
    }

    /** Gives back this overlay's share of every layer. */
    public void release() {
        for (TableDelta d : layers) d.data().unshare();
    }
}
