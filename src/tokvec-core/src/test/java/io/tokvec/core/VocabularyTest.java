package io.tokvec.core;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Vocabulary lookups and the OOV rows of Keras' get_vocabulary(). */
class VocabularyTest {

    @Test
    void shouldCountTheOovRowsThatGetVocabularyListsWhenThereAreSeveral() {
        Vocabulary v = Vocabulary.of(List.of("", "[UNK]", "[UNK]", "[UNK]", "a", "b"));
        assertThat(v.oovRows()).isEqualTo(3);
        assertThat(v.indexOf("a")).isEqualTo(4);
        assertThat(v.indexOf("[UNK]")).isEqualTo(Vocabulary.NOT_FOUND);
        assertThat(v.lookup("[UNK]")).isEqualTo(Vocabulary.OOV);
        assertThat(v.indexOf("")).isEqualTo(Vocabulary.PAD);
    }

    @Test
    void shouldHaveOneOovRowInAClassicVocabularyAndNoneInASingleRow() {
        assertThat(Vocabulary.of(List.of("", "[UNK]", "a")).oovRows()).isEqualTo(1);
        assertThat(Vocabulary.of(List.of("")).oovRows()).isZero();
    }

    @Test
    void shouldStillRefuseTheOovTokenAfterTheOovRows() {
        assertThatThrownBy(() -> Vocabulary.of(List.of("", "[UNK]", "[UNK]", "a", "[UNK]")))
                .hasMessage("vocabulary token '[UNK]' appears twice (rows 1 and 4)");
        assertThatThrownBy(() -> Vocabulary.of(List.of("", "[UNK]", "a", "a"))).hasMessageContaining("appears twice");
    }

    @Test
    void shouldBuildTokenByTokenAndRefuseDuplicatesNamingTheFirstRow() {
        Vocabulary.Builder b = new Vocabulary.Builder(1); // grows from the smallest size
        assertThat(b.addOrFind("")).isEqualTo(Vocabulary.NOT_FOUND);
        assertThat(b.addOrFind("[UNK]")).isEqualTo(Vocabulary.NOT_FOUND);
        for (int i = 0; i < 10_000; i++) {
            assertThat(b.addOrFind("w" + i)).isEqualTo(Vocabulary.NOT_FOUND);
        }
        assertThat(b.addOrFind("w1234")).isEqualTo(1236);
        assertThat(b.addOrFind("[UNK]")).isEqualTo(1);
        assertThat(b.size()).isEqualTo(10_002);
        Vocabulary v = b.build();

        assertThat(v.size()).isEqualTo(10_002);
        assertThat(v.oovRows()).isEqualTo(1);
        for (int i = 0; i < 10_000; i++) {
            assertThat(v.indexOf("w" + i)).isEqualTo(i + 2);
        }
        assertThat(v.indexOf("[UNK]")).isEqualTo(Vocabulary.NOT_FOUND);
        assertThat(v.lookup("w10000")).isEqualTo(Vocabulary.OOV);
        assertThat(v.tokens().get(9_999 + 2)).isEqualTo("w9999");
        assertThatThrownBy(() -> b.addOrFind("late")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldKeepEveryTokenExactlyWhateverItsCharacters() {
        // Latin-1, beyond Latin-1, a surrogate pair, a lone surrogate, and two tokens of one String hash
        List<String> tokens = List.of("", "[UNK]", "naïve", "日本語", "😀x", "\uD800", "Aa", "BB", "ÿ", "Ā");
        assertThat("Aa".hashCode()).isEqualTo("BB".hashCode());
        Vocabulary v = Vocabulary.of(tokens);

        assertThat(v.tokens()).containsExactlyElementsOf(tokens);
        for (int i = 2; i < tokens.size(); i++) {
            assertThat(v.indexOf(new String(tokens.get(i).toCharArray()))).isEqualTo(i);
        }
        assertThat(v.indexOf("Ab")).isEqualTo(Vocabulary.NOT_FOUND);
        assertThat(v.indexOf("naive")).isEqualTo(Vocabulary.NOT_FOUND);
        assertThat(v.indexOf("日本")).isEqualTo(Vocabulary.NOT_FOUND);
        assertThatThrownBy(() -> v.tokens().get(10)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> v.tokens().set(2, "x")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void shouldHoldALargeVocabularyInAFewBytesMoreThanItsText() {
        int n = 200_000;
        Vocabulary.Builder b = new Vocabulary.Builder(n);
        b.addOrFind("");
        b.addOrFind("[UNK]");
        for (int i = 0; i < n; i++) {
            b.addOrFind("token" + i); // 6 to 11 characters
        }
        Vocabulary v = b.build();
        // text: 10.9 bytes a token on average; offsets, hashes and a bit 8.1; 2^19 slots of 4 bytes: 10.5
        long text = 0;
        for (int i = 0; i < n; i++) text += ("token" + i).length();
        assertThat(v.heapBytes()).isBetween(text + 18L * n, text + 30L * n);
        for (int i = 0; i < n; i++) { // 2.2 MB of text: nine pages
            assertThat(v.tokens().get(i + 2)).isEqualTo("token" + i);
            assertThat(v.indexOf("token" + i)).isEqualTo(i + 2);
        }
    }

    @Test
    void shouldStartANewPageForATokenThatDoesNotFitTheRestOfOneAndRefuseTokensLongerThanAPage() {
        int page = Vocabulary.Builder.PAGE;
        String full = "a".repeat(page);                 // a page of its own
        String nearlyFull = "b".repeat(page - 3);       // leaves 3 bytes...
        String wide = "\u0100".repeat(2);               // ...which this 4-byte token does not fit
        String fits = "ccc";                            // would have: it goes after it (no backfill)
        List<String> tokens = List.of("", "[UNK]", "x", full, nearlyFull, wide, fits, "y");
        Vocabulary v = Vocabulary.of(tokens);

        assertThat(v.tokens()).containsExactlyElementsOf(tokens);
        for (int i = 2; i < tokens.size(); i++) {
            assertThat(v.indexOf(tokens.get(i))).isEqualTo(i);
        }
        assertThatThrownBy(() -> Vocabulary.of(List.of("", "[UNK]", "d".repeat(page + 1))))
                .hasMessageContaining("vocabulary token 2 of " + (page + 1) + " characters is longer than a token may be");
        assertThatThrownBy(() -> Vocabulary.of(List.of("", "[UNK]", "\u0100".repeat(page / 2 + 1))))
                .hasMessageContaining("longer than a token may be");
    }
}
