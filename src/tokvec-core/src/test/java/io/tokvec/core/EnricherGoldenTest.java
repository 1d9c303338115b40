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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every Keras golden case (gen_keras_golden.py, and the shared cases where they exist) through the enrichment core, bit for bit. */
class EnricherGoldenTest {

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasForIdEvents() {
        return cases(GoldenCases.IDS);
    }

    @TestFactory
    Stream<DynamicTest> shouldMatchKerasForStringEvents() {
        return cases(GoldenCases.STRINGS);
    }

    /**
     * The Keras cases of the shared golden directory beside the checkout, where there is one: the same
     * semantics computed elsewhere, as a cross-check of the repository's own files (skipped without it).
     */
    @TestFactory
    Stream<DynamicTest> shouldMatchTheSharedKerasCasesWhereTheyExist() {
        List<GoldenFile> shared = GoldenCases.sharedKeras();
        assumeTrue(!shared.isEmpty(), "no shared golden directory beside the checkout");
        return shared.stream().flatMap(EnricherGoldenTest::cases);
    }

    private static Stream<DynamicTest> cases(String file) {
        GoldenFile golden = GoldenCases.load(file);
        assertThat(golden.cases()).hasSize(32);
        return cases(golden);
    }

    /** Every case of a golden file through a fresh {@link Enricher} with the case's options. */
    static Stream<DynamicTest> cases(GoldenFile golden) {
        String file = golden.file();
        EmbeddingTable table = golden.table("golden", 1);
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : golden.cases()) {
            tests.add(DynamicTest.dynamicTest(file + ":" + c.name(), () -> {
                Enricher enricher = new Enricher(c.options());
                assertThat(c.events()).hasSameSizeAs(c.expected()).isNotEmpty();
                for (int i = 0; i < c.events().size(); i++) {
                    Event e = c.events().get(i);
                    Expected x = c.expected().get(i);
                    EnrichResult r = e.tokenIds() != null ? enricher.enrichIds(table, e.tokenIds(), e.weights())
                            : enricher.enrichTokens(table, e.tokens(), e.weights());
                    assertMatches(r, x);
                }
            }));
        }
        return tests.stream();
    }

    /** Compares floats by their bits: parity means the same float32 values, not close ones. */
    static void assertMatches(EnrichResult r, Expected x) {
        assertThat(r.ids()).as(x.id() + " ids").containsExactly(x.ids());
        assertThat(r.mask()).as(x.id() + " mask").containsExactly(x.mask());
        assertThat(r.length()).as(x.id() + " length").isEqualTo(x.length());
        assertThat(r.truncated()).as(x.id() + " truncated").isEqualTo(x.truncated());
        float[] got = r.embeddingsAsFloats();
        assertThat(got).as(x.id() + " embeddings size").hasSameSizeAs(x.embeddings());
        for (int k = 0; k < got.length; k++) {
            assertThat(Float.floatToRawIntBits(got[k])).as(x.id() + " embeddings[" + k + "]")
                    .isEqualTo(Float.floatToRawIntBits(x.embeddings()[k]));
        }
        assertPooled(r, x);
    }

    /** The pooled vector, bit for bit, when the case expects one; none otherwise. */
    static void assertPooled(EnrichResult r, Expected x) {
        if (x.pooled() == null) {
            assertThat(r.pooled()).as(x.id() + " pooled").isNull();
            return;
        }
        float[] pooled = r.pooledAsFloats();
        assertThat(pooled).as(x.id() + " pooled size").hasSameSizeAs(x.pooled());
        for (int k = 0; k < pooled.length; k++) {
            assertThat(Float.floatToRawIntBits(pooled[k])).as(x.id() + " pooled[" + k + "] " + pooled[k] + " vs " + x.pooled()[k])
                    .isEqualTo(Float.floatToRawIntBits(x.pooled()[k]));
        }
    }
}
