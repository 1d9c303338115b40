package io.tokvec.core;

import java.util.Locale;
import java.util.Objects;

/**
 * The options of Keras {@code pad_sequences(maxlen, padding, truncating, value=0)} followed by
 * {@code Embedding(mask_zero=True)}, plus what tokvec does with ids outside the table.
 *
 * @param maxLen    length of every output sequence (&ge; 1)
 * @param padding   where padding goes when the event is shorter ({@code pre} is Keras' default)
 * @param truncating which end is dropped when the event is longer ({@code pre} keeps the last tokens)
 * @param padVector what padded positions (id 0) hold: table row 0 (Keras) or zeros (PyTorch padding_idx)
 * @param oov       what an id outside {@code [0, rows)} does: error (dead letter) or the OOV row 1
 * @param pooling   the pooled vector over the kept, unmasked tokens (none, or an EmbeddingBag mode / TF combiner)
 * @param sequence  whether the {@code [max_len, dim]} embeddings are produced (false: only ids, mask and pooled)
 * @param strings   how string tokens become ids: StringLookup OOV buckets, or Keras Hashing
 */
public record EnrichOptions(int maxLen, Side padding, Side truncating, PadVector padVector, OovPolicy oov,
                            Pooling.Mode pooling, boolean sequence, Strings strings) {

    /** Largest accepted {@code max_len}; guards against a typo allocating gigabytes per event. */
    public static final int MAX_MAX_LEN = 1 << 20;

    public enum Side {
        PRE, POST;

        public static Side parse(String key, String s) {
            return parseEnum(Side.class, key, s);
        }
    }

    public enum PadVector {
        /** Padded positions carry table row 0, as Keras' Embedding does. */
        TABLE,
        /** Padded positions (any id 0) carry zeros, as PyTorch's zero-initialised padding_idx row. */
        ZEROS;

        public static PadVector parse(String key, String s) {
            return parseEnum(PadVector.class, key, s);
        }
    }

    public enum OovPolicy {
        /** Ids outside the table make the event fail with {@link EnrichException.Reason#ID_OUT_OF_RANGE}. */
        ERROR,
        /** Ids outside the table are mapped to the OOV row 1 ({@code [UNK]}). */
        UNK;

        public static OovPolicy parse(String key, String s) {
            return parseEnum(OovPolicy.class, key, s);
        }
    }

    /**
     * How string tokens become ids, as Keras' preprocessing layers do it.
     *
     * @param oovBuckets  {@code StringLookup(mask_token='', num_oov_indices=oovBuckets)}: rows
     *                    {@code 1..oovBuckets} are the OOV rows; with more than one, a token not in the
     *                    vocabulary goes to {@code 1 + Fingerprint64(token) mod oovBuckets}
     * @param hashingBins 0: tokens go through the table's vocabulary; otherwise Keras
     *                    {@code Hashing(num_bins=hashingBins)} for tables without a vocabulary
     * @param hashingMask with hashing: {@code mask_value=''} (index 0 is reserved for {@code ''} and padding)
     */
    public record Strings(int oovBuckets, int hashingBins, boolean hashingMask) {
        /** {@code StringLookup(mask_token='')} with its one OOV index. */
        public static final Strings KERAS_DEFAULT = new Strings(1, 0, true);

        public Strings {
            if (oovBuckets < 1) {
                throw new IllegalArgumentException("the number of OOV buckets must be >= 1, got " + oovBuckets);
            }
            if (hashingBins != 0 && hashingBins < 2) {
                throw new IllegalArgumentException("hashing bins must be 0 (off) or >= 2, got " + hashingBins);
            }
        }

        public boolean hashing() {
            return hashingBins > 0;
        }
    }

    public EnrichOptions {
        if (maxLen < 1 || maxLen > MAX_MAX_LEN) {
            throw new IllegalArgumentException("max_len must be in [1, " + MAX_MAX_LEN + "], got " + maxLen);
        }
        Objects.requireNonNull(padding, "padding");
        Objects.requireNonNull(truncating, "truncating");
        Objects.requireNonNull(padVector, "padVector");
        Objects.requireNonNull(oov, "oov");
        Objects.requireNonNull(pooling, "pooling");
        Objects.requireNonNull(strings, "strings");
    }

    /** The pad_sequences options alone: no pooling, the sequence output, Keras' StringLookup defaults. */
    public EnrichOptions(int maxLen, Side padding, Side truncating, PadVector padVector, OovPolicy oov) {
        this(maxLen, padding, truncating, padVector, oov, Pooling.Mode.NONE, true, Strings.KERAS_DEFAULT);
    }

    /** Keras' defaults for everything but {@code max_len}, which has no default. */
    public static EnrichOptions of(int maxLen) {
        return new EnrichOptions(maxLen, Side.PRE, Side.PRE, PadVector.TABLE, OovPolicy.ERROR);
    }

    public EnrichOptions withPadVector(PadVector p) {
        return new EnrichOptions(maxLen, padding, truncating, p, oov, pooling, sequence, strings);
    }

    public EnrichOptions withPooling(Pooling.Mode p, boolean withSequence) {
        return new EnrichOptions(maxLen, padding, truncating, padVector, oov, p, withSequence, strings);
    }

    public EnrichOptions withStrings(Strings s) {
        return new EnrichOptions(maxLen, padding, truncating, padVector, oov, pooling, sequence, s);
    }

    static <E extends Enum<E>> E parseEnum(Class<E> type, String key, String s) {
        if (s == null) {
            throw new IllegalArgumentException(key + " must be set");
        }
        try {
            return Enum.valueOf(type, s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            StringBuilder allowed = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                if (allowed.length() > 0) allowed.append('|');
                allowed.append(c.name().toLowerCase(Locale.ROOT));
            }
            throw new IllegalArgumentException(key + " must be one of " + allowed + ", got '" + s + "'");
        }
    }
}
