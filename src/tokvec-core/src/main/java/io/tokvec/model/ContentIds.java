package io.tokvec.model;

import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TableDeltaCommit;
import io.tokvec.core.TableChecksum;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The checksums of delta versions and the content id of every version (src/site/markdown/model-topic.md,
 * "Delta versions"), which a trainer computes the same way:
 *
 * <ul>
 *   <li>{@code delta_checksum}: {@code "sha256:"} + hex SHA-256 of the delta's rows in ascending id
 *       order, each a little-endian int32 id followed by {@code dim} little-endian float32 values;</li>
 *   <li>{@code tokens_checksum}: as a vocabulary checksum ({@link TableChecksum#ofVocabulary}), over the
 *       appended rows' tokens in id order; null when the delta appends no token;</li>
 *   <li>content id of a full version: {@code "sha256:"} + hex SHA-256 of the UTF-8 text
 *       {@code "tokvec-content-v1\nfull\n" + checksum + "\n" + (vocab_checksum or "") + "\n"};</li>
 *   <li>content id of a delta version: {@code "sha256:"} + hex SHA-256 of
 *       {@code "tokvec-content-v1\ndelta\n" + base content id + "\n" + rows + "\n" + dim + "\n" +
 *       delta_checksum + "\n" + (tokens_checksum or "") + "\n"}.</li>
 * </ul>
 * Every checksum enters a content id in lower case. A delta's content id thus names the exact content
 * of its base (and, through it, of the base's base, down to a full version) and of its own rows: the
 * application verifies a delta in time proportional to the delta, not to the table, and the commit's
 * signature, which covers the content id, covers the whole chain.
 */
public final class ContentIds {

    /** First line of the text a content id hashes; a new layout gets a new tag. */
    public static final String TAG = "tokvec-content-v1";

    private ContentIds() {
    }

    /** The content id of a full version with this commit. */
    public static String of(TableCommit commit) {
        return hash(TAG + "\nfull\n" + lower(commit.getChecksum()) + "\n" + lowerOrEmpty(commit.getVocabChecksum()) + "\n");
    }

    /** The content id of a delta version with this commit over a base whose content id is {@code baseContentId}. */
    public static String of(String baseContentId, TableDeltaCommit commit) {
        return hash(TAG + "\ndelta\n" + lower(baseContentId) + "\n" + commit.getRows() + "\n" + commit.getDim() + "\n"
                + lower(commit.getDeltaChecksum()) + "\n" + lowerOrEmpty(commit.getTokensChecksum()) + "\n");
    }

    /** Adds one row of a delta to its {@code delta_checksum}: the id, then the row's {@code dim} float32 values (little-endian bytes). */
    public static void addDeltaRow(MessageDigest md, int id, ByteBuffer float32Row) {
        md.update((byte) id);
        md.update((byte) (id >>> 8));
        md.update((byte) (id >>> 16));
        md.update((byte) (id >>> 24));
        md.update(float32Row);
    }

    private static String hash(String text) {
        MessageDigest md = TableChecksum.sha256();
        return TableChecksum.PREFIX + HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static String lower(String checksum) {
        return checksum.toLowerCase(Locale.ROOT);
    }

    private static String lowerOrEmpty(String checksum) {
        return checksum == null ? "" : lower(checksum);
    }
}
