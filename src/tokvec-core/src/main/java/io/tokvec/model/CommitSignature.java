package io.tokvec.model;

import io.tokvec.avro.TableCommit;

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
 */
public final class CommitSignature {

    /** First line of the signed text; a new layout gets a new tag. */
    public static final String TAG = "tokvec-table-commit-v1";

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

    private static String line(String field, String value) {
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            throw new IllegalArgumentException(field + " holds a line break and cannot be signed");
        }
        return value;
    }
}
