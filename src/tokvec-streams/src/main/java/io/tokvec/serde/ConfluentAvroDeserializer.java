package io.tokvec.serde;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent wire-format records (as written by Confluent's {@code KafkaAvroSerializer} or
 * {@link ConfluentAvroSerializer}) into the generated class {@code T}: the writer schema is fetched
 * from the registry by the id in the header, the reader schema is {@code T}'s {@code SCHEMA$}, and
 * Avro schema resolution bridges the two (added fields take their defaults, removed fields are
 * skipped).
 *
 * <p>Null bytes (a tombstone) give null. Everything else that is not a record of {@code T} throws a
 * {@link WireFormatException} whose {@link WireFormatException#reason() reason} says why: fewer than
 * 5 bytes (an empty array included) is {@code TOO_SHORT}; a first byte other than 0 is
 * {@code BAD_MAGIC}; an id the registry does not know is {@code UNKNOWN_SCHEMA}; a payload that
 * does not decode or resolve, or leaves trailing bytes, is {@code UNDECODABLE}; a registry that
 * cannot answer is {@code REGISTRY_UNAVAILABLE} (not a bad record: retry, do not dead-letter).
 *
 * <p>Configuration ({@link #configure}): everything {@link SchemaRegistries#forConfig} reads. A
 * client given to the constructor is kept and not closed by {@link #close()}. Thread-safe: one
 * {@link SpecificDatumReader} is cached per writer-schema id and shared by all threads.
 */
public class ConfluentAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    static {
        AvroClassTrust.install();
    }

    private final Class<T> type;
    private final SpecificData data;
    private final Schema readerSchema;
    private final ConcurrentMap<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();

    private volatile SchemaRegistryClient client;
    private volatile boolean ownsClient;

    /** Reads {@code type}; {@link #configure} must be called before use. */
    public ConfluentAvroDeserializer(Class<T> type) {
        this.type = Objects.requireNonNull(type, "type");
        this.data = GeneratedClassData.of(type);
        this.readerSchema = SpecificData.getForClass(type).getSchema(type);
    }

    /**
     * Reads {@code type} with the given registry client (owned by the caller), ready to use.
     *
     * @param isKey whether this deserializes keys (kept for symmetry; the subject is not needed to
     *     read)
     */
    public ConfluentAvroDeserializer(Class<T> type, SchemaRegistryClient client, boolean isKey) {
        this(type);
        this.client = Objects.requireNonNull(client, "client");
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (client == null) {
            client = SchemaRegistries.forConfig(configs);
            ownsClient = true;
        }
    }

    @Override
    public T deserialize(String topic, byte[] bytes) {
        return bytes == null ? null : deserialize(topic, bytes, 0, bytes.length);
    }

    /** Decodes the framed record in {@code buf[offset, offset + length)} without copying it first. */
    public T deserialize(String topic, byte[] buf, int offset, int length) {
        int id = WireFormat.schemaId(buf, offset, length);
        DatumReader<T> reader = readerFor(id);
        int payload = length - WireFormat.HEADER_SIZE;
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(buf, offset + WireFormat.HEADER_SIZE, payload, null);
        T record;
        try {
            record = reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException(WireFormatException.Reason.UNDECODABLE, id,
                    "cannot decode " + payload + " payload byte(s) written"
                            + " with schema id " + id + " (" + writerName(reader) + ") as "
                            + readerSchema.getFullName() + ": " + e, e);
        }
        int trailing = trailing(decoder);
        if (trailing != 0) {
            throw new WireFormatException(WireFormatException.Reason.UNDECODABLE, id,
                    (trailing > 0 ? trailing + " trailing byte(s)" : "trailing bytes")
                            + " after a record written with schema id " + id + " (" + writerName(reader)
                            + "): the payload does not match its schema");
        }
        return record;
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

    /** The generated class this deserializer produces. */
    public Class<T> type() {
        return type;
    }

    private DatumReader<T> readerFor(int id) {
        DatumReader<T> reader = readers.get(id);
        if (reader != null) {
            return reader;
        }
        SchemaRegistryClient c = client;
        if (c == null) {
            throw new IllegalStateException("ConfluentAvroDeserializer is not configured: call configure()"
                    + " with " + SchemaRegistries.URL + " or pass a SchemaRegistryClient to the constructor");
        }
        Schema writer;
        try {
            writer = c.getById(id);
        } catch (UnknownSchemaException e) {
            throw new WireFormatException(WireFormatException.Reason.UNKNOWN_SCHEMA, id,
                    "unknown schema id " + id + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new WireFormatException(WireFormatException.Reason.REGISTRY_UNAVAILABLE, id,
                    "cannot fetch schema id " + id + " from the schema registry: " + e.getMessage(), e);
        }
        reader = readerOf(writer);
        DatumReader<T> raced = readers.putIfAbsent(id, reader);
        return raced != null ? raced : reader;
    }

    /** TokenEvent written with its own schema: {@link TokenEventReader}; anything else: Avro's resolving reader. */
    @SuppressWarnings("unchecked")
    private DatumReader<T> readerOf(Schema writer) {
        if (type == io.tokvec.avro.TokenEvent.class && TokenEventReader.supports(writer)) {
            return (DatumReader<T>) new TokenEventReader();
        }
        return new SpecificDatumReader<>(writer, readerSchema, data);
    }

    private static String writerName(DatumReader<?> reader) {
        return reader instanceof SpecificDatumReader<?> r ? r.getSchema().getFullName()
                : reader instanceof TokenEventReader ? io.tokvec.avro.TokenEvent.getClassSchema().getFullName() : "?";
    }

    /** Bytes left after the record: 0 when fully consumed, -1 when some remain but how many is unknown. */
    private static int trailing(BinaryDecoder decoder) {
        try {
            if (decoder.isEnd()) {
                return 0;
            }
            int left = decoder.inputStream().available();
            return left > 0 ? left : -1;
        } catch (IOException e) {
            return -1;
        }
    }
}
