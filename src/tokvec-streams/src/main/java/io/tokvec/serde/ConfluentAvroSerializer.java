package io.tokvec.serde;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import io.tokvec.avro.EnrichedEvent;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro specific records in the Confluent wire format, byte for byte as Confluent's
 * {@code KafkaAvroSerializer}: {@code [0][schema id, 4 bytes big-endian][Avro binary]}, the Avro
 * binary written with the record's own schema, which is registered under the subject
 * {@code <topic>-value} (or {@code <topic>-key} for keys; Confluent's TopicNameStrategy).
 *
 * <p>Configuration ({@link #configure}): everything {@link SchemaRegistries#forConfig} reads, plus
 * {@value #AUTO_REGISTER_SCHEMAS} (default true; when false the schema must already be registered
 * under the subject). A client given to the constructor is kept (and not closed by {@link #close()}).
 *
 * <p>A null record serializes to null (a tombstone). Thread-safe: the schema id is cached per
 * (topic, schema) so the registry is asked once, the {@link SpecificDatumWriter} is cached per
 * schema, and each thread reuses its own output buffer.
 *
 * <p>{@link #reusingOutputArrays}: an {@link EnrichedEvent} is written into an array the thread
 * keeps and hands out again for its next EnrichedEvent of the same length (see {@link OutputArrays}),
 * instead of a fresh array per record. Only for a caller that is done with the array before the
 * thread serializes again: Kafka Streams' sink, whose producer copies the value into its batch within
 * {@code send}.
 *
 * <p>Failures: {@link WireFormatException} with {@link WireFormatException.Reason#REGISTRY_UNAVAILABLE}
 * when the registry cannot be reached (network, timeout, 5xx); a plain {@link SerializationException}
 * when the registry refuses the schema (e.g. 409 incompatible, 401 unauthorized) or the record cannot
 * be written (e.g. a null in a non-nullable field).
 */
public class ConfluentAvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    static {
        AvroClassTrust.install();
    }

    /** Whether to register the record's schema (true, the default) or only look its id up. */
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";

    /** Per-thread buffers larger than this are dropped after use rather than kept. */
    private static final int MAX_RETAINED_BUFFER = 4 << 20;
    private static final ThreadLocal<Output> OUTPUT = ThreadLocal.withInitial(Output::new);
    /** Each thread's kept arrays of EnrichedEvents, for serializers that reuse them. */
    private static final ThreadLocal<OutputArrays> ARRAYS = new ThreadLocal<>();

    private volatile SchemaRegistryClient client;
    private volatile boolean ownsClient;
    private volatile boolean isKey;
    private volatile boolean autoRegister = true;
    private volatile long reuseBytesPerThread;

    /** Schema id per schema, then per topic. */
    private final ConcurrentMap<Schema, ConcurrentMap<String, Integer>> ids = new ConcurrentHashMap<>();
    private final ConcurrentMap<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();

    /** For Kafka's reflection; {@link #configure} must be called before use. */
    public ConfluentAvroSerializer() {
    }

    /**
     * Ready to use with the given registry client (owned by the caller).
     *
     * @param isKey true to use {@code <topic>-key} subjects
     */
    public ConfluentAvroSerializer(SchemaRegistryClient client, boolean isKey) {
        this.client = client;
        this.isKey = isKey;
    }

    /**
     * From now on each thread writes EnrichedEvents into arrays it keeps, by exact length, up to
     * {@code maxBytesPerThread} of them (0: a fresh array per record, the default). The array returned
     * by {@link #serialize} is then valid only until the same thread serializes another EnrichedEvent:
     * for Kafka Streams' sink (its producer copies the value into a batch within {@code send}), not for
     * callers that keep values, such as {@code TopologyTestDriver}'s output topics or a producer
     * interceptor that holds on to records.
     */
    public ConfluentAvroSerializer<T> reusingOutputArrays(long maxBytesPerThread) {
        if (maxBytesPerThread < 0) {
            throw new IllegalArgumentException("maxBytesPerThread must be >= 0: " + maxBytesPerThread);
        }
        this.reuseBytesPerThread = maxBytesPerThread;
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        String auto = SchemaRegistries.string(configs, AUTO_REGISTER_SCHEMAS);
        this.autoRegister = auto == null || Boolean.parseBoolean(auto.trim());
        if (client == null) {
            client = SchemaRegistries.forConfig(configs);
            ownsClient = true;
        }
        ids.clear();
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        Schema schema = record.getSchema();
        int id = schemaId(String.valueOf(topic), schema);
        DatumWriter<Object> writer = writers.computeIfAbsent(schema, s -> EnrichedEventWriter.supports(s)
                ? new EnrichedEventWriter() : new SpecificDatumWriter<>(s, GeneratedClassData.of(record.getClass())));
        Output out = OUTPUT.get();
        // an enriched event (tens of KB of embeddings) goes straight into an array of its exact size (a
        // kept one when reusing); anything else into the thread's buffer, then copied out
        if (writer instanceof EnrichedEventWriter) {
            int size = EnrichedEventWriter.encodedSize((EnrichedEvent) record);
            out.reset(size < 0 ? -1 : WireFormat.HEADER_SIZE + size, arrays());
        } else {
            out.reset(-1, null);
        }
        try {
            out.writeHeader(id);
            out.encoder = EncoderFactory.get().directBinaryEncoder(out, out.encoder);
            writer.write(record, out.encoder);
            out.encoder.flush();
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot write " + schema.getFullName() + " for topic "
                    + topic + " as Avro: " + e, e);
        } finally {
            if (out.retained.length > MAX_RETAINED_BUFFER) {
                OUTPUT.remove();
            }
            out.done();
        }
    }

    /** The thread's kept arrays when this serializer reuses them, else null. */
    private OutputArrays arrays() {
        long max = reuseBytesPerThread;
        if (max == 0) {
            return null;
        }
        OutputArrays a = ARRAYS.get();
        if (a == null) {
            a = new OutputArrays(max);
            ARRAYS.set(a);
        }
        return a;
    }

    /** Uses {@code c} from now on; closes it on {@link #close()} when {@code owned}. */
    void useClient(SchemaRegistryClient c, boolean owned) {
        this.client = c;
        this.ownsClient = owned;
    }

    @Override
    public void close() {
        if (ownsClient && client != null) {
            client.close();
        }
    }

    private int schemaId(String topic, Schema schema) {
        ConcurrentMap<String, Integer> perTopic = ids.get(schema);
        Integer cached = perTopic == null ? null : perTopic.get(topic);
        if (cached != null) {
            return cached;
        }
        SchemaRegistryClient c = client;
        if (c == null) {
            throw new IllegalStateException("ConfluentAvroSerializer is not configured: call configure()"
                    + " with " + SchemaRegistries.URL + " or pass a SchemaRegistryClient to the constructor");
        }
        String subject = topic + (isKey ? "-key" : "-value");
        int id;
        try {
            id = autoRegister ? c.register(subject, schema) : c.getId(subject, schema);
        } catch (UnknownSchemaException e) {
            throw new SerializationException("schema " + schema.getFullName() + " is not registered under"
                    + " subject '" + subject + "' and " + AUTO_REGISTER_SCHEMAS + "=false: " + e.getMessage(), e);
        } catch (SchemaRegistryException e) {
            if (e.isTransient()) {
                throw unavailable(subject, schema, e);
            }
            throw new SerializationException("schema registry refused schema " + schema.getFullName()
                    + " for subject '" + subject + "': " + e.getMessage(), e);
        } catch (IOException e) {
            throw unavailable(subject, schema, e);
        }
        ids.computeIfAbsent(schema, s -> new ConcurrentHashMap<>()).put(topic, id);
        return id;
    }

    private static WireFormatException unavailable(String subject, Schema schema, IOException e) {
        return new WireFormatException(WireFormatException.Reason.REGISTRY_UNAVAILABLE, -1,
                "cannot get a schema id for " + schema.getFullName() + " under subject '" + subject
                        + "': " + e.getMessage(), e);
    }

    /**
     * An unsynchronized, reusable byte sink holding the encoder that writes into it: into the retained
     * buffer, or into a fresh array of a size known beforehand, which {@link #toByteArray} then hands
     * out as it is.
     */
    private static final class Output extends OutputStream {
        byte[] retained = new byte[512];
        byte[] buf = retained;
        int count;
        BinaryEncoder encoder;

        /**
         * @param exactSize the bytes about to be written, or a negative value when not known
         * @param arrays    where an array of that size comes from, or null for a fresh one
         */
        void reset(int exactSize, OutputArrays arrays) {
            count = 0;
            if (exactSize <= WireFormat.HEADER_SIZE) {
                buf = retained;
            } else {
                buf = arrays != null ? arrays.get(exactSize) : new byte[exactSize];
            }
        }

        void done() {
            buf = retained;
        }

        void writeHeader(int schemaId) {
            ensure(WireFormat.HEADER_SIZE);
            buf[count++] = WireFormat.MAGIC_BYTE;
            buf[count++] = (byte) (schemaId >>> 24);
            buf[count++] = (byte) (schemaId >>> 16);
            buf[count++] = (byte) (schemaId >>> 8);
            buf[count++] = (byte) schemaId;
        }

        @Override
        public void write(int b) {
            ensure(1);
            buf[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        byte[] toByteArray() {
            return buf != retained && count == buf.length ? buf : Arrays.copyOf(buf, count);
        }

        private void ensure(int extra) {
            if (count + extra > buf.length) {
                boolean growRetained = buf == retained;
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + extra));
                if (growRetained) {
                    retained = buf;
                }
            }
        }
    }
}
