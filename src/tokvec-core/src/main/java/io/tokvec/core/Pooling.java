package io.tokvec.core;

import java.util.Arrays;

/**
 * The pooled vector of one event: the kept, unmasked tokens' rows reduced to one float32
 * {@code [dim]} vector, row by row in token order. One instance per thread; {@link #start} resets it.
 *
 * <p>The arithmetic is what PyTorch 1.13's {@code nn.EmbeddingBag} does on CPU, checked bit for bit
 * against it by the golden cases ({@code torch-pooling.json}):
 * <ul>
 *   <li>{@link Mode#SUM}: {@code acc = 0; acc += row} per token, in float32, in token order (torch
 *       adds each row with BLAS {@code saxpy} into a zeroed output). With per-token weights
 *       ({@code per_sample_weights}): {@code acc += w * row}, the product rounded to float32 before
 *       the addition (no fused multiply-add); a weight of 0 adds nothing, as {@code saxpy} returns
 *       early for a zero factor.</li>
 *   <li>{@link Mode#MEAN}: that sum divided by the count (a division, as torch does, not a
 *       multiplication by {@code 1/count}).</li>
 *   <li>{@link Mode#MAX}: the first row, then each later value replaces the current one only when
 *       strictly greater (so of {@code 0.0} and {@code -0.0} the first one stays).</li>
 *   <li>{@link Mode#SQRTN}: the same sum divided by {@code sqrt(count)} rounded to float32, the
 *       {@code "sqrtn"} combiner of TensorFlow's {@code safe_embedding_lookup_sparse}.</li>
 * </ul>
 * With no token added the result is zeros, as EmbeddingBag returns for an empty bag.
 */
public final class Pooling {

    /** What the pooled vector is; {@link #NONE} produces none. */
    public enum Mode {
        NONE, SUM, MEAN, MAX, SQRTN;

        public static Mode parse(String key, String s) {
            return EnrichOptions.parseEnum(Mode.class, key, s);
        }
    }

    private final Mode mode;
    private float[] acc = new float[0];
    private int count;

    public Pooling(Mode mode) {
        if (mode == Mode.NONE) {
            throw new IllegalArgumentException("pooling mode none pools nothing");
        }
        this.mode = mode;
    }

    public Mode mode() {
        return mode;
    }

    /** Starts a new event of vectors of {@code dim} floats. */
    public void start(int dim) {
        if (acc.length != dim) {
            acc = new float[dim];
        } else {
            Arrays.fill(acc, 0f);
        }
        count = 0;
    }

    /** Adds table row {@code row}. */
    public void add(EmbeddingTable table, int row) {
        final float[] a = acc;
        if (mode == Mode.MAX) {
            if (count == 0) {
                for (int c = 0; c < a.length; c++) {
                    a[c] = table.get(row, c);
                }
            } else {
                for (int c = 0; c < a.length; c++) {
                    float v = table.get(row, c);
                    if (v > a[c]) {
                        a[c] = v;
                    }
                }
            }
        } else {
            for (int c = 0; c < a.length; c++) {
                a[c] += table.get(row, c);
            }
        }
        count++;
    }

    /** Adds {@code weight} times table row {@code row} (sum mode only). */
    public void add(EmbeddingTable table, int row, float weight) {
        if (mode != Mode.SUM) {
            throw new IllegalStateException("per-token weights apply to sum pooling only, not " + mode);
        }
        count++;
        if (weight == 0f) {
            return;
        }
        final float[] a = acc;
        for (int c = 0; c < a.length; c++) {
            float product = weight * table.get(row, c);
            a[c] += product;
        }
    }

    /** Number of rows added since {@link #start}. */
    public int count() {
        return count;
    }

    /** Finishes the event; the returned array is this instance's buffer, valid until the next {@link #start}. */
    public float[] finish() {
        final float[] a = acc;
        if (count > 0 && mode == Mode.MEAN) {
            float n = count;
            for (int c = 0; c < a.length; c++) {
                a[c] = a[c] / n;
            }
        } else if (count > 0 && mode == Mode.SQRTN) {
            float root = (float) Math.sqrt(count);
            for (int c = 0; c < a.length; c++) {
                a[c] = a[c] / root;
            }
        }
        return a;
    }
}
