package io.tokvec.serde;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.avro.TokenEvent;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class AvroSizeTest {

    @Test
    void shouldBoundTheEncodedSizeOfEverySampleRecord() {
        for (SpecificRecord r : SampleRecords.all()) {
            assertThat(AvroSize.upperBound(r)).as(r.getSchema().getName()).isGreaterThanOrEqualTo(SampleRecords.avroBinary(r).length);
        }
    }

    @Test
    void shouldBoundFuzzedOutputRecordsTightlyWhenEmbeddingsDominate() {
        Random rnd = new Random(7);
        for (int i = 0; i < 300; i++) {
            int maxLen = 1 + rnd.nextInt(64);
            int dim = 1 + rnd.nextInt(32);
            List<Integer> ids = new ArrayList<>();
            List<Boolean> mask = new ArrayList<>();
            List<Float> floats = new ArrayList<>();
            for (int t = 0; t < maxLen; t++) {
                int id = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(Integer.MAX_VALUE);
                ids.add(id);
                mask.add(id != 0);
            }
            for (int f = 0; f < maxLen * dim; f++) floats.add(rnd.nextFloat());
            byte[] bytes = new byte[maxLen * dim * 4];
            rnd.nextBytes(bytes);
            Map<String, String> meta = new HashMap<>();
            for (int m = rnd.nextInt(3); m > 0; m--) meta.put("k\u00e9" + m, "v\u4e2d" + rnd.nextInt());
            String id = "event-\u00fc-" + rnd.nextInt();
            EnrichedEvent e = EnrichedEvent.newBuilder().setId(id).setTable("t").setTableVersion(rnd.nextLong()).setIds(ids)
                    .setMask(mask).setLength(rnd.nextInt(maxLen + 1)).setTruncated(rnd.nextBoolean()).setDim(dim)
                    .setEmbeddings(ByteBuffer.wrap(bytes)).setMetadata(meta)
                    .setTimestampMs(rnd.nextBoolean() ? null : rnd.nextLong())
                    .setPooled(rnd.nextBoolean() ? null : ByteBuffer.wrap(new byte[dim * 4])).build();
            EnrichedEventFloats f = EnrichedEventFloats.newBuilder().setId(id).setTable("t").setTableVersion(1).setIds(ids)
                    .setMask(mask).setLength(0).setTruncated(false).setDim(dim).setEmbeddings(floats).setMetadata(meta).build();
            for (SpecificRecord r : List.of(e, f)) {
                long actual = SampleRecords.avroBinary(r).length;
                long bound = AvroSize.upperBound(r);
                assertThat(bound).isGreaterThanOrEqualTo(actual);
                // the slack is a few bytes per field and per id, never a share of the embeddings
                assertThat(bound - actual).isLessThanOrEqualTo(200 + 5L * maxLen + 40L * meta.size() + 3L * id.length());
            }
        }
    }

    @Test
    void shouldBoundUnionsMapsAndStrings() {
        TokenEvent t = TokenEvent.newBuilder().setId("x").setTokens(List.of("\u00e9\u00e9", "", "abc"))
                .setMetadata(Map.of("a", "b")).setWeights(List.of(0.5f, 1f, 2f)).build();

        assertThat(AvroSize.upperBound(t)).isGreaterThanOrEqualTo(SampleRecords.avroBinary(t).length);
    }
}
