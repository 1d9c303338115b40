package io.tokvec.config;

import io.tokvec.core.EnrichOptions;
import io.tokvec.core.Pooling;
import io.tokvec.streams.TokvecTopology;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokvecConfigTest {

    static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put(TokvecConfig.MAX_LEN, "8");
        return m;
    }

    @Test
    void shouldNameTheKeyWhenMaxLenIsMissing() {
        assertThatThrownBy(() -> new TokvecConfig(Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining(TokvecConfig.MAX_LEN);
    }

    @Test
    void shouldNameKeyValueAndAllowedValuesWhenAnEnumIsInvalid() {
        Map<String, String> m = minimal();
        m.put(TokvecConfig.PADDING, "middle");

        assertThatThrownBy(() -> new TokvecConfig(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(TokvecConfig.PADDING).hasMessageContaining("middle").hasMessageContaining("PRE, POST");
    }

    @Test
    void shouldRejectOutOfRangeNumbersWhenValidated() {
        Map<String, String> m = minimal();
        m.put(TokvecConfig.RETAIN_VERSIONS, "0");
        assertThatThrownBy(() -> new TokvecConfig(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(TokvecConfig.RETAIN_VERSIONS);
        m.put(TokvecConfig.RETAIN_VERSIONS, "2");
        m.put(TokvecConfig.TABLE, "a/b");
        assertThatThrownBy(() -> new TokvecConfig(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(TokvecConfig.TABLE).hasMessageContaining("'/'");
    }

    @Test
    void shouldParseCaseInsensitiveEnumsAndFillDefaultsWhenValid() {
        Map<String, String> m = minimal();
        m.put(TokvecConfig.PADDING, "POST");
        m.put(TokvecConfig.OOV, "unk");
        TokvecConfig c = new TokvecConfig(m);

        assertThat(c.enrichOptions()).isEqualTo(new EnrichOptions(8, EnrichOptions.Side.POST, EnrichOptions.Side.PRE,
                EnrichOptions.PadVector.TABLE, EnrichOptions.OovPolicy.UNK));
        assertThat(c.pinnedVersion()).isEqualTo(-1);
        assertThat(c.retainVersions()).isEqualTo(2);
        assertThat(c.property(TokvecConfig.TOPIC_INPUT)).isEqualTo("tokvec-events");
        assertThat(TokvecConfig.DEFAULTS).doesNotContainKeys(TokvecConfig.MAX_LEN, TokvecConfig.TABLE_VERSION)
                .containsEntry(TokvecConfig.MAX_TOKENS, "100000");
    }

    @Test
    void shouldBuildPoolingAndStringOptionsWhenBeyondPadSequencesKeysAreSet() {
        Map<String, String> m = minimal();
        assertThat(new TokvecConfig(m).enrichOptions().pooling()).isEqualTo(Pooling.Mode.NONE);
        assertThat(new TokvecConfig(m).enrichOptions().strings()).isEqualTo(EnrichOptions.Strings.KERAS_DEFAULT);
        m.put(TokvecConfig.POOLING, "SqrtN");
        m.put(TokvecConfig.OUTPUT_SEQUENCE, "false");
        m.put(TokvecConfig.OOV_BUCKETS, "7");
        m.put(TokvecConfig.HASHING_BINS, "1000");
        m.put(TokvecConfig.HASHING_MASK, "false");
        EnrichOptions o = new TokvecConfig(m).enrichOptions();

        assertThat(o.pooling()).isEqualTo(Pooling.Mode.SQRTN);
        assertThat(o.sequence()).isFalse();
        assertThat(o.strings()).isEqualTo(new EnrichOptions.Strings(7, 1000, false));
    }

    @Test
    void shouldRefuseUnknownPoolingAndBadBucketCountsWhenInvalid() {
        Map<String, String> m = minimal();
        m.put(TokvecConfig.POOLING, "avg");
        assertThatThrownBy(() -> new TokvecConfig(m)).isInstanceOf(ConfigException.class).hasMessageContaining(TokvecConfig.POOLING);
        m.remove(TokvecConfig.POOLING);
        m.put(TokvecConfig.OOV_BUCKETS, "0");
        assertThatThrownBy(() -> new TokvecConfig(m)).isInstanceOf(ConfigException.class).hasMessageContaining(TokvecConfig.OOV_BUCKETS);
        m.remove(TokvecConfig.OOV_BUCKETS);
        m.put(TokvecConfig.HASHING_BINS, "1");
        assertThatThrownBy(() -> new TokvecConfig(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(TokvecConfig.HASHING_BINS).hasMessageContaining("0 (use the vocabulary) or >= 2");
    }

    @Test
    void shouldPassTheDeadLetterTopicToKafkaStreamsUnderItsOwnKey() {
        Map<String, String> m = minimal();
        m.put(TokvecConfig.TOPIC_DLQ, "my-dlq");

        assertThat(TokvecTopology.streamsProps(new TokvecConfig(m)))
                .containsEntry(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "my-dlq");
    }

    @Test
    void shouldTakeKafkasDeadLetterKeyWhenTokvecsIsNotSet() {
        Map<String, String> m = minimal();
        m.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "streams-dlq");

        assertThat(new TokvecConfig(m).dlqTopic()).isEqualTo("streams-dlq");
    }

    @Test
    void shouldShortenTheRestoreConsumersFetchWaitUnlessFetchMaxWaitIsSet() {
        String restoreKey = StreamsConfig.restoreConsumerPrefix("fetch.max.wait.ms");
        assertThat(TokvecTopology.streamsProps(new TokvecConfig(minimal()))).containsEntry(restoreKey, "50");

        Map<String, String> own = minimal();
        own.put(restoreKey, "300");
        assertThat(TokvecTopology.streamsProps(new TokvecConfig(own))).containsEntry(restoreKey, "300");

        Map<String, String> unprefixed = minimal();
        unprefixed.put("fetch.max.wait.ms", "200");
        assertThat(TokvecTopology.streamsProps(new TokvecConfig(unprefixed))).doesNotContainKey(restoreKey)
                .containsEntry("fetch.max.wait.ms", "200");
    }

    @Test
    void shouldGiveTheProducerTokvecsDefaultsUnlessSetPrefixedOrNot() {
        String batch = StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG);
        Properties defaults = TokvecTopology.streamsProps(new TokvecConfig(minimal()));
        assertThat(defaults).containsEntry(batch, "1048576")
                .containsEntry(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), "5")
                .containsEntry(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG), "67108864")
                .doesNotContainKey(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG));
        // what the stream threads' producers get: Kafka's own default for what tokvec leaves alone
        Map<String, String> m = minimal();
        m.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
        assertThat(new StreamsConfig(TokvecTopology.streamsProps(new TokvecConfig(m))).getProducerConfigs("p"))
                .containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, "1048576").doesNotContainKey(ProducerConfig.COMPRESSION_TYPE_CONFIG);

        Map<String, String> prefixed = minimal();
        prefixed.put(batch, "65536");
        assertThat(TokvecTopology.streamsProps(new TokvecConfig(prefixed))).containsEntry(batch, "65536");
        Map<String, String> unprefixed = minimal();
        unprefixed.put(ProducerConfig.BATCH_SIZE_CONFIG, "131072");
        assertThat(TokvecTopology.streamsProps(new TokvecConfig(unprefixed))).doesNotContainKey(batch)
                .containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, "131072");
    }

    @Test
    void shouldCommitEvery500MsUnderExactlyOnceUnlessTheIntervalIsSet() {
        Map<String, String> eos = minimal();
        eos.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(TokvecTopology.streamsProps(new TokvecConfig(eos))).containsEntry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "500");

        eos.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        assertThat(TokvecTopology.streamsProps(new TokvecConfig(eos))).containsEntry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");

        Map<String, String> alos = minimal();
        alos.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        assertThat(TokvecTopology.streamsProps(new TokvecConfig(alos))).doesNotContainKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
        assertThat(TokvecTopology.streamsProps(new TokvecConfig(minimal()))).doesNotContainKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
    }

    @Test
    void shouldNotMakeKafkaWarnThatTheGlobalThreadHasNoProcessingExceptionHandler() {
        // Kafka Streams' partition assignor makes a StreamsConfig of the main consumer's settings
        // (AssignorConfiguration); its constructor warns when processing.exception.handler.global.enabled is false
        Map<String, String> m = minimal();
        m.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
        Map<String, Object> consumer = new StreamsConfig(TokvecTopology.streamsProps(new TokvecConfig(m)))
                .getMainConsumerConfigs("tokvec", "tokvec-consumer", 0);
        m.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "false");
        Map<String, Object> turnedOff = new StreamsConfig(TokvecTopology.streamsProps(new TokvecConfig(m)))
                .getMainConsumerConfigs("tokvec", "tokvec-consumer", 0);

        assertThat(consumer).containsEntry(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        assertThat(stderrOf(() -> new StreamsConfig(consumer))).doesNotContain("GlobalThread");
        // a user who turns it off still hears about it
        assertThat(stderrOf(() -> new StreamsConfig(turnedOff)))
                .contains("WARN StreamsConfig - Processing exception handler is not enabled for the GlobalThread");
    }

    /** What runs writes to System.err (where slf4j-simple logs). */
    private static synchronized String stderrOf(Runnable run) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            run.run();
        } finally {
            System.setErr(saved);
        }
        return err.toString(StandardCharsets.UTF_8);
    }
}
