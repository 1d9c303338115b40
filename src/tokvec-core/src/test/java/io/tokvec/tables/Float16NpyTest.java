package io.tokvec.tables;

import io.tokvec.avro.TableChunk;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableDtype;
import io.tokvec.model.ModelChunker;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A float16 table saved by numpy ({@code np.save(path, W.astype('<f2'))}) is mapped as float16, read
 * back as exactly the float32 numpy widens it to, and published as those float32 values (fixtures:
 * {@code src/test/python/gen_half_golden.py}).
 */
class Float16NpyTest {

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(Float16NpyTest.class.getResource("/half_golden/" + name).toURI());
    }

    @Test
    void shouldMapAFloat16NpyAndReadItAsNumpyWidensItWhenLoaded() throws Exception {
        EmbeddingTable half = TableFiles.load(fixture("table_f2.npy"), TableFormat.NPY, null, "t", 1);
        EmbeddingTable wide = TableFiles.load(fixture("table_f2_as_f4.npy"), TableFormat.NPY, null, "t", 1);
        assertThat(half.dtype()).isEqualTo(TableDtype.FLOAT16);
        assertThat(half.segments().offHeap()).as("mapped from the file").isTrue();
        assertThat(half.sizeBytes()).isEqualTo(7 * 5 * 2);
        assertThat(wide.dtype()).isEqualTo(TableDtype.FLOAT32);
        NpyReader.NpyMatrix heap = NpyReader.read(fixture("table_f2.npy"));
        for (int r = 0; r < 7; r++) {
            for (int k = 0; k < 5; k++) {
                int want = Float.floatToRawIntBits(wide.get(r, k));
                assertThat(Float.floatToRawIntBits(half.get(r, k))).as("row %d col %d", r, k).isEqualTo(want);
                assertThat(Float.floatToRawIntBits(EmbeddingTable.floatAt(heap.data(), r * 5 + k))).isEqualTo(want);
            }
        }
    }

    @Test
    void shouldPublishAFloat16TableAsItsFloat32ValuesWithTheirChecksum() throws Exception {
        EmbeddingTable half = TableFiles.load(fixture("table_f2.npy"), TableFormat.NPY, null, "t", 1);
        String sha = Files.readString(fixture("table_f2_as_f4.sha256")).strip();
        ModelChunker chunker = new ModelChunker(half, 3 * 5 * 4);
        assertThat(chunker.commit(java.util.Map.of()).record().getBody()).hasFieldOrPropertyWithValue("checksum", sha);
        NpyReader.NpyMatrix wide = NpyReader.read(fixture("table_f2_as_f4.npy"));
        ByteBuffer all = ByteBuffer.allocate(wide.data().length);
        for (int i = 0; i < chunker.chunkCount(); i++) {
            all.put(((TableChunk) chunker.chunk(i).record().getBody()).getData());
        }
        assertThat(all.array()).isEqualTo(wide.data());
    }

    @Test
    void shouldRefuseABigEndianFloat16Npy() throws IOException {
        Path f = Files.createTempFile("be", ".npy");
        try {
            byte[] h = NpyWriter.header(2, 2, ">f2");
            byte[] all = new byte[h.length + 8];
            System.arraycopy(h, 0, all, 0, h.length);
            Files.write(f, all);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> TableFiles.load(f, TableFormat.NPY, null, "t", 1))
                    .hasMessageContaining("dtype '>f2' (float16) is not supported");
        } finally {
            Files.delete(f);
        }
    }
}
