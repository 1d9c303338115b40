package io.tokvec.model;

import io.tokvec.avro.TableCommit;
import io.tokvec.avro.TableDeltaCommit;

import java.nio.charset.StandardCharsets;

/**
 * The byte string an Ed25519 signature of a table version covers (src/site/markdown/model-topic.md,
 * "Signed table versions"). UTF-8, eight lines, each ended by one {@code '\n'}, in this order:
 *
 * <pre>
 * tokvec-table-commit-v1
 * table=&lt;table&gt;
 * version=&lt;version, decimal&gt;
 * rows=&lt;rows, decimal&gt;
 * dim=&lt;dim, decimal&gt;
 * chunks=&lt;chunk count, decimal&gt;
 * checksum=&lt;checksum, as in the commit: 'sha256:' + 64 hex digits&gt;
 * vocab_checksum=&lt;vocab_checksum, or nothing when it is null&gt;
 * </pre>
 *
 * Decimals have no sign (all values are positive), no leading zeros and no grouping. A text field
 * holding {@code '\n'} or {@code '\r'} cannot be signed: it could forge a line. {@code created_ms}
 * and {@code metadata} are not covered. The checksums cover every row and vocabulary token, so the
 * signature covers the table's content, not just its shape.
 *
 * <p>A delta commit ({@link #signedBytes(String, long, TableDeltaCommit)}) has its own text, twelve
 * lines under another tag, so that no delta signature can pass for a full one:
 *
 * <pre>
 * tokvec-table-delta-v1
 * table=&lt;table&gt;
 * version=&lt;version&gt;
 * base_version=&lt;base_version&gt;
 * base_rows=&lt;base_rows&gt;
 * rows=&lt;rows&gt;
 * dim=&lt;dim&gt;
 * delta_rows=&lt;delta_rows&gt;
 * chunks=&lt;chunks&gt;
 * delta_checksum=&lt;delta_checksum&gt;
 * tokens_checksum=&lt;tokens_checksum, or nothing when it is null&gt;
 * content_id=&lt;content_id&gt;
 * </pre>
 *
 * The base version and the content id (which chains the base's content, see {@link ContentIds}) tie
 * the signature to the exact table the delta applies to; the delta checksum covers its rows.
 */
public final class CommitSignature {

    /** First line of the signed text; a new layout gets a new tag. */
    public static final String TAG = "tokvec-table-commit-v1";

    /** First line of the signed text of a delta commit. */
    public static final String DELTA_TAG = "tokvec-table-delta-v1";

    private CommitSignature() {
    }

    /** The bytes to sign or verify for {@code commit} of {@code table} version {@code version}. */
    public static byte[] signedBytes(String table, long version, TableCommit commit) {
        String vocab = commit.getVocabChecksum();
        String text = TAG + '\n'
                + "table=" + line("table", table) + '\n'
                + "version=" + version + '\n'
                + "rows=" + commit.getRows() + '\n'
                + "dim=" + commit.getDim() + '\n'
                + "chunks=" + commit.getChunks() + '\n'
                + "checksum=" + line("checksum", commit.getChecksum()) + '\n'
                + "vocab_checksum=" + (vocab == null ? "" : line("vocab_checksum", vocab)) + '\n';
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The bytes to sign or verify for the delta {@code commit} of {@code table} version {@code version}. */
    public static byte[] signedBytes(String table, long version, TableDeltaCommit commit) {
        String tokens = commit.getTokensChecksum();
        String text = DELTA_TAG + '\n'
                + "table=" + line("table", table) + '\n'
                + "version=" + version + '\n'
                + "base_version=" + commit.getBaseVersion() + '\n'
                + "base_rows=" + commit.getBaseRows() + '\n'
                + "rows=" + commit.getRows() + '\n'
                + "dim=" + commit.getDim() + '\n'
                + "delta_rows=" + commit.getDeltaRows() + '\n'
                + "chunks=" + commit.getChunks() + '\n'
                + "delta_checksum=" + line("delta_checksum", commit.getDeltaChecksum()) + '\n'
                + "tokens_checksum=" + (tokens == null ? "" : line("tokens_checksum", tokens)) + '\n'
                + "content_id=" + line("content_id", commit.getContentId()) + '\n';
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String line(String field, String value) {
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            throw new IllegalArgumentException(field + " holds a line break and cannot be signed");
        }
        return value;
    }
}
