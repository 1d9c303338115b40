package io.tokvec.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
 */
public final class Vocabulary {

    /** The padding / mask index. */
    public static final int PAD = 0;
    /** The OOV index ({@code [UNK]}), the first OOV row. */
    public static final int OOV = 1;
    /** What {@link #indexOf} returns for a token not in the vocabulary. */
    public static final int NOT_FOUND = -1;

    private final List<String> tokens;
    private final Map<String, Integer> index;
    private final int oovRows;

    private Vocabulary(List<String> tokens, Map<String, Integer> index, int oovRows) {
        this.tokens = tokens;
        this.index = index;
        this.oovRows = oovRows;
    }

    /**
     * Builds a vocabulary. Duplicate tokens are refused (Keras' StringLookup refuses them too), except
     * the copies of row 1's token (the OOV token) right after it, and the empty token, which may
     * appear only at row 0.
     */
    public static Vocabulary of(List<String> tokens) {
        Map<String, Integer> index = new HashMap<>(Math.max(16, (int) (tokens.size() / 0.75f) + 1));
        List<String> copy = new ArrayList<>(tokens.size());
        int oovRows = tokens.size() > OOV ? 1 : 0;
        while (OOV + oovRows < tokens.size() && tokens.get(OOV) != null && tokens.get(OOV).equals(tokens.get(OOV + oovRows))) {
            oovRows++;
        }
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t == null) {
                throw new IllegalArgumentException("vocabulary entry " + i + " is null");
            }
            if (t.isEmpty() && i != PAD) {
                throw new IllegalArgumentException("vocabulary entry " + i + " is the empty token, which only row 0 (padding) may be");
            }
            copy.add(t);
            if (i > OOV && i <= oovRows) {
                continue; // another OOV row
            }
            Integer prev = index.putIfAbsent(t, i);
            if (prev != null) {
                throw new IllegalArgumentException("vocabulary token '" + t + "' appears twice (rows " + prev + " and " + i + ")");
            }
        }
        if (oovRows > 0) {
            index.remove(tokens.get(OOV));
        }
        return new Vocabulary(Collections.unmodifiableList(copy), index, oovRows);
    }

    /**
     * A vocabulary of {@code tokens} whose first two are {@code ''} (padding) and the OOV token and
     * whose others are distinct and not empty, with the index the caller built while reading them
     * (each of those tokens to its row; the OOV token and {@code ''} not in it), so that a large
     * vocabulary is not indexed twice. Both are kept, not copied: the caller must not change them.
     *
     * @throws IllegalArgumentException if the index does not map exactly the tokens after row 1 to their rows
     */
    public static Vocabulary ofIndexed(List<String> tokens, Map<String, Integer> index) {
        if (tokens.size() < 2 || !tokens.get(PAD).isEmpty() || index.size() != tokens.size() - 2) {
            throw new IllegalArgumentException("an index of " + index.size() + " tokens for a vocabulary of " + tokens.size());
        }
        for (int i = 2; i < tokens.size(); i++) {
            Integer at = index.get(tokens.get(i));
            if (at == null || at != i || tokens.get(i).isEmpty()) {
                throw new IllegalArgumentException("vocabulary token " + i + " '" + tokens.get(i) + "' is indexed as " + at);
            }
        }
        if (index.containsKey(tokens.get(OOV))) {
            throw new IllegalArgumentException("the OOV token '" + tokens.get(OOV) + "' is indexed");
        }
        return new Vocabulary(Collections.unmodifiableList(tokens), index, 1);
    }

    /** Id of a token: 0 for {@code ''}, its row if known, else {@link #OOV}. Allocates nothing. */
    public int lookup(String token) {
        int id = indexOf(token);
        return id == NOT_FOUND ? OOV : id;
    }

    /** 0 for {@code ''}, the token's row if it is a vocabulary token, else {@link #NOT_FOUND}. */
    public int indexOf(String token) {
        if (token.isEmpty()) {
            return PAD;
        }
        Integer id = index.get(token);
        return id == null ? NOT_FOUND : id;
    }

    /**
     * Number of OOV rows: rows {@code 1..oovRows()} hold row 1's token (the OOV token); 0 for a
     * vocabulary of one row.
     */
    public int oovRows() {
        return oovRows;
    }

    public int size() {
        return tokens.size();
    }

    public List<String> tokens() {
        return tokens;
    }
}
