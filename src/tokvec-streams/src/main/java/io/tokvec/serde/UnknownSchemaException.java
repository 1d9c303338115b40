package io.tokvec.serde;

/**
 * The registry has no Avro schema with the requested id (Confluent error 40403), or — for
 * {@link SchemaRegistryClient#getId} — the schema is not registered under the subject (40401 /
 * 40403). Also used when the id names a non-Avro schema (PROTOBUF, JSON): there is no Avro schema
 * with that id.
 */
public class UnknownSchemaException extends SchemaRegistryException {

    private static final long serialVersionUID = 1L;

    public UnknownSchemaException(String message, int status, int errorCode) {
        super(message, status, errorCode);
    }
}
