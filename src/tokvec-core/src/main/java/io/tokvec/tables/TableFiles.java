package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.Vocabulary;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads an embedding table file into an {@link EmbeddingTable}.
 *
 * <ul>
 *   <li>{@link TableFormat#NPY}: rows are used as they are, float32 or float16, mapped from the file
 *       when it is C-order little-endian (any size; see {@link NpyReader}); the optional
 *       vocabulary file (see {@link VocabularyFile}) must list exactly one token per row, in the order
 *       of Keras' {@code get_vocabulary()}.</li>
 *   <li>{@link TableFormat#GLOVE}, {@link TableFormat#WORD2VEC}: row 0 is {@code ''} (padding, all
 *       zeros), row 1 is {@code '[UNK]'} (OOV, all zeros), and file word {@code i} (0-based, in file
 *       order) is row {@code i + 2} (see {@link GloveReader}, {@link Word2VecReader}). They carry their
 *       own words, so a vocabulary file is refused.</li>
 * </ul>
 * By default a table holding NaN or an infinity is refused, as the streaming app refuses one
 * published on the model topic unless {@code tokvec.table.allow.nonfinite=true}.
 *
 * <p>Errors: {@link TableFormatException} (an {@link IOException}) naming the file and the
 * line / byte / word position; IllegalArgumentException for arguments that do not fit together.
 */
public final class TableFiles {

    private TableFiles() {
    }

    public static EmbeddingTable load(Path file, TableFormat format, Path vocabFileOrNull, String name, long version)
            throws IOException {
        return load(file, format, vocabFileOrNull, name, version, false);
    }

    public static EmbeddingTable load(Path file, TableFormat format, Path vocabFileOrNull, String name, long version,
                                      boolean allowNonFinite) throws IOException {
        if (format != TableFormat.NPY && vocabFileOrNull != null) {
            throw new IllegalArgumentException("a vocabulary file applies to npy tables only: " + format.name().toLowerCase()
                    + " files carry their own words");
        }
        switch (format) {
            case GLOVE:
                return GloveReader.read(file, name, version, allowNonFinite);
            case WORD2VEC:
                return Word2VecReader.read(file, name, version, allowNonFinite);
            case NPY:
                return loadNpy(file, vocabFileOrNull, name, version, allowNonFinite);
            default:
                throw new IllegalArgumentException("unknown table format " + format);
        }
    }

    /**
     * Loads a table saved as {@code .npy} shards (see {@link ShardedTables}) and reassembles it in
     * global id order; the vocabulary file, if any, lists the tokens of the global rows. Holds the
     * shards and the assembled table at once while assembling (twice the table's size).
     *
     * @throws IllegalArgumentException when the shard shapes do not fit the strategy
     */
    public static EmbeddingTable loadShards(List<Path> shards, ShardedTables.Strategy strategy, Path vocabFileOrNull,
                                            String name, long version, boolean allowNonFinite) throws IOException {
        List<NpyReader.NpyMatrix> parts = new ArrayList<>(shards.size());
        List<String> names = new ArrayList<>(shards.size());
        for (Path shard : shards) {
            NpyReader.NpyMatrix m = NpyReader.read(shard);
            if (!allowNonFinite) {
                checkFinite(shard, m);
            }
            parts.add(m);
            names.add(shard.toString());
        }
        NpyReader.NpyMatrix whole = ShardedTables.assemble(parts, names, strategy);
        parts.clear();
        return withVocabulary("of " + shards.size() + " shards (" + strategy + ")",
                new EmbeddingTable(name, version, whole.rows(), whole.dim(), whole.data(), null), vocabFileOrNull);
    }

    private static EmbeddingTable loadNpy(Path file, Path vocabFile, String name, long version, boolean allowNonFinite)
            throws IOException {
        NpyReader.MappedMatrix mapped = NpyReader.map(file);
        EmbeddingTable t;
        if (mapped != null) {
            t = new EmbeddingTable(name, version, mapped.rows(), mapped.dim(), mapped.dtype(), mapped.segments(), null);
        } else {
            NpyReader.NpyMatrix m = NpyReader.read(file);
            t = new EmbeddingTable(name, version, m.rows(), m.dim(), m.data(), null);
        }
        if (!allowNonFinite) {
            long bad = t.firstNonFinite();
            if (bad >= 0) {
                int row = (int) (bad / t.dim());
                int col = (int) (bad % t.dim());
                throw new TableFormatException(file, "row " + row + ", column " + col,
                        "value " + t.get(row, col) + " is not a finite " + t.dtype().configName());
            }
        }
        return withVocabulary(file.toString(), t, vocabFile);
    }

    private static void checkFinite(Path file, NpyReader.NpyMatrix m) throws TableFormatException {
        long bad = EmbeddingTable.firstNonFinite(m.data());
        if (bad >= 0) {
            throw new TableFormatException(file, "row " + (bad / m.dim()) + ", column " + (bad % m.dim()),
                    "value " + EmbeddingTable.floatAt(m.data(), (int) bad) + " is not a finite float32");
        }
    }

    /** The table with the vocabulary file's tokens (one per row), or as it is without a vocabulary file. */
    private static EmbeddingTable withVocabulary(String file, EmbeddingTable t, Path vocabFile) throws IOException {
        if (vocabFile == null) {
            return t;
        }
        List<String> tokens = VocabularyFile.read(vocabFile);
        if (tokens.size() != t.rows()) {
            throw new TableFormatException(vocabFile, null, "lists " + tokens.size() + " tokens but table " + file
                    + " has " + t.rows() + " rows; line i of the vocabulary must be the token of row i");
        }
        return new EmbeddingTable(t.name(), t.version(), t.rows(), t.dim(), t.dtype(), t.segments(), Vocabulary.of(tokens));
    }
}
