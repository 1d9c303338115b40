package io.tokvec.model;

/** Why a table version (or a model record) was refused; the version never becomes active. */
public final class TableRejectedException extends Exception {

    /** Reason codes, logged and counted per reason. */
    public enum Reason {
        /** A model record's value is not a decodable ModelRecord. */
        UNDECODABLE,
        /** The record key is malformed or disagrees with the value (table, version, index, kind). */
        BAD_RECORD,
        /** A chunk's shape disagrees with the commit: row ranges overlap, leave gaps or overrun. */
        BAD_CHUNK,
        /** A chunk's dimension differs from the commit's. */
        WRONG_DIM,
        /** The SHA-256 of the assembled table differs from the commit's checksum. */
        CHECKSUM_MISMATCH,
        /** Vocabulary missing in some chunks, of the wrong length, with duplicates or a wrong checksum. */
        VOCAB_MISMATCH,
        /** The table holds NaN or infinite values (and tokvec.table.allow.nonfinite is false). */
        NON_FINITE,
        /** rows x dim x (bytes of tokvec.table.dtype) exceeds tokvec.table.max.bytes. */
        TOO_LARGE,
        /**
         * The version could not get its memory: over tokvec.table.memory.bytes with the active version,
         * no disk space for its mapped file, or the JVM out of heap or direct memory while building.
         */
        OUT_OF_MEMORY,
        /** A commit for a version not newer than the newest committed one, without an activate record. */
        VERSION_NOT_NEWER,
        /** A second, different commit for a version already committed. */
        DUPLICATE_VERSION,
        /** An activate record names a version that is not committed and retained. */
        UNKNOWN_VERSION,
        /** tokvec.table.trusted.keys is set and the commit carries no signature. */
        UNSIGNED,
        /** The commit's signature verifies with none of the trusted keys (unknown key, altered content, forged). */
        BAD_SIGNATURE,
        /**
         * A delta's rows do not make a version of its base: ids not strictly ascending (a duplicate),
         * beyond the rows, appended ids with a gap, rows or chunks other than the commit says.
         */
        BAD_DELTA,
        /** A delta names a base version that is not committed, or no longer retained. */
        UNKNOWN_BASE,
        /** A delta's base (or a version under it) was rejected: the delta cannot be built either. */
        BASE_REJECTED,
        /** A delta's commit disagrees with its base: its base rows, dim or content id (the chain to the base). */
        BASE_MISMATCH
    }

    private final Reason reason;

    public TableRejectedException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
