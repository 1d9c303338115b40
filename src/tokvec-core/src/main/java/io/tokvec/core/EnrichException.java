package io.tokvec.core;

/**
 * An event that cannot be enriched, with a machine-readable reason. Thrown by the hot path only for
 * bad input, never for bugs; the topology turns it into a dead-letter record.
 */
public final class EnrichException extends Exception {

    /** Reason codes; the dead-letter topic carries {@link #name()}. */
    public enum Reason {
        /** A token id is negative or not below the table's row count (and {@code tokvec.oov=error}). */
        ID_OUT_OF_RANGE,
        /** String tokens were given but the table has no vocabulary. */
        NO_VOCABULARY,
        /** The event has neither {@code token_ids} nor {@code tokens}. */
        NO_TOKENS,
        /** The event has both {@code token_ids} and {@code tokens}. */
        BOTH_TOKENS,
        /** The event has more tokens than {@code tokvec.max.tokens}. */
        TOO_MANY_TOKENS,
        /** A token (string or id) is null. */
        NULL_TOKEN,
        /**
         * The event's per-token weights do not fit: another count than its tokens, a null or
         * non-finite weight, or weights without {@code tokvec.pooling=sum}.
         */
        BAD_WEIGHTS,
        /**
         * The active table does not fit the string settings: its OOV rows differ from
         * {@code tokvec.oov.buckets}, or with {@code tokvec.hashing.bins} it has a vocabulary or
         * another row count than the bins.
         */
        TABLE_MISMATCH
    }

    private final Reason reason;

    public EnrichException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
