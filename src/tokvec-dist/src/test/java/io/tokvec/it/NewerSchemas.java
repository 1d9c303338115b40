package io.tokvec.it;

import io.tokvec.serde.WireFormat;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A compatible newer writer schema of a record (one more string field, with a default) and records
 * written with it in the Confluent wire format: what a producer that upgraded its schema sends. A
 * reader sees a schema id it has not fetched yet.
 */
final class NewerSchemas {

    static final String EXTRA_FIELD = "source";

    private NewerSchemas() {
    }

    static Schema withExtraField(Schema schema) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : schema.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(new Schema.Field(EXTRA_FIELD, Schema.create(Schema.Type.STRING), "where the record came from", "it"));
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    /** {@code record}'s fields (nested records as they are) plus the extra field, framed with {@code schemaId}. */
    static byte[] encode(IndexedRecord record, Schema writer, int schemaId) throws IOException {
        GenericRecord r = new GenericData.Record(writer);
        for (Schema.Field f : record.getSchema().getFields()) {
            r.put(f.name(), record.get(f.pos()));
        }
        r.put(EXTRA_FIELD, "tokvec-it");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(writer).write(r, enc);
        enc.flush();
        return WireFormat.frame(schemaId, out.toByteArray());
    }
}
