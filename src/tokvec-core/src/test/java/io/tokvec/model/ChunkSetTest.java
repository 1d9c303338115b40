package io.tokvec.model;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sparse chunk set and its stored index, against a BitSet as the reference. */
class ChunkSetTest {

    @Test
    void shouldAgreeWithABitSetWhenIndexesAreAddedAndRemovedAtRandom() {
        Random rnd = new Random(42);
        for (int round = 0; round < 50; round++) {
            ChunkSet set = new ChunkSet();
            BitSet reference = new BitSet();
            for (int op = 0; op < 400; op++) {
                int i = rnd.nextInt(120);
                if (rnd.nextInt(3) == 0) {
                    assertThat(set.remove(i)).isEqualTo(reference.get(i));
                    reference.clear(i);
                } else {
                    assertThat(set.add(i)).isEqualTo(!reference.get(i));
                    reference.set(i);
                }
                assertThat(set.size()).isEqualTo(reference.cardinality());
            }
            List<Integer> present = new ArrayList<>();
            set.forEach(present::add);
            assertThat(present).isEqualTo(reference.stream().boxed().toList());
            for (int n = 0; n <= 121; n++) {
                assertThat(set.containsAllBelow(n)).as("all below %d", n).isEqualTo(reference.nextClearBit(0) >= n);
                assertThat(set.countBelow(n)).isEqualTo(reference.get(0, n).cardinality());
            }
            int runs = 0;
            for (int i = reference.nextSetBit(0); i >= 0; i = reference.nextSetBit(reference.nextClearBit(i))) runs++;
            assertThat(set.rangeCount()).isEqualTo(runs);
            ChunkIndex back = ChunkIndex.decode(new ChunkIndex(round, set).encode());
            assertThat(back.chunks()).isEqualTo(set);
            assertThat(back.maxSeq()).isEqualTo(round);
        }
    }

    @Test
    void shouldHoldOneRangeWhetherTheIndexIsSmallOrNear2To31() {
        ChunkSet set = new ChunkSet();
        set.add(Integer.MAX_VALUE - 1);
        set.add(Integer.MAX_VALUE);
        assertThat(set.rangeCount()).isEqualTo(1);
        assertThat(set.size()).isEqualTo(2);
        assertThat(set.contains(Integer.MAX_VALUE)).isTrue();
        assertThat(set.containsAllBelow(1)).isFalse();
        assertThat(new ChunkIndex(7, set).encode()).hasSize(8 + 4 + 8);
        assertThat(set.remove(Integer.MAX_VALUE)).isTrue();
        assertThat(set.ranges()).singleElement().satisfies(r -> assertThat(r).containsExactly(Integer.MAX_VALUE - 1, Integer.MAX_VALUE - 1));
        assertThatThrownBy(() -> set.add(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldStoreAnOverflowMarkerInsteadOfTheRangesWhenAVersionIsTooScattered() {
        ChunkSet scattered = new ChunkSet();
        for (int i = 0; i <= 2 * ChunkIndex.MAX_RANGES; i += 2) scattered.add(i);
        assertThat(scattered.rangeCount()).isEqualTo(ChunkIndex.MAX_RANGES + 1);
        byte[] stored = ChunkIndex.encode(99, scattered);
        assertThat(stored).hasSize(12);
        ChunkIndex back = ChunkIndex.decode(stored);
        assertThat(back.overflow()).isTrue();
        assertThat(back.maxSeq()).isEqualTo(99);
    }

    @Test
    void shouldRefuseAStoredIndexWhoseRangesAreTruncatedOverlappingOrUnordered() {
        assertThatThrownBy(() -> ChunkIndex.decode(new byte[5])).isInstanceOf(IllegalArgumentException.class);
        byte[] truncated = ByteBuffer.allocate(16).putLong(1).putInt(1).putInt(0).array();
        assertThatThrownBy(() -> ChunkIndex.decode(truncated)).hasMessageContaining("for 1 ranges");
        byte[] overlapping = ByteBuffer.allocate(28).putLong(1).putInt(2).putInt(0).putInt(5).putInt(3).putInt(9).array();
        assertThatThrownBy(() -> ChunkIndex.decode(overlapping)).hasMessageContaining("ascending and disjoint");
        byte[] huge = ByteBuffer.allocate(12).putLong(1).putInt(Integer.MAX_VALUE).array();
        assertThatThrownBy(() -> ChunkIndex.decode(huge)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldReadTheBitSetIndexOfAnOlderTokvec() {
        BitSet bits = new BitSet();
        bits.set(0, 10);
        bits.set(12);
        bits.set(20, 23);
        byte[] raw = bits.toByteArray();
        byte[] legacy = ByteBuffer.allocate(8 + raw.length).putLong(41).put(raw).array();
        ChunkIndex back = ChunkIndex.decodeLegacy(legacy);
        assertThat(back.maxSeq()).isEqualTo(41);
        List<Integer> present = new ArrayList<>();
        back.chunks().forEach(present::add);
        assertThat(present).isEqualTo(bits.stream().boxed().toList());
        assertThat(back.chunks().rangeCount()).isEqualTo(3);
        assertThatThrownBy(() -> ChunkIndex.decodeLegacy(new byte[8 + ChunkIndex.MAX_LEGACY_BYTES + 1]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
