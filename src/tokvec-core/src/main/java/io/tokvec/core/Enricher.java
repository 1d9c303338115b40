package io.tokvec.core;

import java.util.Arrays;
import java.util.List;

/**
 * The hot path: Keras {@code pad_sequences} + {@code Embedding(mask_zero=True)} for one event at a
 * time. One instance per thread; it reuses one {@link EnrichResult} and allocates nothing per token
 * (a gather is one bulk copy of a row's little-endian bytes, see {@link EmbeddingTable#copyRow}).
 *
 * <p>Semantics (SPEC section 1): events longer than {@code max_len} lose tokens at the front
 * ({@code truncating=pre}) or back ({@code post}); shorter ones get id 0 before ({@code padding=pre})
 * or after ({@code post}) them. The mask is {@code ids != 0}, so an id 0 inside an event is masked
 * too. Only kept tokens are looked up and validated, as in Keras, where truncation happens before
 * the Embedding layer sees the ids.
 */
public final class Enricher {

    private final EnrichOptions options;
    private final TableDtype outputDtype;
    private final EnrichResult result;
    private int[] scratch = new int[64];

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
    }

    public EnrichOptions options() {
        return options;
    }

    /** Enriches an event given as token ids (Avro hands {@code List<Integer>}). */
    public EnrichResult enrichIds(EmbeddingTable table, List<Integer> tokenIds) throws EnrichException {
        int n = tokenIds.size();
        int start = keptStart(n);
        int kept = n - start - droppedAtEnd(n);
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
        int start = keptStart(count);
        int kept = count - start - droppedAtEnd(count);
        int[] buf = scratch(kept);
        System.arraycopy(ids, start, buf, 0, kept);
        return finish(table, buf, kept, count, start);
    }

    /** Enriches an event given as token strings, mapped through the table's vocabulary. */
    public EnrichResult enrichTokens(EmbeddingTable table, List<? extends CharSequence> tokens) throws EnrichException {
        Vocabulary vocab = table.vocabulary();
        if (vocab == null) {
            throw new EnrichException(EnrichException.Reason.NO_VOCABULARY,
                    "event has string tokens but table " + table.name() + " v" + table.version() + " has no vocabulary");
        }
        int n = tokens.size();
        int start = keptStart(n);
        int kept = n - start - droppedAtEnd(n);
        int[] buf = scratch(kept);
        for (int i = 0; i < kept; i++) {
            CharSequence t = tokens.get(start + i);
            if (t == null) {
                throw new EnrichException(EnrichException.Reason.NULL_TOKEN, "tokens[" + (start + i) + "] is null");
            }
            buf[i] = vocab.lookup(t.toString());
        }
        return finish(table, buf, kept, n, start);
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

    /** Places {@code kept} ids, validates them, fills mask and gathers rows. */
    private EnrichResult finish(EmbeddingTable table, int[] kept, int keptCount, int total, int start)
            throws EnrichException {
        final int maxLen = options.maxLen();
        final int rows = table.rows();
        final int[] ids = result.ids;
        final boolean[] mask = result.mask;
        final int offset = options.padding() == EnrichOptions.Side.PRE ? maxLen - keptCount : 0;
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
            if (id == Vocabulary.OOV) {
                oov++;
            }
            ids[offset + i] = id;
        }
        Arrays.fill(ids, 0, offset, 0);
        Arrays.fill(ids, offset + keptCount, maxLen, 0);

        final int dim = table.dim();
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
        result.dim = dim;
        result.length = keptCount;
        result.truncated = total > maxLen;
        result.oovCount = oov;
        result.table = table.name();
        result.tableVersion = table.version();
        return result;
    }
}
