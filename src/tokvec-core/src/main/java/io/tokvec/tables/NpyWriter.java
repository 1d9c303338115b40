package io.tokvec.tables;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a float32 matrix as a {@code .npy} file, format version 1.0, dtype {@code '<f4'}, C order,
 * exactly as {@code np.save(path, W.astype('<f4'))} does (header padded with spaces to a multiple of
 * 64 bytes and ended with {@code '\n'}). {@code np.load} and {@link NpyReader} read it back.
 */
public final class NpyWriter {

    private NpyWriter() {
    }

    /**
     * @param littleEndianFloats {@code rows * dim} float32 values, little-endian, row-major
     */
    public static void write(Path file, int rows, int dim, byte[] littleEndianFloats) throws IOException {
        if (rows < 0 || dim < 0 || (long) rows * dim * Float.BYTES != littleEndianFloats.length) {
            throw new IllegalArgumentException(littleEndianFloats.length + " bytes are not a " + rows + " x " + dim
                    + " float32 matrix");
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            out.write(header(rows, dim));
            out.write(littleEndianFloats);
        }
    }

    /** The magic, version, length and padded dictionary of a version 1.0 header. */
    static byte[] header(int rows, int dim) {
        StringBuilder dict = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': (")
                .append(rows).append(", ").append(dim).append("), }");
        int unpadded = 10 + dict.length() + 1;
        dict.append(" ".repeat((64 - unpadded % 64) % 64)).append('\n');
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] h = new byte[10 + text.length];
        h[0] = (byte) 0x93;
        System.arraycopy("NUMPY".getBytes(StandardCharsets.ISO_8859_1), 0, h, 1, 5);
        h[6] = 1;
        h[7] = 0;
        h[8] = (byte) text.length;
        h[9] = (byte) (text.length >>> 8);
        System.arraycopy(text, 0, h, 10, text.length);
        return h;
    }
}
