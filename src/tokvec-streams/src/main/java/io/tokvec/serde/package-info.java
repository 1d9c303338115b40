/**
 * Confluent Schema Registry wire format for Apache Avro specific records, without Confluent's
 * artifacts.
 *
 * <p>A framed record is {@code [0x00][schema id: 4 bytes big-endian][Avro binary]}, the Avro binary
 * written with the record's own schema (the writer schema) — byte for byte what Confluent's
 * {@code KafkaAvroSerializer} produces and what its {@code KafkaAvroDeserializer} (and
 * {@code confluent-kafka} for Python, kcat, …) reads.
 *
 * <ul>
 *   <li>{@link io.tokvec.serde.ConfluentAvroSerde}, {@link io.tokvec.serde.ConfluentAvroSerializer},
 *       {@link io.tokvec.serde.ConfluentAvroDeserializer}: the Kafka serdes (TopicNameStrategy subjects).
 *   <li>{@link io.tokvec.serde.SchemaRegistries#forConfig}: builds a {@link io.tokvec.serde.SchemaRegistryClient}
 *       from {@code schema.registry.url} ({@code mock://scope} or {@code http(s)://…}).
 *   <li>{@link io.tokvec.serde.WireFormatException}: every decoding failure, with a machine-readable
 *       {@link io.tokvec.serde.WireFormatException.Reason} for dead-lettering.
 * </ul>
 */
package io.tokvec.serde;
