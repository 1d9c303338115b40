package io.tokvec.serde;

import io.tokvec.avro.EnrichedEvent;
import io.tokvec.core.IntList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Output arrays kept by length ({@link OutputArrays}, {@link ConfluentAvroSerializer#reusingOutputArrays}):
 * what a reusing serializer returns is, at the moment it returns, byte for byte what a serializer
 * writing fresh arrays returns; records of one length share one array per thread; the byte cap holds.
 */
class OutputArraysTest {

    private static final String SCOPE = "OutputArraysTest";
    private static final String TOPIC = "enriched";

    @AfterEach
    void dropScope() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    @Test
    void shouldReturnTheBytesOfAFreshArrayWhenArraysAreReused() {
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        ConfluentAvroSerializer<EnrichedEvent> fresh = new ConfluentAvroSerializer<>(registry, false);
        ConfluentAvroSerializer<EnrichedEvent> reusing = new ConfluentAvroSerializer<EnrichedEvent>(registry, false)
                .reusingOutputArrays(1 << 20);
        Random rnd = new Random(20261206);
        List<byte[]> handedOut = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            EnrichedEvent e = event(rnd, rnd.nextInt(4)); // four lengths
            byte[] expected = fresh.serialize(TOPIC, e);
            byte[] got = reusing.serialize(TOPIC, e);
            assertThat(got).as("record %d", i).isEqualTo(expected);
            handedOut.add(got);
        }
        assertThat(handedOut.stream().map(System::identityHashCode).distinct()).hasSize(4);
        assertThat(fresh.serialize(TOPIC, event(rnd, 0))).isNotSameAs(fresh.serialize(TOPIC, event(rnd, 0)));
    }

    @Test
    void shouldKeepOneSetOfArraysPerThread() throws InterruptedException {
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        ConfluentAvroSerializer<EnrichedEvent> reusing = new ConfluentAvroSerializer<EnrichedEvent>(registry, false)
                .reusingOutputArrays(1 << 20);
        byte[] mine = reusing.serialize(TOPIC, event(new Random(1), 2));
        AtomicReference<byte[]> theirs = new AtomicReference<>();
        Thread t = new Thread(() -> theirs.set(reusing.serialize(TOPIC, event(new Random(2), 2))));
        t.start();
        t.join();
        assertThat(theirs.get()).hasSameSizeAs(mine).isNotSameAs(mine);
        assertThat(reusing.serialize(TOPIC, event(new Random(3), 2))).isSameAs(mine);
    }

    @Test
    void shouldGiveFreshArraysOnceTheCapIsReached() {
        OutputArrays arrays = new OutputArrays(100);
        byte[] sixty = arrays.get(60);
        assertThat(arrays.get(60)).isSameAs(sixty);
        byte[] fifty = arrays.get(50);
        assertThat(fifty).hasSize(50);
        assertThat(arrays.get(50)).hasSize(50).isNotSameAs(fifty);
        assertThat(arrays.get(40)).isSameAs(arrays.get(40));
        assertThat(arrays.bytes()).isEqualTo(100);
    }

    @Test
    void shouldFindEveryKeptLengthAfterTheIndexGrows() {
        OutputArrays arrays = new OutputArrays(Long.MAX_VALUE);
        List<byte[]> first = new ArrayList<>();
        for (int len = 1; len <= 1000; len++) {
            first.add(arrays.get(len * 7));
        }
        for (int len = 1; len <= 1000; len++) {
            assertThat(arrays.get(len * 7)).hasSize(len * 7).isSameAs(first.get(len - 1));
        }
        assertThat(arrays.bytes()).isEqualTo(7L * 1000 * 1001 / 2);
    }

    /** An EnrichedEvent whose encoded length depends on {@code shape} only (ids of two varint bytes each). */
    private static EnrichedEvent event(Random rnd, int shape) {
        int maxLen = 8 + 4 * shape;
        int[] ids = new int[maxLen];
        List<Boolean> mask = new ArrayList<>();
        for (int i = 0; i < maxLen; i++) {
            ids[i] = 64 + rnd.nextInt(8000);
            mask.add(true);
        }
        byte[] emb = new byte[maxLen * 16];
        rnd.nextBytes(emb);
        return EnrichedEvent.newBuilder()
                .setId("e" + rnd.nextInt(10)).setTable("embeddings").setTableVersion(1)
                .setIds(new IntList(ids, maxLen)).setMask(mask).setLength(maxLen).setTruncated(false).setDim(4)
                .setEmbeddings(ByteBuffer.wrap(emb)).setDtype("float32")
                .build();
    }
}
