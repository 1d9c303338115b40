package io.tokvec.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One parsed input line of {@code tokvec enrich}, reused from line to line: the event id (kept as
 * its JSON text so it is echoed with its type) and either its token ids or its token strings, with
 * optional per-token weights.
 */
final class EnrichEvent {

    /** The id as a JSON string value, or the digits of a JSON integer. */
    String id;
    /** Whether {@link #id} was a JSON string (else an integer). */
    boolean idIsString;
    /** Whether the event carries string tokens (else token ids). */
    boolean hasTokens;

    int[] ids = new int[64];
    int idCount;
    final List<String> tokens = new ArrayList<>();
    /** Whether the event carries per-token weights (in {@link #weights}{@code [0..weightCount)}). */
    boolean hasWeights;
    float[] weights = new float[64];
    int weightCount;

    /** Positions of token ids that do not fit an int (always outside any table), with their text. */
    int[] hugePositions = new int[4];
    String[] hugeTexts = new String[4];
    int hugeCount;

    void reset() {
        id = null;
        idIsString = false;
        hasTokens = false;
        idCount = 0;
        tokens.clear();
        hasWeights = false;
        weightCount = 0;
        hugeCount = 0;
    }

    void addId(int v) {
        if (idCount == ids.length) {
            ids = Arrays.copyOf(ids, idCount * 2);
        }
        ids[idCount++] = v;
    }

    void addWeight(float w) {
        if (weightCount == weights.length) {
            weights = Arrays.copyOf(weights, weightCount * 2);
        }
        weights[weightCount++] = w;
    }

    /** Adds an id too large for an int; it is held as -1, which is outside every table as well. */
    void addHugeId(String text) {
        if (hugeCount == hugePositions.length) {
            hugePositions = Arrays.copyOf(hugePositions, hugeCount * 2);
            hugeTexts = Arrays.copyOf(hugeTexts, hugeCount * 2);
        }
        hugePositions[hugeCount] = idCount;
        hugeTexts[hugeCount++] = text;
        addId(-1);
    }
}
