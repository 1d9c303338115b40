package io.tokvec.testkit;

import io.tokvec.avro.DeadLetter;
import io.tokvec.avro.EnrichedEvent;
import io.tokvec.avro.EnrichedEventFloats;
import io.tokvec.avro.TokenEvent;
import io.tokvec.config.TokvecConfig;
import io.tokvec.streams.DeadLetterReason;
import io.tokvec.streams.EnrichedStreams;
import io.tokvec.streams.TokvecEnrichment;
import io.tokvec.streams.TokvecMetrics;
import io.tokvec.streams.TokvecTopology;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The library in users' topologies, DSL and Processor API: names, branches, stores, dead letters, two
 * enrichments side by side.
 */
class EnrichmentApiTest {

    static final List<String> VOCAB = List.of("", "[UNK]", "cat", "dog");
    /** Row i = (i + 0.25, -i); row 0 padding, row 1 OOV. */
    static final float[][] ROWS = {{0.25f, 0}, {1.25f, -1}, {2.25f, -2}, {3.25f, -3}};

    private final List<TokvecTestKit> kits = new ArrayList<>();

    @AfterEach
    void close() {
        for (int i = kits.size() - 1; i >= 0; i--) {
            kits.get(i).close();
        }
    }

    private static Properties props(String... keyValues) {
        Properties p = TokvecTestKit.testProperties("dsl");
        p.put(TokvecConfig.MAX_LEN, "3");
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    private TokvecTestKit kit(Topology topology, Properties props, TokvecEnrichment tokvec) {
        TokvecTestKit kit = TokvecTestKit.of(new TopologyTestDriver(topology, props), tokvec);
        kits.add(kit);
        return kit;
    }

    /** The model store, {@code enrich}'s enrichment, and its branches to the topics enriched and dead-letters. */
    private static Topology topology(TokvecEnrichment tokvec, Function<StreamsBuilder, EnrichedStreams<String>> enrich) {
        StreamsBuilder b = new StreamsBuilder();
        tokvec.addModelStore(b);
        EnrichedStreams<String> out = enrich.apply(b);
        out.enriched().to("enriched", Produced.with(Serdes.String(), tokvec.serdes().enrichedEvent()));
        out.deadLetters().to("dead-letters", Produced.with(Serdes.String(), tokvec.serdes().deadLetter()));
        return b.build();
    }

    /** events (TokenEvent) -> enrich -> enriched / dead-letters. */
    private static Topology eventsTopology(TokvecEnrichment tokvec) {
        return topology(tokvec, b -> tokvec.enrich(b.stream("events", Consumed.with(Serdes.String(), tokvec.serdes().tokenEvent()))));
    }

    private static TokenEvent tokens(String id, String... tokens) {
        return TokenEvent.newBuilder().setId(id).setTokens(List.of(tokens)).build();
    }

    @Test
    void shouldNameEveryProcessorAndStoreAfterTheEnrichmentWhenAddedWithTheDsl() {
        Properties props = props();
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).name("words").build();
        Topology topology = eventsTopology(tokvec);
        kit(topology, props, tokvec).publish(1, ROWS, VOCAB);

        Set<String> nodes = new HashSet<>();
        Set<String> stores = new HashSet<>();
        TopologyDescription d = topology.describe();
        d.subtopologies().forEach(s -> s.nodes().forEach(n -> {
            nodes.add(n.name());
            if (n instanceof TopologyDescription.Processor p) stores.addAll(p.stores());
        }));
        d.globalStores().forEach(g -> {
            nodes.add(g.processor().name());
            stores.addAll(g.processor().stores());
        });
        assertThat(nodes).contains("words-model-processor", "words-enrich", "words-enriched", "words-dead-letters");
        assertThat(stores).containsExactlyInAnyOrder("words-model-store", "words-partition-versions");
        assertThat(tokvec.modelStoreName()).isEqualTo("words-model-store");
        assertThat(tokvec.versionStoreName()).isEqualTo("words-partition-versions");
        assertThat(Path.of(props.getProperty("state.dir"), "dsl", "words-tables")).as("the table files of this enrichment")
                .isDirectory();
    }

    @Test
    void shouldNameTheStandaloneTopologysStoresWhenTheEnrichmentHasTheDefaultName() {
        Properties props = props();
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
        kit(eventsTopology(tokvec), props, tokvec);

        assertThat(tokvec.name()).isEqualTo(TokvecEnrichment.DEFAULT_NAME);
        assertThat(tokvec.modelStoreName()).isEqualTo(TokvecTopology.MODEL_STORE);
        assertThat(tokvec.modelProcessorName()).isEqualTo(TokvecTopology.MODEL_PROCESSOR);
        assertThat(tokvec.enrichProcessorName()).isEqualTo(TokvecTopology.ENRICH_PROCESSOR);
        assertThat(tokvec.versionStoreName()).isEqualTo(TokvecTopology.VERSION_STORE);
    }

    @Test
    void shouldRefuseToEnrichWhenTheModelStoreWasNotAdded() {
        Properties props = props();
        TokvecEnrichment added = TokvecEnrichment.builder(props).build();
        kit(eventsTopology(added), props, added);
        try (TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build()) {
            StreamsBuilder b = new StreamsBuilder();
            KStream<String, TokenEvent> events = b.stream("events", Consumed.with(Serdes.String(), tokvec.serdes().tokenEvent()));

            assertThatThrownBy(() -> tokvec.enrich(events)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("addModelStore");
        }
        assertThatThrownBy(() -> TokvecEnrichment.builder(props).name("no spaces")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldEnrichAndDeadLetterUnderTheInputKeysWhenEventsArrive() {
        Properties props = props();
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
        TokvecTestKit kit = kit(eventsTopology(tokvec), props, tokvec);
        var events = kit.eventTopic("events", new StringSerializer());
        events.pipeInput("k0", tokens("e0", "cat"));                 // before any table: NO_TABLE
        kit.publish(1, ROWS, VOCAB);
        events.pipeInput("k1", tokens("e1", "dog", "zebra"));
        events.pipeInput("k2", TokenEvent.newBuilder().setId("e2").build()); // neither ids nor tokens

        var enriched = kit.enrichedTopic("enriched", new StringDeserializer()).readKeyValuesToList();
        var dead = kit.deadLetterTopic("dead-letters", new StringDeserializer()).readKeyValuesToList();
        assertThat(enriched).hasSize(1);
        assertThat(enriched.get(0).key).isEqualTo("k1");
        EnrichedEvent e1 = enriched.get(0).value;
        assertThat(e1.getIds()).containsExactly(0, 3, 1);
        assertThat(e1.getMask()).containsExactly(false, true, true);
        assertThat(TokvecTestKit.embeddings(e1)).isDeepEqualTo(new float[][] {ROWS[0], ROWS[3], ROWS[1]});
        assertThat(dead).extracting(kv -> kv.key).containsExactly("k0", "k2");
        assertThat(dead).extracting(kv -> kv.value.getReason())
                .containsExactly(DeadLetterReason.NO_TABLE.name(), DeadLetterReason.NO_TOKENS.name());
        assertThat(dead.get(1).value.getEventId()).isEqualTo("e2");
        assertThat(dead.get(1).value.getTopic()).isEqualTo("events");
        assertThat(dead.get(1).value.getOffset()).isEqualTo(2L);
        assertThat(tokvec.metrics().enrichedCount()).isEqualTo(1);
        assertThat(tokvec.metrics().deadLetterCount()).isEqualTo(2);
    }

    @Test
    void shouldDeadLetterTheRecordWhenTheMapperThrowsOrReturnsNull() {
        Properties props = props();
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
        Topology t = topology(tokvec, b -> tokvec.enrich(b.stream("texts", Consumed.with(Serdes.String(), Serdes.String())),
                (key, text) -> text.equals("null") ? null : TokenEvent.newBuilder().setId(key)
                        .setTokens(List.of(text.substring(0, text.indexOf('!')).split(" "))).build()));
        TokvecTestKit kit = kit(t, props, tokvec).publish(1, ROWS, VOCAB);
        var texts = kit.driver().createInputTopic("texts", new StringSerializer(), new StringSerializer());
        texts.pipeInput("a", "cat dog!");
        texts.pipeInput("b", "no exclamation mark");
        texts.pipeInput("c", "null");

        assertThat(kit.enrichedTopic("enriched", new StringDeserializer()).readValuesToList())
                .extracting(EnrichedEvent::getId).containsExactly("a");
        List<DeadLetter> dead = kit.deadLetterTopic("dead-letters", new StringDeserializer()).readValuesToList();
        assertThat(dead).extracting(DeadLetter::getReason)
                .containsExactly(DeadLetterReason.MAPPING_FAILED.name(), DeadLetterReason.NULL_VALUE.name());
        assertThat(dead.get(0).getMessage()).contains("StringIndexOutOfBoundsException");
        assertThat(dead).extracting(DeadLetter::getOffset).containsExactly(1L, 2L);
        assertThat(dead.get(0).getValue()).as("a typed value has no original bytes here").isNull();
    }

    @Test
    void shouldDeadLetterUndecodableBytesWithTheirOriginalBytesWhenTheInputIsTheWireFormat() {
        Properties props = props();
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
        Topology t = topology(tokvec, b -> tokvec.enrichWireFormat(b.stream("raw", Consumed.with(Serdes.String(), Serdes.ByteArray()))));
        TokvecTestKit kit = kit(t, props, tokvec).publish(1, ROWS, VOCAB);
        var raw = kit.driver().createInputTopic("raw", new StringSerializer(), new ByteArraySerializer());
        byte[] json = "{\"id\":\"x\"}".getBytes();
        raw.pipeInput("j", json);
        raw.pipeInput("w", tokvec.serdes().tokenEvent().serializer().serialize("raw", tokens("w1", "cat")));

        DeadLetter d = kit.deadLetterTopic("dead-letters", new StringDeserializer()).readValue();
        assertThat(d.getReason()).isEqualTo(DeadLetterReason.BAD_MAGIC.name());
        assertThat(d.getValue()).isEqualTo(ByteBuffer.wrap(json));
        assertThat(kit.enrichedTopic("enriched", new StringDeserializer()).readValue().getIds()).containsExactly(0, 0, 2);
    }

    @Test
    void shouldHandDownstreamOperatorsRecordsTheyMayKeepWhenSeveralEventsFollow() {
        Properties props = props();
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
        StreamsBuilder b = new StreamsBuilder();
        tokvec.addModelStore(b);
        List<EnrichedEvent> kept = new ArrayList<>();
        tokvec.enrich(b.stream("events", Consumed.with(Serdes.String(), tokvec.serdes().tokenEvent()))).enriched()
                .foreach((k, v) -> kept.add(v));
        TokvecTestKit kit = kit(b.build(), props, tokvec).publish(1, ROWS, VOCAB);
        var events = kit.eventTopic("events", new StringSerializer());
        events.pipeInput("a", tokens("a", "cat"));
        events.pipeInput("b", tokens("b", "dog", "dog", "dog"));

        assertThat(kept).hasSize(2);
        assertThat(kept.get(0).getIds()).containsExactly(0, 0, 2);
        assertThat(TokvecTestKit.embeddings(kept.get(0))).isDeepEqualTo(new float[][] {ROWS[0], ROWS[0], ROWS[2]});
        assertThat(TokvecTestKit.embeddings(kept.get(1))).isDeepEqualTo(new float[][] {ROWS[3], ROWS[3], ROWS[3]});
    }

    @Test
    void shouldNeitherRepartitionNorForgetThePartitionsVersionWhenTheEnrichedStreamIsGrouped() {
        Properties props = props();
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
        StreamsBuilder b = new StreamsBuilder();
        tokvec.addModelStore(b);
        tokvec.enrich(b.stream("events", Consumed.with(Serdes.String(), tokvec.serdes().tokenEvent()))).enriched()
                .groupByKey().count().toStream().to("counts", Produced.with(Serdes.String(), Serdes.Long()));
        Topology topology = b.build();
        TokvecTestKit kit = kit(topology, props, tokvec).publish(1, ROWS, VOCAB);
        kit.eventTopic("events", new StringSerializer()).pipeInput("a", tokens("a", "cat"));

        assertThat(topology.describe().toString()).doesNotContain("repartition");
        assertThat(kit.driver().producedTopicNames()).contains("dsl-" + TokvecTopology.VERSION_STORE + "-changelog");
        assertThat(kit.driver().getKeyValueStore(TokvecTopology.VERSION_STORE).get(tokvec.config().table()))
                .as("the version used for the partition").isNotNull();
    }

    @Test
    void shouldOfferTheFloatBranchOnlyWhenTheEncodingIsFloats() {
        Properties props = props(TokvecConfig.OUTPUT_ENCODING, "floats");
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).build();
        StreamsBuilder b = new StreamsBuilder();
        tokvec.addModelStore(b);
        EnrichedStreams<String> out = tokvec.enrich(b.stream("events", Consumed.with(Serdes.String(), tokvec.serdes().tokenEvent())));
        assertThatThrownBy(out::enriched).isInstanceOf(IllegalStateException.class).hasMessageContaining("enrichedFloats()");
        out.enrichedFloats().to("enriched", Produced.with(Serdes.String(), tokvec.serdes().enrichedEventFloats()));
        TokvecTestKit kit = kit(b.build(), props, tokvec).publish(1, ROWS, VOCAB);
        kit.eventTopic("events", new StringSerializer()).pipeInput("a", tokens("a", "dog"));

        EnrichedEventFloats f = kit.driver().createOutputTopic("enriched", new StringDeserializer(),
                tokvec.serdes().enrichedEventFloats().deserializer()).readValue();
        assertThat(f.getEmbeddings()).containsExactly(0.25f, 0f, 0.25f, 0f, 3.25f, -3f);
    }

    @Test
    void shouldRouteEnrichedRecordsAndDeadLettersToTheirChildrenWhenAddedWithTheProcessorApi() {
        Properties props = props();
        TokvecEnrichment tokvec = TokvecEnrichment.builder(props).name("papi").build();
        Topology t = new Topology();
        tokvec.addModelStore(t);
        t.addSource("texts", new StringDeserializer(), new StringDeserializer(), "texts");
        t.addProcessor("enrich", tokvec.<String, String>processor((k, text) -> tokens(k, text.split(" ")), "out", "dlq"), "texts");
        t.addSink("out", "enriched", new StringSerializer(), tokvec.serdes().enrichedEvent().serializer(), "enrich");
        t.addSink("dlq", "dead-letters", new StringSerializer(), tokvec.serdes().deadLetter().serializer(), "enrich");
        TokvecTestKit kit = kit(t, props, tokvec).publish(1, ROWS, VOCAB);
        var texts = kit.driver().createInputTopic("texts", new StringSerializer(), new StringSerializer());
        texts.pipeInput("a", "dog cat");
        texts.pipeInput("b", "cat cat cat cat");

        EnrichedEvent a = kit.enrichedTopic("enriched", new StringDeserializer()).readValue();
        assertThat(a.getId()).isEqualTo("a");
        assertThat(TokvecTestKit.embeddings(a)).isDeepEqualTo(new float[][] {ROWS[0], ROWS[3], ROWS[2]});
        assertThat(kit.enrichedTopic("enriched", new StringDeserializer()).readValue().getTruncated()).isTrue();
        assertThat(t.describe().toString()).contains("papi-partition-versions", "papi-model-store");
        assertThat(kit.deadLetterTopic("dead-letters", new StringDeserializer()).isEmpty()).isTrue();
        texts.pipeInput("c", "");   // one empty token: a string token '' is padding, so this event is all padding
        texts.pipeInput("d", (String) null);
        assertThat(kit.enrichedTopic("enriched", new StringDeserializer()).readValue().getMask()).containsOnly(false);
        assertThat(kit.deadLetterTopic("dead-letters", new StringDeserializer()).readValue().getReason())
                .isEqualTo(DeadLetterReason.NULL_VALUE.name());
    }

    @Test
    void shouldServeEachTableToItsOwnStreamWhenTwoEnrichmentsShareATopology() {
        Properties props = props();
        Properties words = new Properties();
        words.putAll(props);
        words.putAll(Map.of(TokvecConfig.TABLE, "words", TokvecConfig.TOPIC_MODEL, "words-model"));
        Properties items = new Properties();
        items.putAll(props);
        items.putAll(Map.of(TokvecConfig.TABLE, "items", TokvecConfig.TOPIC_MODEL, "items-model", TokvecConfig.MAX_LEN, "2"));
        TokvecEnrichment wordVectors = TokvecEnrichment.builder(words).name("words").build();
        TokvecEnrichment itemVectors = TokvecEnrichment.builder(items).name("items").build();
        StreamsBuilder b = new StreamsBuilder();
        wordVectors.addModelStore(b);
        itemVectors.addModelStore(b);
        wordVectors.enrich(b.stream("texts", Consumed.with(Serdes.String(), wordVectors.serdes().tokenEvent()))).enriched()
                .to("texts-enriched", Produced.with(Serdes.String(), wordVectors.serdes().enrichedEvent()));
        itemVectors.enrich(b.stream("baskets", Consumed.with(Serdes.String(), Serdes.String())),
                        (k, basket) -> TokenEvent.newBuilder().setId(k).setTokenIds(Arrays.stream(basket.split(","))
                                .map(Integer::valueOf).toList()).build()).enriched()
                .to("baskets-enriched", Produced.with(Serdes.String(), itemVectors.serdes().enrichedEvent()));
        TopologyTestDriver driver = new TopologyTestDriver(b.build(), props);
        TokvecTestKit wordKit = TokvecTestKit.of(driver, wordVectors);
        TokvecTestKit itemKit = TokvecTestKit.of(driver, itemVectors);
        kits.add(wordKit);
        kits.add(itemKit);
        float[][] itemRows = {{0, 0, 0}, {1, 1, 1}, {7, 8, 9}};
        wordKit.publish(3, ROWS, VOCAB);
        itemKit.publish(5, itemRows);
        wordKit.eventTopic("texts", new StringSerializer()).pipeInput("t", tokens("t", "cat", "dog"));
        driver.createInputTopic("baskets", new StringSerializer(), new StringSerializer()).pipeInput("b", "2,1");

        EnrichedEvent text = wordKit.enrichedTopic("texts-enriched", new StringDeserializer()).readValue();
        EnrichedEvent basket = itemKit.enrichedTopic("baskets-enriched", new StringDeserializer()).readValue();
        assertThat(text.getTable()).isEqualTo("words");
        assertThat(text.getTableVersion()).isEqualTo(3L);
        assertThat(TokvecTestKit.embeddings(text)).isDeepEqualTo(new float[][] {ROWS[0], ROWS[2], ROWS[3]});
        assertThat(basket.getTable()).isEqualTo("items");
        assertThat(basket.getTableVersion()).isEqualTo(5L);
        assertThat(TokvecTestKit.embeddings(basket)).isDeepEqualTo(new float[][] {itemRows[2], itemRows[1]});
        Set<String> enrichmentTags = new HashSet<>();
        for (MetricName n : driver.metrics().keySet()) {
            if (n.group().equals(TokvecMetrics.GROUP) && n.name().equals("events-enriched-total")) {
                enrichmentTags.add(n.tags().get("enrichment") + "/" + n.tags().get("table"));
            }
        }
        assertThat(enrichmentTags).containsExactlyInAnyOrder("words/words", "items/items");
        assertThat(wordVectors.metrics().enrichedCount()).isEqualTo(1);
        assertThat(itemVectors.metrics().enrichedCount()).isEqualTo(1);
        assertThat(wordVectors.registry().snapshot().otherTables()).isEmpty();
        assertThat(driver.producedTopicNames()).contains("dsl-words-partition-versions-changelog", "dsl-items-partition-versions-changelog");
    }
}
