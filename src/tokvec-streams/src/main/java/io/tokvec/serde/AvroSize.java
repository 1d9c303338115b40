package io.tokvec.serde;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.IndexedRecord;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * An upper bound of the Avro binary size of a record, computed from its schema and values without
 * encoding it: varints count at their widest (5 bytes for an int, 10 for a long), strings at 3 bytes
 * per UTF-16 unit, arrays of fixed-size items (float, double, boolean) by their length alone. Cheap
 * enough to run per record: it never walks a float array.
 */
public final class AvroSize {

    private static final int LONG_MAX_BYTES = 10;
    private static final int INT_MAX_BYTES = 5;

    private AvroSize() {
    }

    public static long upperBound(IndexedRecord record) {
        return of(record.getSchema(), record);
    }

    private static long of(Schema schema, Object value) {
        switch (schema.getType()) {
            case NULL:
                return 0;
            case BOOLEAN:
                return 1;
            case INT:
            case ENUM:
                return INT_MAX_BYTES;
            case LONG:
                return LONG_MAX_BYTES;
            case FLOAT:
                return 4;
            case DOUBLE:
                return 8;
            case FIXED:
                return schema.getFixedSize();
            case STRING:
                return LONG_MAX_BYTES + 3L * value.toString().length();
            case BYTES: {
                long n = value instanceof ByteBuffer b ? b.remaining() : ((byte[]) value).length;
                return LONG_MAX_BYTES + n;
            }
            case ARRAY: {
                Collection<?> items = (Collection<?>) value;
                long blocks = 2L * LONG_MAX_BYTES; // one block count and the end marker
                Schema item = schema.getElementType();
                long fixed = fixedItemSize(item);
                if (fixed >= 0) {
                    return blocks + fixed * items.size();
                }
                long n = blocks;
                if (items instanceof List<?> list) {
                    for (int i = 0, size = list.size(); i < size; i++) n += of(item, list.get(i));
                } else {
                    for (Object o : items) n += of(item, o);
                }
                return n;
            }
            case MAP: {
                long n = 2L * LONG_MAX_BYTES;
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    n += LONG_MAX_BYTES + 3L * e.getKey().toString().length() + of(schema.getValueType(), e.getValue());
                }
                return n;
            }
            case UNION: {
                int branch = GenericData.get().resolveUnion(schema, value);
                return LONG_MAX_BYTES + of(schema.getTypes().get(branch), value);
            }
            case RECORD: {
                IndexedRecord r = (IndexedRecord) value;
                long n = 0;
                for (Schema.Field f : schema.getFields()) {
                    n += of(f.schema(), r.get(f.pos()));
                }
                return n;
            }
            default:
                throw new IllegalArgumentException("no size bound for Avro type " + schema.getType());
        }
    }

    /** Bytes per item of an array whose items all encode to the same size, or -1. */
    private static long fixedItemSize(Schema item) {
        return switch (item.getType()) {
            case BOOLEAN -> 1;
            case FLOAT -> 4;
            case DOUBLE -> 8;
            case FIXED -> item.getFixedSize();
            case INT, ENUM -> INT_MAX_BYTES;
            case LONG -> LONG_MAX_BYTES;
            default -> -1;
        };
    }
}
