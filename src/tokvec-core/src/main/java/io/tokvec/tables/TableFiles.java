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
 *       when it is C-order little-endian, else converted to float32 off the heap (any size either way;
 *       see {@link NpyReader#load}); the optional
 *       vocabulary file (see {@link VocabularyFile}) must list exactly one token per row, in the order
 *       of Keras' {@code get_vocabulary()}.</li>
 *   <li>{@link TableFormat#GLOVE}, {@link TableFormat#WORD2VEC}: row 0 is {@code ''} (padding, all
 *       zeros), row 1 is {@code '[UNK]'} (OOV, all zeros), and file word {@code i} (0-based, in file
 *       order) is row {@code i + 2} (see {@link GloveReader}, {@link Word2VecReader}). They carry their
 *       own words, so a vocabulary file is refused.</li>
 * </ul>
 * Every table is stored off the Java heap, in segments of whole rows, whatever its size: mapped from
 * its {@code .npy} file, or in a temporary mapped file for the formats that are converted (see
 * {@link ScratchRows}), freed when the table is retired. The limit is the disk of
 * {@code java.io.tmpdir}; a table that does not fit is refused with a {@link TableFormatException}
 * naming the file and the size.
 *
 * <p>By default a table holding NaN or an infinity is refused, as the streaming app refuses one
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
     * global id order; the vocabulary file, if any, lists the tokens of the global rows. The shards
     * are mapped (or converted off the heap, see {@link NpyReader#load}) and their rows copied into
     * the table's off-heap storage, then unmapped: the heap does not grow with the table; the table
     * and the shards' pages take twice the table's size while assembling.
     *
     * @throws IllegalArgumentException when the shard shapes do not fit the strategy
     */
    public static EmbeddingTable loadShards(List<Path> shards, ShardedTables.Strategy strategy, Path vocabFileOrNull,
                                            String name, long version, boolean allowNonFinite) throws IOException {
        List<EmbeddingTable> parts = new ArrayList<>(shards.size());
        List<String> names = new ArrayList<>(shards.size());
        EmbeddingTable whole;
        try {
            for (Path shard : shards) {
                NpyReader.MappedMatrix m = NpyReader.load(shard);
                EmbeddingTable part = new EmbeddingTable(shard.toString(), version, m.rows(), m.dim(), m.dtype(), m.segments(), null);
                parts.add(part);
                names.add(shard.toString());
                if (!allowNonFinite) {
                    checkFinite(shard, part);
                }
            }
            whole = ShardedTables.assemble(parts, names, strategy, shards.isEmpty() ? null : shards.get(0), name, version);
        } finally {
            parts.forEach(EmbeddingTable::retire); // unmaps the shards now
        }
        return withVocabulary("of " + shards.size() + " shards (" + strategy + ")", whole, vocabFileOrNull);
    }

    private static EmbeddingTable loadNpy(Path file, Path vocabFile, String name, long version, boolean allowNonFinite)
            throws IOException {
        NpyReader.MappedMatrix m = NpyReader.load(file);
        EmbeddingTable t = new EmbeddingTable(name, version, m.rows(), m.dim(), m.dtype(), m.segments(), null);
        if (!allowNonFinite) {
            try {
                checkFinite(file, t);
            } catch (IOException | RuntimeException e) {
                t.retire();
                throw e;
            }
        }
        return withVocabulary(file.toString(), t, vocabFile);
    }

    private static void checkFinite(Path file, EmbeddingTable t) throws TableFormatException {
        long bad = t.firstNonFinite();
        if (bad >= 0) {
            int row = (int) (bad / t.dim());
            int col = (int) (bad % t.dim());
            throw new TableFormatException(file, "row " + row + ", column " + col,
                    "value " + t.get(row, col) + " is not a finite " + t.dtype().configName());
        }
    }

    /** The table with the vocabulary file's tokens (one per row), or as it is without a vocabulary file. */
    private static EmbeddingTable withVocabulary(String file, EmbeddingTable t, Path vocabFile) throws IOException {
        if (vocabFile == null) {
            return t;
        }
        try {
            Vocabulary vocab = VocabularyFile.load(vocabFile);
            if (vocab.size() != t.rows()) {
                throw new TableFormatException(vocabFile, null, "lists " + vocab.size() + " tokens but table " + file
                        + " has " + t.rows() + " rows; line i of the vocabulary must be the token of row i");
            }
            return new EmbeddingTable(t.name(), t.version(), t.rows(), t.dim(), t.dtype(), t.segments(), vocab);
        } catch (IOException | RuntimeException e) {
            t.retire(); // frees the table's storage now
            throw e;
        }
    }
}
