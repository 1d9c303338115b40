package io.tokvec.model;

import java.util.Objects;

/**
 * The key of a model-topic record, a UTF-8 string that a compacted topic keeps the latest value of:
 * <ul>
 *   <li>{@code <table>/<version>/chunk/<index>}: one chunk of a version;</li>
 *   <li>{@code <table>/<version>/commit}: the commit that closes a version;</li>
 *   <li>{@code <table>/<version>/delta/<index>}: one chunk of a delta version (rows replaced and appended over a base);</li>
 *   <li>{@code <table>/<version>/delta-commit}: the commit that closes a delta version;</li>
 *   <li>{@code <table>/activate}: the latest activate (rollback) record of a table.</li>
 * </ul>
 * Versions and indexes are plain decimal numbers ({@code glove/3/chunk/0}). A null value under a
 * chunk or commit key (a tombstone) removes it. Delta records have keys of their own, not the
 * chunk and commit keys with another body, so that a tokvec that predates deltas refuses them by key
 * before it decodes anything (its Avro reader would resolve an unknown record branch to the first
 * record of its union that it matches structurally, {@code TableActivate}, which matches any record). {@link #storeKey()} is the sortable form used in
 * the state store (zero-padded numbers, so versions and chunks iterate in numeric order).
 */
public record ModelKey(String table, Kind kind, long version, int index) {

    public enum Kind {
        CHUNK, COMMIT, ACTIVATE, DELTA_CHUNK, DELTA_COMMIT;

        /** A chunk of either kind of version. */
        public boolean chunk() {
            return this == CHUNK || this == DELTA_CHUNK;
        }

        /** A commit of either kind of version. */
        public boolean commit() {
            return this == COMMIT || this == DELTA_COMMIT;
        }

        /** A record of a delta version. */
        public boolean delta() {
            return this == DELTA_CHUNK || this == DELTA_COMMIT;
        }
    }

    /** Longest table name (as Kafka's topic names). */
    public static final int MAX_TABLE_NAME = 249;

    /** Longest key {@link #parse} reads: the longest table name, a 19-digit version and {@code /chunk/} with a 10-digit index. */
    public static final int MAX_KEY_LENGTH = MAX_TABLE_NAME + 1 + 19 + 7 + 10;

    public ModelKey {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(kind, "kind");
        String problem = tableNameProblem(table);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Why {@code name} cannot be a table name (empty, a '/', a control character, over {@value #MAX_TABLE_NAME} characters), or null. */
    public static String tableNameProblem(String name) {
        if (name.isEmpty() || name.length() > MAX_TABLE_NAME) {
            return "table name must have 1 to " + MAX_TABLE_NAME + " characters, got " + name.length();
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || Character.isISOControl(c)) {
                return "table name must contain no '/' and no control character: '" + printable(name) + "'";
            }
        }
        return null;
    }

    /** {@code s} for a log line: control characters escaped, cut after 100 characters. */
    public static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 100; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return s.length() > 100 ? b + "...(" + s.length() + " characters)" : b.toString();
    }

    public static ModelKey chunk(String table, long version, int index) {
        return new ModelKey(table, Kind.CHUNK, version, index);
    }

    public static ModelKey commit(String table, long version) {
        return new ModelKey(table, Kind.COMMIT, version, -1);
    }

    public static ModelKey activate(String table) {
        return new ModelKey(table, Kind.ACTIVATE, -1, -1);
    }

    public static ModelKey deltaChunk(String table, long version, int index) {
        return new ModelKey(table, Kind.DELTA_CHUNK, version, index);
    }

    public static ModelKey deltaCommit(String table, long version) {
        return new ModelKey(table, Kind.DELTA_COMMIT, version, -1);
    }

    /** Parses a topic key; throws IllegalArgumentException naming the key when it is not one of the forms. */
    public static ModelKey parse(String key) {
        if (key == null) {
            throw new IllegalArgumentException("model record has no key");
        }
        if (key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("model key '" + printable(key) + "' is longer than " + MAX_KEY_LENGTH + " characters");
        }
        String[] p = key.split("/", -1);
        try {
            if (p.length == 2 && p[1].equals("activate")) {
                return activate(p[0]);
            }
            if (p.length == 3 && p[2].equals("commit")) {
                return commit(p[0], positiveVersion(p[1]));
            }
            if (p.length == 3 && p[2].equals("delta-commit")) {
                return deltaCommit(p[0], positiveVersion(p[1]));
            }
            if (p.length == 4 && (p[2].equals("chunk") || p[2].equals("delta"))) {
                int idx = Integer.parseInt(p[3]);
                if (idx < 0) throw new NumberFormatException();
                return p[2].equals("chunk") ? chunk(p[0], positiveVersion(p[1]), idx) : deltaChunk(p[0], positiveVersion(p[1]), idx);
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        if (p.length >= 2 && p.length <= 4 && tableNameProblem(p[0]) != null) {
            throw new IllegalArgumentException("model key '" + printable(key) + "': " + tableNameProblem(p[0]));
        }
        throw new IllegalArgumentException("model key '" + printable(key)
                + "' is not '<table>/<version>/chunk/<index>', '<table>/<version>/commit', '<table>/<version>/delta/<index>',"
                + " '<table>/<version>/delta-commit' or '<table>/activate'");
    }

    private static long positiveVersion(String s) {
        long v = Long.parseLong(s);
        if (v < 1) throw new NumberFormatException();
        return v;
    }

    /** The key as published on the model topic. */
    public String topicKey() {
        return switch (kind) {
            case CHUNK -> table + "/" + version + "/chunk/" + index;
            case COMMIT -> table + "/" + version + "/commit";
            case ACTIVATE -> table + "/activate";
            case DELTA_CHUNK -> table + "/" + version + "/delta/" + index;
            case DELTA_COMMIT -> table + "/" + version + "/delta-commit";
        };
    }

    /** The key in the state store: sortable by kind, version and index. */
    public String storeKey() {
        return switch (kind) {
            case CHUNK -> chunkPrefix(table, version) + String.format("%09d", index);
            case COMMIT -> commitPrefix(table) + String.format("%019d", version);
            case ACTIVATE -> table + "/a";
            case DELTA_CHUNK -> deltaChunkPrefix(table, version) + String.format("%09d", index);
            case DELTA_COMMIT -> deltaCommitPrefix(table) + String.format("%019d", version);
        };
    }

    /** Parses a {@link #storeKey()}. */
    public static ModelKey fromStoreKey(String storeKey) {
        String[] p = storeKey.split("/", -1);
        return switch (p[1]) {
            case "c" -> chunk(p[0], Long.parseLong(p[2]), Integer.parseInt(p[3]));
            case "m" -> commit(p[0], Long.parseLong(p[2]));
            case "a" -> activate(p[0]);
            case "d" -> deltaChunk(p[0], Long.parseLong(p[2]), Integer.parseInt(p[3]));
            case "n" -> deltaCommit(p[0], Long.parseLong(p[2]));
            default -> throw new IllegalArgumentException("not a tokvec store key: " + storeKey);
        };
    }

    /** Store-key prefix of every chunk of one version. */
    public static String chunkPrefix(String table, long version) {
        return table + "/c/" + String.format("%019d", version) + "/";
    }

    /** Store-key prefix of every chunk of every version. */
    public static String chunksPrefix(String table) {
        return table + "/c/";
    }

    /** Store-key prefix of every chunk of one delta version. */
    public static String deltaChunkPrefix(String table, long version) {
        return deltaChunksPrefix(table) + String.format("%019d", version) + "/";
    }

    /** Store-key prefix of every chunk of every delta version. */
    public static String deltaChunksPrefix(String table) {
        return table + "/d/";
    }

    /** Store-key prefix of every delta commit. */
    public static String deltaCommitPrefix(String table) {
        return table + "/n/";
    }

    /** Store key of a delta version's chunk index (as {@link #chunkIndexKey}, for its delta chunks). */
    public static String deltaChunkIndexKey(String table, long version) {
        return deltaChunkIndexPrefix(table) + String.format("%019d", version);
    }

    /** Store-key prefix of every delta version's chunk index. */
    public static String deltaChunkIndexPrefix(String table) {
        return table + "/e/";
    }

    /**
     * Store key of a version's chunk index (not a model-topic key: written by the registry next to
     * the chunks, see {@link ChunkIndex}), so that a restart learns which chunks are stored without
     * reading them.
     */
    public static String chunkIndexKey(String table, long version) {
        return chunkIndexPrefix(table) + String.format("%019d", version);
    }

    /** Store-key prefix of every version's chunk index. */
    public static String chunkIndexPrefix(String table) {
        return table + "/r/";
    }

    /** The version of a {@link #chunkIndexKey} (or of a {@link #legacyChunkIndexPrefix legacy} one). */
    public static long chunkIndexVersion(String storeKey) {
        return Long.parseLong(storeKey.substring(storeKey.lastIndexOf('/') + 1));
    }

    /** Store key that says the table's chunk indexes are complete (written once, by the first registry that keeps them). */
    public static String chunkIndexMarkerKey(String table) {
        return table + "/g";
    }

    /** Store-key prefix of the chunk indexes an older tokvec kept (bit sets, see {@link ChunkIndex#decodeLegacy}). */
    static String legacyChunkIndexPrefix(String table) {
        return table + "/i/";
    }

    /** The marker an older tokvec wrote when its (bit set) chunk indexes were complete. */
    static String legacyChunkIndexMarkerKey(String table) {
        return table + "/f";
    }

    /** Store-key prefix of every commit. */
    public static String commitPrefix(String table) {
        return table + "/m/";
    }

    @Override
    public String toString() {
        return topicKey();
    }
}
