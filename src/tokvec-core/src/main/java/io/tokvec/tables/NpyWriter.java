package io.tokvec.tables;

import io.tokvec.core.Half;
import io.tokvec.core.TableDtype;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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

    /** Fills the float32 values of one row. */
    @FunctionalInterface
    public interface RowSource {
        void fill(int row, float[] values);
    }

    /**
     * Writes a {@code rows x dim} matrix row by row, as {@code '<f4'} or {@code '<f2'} (values rounded
     * as numpy's {@code astype(np.float16)}), holding one buffer of rows at a time: any size.
     */
    public static void write(Path file, int rows, int dim, TableDtype dtype, RowSource source) throws IOException {
        if (dtype.npyDescr() == null) {
            throw new IllegalArgumentException(dtype.configName() + " has no .npy dtype");
        }
        int rowBytes = dim * dtype.bytes();
        float[] row = new float[dim];
        ByteBuffer buf = ByteBuffer.allocate(Math.max(rowBytes, (1 << 22) / rowBytes * rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(header(rows, dim, dtype.npyDescr())));
            for (int r = 0; r < rows; r++) {
                source.fill(r, row);
                for (float v : row) {
                    if (dtype == TableDtype.FLOAT16) buf.putShort(Half.floatToHalf(v));
                    else buf.putFloat(v);
                }
                if (buf.remaining() < rowBytes || r == rows - 1) {
                    buf.flip();
                    while (buf.hasRemaining()) ch.write(buf);
                    buf.clear();
                }
            }
        }
    }

    static byte[] header(int rows, int dim) {
        return header(rows, dim, "<f4");
    }

    /** The magic, version, length and padded dictionary of a version 1.0 header. */
    static byte[] header(int rows, int dim, String descr) {
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (")
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
