package io.tokvec.serde;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificFixed;
import org.apache.avro.specific.SpecificRecord;

/**
 * A {@link SpecificData} that maps the named types of one generated class's schema to their
 * generated classes directly.
 *
 * <p>Why: since 1.12, Avro's {@link SpecificData#getClass(Schema)} only loads classes trusted by
 * {@code org.apache.avro.util.ClassSecurityValidator} (system properties
 * {@code org.apache.avro.SERIALIZABLE_PACKAGES} / {@code _CLASSES}), so a plain
 * {@code SpecificDatumReader} refuses to instantiate {@code io.tokvec.avro.*} unless the JVM was
 * started with them trusted. The classes the application explicitly asks a serde for — and the
 * record, enum and fixed classes nested in their schemas — are trusted by construction, so this
 * model resolves exactly those without touching JVM-global settings; any other name still goes
 * through Avro's checks. The generated class's logical-type conversions are kept.
 */
final class GeneratedClassData extends SpecificData {

    private static final ConcurrentMap<Class<?>, GeneratedClassData> BY_CLASS = new ConcurrentHashMap<>();

    private final Map<String, Class<?>> classes;

    /** A fresh model; use {@link #of} outside tests. */
    GeneratedClassData(Class<? extends SpecificRecord> type) {
        super(type.getClassLoader());
        SpecificData base = SpecificData.getForClass(type);
        base.getConversions().forEach(this::addLogicalTypeConversion);
        setFastReaderEnabled(base.isFastReaderEnabled());
        Map<String, Class<?>> found = new HashMap<>();
        collect(base.getSchema(type), type.getClassLoader(), found, new HashSet<>());
        this.classes = Map.copyOf(found);
    }

    /** The model for {@code type} (cached per class). */
    static GeneratedClassData of(Class<? extends SpecificRecord> type) {
        return BY_CLASS.computeIfAbsent(type, t -> new GeneratedClassData(type));
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Class getClass(Schema schema) {
        switch (schema.getType()) {
            case RECORD:
            case ENUM:
            case FIXED:
                Class<?> known = classes.get(schema.getFullName());
                if (known != null) {
                    return known;
                }
                break;
            default:
                break;
        }
        return super.getClass(schema);
    }

    private static void collect(Schema schema, ClassLoader loader, Map<String, Class<?>> out, Set<String> seen) {
        switch (schema.getType()) {
            case RECORD:
                if (seen.add(schema.getFullName())) {
                    load(schema, loader, SpecificRecord.class, out);
                    schema.getFields().forEach(f -> collect(f.schema(), loader, out, seen));
                }
                break;
            case ENUM:
                load(schema, loader, Enum.class, out);
                break;
            case FIXED:
                load(schema, loader, SpecificFixed.class, out);
                break;
            case ARRAY:
                collect(schema.getElementType(), loader, out, seen);
                break;
            case MAP:
                collect(schema.getValueType(), loader, out, seen);
                break;
            case UNION:
                schema.getTypes().forEach(t -> collect(t, loader, out, seen));
                break;
            default:
                break;
        }
    }

    private static void load(Schema schema, ClassLoader loader, Class<?> expected, Map<String, Class<?>> out) {
        try {
            Class<?> c = Class.forName(SpecificData.getClassName(schema), false, loader);
            if (expected.isAssignableFrom(c)) {
                out.put(schema.getFullName(), c);
            }
        } catch (ClassNotFoundException | LinkageError e) {
            // not generated: Avro's own lookup (and its security checks) decides
        }
    }
}
