package io.tokvec.tables;

import io.tokvec.core.EmbeddingTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NpyReaderTest {

    @TempDir
    Path dir;

    private static final float[] VALUES = {0f, -0f, 1.5f, -2.25f, 3.4028235e38f, 1.4e-45f};

    @Test
    void shouldReadBackWhatNpyWriterWrote() throws IOException {
        Path f = dir.resolve("t.npy");
        NpyWriter.write(f, 2, 3, le(VALUES));

        NpyReader.NpyMatrix m = NpyReader.read(f);

        assertThat(m.rows()).isEqualTo(2);
        assertThat(m.dim()).isEqualTo(3);
        assertThat(m.data()).containsExactly(le(VALUES));
    }

    @Test
    void shouldWriteHeaderLikeNumpy() throws IOException {
        Path f = dir.resolve("t.npy");
        NpyWriter.write(f, 2, 3, le(VALUES));

        byte[] bytes = Files.readAllBytes(f);
        int headerLen = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
        String header = new String(bytes, 10, headerLen, StandardCharsets.ISO_8859_1);

        assertThat((10 + headerLen) % 64).isZero();
        assertThat(header).startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }").endsWith("\n");
        assertThat(bytes.length).isEqualTo(10 + headerLen + VALUES.length * 4);
    }

    @Test
    void shouldReadVersion2Header() throws IOException {
        Path f = npy(2, "{'descr':'<f4','fortran_order':False,'shape':(3,2)}\n", le(VALUES));

        NpyReader.NpyMatrix m = NpyReader.read(f);

        assertThat(m.rows()).isEqualTo(3);
        assertThat(m.dim()).isEqualTo(2);
        assertThat(m.data()).containsExactly(le(VALUES));
    }

    @Test
    void shouldReadVersion3Header() throws IOException {
        Path f = npy(3, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1, 6,), }  \n", le(VALUES));

        NpyReader.NpyMatrix m = NpyReader.read(f);

        assertThat(m.rows()).isEqualTo(1);
        assertThat(m.dim()).isEqualTo(6);
    }

    @Test
    void shouldConvertBigEndianToLittleEndian() throws IOException {
        Path f = npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }\n", be(VALUES));

        NpyReader.NpyMatrix m = NpyReader.read(f);

        assertThat(m.data()).containsExactly(le(VALUES));
    }

    @Test
    void shouldTransposeFortranOrder() throws IOException {
        // W = [[1, 2, 3], [4, 5, 6]] stored column-major: 1 4 2 5 3 6
        Path f = npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", le(new float[] {1, 4, 2, 5, 3, 6}));

        NpyReader.NpyMatrix m = NpyReader.read(f);

        assertThat(m.data()).containsExactly(le(new float[] {1, 2, 3, 4, 5, 6}));
    }

    @Test
    void shouldRefuseFloat64WithItsDtype() throws IOException {
        Path f = npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n", new byte[48]);

        assertThatThrownBy(() -> NpyReader.read(f))
                .isInstanceOf(TableFormatException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("dtype '<f8' (float64) is not supported")
                .hasMessageContaining("astype('<f4')");
    }

    @Test
    void shouldRefuseThreeDimensionsWithTheShape() throws IOException {
        Path f = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }\n", new byte[96]);

        assertThatThrownBy(() -> NpyReader.read(f))
                .isInstanceOf(TableFormatException.class)
                .hasMessageContaining("shape (2, 3, 4) is not 2-D");
    }

    @Test
    void shouldRefuseOneDimension() throws IOException {
        Path f = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }\n", new byte[24]);

        assertThatThrownBy(() -> NpyReader.read(f)).hasMessageContaining("shape (6,) is not 2-D");
    }

    @Test
    void shouldRefuseStructuredDtype() throws IOException {
        Path f = npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3), }\n", new byte[24]);

        assertThatThrownBy(() -> NpyReader.read(f)).hasMessageContaining("structured dtype is not supported");
    }

    @Test
    void shouldRefuseTruncatedData() throws IOException {
        Path f = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", new byte[20]);

        assertThatThrownBy(() -> NpyReader.read(f))
                .hasMessageContaining("needs 24 data bytes but the file has 20 (truncated?)");
    }

    @Test
    void shouldRefuseFileWithoutMagic() throws IOException {
        Path f = dir.resolve("x.npy");
        Files.writeString(f, "the 0.1 0.2\n");

        assertThatThrownBy(() -> NpyReader.read(f)).hasMessageContaining("not a .npy file");
    }

    @Test
    void shouldRefuseUnknownFormatVersion() throws IOException {
        Path f = npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }\n", new byte[4]);
        byte[] b = Files.readAllBytes(f);
        b[6] = 4;
        Files.write(f, b);

        assertThatThrownBy(() -> NpyReader.read(f)).hasMessageContaining("unsupported .npy format version 4.0");
    }

    /** A .npy file with a hand-made header of the given major version. */
    private Path npy(int major, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) len.putShort((short) h.length); else len.putInt(h.length);
        out.write(len.array());
        out.write(h);
        out.write(data);
        Path f = dir.resolve("hand-" + major + "-" + System.nanoTime() + ".npy");
        Files.write(f, out.toByteArray());
        return f;
    }

    static byte[] le(float[] v) {
        byte[] b = new byte[v.length * 4];
        for (int i = 0; i < v.length; i++) EmbeddingTable.putFloat(b, i, v[i]);
        return b;
    }

    private static byte[] be(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.BIG_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }
}
