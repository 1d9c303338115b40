package io.tokvec.model;

import io.tokvec.core.TableChecksum;
import io.tokvec.core.Vocabulary;

import java.security.MessageDigest;

/**
 * A version's vocabulary read token by token (from its chunks, or from a snapshot's sidecar) together
 * with its checksum, so that no list of the tokens is held: {@link #verify} checks the checksum
 * against the commit's first, then reports a token the vocabulary refused (a duplicate, a misplaced
 * empty token), as checking a whole list would have.
 */
final class CheckedVocabulary {

    private final Vocabulary.Builder tokens;
    private final MessageDigest md = TableChecksum.sha256();
    private String refused;

    CheckedVocabulary(int expectedRows) {
        this.tokens = new Vocabulary.Builder(expectedRows);
    }

    /** The next row's token. */
    void add(String token) {
        TableChecksum.addToken(md, token);
        if (refused == null) {
            try {
                tokens.add(token);
            } catch (IllegalArgumentException e) {
                refused = e.getMessage();
            }
        }
    }

    /**
     * The vocabulary of the tokens added.
     *
     * @throws TableRejectedException ({@code VOCAB_MISMATCH}) if their checksum is not {@code checksum}, or a token was refused
     */
    Vocabulary verify(String what, String checksum) throws TableRejectedException {
        String vsum = TableChecksum.format(md);
        if (!vsum.equalsIgnoreCase(checksum)) {
            throw rejected(what, "vocabulary checksum is " + vsum + " but the commit says " + checksum);
        }
        if (refused != null) {
            throw rejected(what, refused);
        }
        return tokens.build();
    }

    private static TableRejectedException rejected(String what, String why) {
        return new TableRejectedException(TableRejectedException.Reason.VOCAB_MISMATCH, what + ": " + why);
    }
}
