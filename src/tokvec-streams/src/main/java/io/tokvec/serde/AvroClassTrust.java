package io.tokvec.serde;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 only instantiates SpecificRecord classes it trusts; tokvec's generated classes
 * ({@code io.tokvec.avro.*}) are added to whatever the JVM already trusts (the defaults plus the
 * {@code org.apache.avro.SERIALIZABLE_PACKAGES} / {@code SERIALIZABLE_CLASSES} system properties).
 */
public final class AvroClassTrust {

    private static final String PACKAGE = "io.tokvec.avro.";
    private static volatile boolean installed;

    private AvroClassTrust() {
    }

    public static void install() {
        if (installed) {
            return;
        }
        synchronized (AvroClassTrust.class) {
            if (!installed) {
                ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
                ClassSecurityValidator.ClassSecurityPredicate ours = c -> c.getName().startsWith(PACKAGE);
                ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(previous, ours));
                installed = true;
            }
        }
    }
}
