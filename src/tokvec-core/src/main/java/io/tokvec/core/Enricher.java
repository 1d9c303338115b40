package io.tokvec.core;

import java.util.Arrays;
import java.util.List;

/**
 * The hot path: Keras {@code pad_sequences} + {@code Embedding(mask_zero=True)} for one event at a
 * time. One instance per thread; it reuses one {@link EnrichResult} and allocates nothing per token
 * (a gather is one bulk copy of a row's little-endian bytes, see {@link EmbeddingTable#copyRow}).
 *
 * <p>Semantics (src/site/markdown/semantics.md): events longer than {@code max_len} lose tokens at the front
 * ({@code truncating=pre}) or back ({@code post}); shorter ones get id 0 before ({@code padding=pre})
 * or after ({@code post}) them. The mask is {@code ids != 0}, so an id 0 inside an event is masked
 * too. Only kept tokens are looked up and validated, as in Keras, where truncation happens before
 * the Embedding layer sees the ids.
 *
 * <p>Beyond pad_sequences: string tokens go through the vocabulary with {@code N} OOV buckets
 * ({@code StringLookup(mask_token='', num_oov_indices=N)}) or through Keras {@code Hashing} (see
 * {@link EnrichOptions.Strings}, {@link StringHashing}); with a pooling mode the kept, unmasked
 * tokens (ids != 0) are reduced to one vector (see {@link Pooling}), optionally weighted per token
 * (sum only), truncated alike; the sequence output can be switched off.
 */
public final class Enricher {

    private static final byte[] NO_SEQUENCE = new byte[0];

    private final EnrichOptions options;
    private final TableDtype outputDtype;
    private final EnrichResult result;
    private final Pooling pooling;
    private int[] scratch = new int[64];
    private float[] weightScratch = new float[64];
    /** Whether {@link #weightScratch} holds the kept weights of the current event. */
    private boolean weighted;

    public Enricher(EnrichOptions options) {
        this(options, TableDtype.FLOAT32);
    }

    /** @param outputDtype element type of the output embeddings: float32 (exact) or float16 ({@code tokvec.output.dtype}) */
    public Enricher(EnrichOptions options, TableDtype outputDtype) {
        if (outputDtype == TableDtype.BFLOAT16) {
            throw new IllegalArgumentException("output embeddings are float32 or float16, not bfloat16");
        }
        this.options = options;
        this.outputDtype = outputDtype;
        this.result = new EnrichResult(options.maxLen());
        this.result.dtype = outputDtype;
        this.pooling = options.pooling() == Pooling.Mode.NONE ? null : new Pooling(options.pooling());
    }

    public EnrichOptions options() {
        return options;
    }

    /** Enriches an event given as token ids (Avro hands {@code List<Integer>}). */
    public EnrichResult enrichIds(EmbeddingTable table, List<Integer> tokenIds) throws EnrichException {
        return enrichIds(table, tokenIds, null);
    }

    /** Enriches an event given as token ids, with per-token weights or null. */
    public EnrichResult enrichIds(EmbeddingTable table, List<Integer> tokenIds, List<Float> weights) throws EnrichException {
        if (tokenIds instanceof IntList ids && (weights == null || weights instanceof FloatList)) {
            FloatList w = (FloatList) weights; // as decoded by the serdes: no boxed value per token
            return enrichIds(table, ids.array(), ids.size(), w == null ? null : w.array(), w == null ? 0 : w.size());
        }
        int n = tokenIds.size();
        int start = keptStart(n);
        int kept = n - start - droppedAtEnd(n);
        takeWeights(weights, n, start, kept);
        int[] buf = scratch(kept);
        for (int i = 0; i < kept; i++) {
            Integer id = tokenIds.get(start + i);
            if (id == null) {
                throw new EnrichException(EnrichException.Reason.NULL_TOKEN, "token_ids[" + (start + i) + "] is null");
            }
            buf[i] = id;
        }
        return finish(table, buf, kept, n, start);
    }

    /** Enriches an event given as token ids in {@code ids[0..count)}. */
    public EnrichResult enrichIds(EmbeddingTable table, int[] ids, int count) throws EnrichException {
        return enrichIds(table, ids, count, null, 0);
    }

    /** Enriches an event given as token ids in {@code ids[0..count)}, with weights in {@code weights[0..weightCount)} or null. */
    public EnrichResult enrichIds(EmbeddingTable table, int[] ids, int count, float[] weights, int weightCount)
            throws EnrichException {
        int start = keptStart(count);
        int kept = count - start - droppedAtEnd(count);
        takeWeights(weights, weightCount, count, start, kept);
        int[] buf = scratch(kept);
        System.arraycopy(ids, start, buf, 0, kept);
        return finish(table, buf, kept, count, start);
    }

    /** Enriches an event given as token strings, mapped through the table's vocabulary (or hashed). */
    public EnrichResult enrichTokens(EmbeddingTable table, List<? extends CharSequence> tokens) throws EnrichException {
        return enrichTokens(table, tokens, null);
    }

    /** Enriches an event given as token strings, with per-token weights or null. */
    public EnrichResult enrichTokens(EmbeddingTable table, List<? extends CharSequence> tokens, List<Float> weights)
            throws EnrichException {
        int n = tokens.size();
        int start = keptStart(n);
        int kept = n - start - droppedAtEnd(n);
        takeWeights(weights, n, start, kept);
        return mapTokens(table, tokens, n, start, kept);
    }

    /** Enriches an event given as token strings, with weights in {@code weights[0..weightCount)} or null. */
    public EnrichResult enrichTokens(EmbeddingTable table, List<? extends CharSequence> tokens, float[] weights,
                                     int weightCount) throws EnrichException {
        int n = tokens.size();
        int start = keptStart(n);
        int kept = n - start - droppedAtEnd(n);
        takeWeights(weights, weightCount, n, start, kept);
        return mapTokens(table, tokens, n, start, kept);
    }

    private EnrichResult mapTokens(EmbeddingTable table, List<? extends CharSequence> tokens, int n, int start, int kept)
            throws EnrichException {
        EnrichOptions.Strings strings = options.strings();
        Vocabulary vocab = table.vocabulary();
        if (strings.hashing()) {
            checkHashingTable(table, strings.hashingBins());
        } else if (vocab == null) {
            throw new EnrichException(EnrichException.Reason.NO_VOCABULARY,
                    "event has string tokens but table " + table.name() + " v" + table.version()
                            + " has no vocabulary (set tokvec.hashing.bins to hash tokens as Keras Hashing does)");
        } else {
            checkOovRows(table, vocab, strings.oovBuckets());
        }
        int[] buf = scratch(kept);
        for (int i = 0; i < kept; i++) {
            CharSequence t = tokens.get(start + i);
            if (t == null) {
                throw new EnrichException(EnrichException.Reason.NULL_TOKEN, "tokens[" + (start + i) + "] is null");
            }
            String token = t.toString();
            if (strings.hashing()) {
                buf[i] = StringHashing.hashingBin(token, strings.hashingBins(), strings.hashingMask());
            } else {
                int id = vocab.indexOf(token);
                buf[i] = id != Vocabulary.NOT_FOUND ? id : StringHashing.oovIndex(token, strings.oovBuckets());
            }
        }
        return finish(table, buf, kept, n, start);
    }

    /** Keras {@code Hashing(num_bins)} feeds {@code Embedding(input_dim=num_bins)}: exactly that many rows, no vocabulary. */
    private static void checkHashingTable(EmbeddingTable table, int bins) throws EnrichException {
        if (table.vocabulary() != null) {
            throw new EnrichException(EnrichException.Reason.TABLE_MISMATCH, "tokvec.hashing.bins=" + bins
                    + " hashes string tokens, but table " + table.name() + " v" + table.version()
                    + " has a vocabulary (StringLookup): unset tokvec.hashing.bins, or publish the table without one");
        }
        if (table.rows() != bins) {
            throw new EnrichException(EnrichException.Reason.TABLE_MISMATCH, "tokvec.hashing.bins=" + bins
                    + " needs a table of " + bins + " rows (Embedding(input_dim=num_bins)), but table " + table.name()
                    + " v" + table.version() + " has " + table.rows());
        }
    }

    /**
     * The vocabulary must have the OOV rows of {@code StringLookup(num_oov_indices=buckets)}: rows
     * {@code 1..buckets} holding the OOV token, then the vocabulary tokens. A single OOV row is the
     * historical layout (row 1 is OOV whatever its token), so with one bucket only a longer run of
     * OOV rows is a mismatch.
     */
    private static void checkOovRows(EmbeddingTable table, Vocabulary vocab, int buckets) throws EnrichException {
        int oovRows = vocab.oovRows();
        if (oovRows == buckets || (buckets == 1 && oovRows <= 1)) {
            return;
        }
        String layout = oovRows == 0 ? "no OOV row (it has one row)"
                : oovRows + " OOV row" + (oovRows == 1 ? "" : "s") + " (rows 1.." + oovRows + " hold '"
                + vocab.tokens().get(Vocabulary.OOV) + "')";
        throw new EnrichException(EnrichException.Reason.TABLE_MISMATCH, "tokvec.oov.buckets=" + buckets
                + " needs rows 1.." + buckets + " of the vocabulary to be OOV rows (as get_vocabulary() of "
                + "StringLookup(num_oov_indices=" + buckets + ") lists them), but table " + table.name() + " v"
                + table.version() + " has " + layout);
    }

    private void takeWeights(List<Float> weights, int n, int start, int kept) throws EnrichException {
        weighted = false;
        if (weights == null) {
            return;
        }
        checkWeightsFit(weights.size(), n);
        float[] w = weightScratch(kept);
        for (int i = 0; i < kept; i++) {
            Float f = weights.get(start + i);
            if (f == null) {
                throw new EnrichException(EnrichException.Reason.BAD_WEIGHTS, "weights[" + (start + i) + "] is null");
            }
            w[i] = checkFinite(f, start + i);
        }
        weighted = true;
    }

    private void takeWeights(float[] weights, int weightCount, int n, int start, int kept) throws EnrichException {
        weighted = false;
        if (weights == null) {
            return;
        }
        checkWeightsFit(weightCount, n);
        float[] w = weightScratch(kept);
        for (int i = 0; i < kept; i++) {
            w[i] = checkFinite(weights[start + i], start + i);
        }
        weighted = true;
    }

    private void checkWeightsFit(int weightCount, int n) throws EnrichException {
        if (options.pooling() != Pooling.Mode.SUM) {
            throw new EnrichException(EnrichException.Reason.BAD_WEIGHTS, "the event has weights, which are "
                    + "EmbeddingBag per_sample_weights of sum pooling only, but tokvec.pooling="
                    + options.pooling().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (weightCount != n) {
            throw new EnrichException(EnrichException.Reason.BAD_WEIGHTS, "weights has " + weightCount
                    + " values but the event has " + n + " tokens (one weight per token)");
        }
    }

    private static float checkFinite(float w, int position) throws EnrichException {
        if (!Float.isFinite(w)) {
            throw new EnrichException(EnrichException.Reason.BAD_WEIGHTS, "weights[" + position + "] is " + w
                    + ", not a finite float");
        }
        return w;
    }

    private int keptStart(int n) {
        int maxLen = options.maxLen();
        return n > maxLen && options.truncating() == EnrichOptions.Side.PRE ? n - maxLen : 0;
    }

    private int droppedAtEnd(int n) {
        int maxLen = options.maxLen();
        return n > maxLen && options.truncating() == EnrichOptions.Side.POST ? n - maxLen : 0;
    }

    private int[] scratch(int n) {
        if (scratch.length < n) {
            scratch = new int[Math.max(n, scratch.length * 2)];
        }
        return scratch;
    }

    private float[] weightScratch(int n) {
        if (weightScratch.length < n) {
            weightScratch = new float[Math.max(n, weightScratch.length * 2)];
        }
        return weightScratch;
    }

    /** Places {@code kept} ids, validates them, fills mask, gathers rows and pools. */
    private EnrichResult finish(EmbeddingTable table, int[] kept, int keptCount, int total, int start)
            throws EnrichException {
        final int maxLen = options.maxLen();
        final int rows = table.rows();
        final int[] ids = result.ids;
        final boolean[] mask = result.mask;
        final int offset = options.padding() == EnrichOptions.Side.PRE ? maxLen - keptCount : 0;
        final int oovRows = options.strings().hashing() ? 0 : options.strings().oovBuckets();
        int oov = 0;

        for (int i = 0; i < keptCount; i++) {
            int id = kept[i];
            if (id < 0 || id >= rows) {
                if (options.oov() == EnrichOptions.OovPolicy.UNK && rows > Vocabulary.OOV) {
                    id = Vocabulary.OOV;
                } else {
                    throw new EnrichException(EnrichException.Reason.ID_OUT_OF_RANGE,
                            "token id " + kept[i] + " at position " + (start + i) + " is outside table "
                                    + table.name() + " v" + table.version() + " (rows 0.." + (rows - 1) + ")");
                }
            }
            if (id >= Vocabulary.OOV && id <= oovRows) {
                oov++;
            }
            ids[offset + i] = id;
        }
        Arrays.fill(ids, 0, offset, 0);
        Arrays.fill(ids, offset + keptCount, maxLen, 0);

        final int dim = table.dim();
        if (options.sequence()) {
            gather(table, ids, mask, dim);
        } else {
            for (int p = 0; p < maxLen; p++) {
                mask[p] = ids[p] != 0;
            }
            result.embeddings = NO_SEQUENCE;
        }
        if (pooling != null) {
            pool(table, ids, offset, dim);
        }
        result.dim = dim;
        result.length = keptCount;
        result.truncated = total > maxLen;
        result.oovCount = oov;
        result.table = table.name();
        result.tableVersion = table.version();
        return result;
    }

    /** Fills the mask and copies each position's row (or zeros) into the embeddings. */
    private void gather(EmbeddingTable table, int[] ids, boolean[] mask, int dim) {
        final int maxLen = ids.length;
        final TableDtype outType = outputDtype;
        final int rowBytes = dim * outType.bytes();
        final int outBytes = maxLen * rowBytes;
        if (result.embeddings.length != outBytes) {
            result.embeddings = new byte[outBytes];
        }
        final byte[] out = result.embeddings;
        final boolean zeroPad = options.padVector() == EnrichOptions.PadVector.ZEROS;
        for (int p = 0; p < maxLen; p++) {
            int id = ids[p];
            mask[p] = id != 0;
            if (id == 0 && zeroPad) {
                Arrays.fill(out, p * rowBytes, (p + 1) * rowBytes, (byte) 0);
            } else {
                table.copyRow(id, outType, out, p * rowBytes);
            }
        }
    }

    /** Pools the unmasked positions in order; position {@code p} holds kept token {@code p - offset}. */
    private void pool(EmbeddingTable table, int[] ids, int offset, int dim) {
        pooling.start(dim);
        for (int p = 0; p < ids.length; p++) {
            int id = ids[p];
            if (id == 0) {
                continue;
            }
            if (weighted) {
                pooling.add(table, id, weightScratch[p - offset]);
            } else {
                pooling.add(table, id);
            }
        }
        float[] v = pooling.finish();
        // pooled in float32, then written in the output element type (as numpy's .astype(np.float16))
        final boolean half = outputDtype == TableDtype.FLOAT16;
        final int bytes = dim * outputDtype.bytes();
        if (result.pooled == null || result.pooled.length != bytes) {
            result.pooled = new byte[bytes];
        }
        for (int c = 0; c < dim; c++) {
            if (half) {
                short h = Half.floatToHalf(v[c]);
                result.pooled[2 * c] = (byte) h;
                result.pooled[2 * c + 1] = (byte) (h >> 8);
            } else {
                EmbeddingTable.putFloat(result.pooled, c, v[c]);
            }
        }
    }
}
