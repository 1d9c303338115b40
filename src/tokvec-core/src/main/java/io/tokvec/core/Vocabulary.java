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
 */
public final class Vocabulary {

    /** The padding / mask index. */
    public static final int PAD = 0;
    /** The OOV index ({@code [UNK]}). */
    public static final int OOV = 1;

    private final List<String> tokens;
    private final Map<String, Integer> index;

    private Vocabulary(List<String> tokens, Map<String, Integer> index) {
        this.tokens = tokens;
        this.index = index;
    }

    /**
     * Builds a vocabulary. Duplicate tokens are refused (Keras' StringLookup refuses them too), except
     * the empty token, which may appear only at row 0.
     */
    public static Vocabulary of(List<String> tokens) {
        Map<String, Integer> index = new HashMap<>(Math.max(16, (int) (tokens.size() / 0.75f) + 1));
        List<String> copy = new ArrayList<>(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t == null) {
                throw new IllegalArgumentException("vocabulary entry " + i + " is null");
            }
            if (t.isEmpty() && i != PAD) {
                throw new IllegalArgumentException("vocabulary entry " + i + " is the empty token, which only row 0 (padding) may be");
            }
            Integer prev = index.putIfAbsent(t, i);
            if (prev != null) {
                throw new IllegalArgumentException("vocabulary token '" + t + "' appears twice (rows " + prev + " and " + i + ")");
            }
            copy.add(t);
        }
        return new Vocabulary(Collections.unmodifiableList(copy), index);
    }

    /** Id of a token: 0 for {@code ''}, its row if known, else {@link #OOV}. Allocates nothing. */
    public int lookup(String token) {
        if (token.isEmpty()) {
            return PAD;
        }
        Integer id = index.get(token);
        return id == null ? OOV : id;
    }

    public int size() {
        return tokens.size();
    }

    public List<String> tokens() {
        return tokens;
    }
}
