package io.tokvec.tables;

import io.tokvec.core.Vocabulary;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A vocabulary file: UTF-8, one token per line, line {@code i} (0-based) is the token of row
 * {@code i}, exactly as Keras {@code StringLookup.get_vocabulary()} / {@code TextVectorization}
 * lists it. The first line may be empty: that is the padding token {@code ''} of row 0. In Python:
 * <pre>{@code open(path, "w", encoding="utf-8").write("".join(t + "\n" for t in layer.get_vocabulary()))}</pre>
 *
 * <p>Lines end at {@code '\n'}. A final {@code '\n'} ends the last line and does not add an empty
 * token, so {@code "\n[UNK]\nfoo\n"} and {@code "\n[UNK]\nfoo"} (Keras' own {@code "\n".join(vocab)}
 * asset) both hold the three tokens {@code '', '[UNK]', 'foo'}. Tokens are taken byte for byte:
 * a {@code '\r'} at the end of a line (Windows line endings) and a UTF-8 byte order mark are
 * refused rather than silently kept in or dropped from a token, and so are malformed UTF-8, an
 * empty line other than the first, and a token that appears twice, except the OOV token of line 2
 * repeated on the lines right after it: Keras' {@code get_vocabulary()} of a
 * {@code StringLookup(num_oov_indices=N)} lists it once per OOV row (see {@code Vocabulary#oovRows()}).
 */
public final class VocabularyFile {

    private VocabularyFile() {
    }

    /** Reads the tokens of a vocabulary file, in row order (a view of {@link #load}'s vocabulary). */
    public static List<String> read(Path file) throws IOException {
        return load(file).tokens();
    }

    /**
     * Reads a vocabulary file into its {@link Vocabulary}, token by token: no list of {@code String}s
     * and no second index is held on the way, so a file of millions of tokens needs about the heap the
     * vocabulary itself takes.
     */
    public static Vocabulary load(Path file) throws IOException {
        // sized from a first pass that counts the lines, so that the index is not grown (and copied) as it fills
        Vocabulary.Builder vocab = new Vocabulary.Builder((int) Math.min(1 << 30, GloveReader.countLines(file)));
        try (ByteLineReader lines = new ByteLineReader(Files.newInputStream(file))) {
            while (lines.next()) {
                long no = lines.lineNumber();
                byte[] b = lines.bytes();
                int n = lines.length();
                String where = "line " + no;
                if (no == 1 && n >= 3 && (b[0] & 0xff) == 0xEF && (b[1] & 0xff) == 0xBB && (b[2] & 0xff) == 0xBF) {
                    throw new TableFormatException(file, where, "starts with a UTF-8 byte order mark; save the file as UTF-8 without BOM");
                }
                if (n > 0 && b[n - 1] == '\r') {
                    throw new TableFormatException(file, where, "ends with a carriage return (Windows line endings?); "
                            + "tokens are taken exactly, so convert the file to '\\n' line endings");
                }
                String token;
                try {
                    token = Utf8.decode(b, 0, n);
                } catch (CharacterCodingException e) {
                    throw new TableFormatException(file, where, "is not valid UTF-8");
                }
                if (token.isEmpty() && no != 1) {
                    throw new TableFormatException(file, where, "is empty; only the first line (row 0, the padding token '') may be");
                }
                int prev;
                try {
                    // row 1's token again right after a run of it from row 1 is another OOV row, not a duplicate
                    prev = vocab.addOrFind(token);
                } catch (IllegalArgumentException e) {
                    throw new TableFormatException(file, where, e.getMessage());
                }
                if (prev != Vocabulary.NOT_FOUND) {
                    throw new TableFormatException(file, where, "token '" + token + "' already appears on line " + (prev + 1));
                }
            }
        }
        return vocab.build();
    }

    /** Writes tokens one per line, each followed by {@code '\n'}; {@link #read} gives them back. */
    public static void write(Path file, List<String> tokens) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                if (t.indexOf('\n') >= 0 || t.endsWith("\r")) {
                    throw new IllegalArgumentException("token " + i + " contains a line break and cannot be written one per line");
                }
                out.write(t.getBytes(StandardCharsets.UTF_8));
                out.write('\n');
            }
        }
    }
}
