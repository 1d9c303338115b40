package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableDtype;
import io.tokvec.core.TableSegments;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Reads a numpy {@code .npy} file holding a 2-D float32 or float16 matrix {@code [rows, dim]} (format
 * versions 1.0, 2.0 and 3.0): {@link #map} maps a C-order little-endian file as it is (any size, no
 * copy, off-heap), {@link #load} maps it or converts it off the heap (any size, any layout below),
 * {@link #read} reads it into a heap array of float32 (at most 2 GiB).
 *
 * <ul>
 *   <li>dtype {@code '<f4'} is read as is; {@code '>f4'} is byte-swapped in place; {@code '<f2'}
 *       (float16, C order) is mapped as float16 or widened exactly to float32. Any other dtype
 *       (float64, integers, structured) is refused with a message naming it: convert with
 *       {@code np.save(path, W.astype('<f4'))}.</li>
 *   <li>{@code fortran_order: True} (column-major, e.g. {@code np.save} of {@code W.T} or of an
 *       {@code np.asfortranarray}) is supported: the values are transposed while reading, so row
 *       {@code i} is always {@code W[i, :]} of the array numpy would load.</li>
 *   <li>Shapes other than 2-D, or with a zero size, are refused with a message naming the shape.</li>
 *   <li>The file must hold exactly {@code rows * dim * 4} bytes after the header: a truncated file
 *       or trailing bytes are refused.</li>
 * </ul>
 * {@link #read} reads in 1 MiB chunks directly into the table's byte array (no second copy);
 * {@link #load} converts in 1 MiB chunks.
 */
public final class NpyReader {

    /** A float32 matrix as little-endian row-major bytes. */
    public record NpyMatrix(int rows, int dim, byte[] data) {
    }

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int CHUNK = 1 << 20;

    private NpyReader() {
    }

    /** Where the values of a .npy file are and how they are laid out. */
    private record Layout(int rows, int dim, TableDtype dtype, boolean bigEndian, boolean fortranOrder, long dataStart) {
        boolean mappable() {
            return !bigEndian && (!fortranOrder || rows == 1 || dim == 1);
        }
    }

    /** Reads a float32 (or float16, widened exactly to float32) matrix onto the heap (at most 2 GiB of float32). */
    public static NpyMatrix read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Layout l = layout(ch, file);
            long bytes = (long) l.rows() * l.dim() * Float.BYTES;
            if (bytes > EmbeddingTable.MAX_HEAP_BYTES) {
                throw new TableFormatException(file, "header", l.rows() + " x " + l.dim() + " float32 is larger than the "
                        + EmbeddingTable.MAX_HEAP_BYTES + " bytes one heap array holds; map the file instead (NpyReader.map)");
            }
            byte[] data = new byte[(int) bytes];
            if (l.dtype() == TableDtype.FLOAT16) {
                if (!l.mappable()) {
                    throw float16Order(file);
                }
                byte[] half = new byte[(int) (bytes / 2)];
                readInto(ch, file, l.dataStart(), half);
                for (int i = 0; i < half.length / 2; i++) {
                    EmbeddingTable.putFloat(data, i, EmbeddingTable.halfAt(half, i));
                }
            } else if (l.fortranOrder() && l.rows() > 1 && l.dim() > 1) {
                readTransposed(ch, file, l.dataStart(), l.rows(), l.dim(), data);
            } else {
                readInto(ch, file, l.dataStart(), data);
            }
            if (l.bigEndian()) {
                swapBytes(data);
            }
            return new NpyMatrix(l.rows(), l.dim(), data);
        }
    }

    /** A matrix off the heap: mapped read-only from its file in its own dtype, or converted to float32 ({@link #load}). */
    public record MappedMatrix(int rows, int dim, TableDtype dtype, TableSegments segments) {
    }

    /**
     * Maps a C-order little-endian float32 or float16 matrix without copying it (no size limit but
     * the address space); null if the file needs conversion (big-endian, column-major): {@link #read} it.
     */
    public static MappedMatrix map(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Layout l = layout(ch, file);
            if (!l.mappable()) {
                return null;
            }
            TableSegments segs = TableSegments.map(ch, l.dataStart(), l.rows(), l.dim() * l.dtype().bytes(),
                    TableSegments.DEFAULT_SEGMENT_BYTES, false, null);
            return new MappedMatrix(l.rows(), l.dim(), l.dtype(), segs);
        }
    }

    /**
     * The matrix off the Java heap, whatever its size: {@link #map mapped} when the file is C-order
     * little-endian, else converted to little-endian row-major float32 while reading, in chunks, into
     * temporary off-heap storage ({@link ScratchRows}, freed with the table). Refuses float16 that is
     * not C-order little-endian, as {@link #read} does.
     */
    public static MappedMatrix load(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Layout l = layout(ch, file);
            if (l.mappable()) {
                return new MappedMatrix(l.rows(), l.dim(), l.dtype(), TableSegments.map(ch, l.dataStart(), l.rows(),
                        l.dim() * l.dtype().bytes(), TableSegments.DEFAULT_SEGMENT_BYTES, false, null));
            }
            if (l.dtype() == TableDtype.FLOAT16) {
                throw float16Order(file);
            }
            try (ScratchRows rows = ScratchRows.allocate(file, l.rows() + " rows x " + l.dim() + " float32", l.rows(),
                    l.dim() * Float.BYTES)) {
                convert(ch, file, l, rows);
                return new MappedMatrix(l.rows(), l.dim(), TableDtype.FLOAT32, rows.finish(l.rows()));
            }
        }
    }

    /** Reads big-endian and / or column-major float32 values and writes each to its little-endian row-major place. */
    private static void convert(FileChannel ch, Path file, Layout l, ScratchRows out) throws IOException {
        TableSegments segs = out.segments();
        boolean columnMajor = l.fortranOrder() && l.rows() > 1 && l.dim() > 1;
        byte[] chunk = new byte[CHUNK];
        ByteBuffer values = ByteBuffer.wrap(chunk).order(l.bigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        long total = (long) l.rows() * l.dim() * Float.BYTES;
        long done = 0;
        int row = 0;
        int col = 0;
        try {
            while (done < total) {
                int n = (int) Math.min(CHUNK, total - done);
                ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
                while (b.hasRemaining()) {
                    if (ch.read(b, l.dataStart() + done + b.position()) < 0) {
                        throw new EOFException(file + ": byte " + (l.dataStart() + done + b.position()) + ": unexpected end of file");
                    }
                }
                for (int k = 0; k < n; k += Float.BYTES) {
                    segs.segmentOf(row).putInt(segs.offsetOf(row) + col * Float.BYTES, values.getInt(k)); // bits kept (NaN payloads)
                    if (columnMajor) {
                        if (++row == l.rows()) {
                            row = 0;
                            col++;
                        }
                    } else if (++col == l.dim()) {
                        col = 0;
                        row++;
                    }
                }
                done += n;
            }
        } catch (InternalError e) {
            throw out.writeFailed(e);
        }
    }

    private static TableFormatException float16Order(Path file) {
        return new TableFormatException(file, "header", "float16 is read in C order, little-endian only: "
                + "save np.ascontiguousarray(W).astype('<f2')");
    }

    /**
     * Reads a 1-D integer array (row ids): {@code int32} or {@code int64}, either byte order
     * ({@code '<i4'}, {@code '<i8'}, {@code '>i4'}, {@code '>i8'}), C order. Every value must fit an
     * int32 (a table has at most 2^31-1 rows); at most 2^31-1 of them.
     */
    public static int[] readIds(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            Header h = header(ch, file);
            String d = h.header().descr();
            if (d == null || !(d.equals("<i4") || d.equals("<i8") || d.equals(">i4") || d.equals(">i8"))) {
                throw new TableFormatException(file, "header", "dtype '" + d + "'" + (d == null ? "" : dtypeName(d))
                        + " is not an id array: save the ids as integers, np.save(path, np.asarray(ids, '<i8'))");
            }
            long[] shape = h.header().shape();
            if (shape.length != 1) {
                throw new TableFormatException(file, "header", "shape " + h.header().shapeText() + " is not 1-D: row ids are a vector");
            }
            int width = d.endsWith("8") ? Long.BYTES : Integer.BYTES;
            if (shape[0] > Integer.MAX_VALUE - 16 || size - h.dataStart() != shape[0] * width) {
                throw new TableFormatException(file, "byte " + h.dataStart(), "shape " + h.header().shapeText() + " of " + width
                        + "-byte ids needs " + shape[0] * width + " data bytes but the file has " + (size - h.dataStart()));
            }
            int n = (int) shape[0];
            ByteBuffer data = readFully(ch, file, h.dataStart(), n * width).order(d.startsWith(">") ? ByteOrder.BIG_ENDIAN
                    : ByteOrder.LITTLE_ENDIAN);
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                long v = width == Long.BYTES ? data.getLong(i * Long.BYTES) : data.getInt(i * Integer.BYTES);
                if (v != (int) v) {
                    throw new TableFormatException(file, "ids[" + i + "]", "id " + v + " is beyond the 2^31-1 rows a table may have");
                }
                ids[i] = (int) v;
            }
            return ids;
        }
    }

    /** A parsed header and where the data starts. */
    private record Header(NpyHeader header, long dataStart) {
    }

    private static Layout layout(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        Header h = header(ch, file);
        NpyHeader header = h.header();
        boolean bigEndian = checkDtype(file, header);
        TableDtype dtype = header.descr().endsWith("f2") ? TableDtype.FLOAT16 : TableDtype.FLOAT32;
        long[] shape = header.shape();
        if (shape.length != 2) {
            throw new TableFormatException(file, "header", "shape " + header.shapeText() + " is not 2-D: "
                    + "an embedding table is a [rows, dim] matrix");
        }
        if (shape[0] < 1 || shape[1] < 1) {
            throw new TableFormatException(file, "header", "shape " + header.shapeText() + " is empty: "
                    + "a table needs at least one row and one column");
        }
        long bytes = shape[0] * shape[1] * dtype.bytes();
        if (shape[0] > Integer.MAX_VALUE || shape[1] > Integer.MAX_VALUE / Float.BYTES
                || bytes / dtype.bytes() / shape[1] != shape[0]) {
            throw new TableFormatException(file, "header", "shape " + header.shapeText() + " is larger than a table may be "
                    + "(at most " + Integer.MAX_VALUE + " rows)");
        }
        long dataStart = h.dataStart();
        if (size - dataStart != bytes) {
            throw new TableFormatException(file, "byte " + dataStart, "shape " + header.shapeText()
                    + " " + (dtype == TableDtype.FLOAT16 ? "float16" : "float32") + " needs " + bytes + " data bytes but the file has "
                    + (size - dataStart) + (size - dataStart < bytes ? " (truncated?)" : " (trailing bytes?)"));
        }
        return new Layout((int) shape[0], (int) shape[1], dtype, bigEndian, header.fortranOrder(), dataStart);
    }

    private static Header header(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        ByteBuffer pre = readFully(ch, file, 0, (int) Math.min(10, size)).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < MAGIC.length; k++) {
            if (k >= pre.capacity() || pre.get(k) != MAGIC[k]) {
                throw new TableFormatException(file, null, "not a .npy file (it does not start with \\x93NUMPY)");
            }
        }
        if (size < 10) {
            throw new TableFormatException(file, "byte " + size, "unexpected end of file in the .npy header");
        }
        int major = pre.get(6) & 0xff;
        int minor = pre.get(7) & 0xff;
        long headerLen;
        long headerStart;
        if (major == 1) {
            headerLen = pre.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            headerLen = readFully(ch, file, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(0) & 0xffffffffL;
            headerStart = 12;
        } else {
            throw new TableFormatException(file, "byte 6", "unsupported .npy format version " + major + "." + minor
                    + " (1.0, 2.0 and 3.0 are read)");
        }
        if (headerStart + headerLen > size || headerLen > (1 << 24)) {
            throw new TableFormatException(file, "byte " + headerStart, "header of " + headerLen
                    + " bytes does not fit in the file of " + size + " bytes");
        }
        ByteBuffer hb = readFully(ch, file, headerStart, (int) headerLen);
        String text = new String(hb.array(), 0, (int) headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        try {
            return new Header(NpyHeader.parse(text), headerStart + headerLen);
        } catch (IllegalArgumentException e) {
            throw new TableFormatException(file, "header", e.getMessage());
        }
    }

    /** Returns whether the data is big-endian; refuses everything but float32 and little-endian float16. */
    private static boolean checkDtype(Path file, NpyHeader header) throws TableFormatException {
        String d = header.descr();
        if (d == null) {
            throw new TableFormatException(file, "header", "structured dtype is not supported: tokvec reads float32 "
                    + "matrices ('<f4'); save the plain matrix with np.save(path, W.astype('<f4'))");
        }
        if (d.equals("<f4")) {
            return false;
        }
        if (d.equals(">f4")) {
            return true;
        }
        if (d.equals("<f2")) {
            return false;
        }
        throw new TableFormatException(file, "header", "dtype '" + d + "'" + dtypeName(d) + " is not supported: tokvec "
                + "reads float32 ('<f4' or '>f4') and float16 ('<f2'); convert with np.save(path, W.astype('<f4'))");
    }

    private static String dtypeName(String d) {
        Map<String, String> names = Map.of("f8", "float64", "f2", "float16", "i4", "int32", "i8", "int64",
                "i2", "int16", "u1", "uint8", "i1", "int8", "b1", "bool");
        String n = d.length() == 3 ? names.get(d.substring(1)) : null;
        return n == null ? "" : " (" + n + ")";
    }

    private static ByteBuffer readFully(FileChannel ch, Path file, long at, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new TableFormatException(file, "byte " + (at + b.position()), "unexpected end of file in the .npy header");
            }
        }
        return b;
    }

    /** Reads {@code data.length} bytes at {@code at} in chunks (a heap buffer of the full size would be copied whole). */
    private static void readInto(FileChannel ch, Path file, long at, byte[] data) throws IOException {
        int off = 0;
        while (off < data.length) {
            ByteBuffer b = ByteBuffer.wrap(data, off, Math.min(CHUNK, data.length - off));
            int n = ch.read(b, at + off);
            if (n < 0) {
                throw new EOFException(file + ": byte " + (at + off) + ": unexpected end of file");
            }
            off += n;
        }
    }

    /** Reads column-major values and scatters them to their row-major places. */
    private static void readTransposed(FileChannel ch, Path file, long at, int rows, int dim, byte[] data) throws IOException {
        byte[] chunk = new byte[CHUNK];
        long total = data.length;
        long done = 0;
        int row = 0;
        int col = 0;
        while (done < total) {
            int n = (int) Math.min(CHUNK, total - done);
            ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
            while (b.hasRemaining()) {
                if (ch.read(b, at + done + b.position()) < 0) {
                    throw new EOFException(file + ": byte " + (at + done + b.position()) + ": unexpected end of file");
                }
            }
            for (int k = 0; k < n; k += Float.BYTES) {
                System.arraycopy(chunk, k, data, (row * dim + col) * Float.BYTES, Float.BYTES);
                if (++row == rows) {
                    row = 0;
                    col++;
                }
            }
            done += n;
        }
    }

    private static void swapBytes(byte[] data) {
        for (int k = 0; k < data.length; k += 4) {
            byte a = data[k];
            byte b = data[k + 1];
            data[k] = data[k + 3];
            data[k + 1] = data[k + 2];
            data[k + 2] = b;
            data[k + 3] = a;
        }
    }
}
