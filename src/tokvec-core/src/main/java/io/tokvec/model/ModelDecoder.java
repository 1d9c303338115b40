package io.tokvec.model;

import io.tokvec.avro.ModelRecord;

/** Decodes a model-topic value (Confluent-framed Avro) found in {@code buf[offset, offset + length)}. */
@FunctionalInterface
public interface ModelDecoder {

    /** @throws RuntimeException when the bytes are not a ModelRecord */
    ModelRecord decode(byte[] buf, int offset, int length);

    default ModelRecord decode(byte[] value) {
        return decode(value, 0, value.length);
    }
}
