package io.tokvec.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokvec.avro.ModelRecord;
import io.tokvec.avro.TableActivate;
import io.tokvec.avro.TableChunk;
import io.tokvec.avro.TableCommit;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The serdes must not depend on JVM-wide Avro class trust (SERIALIZABLE_PACKAGES). */
class GeneratedClassDataTest {

    private static final String SCOPE = GeneratedClassDataTest.class.getSimpleName();

    @AfterEach
    void dropScope() {
        MockSchemaRegistry.dropScope(SCOPE);
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void shouldRoundTripGeneratedClassesWhenAvroTrustsOnlyItsDefaults() {
        SchemaRegistryClient registry = MockSchemaRegistry.getClientForScope(SCOPE);
        List<SpecificRecord> records = SampleRecords.all();
        // load the serde classes (and any static set-up they do) before narrowing the trust
        new ConfluentAvroSerializer<>(registry, false);
        new ConfluentAvroDeserializer<>(ModelRecord.class, registry, false);
        ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.DEFAULT);
        try {
            GeneratedClassData fresh = new GeneratedClassData(ModelRecord.class);
            assertThat(fresh.getClass(ModelRecord.getClassSchema())).isEqualTo(ModelRecord.class);
            assertThat(fresh.getClass(TableChunk.getClassSchema())).isEqualTo(TableChunk.class);
            assertThat(fresh.getClass(TableCommit.getClassSchema())).isEqualTo(TableCommit.class);
            assertThat(fresh.getClass(TableActivate.getClassSchema())).isEqualTo(TableActivate.class);
            for (SpecificRecord record : records) {
                ConfluentAvroSerde serde = new ConfluentAvroSerde(record.getClass(), registry, false);
                byte[] bytes = serde.serializer().serialize("t", record);
                assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(record);
            }
        } finally {
            ClassSecurityValidator.setGlobal(previous);
        }
    }
}
