package io.tokvec.bench;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

import java.util.Properties;

/** Kafka's {@link TopologyTestDriver}, narrowed to the handful of calls the bench makes. */
final class TestDriver implements AutoCloseable {

    private final TopologyTestDriver driver;

    TestDriver(Topology topology, Properties config) {
        driver = new TopologyTestDriver(topology, config);
    }

    <K, V> Input<K, V> input(String topic, Serializer<K> keySerializer, Serializer<V> valueSerializer) {
        return new Input<>(driver.createInputTopic(topic, keySerializer, valueSerializer));
    }

    <K, V> Output<K, V> output(String topic, Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        return new Output<>(driver.createOutputTopic(topic, keyDeserializer, valueDeserializer));
    }

    @Override
    public void close() {
        driver.close();
    }

    /** A {@link TestInputTopic}. */
    static final class Input<K, V> {
        private final TestInputTopic<K, V> topic;

        private Input(TestInputTopic<K, V> topic) {
            this.topic = topic;
        }

        void pipe(K key, V value) {
            topic.pipeInput(key, value);
        }
    }

    /** A {@link TestOutputTopic}. */
    static final class Output<K, V> {
        private final TestOutputTopic<K, V> topic;

        private Output(TestOutputTopic<K, V> topic) {
            this.topic = topic;
        }

        /** Records waiting to be read. */
        long size() {
            return topic.getQueueSize();
        }

        V readValue() {
            return topic.readValue();
        }
    }
}
