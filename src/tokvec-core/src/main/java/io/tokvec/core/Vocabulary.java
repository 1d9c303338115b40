package io.tokvec.core;

import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

/**
 * A table's vocabulary, as Keras {@code StringLookup(mask_token='')} / {@code TextVectorization}
 * uses it: token {@code i} of {@link #tokens()} is row {@code i}; {@code ''} maps to 0 and a token
 * not in the vocabulary maps to the OOV index 1 ({@code [UNK]}).
 *
 * <p>OOV rows: row 1 is the OOV row. Keras' {@code get_vocabulary()} of a
 * {@code StringLookup(num_oov_indices=N)} lists its OOV token once per OOV index, at rows
 * {@code 1..N}; such a run of copies of row 1's token is accepted ({@link #oovRows()} counts it), and
 * those rows are not looked up as tokens: the OOV token itself is out of vocabulary, as in Keras,
 * whose lookup table holds only the tokens after the mask and OOV rows.
 *
 * <p>Memory: the tokens are kept as text in pages of 256 KiB (one byte per character when every
 * character of a token is below U+0100, else two), with an open-addressing index of {@code int}s,
 * about {@code 16–24 + length} bytes per token instead of a {@code String} and a {@code HashMap}
 * entry each, and without copying what was read as it grows; {@link #tokens()} is a view that makes
 * each token's {@code String} when it is read.
 *
 * <p>A delta version's vocabulary ({@link Appender}) is its base's with tokens appended: it shares the
 * base's (root) vocabulary and keeps only the tokens appended since it, so building it costs the
 * appended tokens, not the vocabulary.
 */
public final class Vocabulary {

    /** The padding / mask index. */
    public static final int PAD = 0;
    /** The OOV index ({@code [UNK]}), the first OOV row. */
    public static final int OOV = 1;
    /** What {@link #indexOf} returns for a token not in the vocabulary. */
    public static final int NOT_FOUND = -1;

    private final Builder store;
    private final int oovRows;
    private final List<String> tokens;
    /** Tokens appended after the rows of {@link #store} (rows {@code store.rows + i}), or null. */
    private final Builder appended;

    private Vocabulary(Builder store, int oovRows) {
        this(store, oovRows, null);
    }

    private Vocabulary(Builder store, int oovRows, Builder appended) {
        this.store = store;
        this.oovRows = oovRows;
        this.appended = appended;
        this.tokens = new Tokens(store, appended);
    }

    /**
     * Builds a vocabulary. Duplicate tokens are refused (Keras' StringLookup refuses them too), except
     * the copies of row 1's token (the OOV token) right after it, and the empty token, which may
     * appear only at row 0.
     */
    public static Vocabulary of(List<String> tokens) {
        Builder b = new Builder(tokens.size());
        for (String t : tokens) {
            b.add(t);
        }
        return b.build();
    }

    /** Id of a token: 0 for {@code ''}, its row if known, else {@link #OOV}. Allocates nothing. */
    public int lookup(String token) {
        int id = indexOf(token);
        return id == NOT_FOUND ? OOV : id;
    }

    /** 0 for {@code ''}, the token's row if it is a vocabulary token, else {@link #NOT_FOUND}. Allocates nothing. */
    public int indexOf(String token) {
        if (token.isEmpty()) {
            return PAD;
        }
        int row = store.find(token);
        if (row == NOT_FOUND && appended != null) {
            int r = appended.find(token);
            return r == NOT_FOUND ? NOT_FOUND : store.rows + r;
        }
        // the OOV token is indexed only to refuse its duplicates: it is out of vocabulary, as in Keras
        return row == OOV && oovRows > 0 ? NOT_FOUND : row;
    }

    /**
     * Number of OOV rows: rows {@code 1..oovRows()} hold row 1's token (the OOV token); 0 for a
     * vocabulary of one row.
     */
    public int oovRows() {
        return oovRows;
    }

    public int size() {
        return appended == null ? store.rows : store.rows + appended.rows;
    }

    /** The vocabulary this one extends ({@link Appender}), or this one when it extends none. */
    public Vocabulary root() {
        return appended == null ? this : new Vocabulary(store, oovRows);
    }

    /** Tokens appended to the vocabulary it extends ({@link Appender}); 0 for one that extends none. */
    public int appendedSize() {
        return appended == null ? 0 : appended.rows;
    }

    /** The token of each row, in row order: a read-only view that makes each {@code String} when it is read. */
    public List<String> tokens() {
        return tokens;
    }

    /** Bytes of heap the vocabulary holds (its arrays), for sizing. */
    public long heapBytes() {
        return store.heapBytes() + (appended == null ? 0 : appended.heapBytes());
    }

    /**
     * Builds the vocabulary of a delta version: {@code base}'s tokens, then one new token per appended
     * row. The result shares the vocabulary {@code base} extends (or {@code base} itself) and holds only
     * the tokens appended since it, copied: it costs the appended tokens, not the vocabulary. Not
     * thread-safe; used once.
     */
    public static final class Appender {
        private final Vocabulary base;
        private final Builder appended;

        public Appender(Vocabulary base, int expectedTokens) {
            this.base = base;
            this.appended = new Builder(base.appendedSize() + expectedTokens);
            if (base.appended != null) {
                for (int i = 0; i < base.appended.rows; i++) {
                    appended.addIfAbsent(base.appended.token(i));
                }
            }
        }

        /** Rows of the vocabulary so far: the base's and those appended. */
        public int size() {
            return base.store.rows + appended.rows;
        }

        /**
         * Appends the next row's token.
         *
         * @throws IllegalArgumentException naming the row, for a null or empty token, or a token the
         *     vocabulary has already (as a row of the base, its OOV token included, or appended before)
         */
        public void add(String token) {
            int row = size();
            if (token == null || token.isEmpty()) {
                throw new IllegalArgumentException("appended row " + row + " has " + (token == null ? "no" : "the empty")
                        + " token; each appended row brings a new, non-empty token");
            }
            int known = base.store.find(token);
            if (known == NOT_FOUND) {
                int a = appended.addIfAbsent(token);
                known = a == NOT_FOUND ? NOT_FOUND : base.store.rows + a;
            }
            if (known != NOT_FOUND) {
                throw new IllegalArgumentException("token '" + token + "' of appended row " + row + " is already row " + known
                        + " of the vocabulary");
            }
        }

        public Vocabulary build() {
            return new Vocabulary(base.store, base.oovRows, appended.done());
        }
    }

    /**
     * Builds a vocabulary token by token without a {@code String} per token: for readers of large
     * word files, which check for duplicates as they go ({@link #addOrFind}). Not thread-safe; a
     * builder is used once.
     */
    public static final class Builder {
        /** 256 KiB: below half of G1's smallest region, so a page is never a humongous object. */
        private static final int PAGE_BITS = 18;
        /** The most bytes of one token's text, and the size of a page. */
        static final int PAGE = 1 << PAGE_BITS;
        private static final int PAGE_MASK = PAGE - 1;

        /** The text, in pages; a token never straddles two. Only the first page grows (up to {@link #PAGE}). */
        private byte[][] pages;
        /** Bytes used of each page. */
        private int[] pageFill;
        /** Where the next token goes: {@code page << PAGE_BITS | offset}. */
        private int textLength;
        /** Where row {@code i}'s text starts ({@code page << PAGE_BITS | offset}); row {@code rows}'s is {@code textLength}. */
        private int[] start;
        /** Bit {@code i}: row {@code i} is stored as UTF-16 (two bytes a character), else as Latin-1. */
        private long[] wide;
        /** {@code String.hashCode()} of each row's token. */
        private int[] hashes;
        /** Row + 1 of each indexed token, 0 for a free slot; a power of two, at most half full. */
        private int[] slots;
        private int indexed;
        private int rows;
        private boolean done;
        /** Row 1's token and the rows that hold it (see {@link #add}); copies end at the first other token. */
        private String oovToken;
        private int oovCopies;
        private boolean oovRun = true;

        /** A builder sized for {@code expectedRows} tokens (it grows past them). */
        public Builder(int expectedRows) {
            int n = Math.max(4, expectedRows);
            pages = new byte[][] {new byte[(int) Math.min(PAGE, Math.max(64L, 6L * n))]};
            pageFill = new int[1];
            start = new int[n + 1];
            wide = new long[(n >> 6) + 1];
            hashes = new int[n];
            slots = new int[slotsFor(n)];
        }

        private static int slotsFor(int tokens) {
            long want = Math.max(4L, 2L * tokens);
            if (want > 1 << 30) {
                throw new IllegalArgumentException("a vocabulary of " + tokens + " tokens is larger than tokvec can index");
            }
            return Integer.highestOneBit((int) want - 1) << 1;
        }

        /** Rows added so far. */
        public int size() {
            return rows;
        }

        /** Adds {@code token} as the next row and indexes it, unless it is indexed already: then adds nothing and returns its row. */
        private int addIfAbsent(String token) {
            int hash = token.hashCode();
            int slot = slotOf(token, hash);
            if (slots[slot] != 0) {
                return slots[slot] - 1;
            }
            int row = append(token, hash);
            if (2 * (indexed + 1) > slots.length) {
                growSlots();
                slot = slotOf(token, hash);
            }
            slots[slot] = row + 1;
            indexed++;
            return NOT_FOUND;
        }

        /**
         * Adds the next row as {@link Vocabulary#of} reads it: duplicates are refused, except the
         * copies of row 1's token (the OOV token) right after it, which are not indexed, and the empty
         * token, which only row 0 may be.
         *
         * @throws IllegalArgumentException naming the row, for a null, a misplaced empty or a duplicate token
         */
        public void add(String token) {
            int i = rows;
            int prev = addOrFind(token);
            if (prev != NOT_FOUND) {
                throw new IllegalArgumentException("vocabulary token '" + token + "' appears twice (rows " + prev + " and " + i + ")");
            }
        }

        /**
         * {@link #add} for readers that name positions their own way: adds the next row, unless its
         * token is already indexed (a duplicate), which adds nothing.
         *
         * @return {@link #NOT_FOUND} if the token was added, else the row that holds it
         * @throws IllegalArgumentException naming the row, for a null or a misplaced empty token
         */
        public int addOrFind(String token) {
            int i = rows;
            if (token == null) {
                throw new IllegalArgumentException("vocabulary entry " + i + " is null");
            }
            if (token.isEmpty() && i != PAD) {
                throw new IllegalArgumentException("vocabulary entry " + i + " is the empty token, which only row 0 (padding) may be");
            }
            if (i == OOV) {
                oovToken = token;
            } else if (i > OOV && oovRun && token.equals(oovToken)) {
                oovCopies++;
                append(token, token.hashCode()); // another OOV row, not indexed
                return NOT_FOUND;
            } else if (i > OOV) {
                oovRun = false;
            }
            return addIfAbsent(token);
        }

        private int append(String token, int hash) {
            if (done) {
                throw new IllegalStateException("the vocabulary was built already");
            }
            boolean latin1 = true;
            for (int k = 0; k < token.length() && latin1; k++) {
                latin1 = token.charAt(k) < 0x100;
            }
            long bytes = latin1 ? token.length() : 2L * token.length();
            if (bytes > PAGE) {
                throw new IllegalArgumentException("vocabulary token " + rows + " of " + token.length()
                        + " characters is longer than a token may be (" + PAGE + " bytes: as many Latin-1 characters, half as many others)");
            }
            int page = textLength >>> PAGE_BITS;
            int off = textLength & PAGE_MASK;
            if (off + bytes > PAGE) { // the next page
                page++;
                off = 0;
            }
            if ((long) page << PAGE_BITS > Integer.MAX_VALUE - PAGE) {
                throw new IllegalArgumentException("the vocabulary's tokens are more than " + (Integer.MAX_VALUE - PAGE) + " bytes of text");
            }
            if (page == pages.length) {
                pages = Arrays.copyOf(pages, pages.length * 2);
                pageFill = Arrays.copyOf(pageFill, pages.length);
            }
            if (pages[page] == null) {
                pages[page] = new byte[PAGE];
            } else if (off + bytes > pages[page].length) { // the first page, while it is small
                pages[page] = Arrays.copyOf(pages[page], (int) Math.min(PAGE, Math.max(off + bytes, 2L * pages[page].length)));
            }
            byte[] text = pages[page];
            if (rows + 1 >= start.length) {
                int n = (int) Math.min(Integer.MAX_VALUE - 16, 2L * start.length);
                start = Arrays.copyOf(start, n);
                hashes = Arrays.copyOf(hashes, n);
                wide = Arrays.copyOf(wide, (n >> 6) + 1);
            }
            int at = off;
            if (latin1) {
                for (int k = 0; k < token.length(); k++) {
                    text[at + k] = (byte) token.charAt(k);
                }
            } else {
                for (int k = 0; k < token.length(); k++) {
                    char c = token.charAt(k);
                    text[at + 2 * k] = (byte) (c >>> 8);
                    text[at + 2 * k + 1] = (byte) c;
                }
                wide[rows >> 6] |= 1L << rows;
            }
            pageFill[page] = off + (int) bytes;
            start[rows] = page << PAGE_BITS | off;
            textLength = (page << PAGE_BITS) + off + (int) bytes;
            hashes[rows] = hash;
            start[rows + 1] = textLength;
            return rows++;
        }

        /** The slot of {@code token}, or the free slot where it would go. */
        private int slotOf(String token, int hash) {
            int mask = slots.length - 1;
            int slot = spread(hash) & mask;
            while (true) {
                int r = slots[slot] - 1;
                if (r < 0 || hashes[r] == hash && matches(r, token)) {
                    return slot;
                }
                slot = slot + 1 & mask;
            }
        }

        private static int spread(int hash) {
            int h = hash * 0x9E3779B9;
            return h ^ h >>> 16;
        }

        private void growSlots() {
            int[] old = slots;
            slots = new int[slotsFor(indexed + 1)];
            int mask = slots.length - 1;
            for (int v : old) {
                if (v != 0) {
                    int slot = spread(hashes[v - 1]) & mask;
                    while (slots[slot] != 0) {
                        slot = slot + 1 & mask;
                    }
                    slots[slot] = v;
                }
            }
        }

        /** Bytes of row {@code row}'s text (it starts at offset {@code start[row] & PAGE_MASK} of its page). */
        private int length(int row) {
            int s = start[row];
            int e = start[row + 1];
            return (s >>> PAGE_BITS) == (e >>> PAGE_BITS) ? e - s : pageFill[s >>> PAGE_BITS] - (s & PAGE_MASK);
        }

        private boolean matches(int row, String token) {
            byte[] text = pages[start[row] >>> PAGE_BITS];
            int from = start[row] & PAGE_MASK;
            int bytes = length(row);
            if ((wide[row >> 6] & 1L << row) == 0) {
                if (bytes != token.length()) return false;
                for (int k = 0; k < bytes; k++) {
                    if (token.charAt(k) != (text[from + k] & 0xff)) return false;
                }
            } else {
                if (bytes != 2 * token.length()) return false;
                for (int k = 0; k < token.length(); k++) {
                    if (token.charAt(k) != (char) ((text[from + 2 * k] & 0xff) << 8 | text[from + 2 * k + 1] & 0xff)) return false;
                }
            }
            return true;
        }

        int find(String token) {
            int r = slots[slotOf(token, token.hashCode())] - 1;
            return r < 0 ? NOT_FOUND : r;
        }

        String token(int row) {
            byte[] text = pages[start[row] >>> PAGE_BITS];
            int from = start[row] & PAGE_MASK;
            int bytes = length(row);
            if ((wide[row >> 6] & 1L << row) == 0) {
                return new String(text, from, bytes, StandardCharsets.ISO_8859_1);
            }
            char[] chars = new char[bytes / 2];
            for (int k = 0; k < chars.length; k++) {
                chars[k] = (char) ((text[from + 2 * k] & 0xff) << 8 | text[from + 2 * k + 1] & 0xff);
            }
            return new String(chars);
        }

        long heapBytes() {
            long text = 0;
            for (byte[] page : pages) text += page == null ? 0 : page.length;
            return text + 8L * pages.length + 4L * pageFill.length + 4L * start.length + 8L * wide.length + 4L * hashes.length + 4L * slots.length;
        }

        /** Trims the arrays that grew by doubling (when that frees an eighth or more) and closes the builder. */
        Builder done() {
            int last = textLength >>> PAGE_BITS;
            if (last < pages.length && pages[last] != null && pages[last].length - pageFill[last] > pages[last].length / 8) {
                pages[last] = Arrays.copyOf(pages[last], pageFill[last]);
            }
            if (start.length - (rows + 1) > start.length / 8) {
                start = Arrays.copyOf(start, rows + 1);
                hashes = Arrays.copyOf(hashes, rows);
                wide = Arrays.copyOf(wide, (rows >> 6) + 1);
            }
            done = true;
            return this;
        }

        /**
         * The vocabulary of the rows added. Its OOV rows are row 1 and the copies of its token added
         * right after it; none if it has one row.
         */
        public Vocabulary build() {
            return new Vocabulary(done(), rows > OOV ? 1 + oovCopies : 0);
        }
    }

    /** The read-only row-order view of {@link #tokens()}. */
    private static final class Tokens extends AbstractList<String> implements RandomAccess {
        private final Builder store;
        private final Builder appended;

        Tokens(Builder store, Builder appended) {
            this.store = store;
            this.appended = appended;
        }

        @Override
        public String get(int index) {
            if (index < 0 || index >= size()) {
                throw new IndexOutOfBoundsException("row " + index + " of a vocabulary of " + size());
            }
            return index < store.rows ? store.token(index) : appended.token(index - store.rows);
        }

        @Override
        public int size() {
            return appended == null ? store.rows : store.rows + appended.rows;
        }
    }
}
