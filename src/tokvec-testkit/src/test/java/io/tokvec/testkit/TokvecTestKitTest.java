package io.tokvec.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.streams.EnrichedStreams;
import io.tokvec.streams.TokvecEnrichment;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The test kit: tables from float[][], numpy files (written by numpy: src/test/python/gen_kit_tables.py)
 * and GloVe files become the active version, rollback, refused versions, float16 records, cleanup.
 */
class TokvecTestKitTest {

    private static final JsonNode EXPECTED = expected();

    private TokvecTestKit kit;
    private Properties props;
    private TestInputTopic<String, TokenEvent> events;
    private TestOutputTopic<String, EnrichedEvent> enriched;

    private TokvecTestKit start(String... keyValues) {
        props = TokvecTestKit.testProperties("kit");
        props.put(TokvecConfig.MAX_LEN, "2");
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put(keyValues[i], keyValues[i + 1]);
        }
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
        StreamsBuilder b = new StreamsBuilder();
        tokvec.addModelStore(b);
        EnrichedStreams<String> out = tokvec.enrich(b.stream("in", Consumed.with(Serdes.String(), tokvec.serdes().tokenEvent())));
        out.enriched().to("out", Produced.with(Serdes.String(), tokvec.serdes().enrichedEvent()));
        kit = TokvecTestKit.of(new TopologyTestDriver(b.build(), props), tokvec);
        events = kit.eventTopic("in", new StringSerializer());
        enriched = kit.enrichedTopic("out", new StringDeserializer());
        return kit;
    }

    @AfterEach
    void close() {
        if (kit != null) {
            kit.close();
        }
    }

    private EnrichedEvent enrich(String... tokens) {
        events.pipeInput("k", TokenEvent.newBuilder().setId("e").setTokens(List.of(tokens)).build());
        return enriched.readValue();
    }

    private static float[] row(String table, int i) {
        JsonNode r = EXPECTED.get(table).get(i);
        float[] f = new float[r.size()];
        for (int j = 0; j < f.length; j++) {
            f[j] = (float) r.get(j).asDouble(); // float32 values printed as doubles: exact
        }
        return f;
    }

    @Test
    void shouldServeTheRowsOfANumpyFileWithItsVocabularyWhenPublished() {
        start().publishNpy(1, resource("table-f4.npy"), resource("vocab.txt"));

        EnrichedEvent e = enrich("kafka", "streams");
        assertThat(kit.activeVersion()).isEqualTo(1);
        assertThat(e.getIds()).containsExactly(4, 5);
        assertThat(TokvecTestKit.embeddings(e)).isDeepEqualTo(new float[][] {row("f4", 4), row("f4", 5)});
    }

    @Test
    void shouldServeFloat16RowsWidenedExactlyWhenTheNumpyFileIsFloat16() {
        start().publishNpy(1, resource("table-f2.npy"), resource("vocab.txt"));

        assertThat(TokvecTestKit.embeddings(enrich("hello", "zebra"))).isDeepEqualTo(new float[][] {row("f2", 2), row("f2", 1)});
    }

    @Test
    void shouldReadFloat16RecordsWhenTheOutputIsFloat16() {
        start(TokvecConfig.OUTPUT_DTYPE, "float16").publishNpy(1, resource("table-f2.npy"), resource("vocab.txt"));

        EnrichedEvent e = enrich("world", "hello");
        assertThat(e.getDtype()).isEqualTo("float16");
        assertThat(TokvecTestKit.embeddings(e)).as("float16 values survive float16 output unchanged")
                .isDeepEqualTo(new float[][] {row("f2", 3), row("f2", 2)});
    }

    @Test
    void shouldServeAGloveFilesWordsFromRowTwoWhenPublished() {
        start().publishGlove(1, resource("glove.txt"));

        EnrichedEvent e = enrich("day", "the");
        List<String> words = new ArrayList<>();
        EXPECTED.get("glove_words").forEach(w -> words.add(w.asText()));
        assertThat(e.getIds()).containsExactly(words.indexOf("day") + 2, words.indexOf("the") + 2);
        assertThat(TokvecTestKit.embeddings(e)).isDeepEqualTo(new float[][] {row("glove", 2), row("glove", 0)});
    }

    @Test
    void shouldServeTheVersionActivatedWhenRolledBackAndForward() {
        start();
        float[][] v1 = {{0, 0}, {0, 0}, {1, 2}};
        float[][] v2 = {{0, 0}, {0, 0}, {3, 4}};
        kit.publish(1, v1, List.of("", "[UNK]", "a")).publish(2, v2, List.of("", "[UNK]", "a"));
        assertThat(enrich("a").getTableVersion()).isEqualTo(2L);

        kit.activate(1);
        EnrichedEvent back = enrich("a");
        kit.activate(2);
        EnrichedEvent forward = enrich("a");

        assertThat(back.getTableVersion()).isEqualTo(1L);
        assertThat(TokvecTestKit.embeddings(back)[1]).containsExactly(1, 2);
        assertThat(forward.getTableVersion()).isEqualTo(2L);
        assertThat(TokvecTestKit.embeddings(forward)[1]).containsExactly(3, 4);
    }

    @Test
    void shouldFailNamingTheReasonWhenTheEnrichmentRejectsAVersion() {
        start().publish(1, new float[][] {{0}, {0}, {1}});

        assertThatThrownBy(() -> kit.publish(2, new float[][] {{0}, {Float.NaN}})).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("publish v2").hasMessageContaining("NON_FINITE");
        assertThatThrownBy(() -> kit.activate(7)).isInstanceOf(IllegalStateException.class).hasMessageContaining("activate v7");
        assertThat(kit.activeVersion()).isEqualTo(1);
    }

    @Test
    void shouldDeleteTheStateDirWhenClosed() {
        start().publish(1, new float[][] {{0}, {0}, {1}});
        Path stateDir = Path.of(props.getProperty(StreamsConfig.STATE_DIR_CONFIG));
        assertThat(stateDir).isDirectory();

        kit.close();

        assertThat(stateDir).doesNotExist();
    }

    private static Path resource(String name) {
        try {
            return Path.of(TokvecTestKitTest.class.getResource("/kit/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode expected() {
        try {
            return new ObjectMapper().readTree(TokvecTestKitTest.class.getResourceAsStream("/kit/kit-tables.json"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
