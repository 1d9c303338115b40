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
    void shouldUseTheIndexItsReaderBuiltWhenItMapsExactlyTheTokensToTheirRows() {
        List<String> tokens = List.of("", "[UNK]", "a", "b");
        Vocabulary v = Vocabulary.ofIndexed(tokens, new java.util.HashMap<>(java.util.Map.of("a", 2, "b", 3)));
        assertThat(v.lookup("b")).isEqualTo(3);
        assertThat(v.lookup("")).isEqualTo(Vocabulary.PAD);
        assertThat(v.indexOf("[UNK]")).isEqualTo(Vocabulary.NOT_FOUND);
        assertThat(v.lookup("zzz")).isEqualTo(Vocabulary.OOV);
        assertThat(v.oovRows()).isEqualTo(1);
        assertThat(v.tokens()).isEqualTo(Vocabulary.of(tokens).tokens());

        assertThatThrownBy(() -> Vocabulary.ofIndexed(tokens, java.util.Map.of("a", 3, "b", 2)))
                .hasMessage("vocabulary token 2 'a' is indexed as 3");
        assertThatThrownBy(() -> Vocabulary.ofIndexed(tokens, java.util.Map.of("a", 2)))
                .hasMessage("an index of 1 tokens for a vocabulary of 4");
        assertThatThrownBy(() -> Vocabulary.ofIndexed(List.of("", "[UNK]", "a"), java.util.Map.of("a", 2, "[UNK]", 1)))
                .hasMessage("an index of 2 tokens for a vocabulary of 3");
    }
}
