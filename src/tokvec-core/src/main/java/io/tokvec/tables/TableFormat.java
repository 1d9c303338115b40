package io.tokvec.tables;

/**
 * The embedding table file formats {@link TableFiles#load} reads.
 *
 * <ul>
 *   <li>{@link #NPY}: a numpy {@code .npy} float32 matrix {@code [rows, dim]}, optionally with a
 *       vocabulary file (see {@link VocabularyFile}); rows are used as they are.</li>
 *   <li>{@link #GLOVE}: GloVe text, one {@code word v1 ... vd} per line (see {@link GloveReader}).</li>
 *   <li>{@link #WORD2VEC}: word2vec text or binary, told apart by content (see {@link Word2VecReader}).</li>
 * </ul>
 * GloVe and word2vec files get the padding row 0 ({@code ''}) and the OOV row 1 ({@code '[UNK]'})
 * added in front of their words.
 */
public enum TableFormat {
    NPY, GLOVE, WORD2VEC
}
