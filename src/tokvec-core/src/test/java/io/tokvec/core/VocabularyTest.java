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
}
