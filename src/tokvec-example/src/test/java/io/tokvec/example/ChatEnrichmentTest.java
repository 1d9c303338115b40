package io.tokvec.example;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.streams.TokvecEnrichment;
import io.tokvec.testkit.TokvecTestKit;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Properties;

import static io.tokvec.example.ChatEnrichment.DEAD_LETTERS;
import static io.tokvec.example.ChatEnrichment.ENRICHED;
import static io.tokvec.example.ChatEnrichment.LANGUAGES;
import static io.tokvec.example.ChatEnrichment.MESSAGES;
import static org.assertj.core.api.Assertions.assertThat;

/** The example application's topology under TopologyTestDriver, with tokvec's test kit. */
class ChatEnrichmentTest {

    // tag::table[]
    static final List<String> WORDS = List.of("", "[UNK]", "hello", "kafka", "streams");
    static final float[][] V1 = {{0, 0}, {0, 0}, {0.5f, 1}, {-1, 0.25f}, {2, -2}};
    static final float[][] V2 = {{0, 0}, {0, 0}, {0.75f, 1}, {-1, 0.5f}, {3, -3}};
    // end::table[]

    // tag::setup[]
    private TokvecTestKit kit;
    private TestInputTopic<String, String> messages;
    private TestInputTopic<String, String> languages;
    private TestOutputTopic<String, EnrichedEvent> enriched;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    @BeforeEach
    void start() {
        Properties props = TokvecTestKit.testProperties("chat-enrichment"); // mock:// registry, temporary state dir
        props.put("tokvec.max.len", "4");
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
        kit = TokvecTestKit.of(new TopologyTestDriver(ChatEnrichment.buildTopology(tokvec), props), tokvec);

        messages = kit.driver().createInputTopic(MESSAGES, new StringSerializer(), new StringSerializer());
        languages = kit.driver().createInputTopic(LANGUAGES, new StringSerializer(), new StringSerializer());
        enriched = kit.enrichedTopic(ENRICHED, new StringDeserializer());
        deadLetters = kit.deadLetterTopic(DEAD_LETTERS, new StringDeserializer());
    }

    @AfterEach
    void stop() {
        kit.close();
    }
    // end::setup[]

    /** Row of {@code word} in the table (the vocabulary's index). */
    static int id(String word) {
        return WORDS.indexOf(word);
    }

    // tag::enrich[]
    @Test
    void shouldEnrichTheEnglishMessagesWithTheActiveTable() {
        kit.publish(1, V1, WORDS);
        languages.pipeInput("ann", "en");
        languages.pipeInput("bob", "de");
        messages.pipeInput("ann", "Hello, Kafka Streams!");
        messages.pipeInput("bob", "Hallo Kafka");   // not English: filtered out
        messages.pipeInput("ann", "   ");           // blank: filtered out

        EnrichedEvent e = enriched.readValue();
        assertThat(e.getId()).isEqualTo("ann");
        assertThat(e.getTableVersion()).isEqualTo(1L);
        assertThat(e.getIds()).containsExactly(0, id("hello"), id("kafka"), id("streams"));
        assertThat(e.getMask()).containsExactly(false, true, true, true);
        assertThat(TokvecTestKit.embeddings(e))
                .isDeepEqualTo(new float[][] {V1[0], V1[id("hello")], V1[id("kafka")], V1[id("streams")]});
        assertThat(e.getMetadata()).isEqualTo(Map.of("language", "en"));
        assertThat(enriched.isEmpty()).isTrue();
    }
    // end::enrich[]

    // tag::swap[]
    @Test
    void shouldServeTheNewVersionAfterASwapAndTheOldOneAfterARollback() {
        languages.pipeInput("ann", "en");
        kit.publish(1, V1, WORDS);
        kit.publish(2, V2, WORDS);
        messages.pipeInput("ann", "kafka");
        kit.activate(1);
        messages.pipeInput("ann", "kafka");

        List<EnrichedEvent> out = enriched.readValuesToList();
        assertThat(out).extracting(EnrichedEvent::getTableVersion).containsExactly(2L, 1L);
        assertThat(TokvecTestKit.embeddings(out.get(0))[3]).isEqualTo(V2[id("kafka")]);
        assertThat(TokvecTestKit.embeddings(out.get(1))[3]).isEqualTo(V1[id("kafka")]);
    }
    // end::swap[]

    // tag::dead-letters[]
    @Test
    void shouldDeadLetterTheMessagesWhenNoTableIsPublishedYet() {
        languages.pipeInput("ann", "en");
        messages.pipeInput("ann", "hello kafka");

        DeadLetter d = deadLetters.readValue();
        assertThat(d.getReason()).isEqualTo("NO_TABLE");
        assertThat(d.getEventId()).isEqualTo("ann");
        assertThat(d.getTopic()).isEqualTo(MESSAGES);
        assertThat(enriched.isEmpty()).isTrue();
    }
    // end::dead-letters[]

    @Test
    void shouldMapWordsOutsideTheVocabularyToTheOovRowWhenEnriched() {
        kit.publish(1, V1, WORDS);
        languages.pipeInput("ann", "en");
        messages.pipeInput("ann", "hello zebra");

        EnrichedEvent e = enriched.readValue();
        assertThat(e.getIds()).containsExactly(0, 0, id("hello"), id("[UNK]"));
        assertThat(e.getLength()).isEqualTo(2);
    }

    @Test
    void shouldKeepTheLastMaxLenWordsWhenAMessageIsLonger() {
        kit.publish(1, V1, WORDS);
        languages.pipeInput("ann", "en");
        messages.pipeInput("ann", "kafka hello hello kafka streams");

        EnrichedEvent e = enriched.readValue();
        assertThat(e.getIds()).containsExactly(id("hello"), id("hello"), id("kafka"), id("streams"));
        assertThat(e.getTruncated()).isTrue();
        assertThat(e.getLength()).isEqualTo(4);
    }
}
