package io.tokvec.it;

import io.tokvec.avro.TokenEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Deterministic token events of every shape: token ids (0 and 1 included) and token strings
 * (known words, an unknown one, the empty token), empty events, events shorter and longer than
 * max_len. Every id is below {@code rows}, so each event is valid under every test table of that size.
 */
final class TestEvents {

    private TestEvents() {
    }

    static String id(int i) {
        return String.format("e-%06d", i);
    }

    /** The index {@code i} of an id made by {@link #id(int)}. */
    static int index(String id) {
        return Integer.parseInt(id.substring(2));
    }

    static TokenEvent event(int i, int rows) {
        int n = (i * 7) % 13; // 0..12 tokens: empty, padded and truncated events for max_len 8
        TokenEvent.Builder b = TokenEvent.newBuilder().setId(id(i)).setTimestampMs(1_700_000_000_000L + i)
                .setMetadata(Map.of("seq", Integer.toString(i)));
        if (i % 3 == 2) {
            List<String> tokens = new ArrayList<>(n);
            for (int k = 0; k < n; k++) {
                int r = (i + 5 * k) % (rows + 2);
                tokens.add(r == rows ? TestTables.UNKNOWN_WORD : r == rows + 1 || r < 2 ? "" : TestTables.word(r));
            }
            return b.setTokens(tokens).build();
        }
        List<Integer> ids = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            ids.add((i * 31 + k * 17) % rows);
        }
        return b.setTokenIds(ids).build();
    }
}
