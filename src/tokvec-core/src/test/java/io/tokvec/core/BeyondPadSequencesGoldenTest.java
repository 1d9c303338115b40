package io.tokvec.core;

import io.tokvec.testutil.GoldenCases;
import io.tokvec.testutil.GoldenCases.Case;
import io.tokvec.testutil.GoldenCases.Event;
import io.tokvec.testutil.GoldenCases.Expected;
import io.tokvec.testutil.GoldenCases.GoldenFile;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The golden files of "parity beyond pad_sequences" through the enrichment core, bit for bit:
 * pooling against torch's EmbeddingBag, the PyTorch preset against pad_sequence + Embedding(padding_idx=0),
 * StringLookup OOV buckets and Keras Hashing (fingerprints from FarmHash).
 */
class BeyondPadSequencesGoldenTest {

    @TestFactory
    Stream<DynamicTest> shouldMatchTorchEmbeddingBagWhenPooling() {
        GoldenFile g = GoldenCases.loadResource(GoldenCases.POOLING);
        assertThat(g.cases()).hasSize(30);
        assertThat(g.cases()).extracting(Case::pooling).contains("sum", "mean", "max", "sqrtn");
        assertThat(g.cases().stream().filter(c -> c.events().get(0).weights() != null)).hasSize(6);
        return EnricherGoldenTest.cases(g);
    }

    @TestFactory
    Stream<DynamicTest> shouldPoolTheSameWithoutTheSequenceOutputWhenSequenceIsOff() {
        GoldenFile g = GoldenCases.loadResource(GoldenCases.POOLING);
        EmbeddingTable table = g.table("golden", 1);
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : g.cases()) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                EnrichOptions o = c.options();
                Enricher enricher = new Enricher(o.withPooling(o.pooling(), false));
                for (int i = 0; i < c.events().size(); i++) {
                    Event e = c.events().get(i);
                    Expected x = c.expected().get(i);
                    EnrichResult r = enricher.enrichIds(table, e.tokenIds(), e.weights());
                    assertThat(r.embeddings()).as(x.id() + " embeddings").isEmpty();
                    assertThat(r.ids()).as(x.id() + " ids").containsExactly(x.ids());
                    assertThat(r.mask()).as(x.id() + " mask").containsExactly(x.mask());
                    EnricherGoldenTest.assertPooled(r, x);
                }
            }));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchTorchPadSequenceAndEmbeddingPaddingIdxWithThePytorchPreset() {
        GoldenFile g = GoldenCases.loadResource(GoldenCases.TORCH_PRESET);
        assertThat(g.cases()).hasSize(6).allSatisfy(c -> {
            assertThat(c.padding()).isEqualTo("post");
            assertThat(c.padVector()).isEqualTo("zeros");
        });
        // the table's row 0 is not zero: the zeros at padded positions come from pad.vector=zeros
        assertThat(g.table("t", 1).get(0, 0)).isNotZero();
        return EnricherGoldenTest.cases(g);
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchStringLookupWithHashedOovBuckets() {
        GoldenFile g = GoldenCases.loadResource(GoldenCases.OOV_BUCKETS);
        assertThat(g.cases()).isNotEmpty().allSatisfy(c -> assertThat(c.oovBuckets()).isEqualTo(5));
        assertThat(g.table("t", 1).vocabulary().oovRows()).isEqualTo(5);
        return EnricherGoldenTest.cases(g);
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasHashingWithAndWithoutTheMaskValue() {
        GoldenFile g = GoldenCases.loadResource(GoldenCases.HASHING);
        assertThat(g.cases()).extracting(Case::hashingMask).contains(true, false);
        assertThat(g.tokens()).isNull();
        return EnricherGoldenTest.cases(g);
    }
}
