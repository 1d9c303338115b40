package io.tokvec.bench;

import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableChecksum;
import io.tokvec.model.ModelChunker;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The swap part's generated records are exactly what ModelChunker makes of the same gaussian table. */
class StreamedTableTest {

    @Test
    void shouldProduceTheChunksAndCommitOfModelChunker() {
        int rows = 4_000;
        int dim = 128;
        EmbeddingTable table = Workload.gaussianTable("t", 2, rows, dim, 99L);
        ModelChunker chunker = new ModelChunker(table, ModelChunker.DEFAULT_CHUNK_BYTES);
        List<ModelChunker.Keyed> expected = new ArrayList<>();
        for (Iterator<ModelChunker.Keyed> it = chunker.chunks(); it.hasNext(); ) {
            expected.add(it.next());
        }
        StreamedTable streamed = new StreamedTable("t", 2, rows, dim, 99L);
        assertThat(streamed.chunkCount()).isEqualTo(chunker.chunkCount()).isGreaterThan(1);
        for (ModelChunker.Keyed e : expected) {
            ModelChunker.Keyed a = streamed.next();
            assertThat(a.key()).isEqualTo(e.key());
            TableChunk ac = (TableChunk) a.record().getBody();
            TableChunk ec = (TableChunk) e.record().getBody();
            assertThat(ac.getIndex()).isEqualTo(ec.getIndex());
            assertThat(ac.getRowOffset()).isEqualTo(ec.getRowOffset());
            assertThat(ac.getRowCount()).isEqualTo(ec.getRowCount());
            assertThat(ac.getDim()).isEqualTo(ec.getDim());
            assertThat(ac.getData()).isEqualTo(ec.getData());
        }
        assertThat(streamed.hasNext()).isTrue();
        ModelChunker.Keyed commit = streamed.next();
        assertThat(commit.key()).isEqualTo(chunker.commit(java.util.Map.of()).key());
        TableCommit c = (TableCommit) commit.record().getBody();
        assertThat(c.getChecksum()).isEqualTo(TableChecksum.ofData(table.data()));
        assertThat(c.getRows()).isEqualTo(rows);
        assertThat(c.getChunks()).isEqualTo(chunker.chunkCount());
        assertThat(streamed.hasNext()).isFalse();
    }
}
