package io.tokvec.bench;

import io.tokvec.config.TokvecConfig;
import io.tokvec.model.TableRegistry;
import io.tokvec.serde.ConfluentAvroSerializer;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.streams.TokvecMetrics;
import io.tokvec.streams.TokvecTopology;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The values the compressed ceilings ({@code ceiling-lz4}, {@code ceiling-zstd}) send: real output
 * records of the bench's workload, as {@code tokvec run} writes them, so that the producer compresses
 * what tokvec's producer compresses (padded ids, the mask, the padding rows repeating row 0). They are
 * made beforehand in the bench's JVM by tokvec's own topology under {@code TopologyTestDriver}, with
 * the same table, config and schema registry as the tokvec pipelines, and handed to
 * {@link CeilingProducer} in a file: each value as a 4-byte big-endian length, then its bytes.
 */
final class CeilingValues {

    /** Distinct values at most: the first 1,000 events' outputs (66 MB at 128 x 128 float32). */
    static final int MAX_DISTINCT = 1_000;

    private CeilingValues() {
    }

    /**
     * The output values of the workload's first {@code n} events: the table published through the
     * model topic of {@code config}, the events serialized as the bench writes them, piped through
     * {@link TokvecTopology} (state, and the mapped table, under the config's state dir).
     */
    static byte[][] enrich(Workload workload, TokvecConfig config, SchemaRegistryClient registry, int n) {
        TokvecMetrics metrics = new TokvecMetrics();
        TableRegistry tables = TokvecTopology.newRegistry(config, registry);
        try (TestDriver driver = new TestDriver(TokvecTopology.build(config, tables, registry, metrics),
                TokvecTopology.streamsProps(config))) {
            TopologyBench.publish(driver.input(config.modelTopic(), new StringSerializer(), new ByteArraySerializer()),
                    config.modelTopic(), new ConfluentAvroSerializer<>(registry, false), workload.table());
            if (tables.activeVersion() != workload.table().version()) {
                throw new IllegalStateException("ceiling values: the bench table did not become active: " + tables.describeVersions());
            }
            TestDriver.Input<byte[], byte[]> input = driver.input(config.inputTopic(), new ByteArraySerializer(), new ByteArraySerializer());
            TestDriver.Output<byte[], byte[]> output = driver.output(config.outputTopic(), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            byte[][] keys = workload.keys(n);
            byte[][] events = workload.serialized(registry, config.inputTopic(), n);
            byte[][] values = new byte[n][];
            for (int i = 0; i < n; i++) {
                input.pipe(keys[i], events[i]);
                if (output.size() != 1 || metrics.deadLetterCount() != 0) {
                    throw new IllegalStateException("ceiling values: event " + i + " gave " + output.size() + " outputs and "
                            + metrics.deadLetterCount() + " dead letters so far");
                }
                values[i] = output.readValue();
            }
            return values;
        } finally {
            tables.close();
        }
    }

    static void write(Path file, byte[][] values) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
            for (byte[] v : values) {
                out.writeInt(v.length);
                out.write(v);
            }
        }
    }

    /** The values of a file written by {@link #write}; a clear error for a truncated or corrupt one. */
    static byte[][] read(Path file) throws IOException {
        List<byte[]> values = new ArrayList<>();
        long size = Files.size(file);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            long pos = 0;
            while (pos < size) {
                int length = in.readInt();
                if (length < 0 || length > size - pos - Integer.BYTES) {
                    throw new IOException(file + ": value " + values.size() + " at byte " + pos + " claims " + length
                            + " bytes; the file has " + (size - pos - Integer.BYTES) + " left");
                }
                byte[] v = new byte[length];
                in.readFully(v);
                values.add(v);
                pos += Integer.BYTES + length;
            }
        } catch (EOFException e) {
            throw new IOException(file + ": truncated after " + values.size() + " values", e);
        }
        if (values.isEmpty()) {
            throw new IOException(file + ": no values");
        }
        return values.toArray(byte[][]::new);
    }
}
