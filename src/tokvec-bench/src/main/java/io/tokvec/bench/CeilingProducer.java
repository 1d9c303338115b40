package io.tokvec.bench;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The ceiling of the bench's end-to-end rows, run in a JVM of its own ({@code main}): a plain Kafka
 * producer writing {@code count} records of {@code size} bytes (keys {@code e0, e1, ...} as the
 * events have), nothing computed, none of tokvec's code on its path. The value is one array of
 * gaussian float32 bytes (incompressible, as embeddings are), sent again for every record: the
 * producer copies it into its batch as it would any value. With {@code --values FILE} (a file of
 * {@link CeilingValues}: real output records, made beforehand by the bench) it sends those values
 * instead, cyclically, and {@code SIZE} is ignored: what a compressed ceiling needs, since tokvec's
 * outputs compress and gaussian bytes do not.
 *
 * <p>{@code java -cp tokvec.jar io.tokvec.bench.CeilingProducer BOOTSTRAP TOPIC COUNT SIZE [--values FILE] [key=value ...]}:
 * the key=value pairs are producer settings (none: Kafka's defaults). Prints one line
 * {@code ceiling: sent=<n> seconds=<s> cpu_s=<CPU seconds of the process>}.
 */
public final class CeilingProducer {

    private CeilingProducer() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: CeilingProducer BOOTSTRAP TOPIC COUNT SIZE [--values FILE] [producer.key=value ...]");
            System.exit(2);
        }
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-ceiling");
        int first = 4;
        byte[][] values = null;
        if (args.length > 5 && args[4].equals("--values")) {
            values = CeilingValues.read(Path.of(args[5]));
            first = 6;
        }
        for (int i = first; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        String topic = args[1];
        int count = Integer.parseInt(args[2]);
        if (values == null) {
            values = new byte[][] {payload(Integer.parseInt(args[3]))};
        }
        AtomicReference<Exception> failure = new AtomicReference<>();
        long t0 = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < count && failure.get() == null; i++) {
                producer.send(new ProducerRecord<>(topic, Workload.eventId(i).getBytes(StandardCharsets.UTF_8),
                                values[i % values.length]),
                        (md, e) -> {
                            if (e != null) failure.compareAndSet(null, e);
                        });
            }
            producer.flush();
            producer.close(Duration.ofSeconds(30));
        }
        if (failure.get() != null) {
            System.err.println("ceiling: send failed: " + failure.get());
            System.exit(1);
        }
        double cpu = ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
        System.out.printf(Locale.ROOT, "ceiling: sent=%d seconds=%.3f cpu_s=%.3f%n", count, (System.nanoTime() - t0) / 1e9, cpu);
    }

    /** {@code size} bytes of little-endian gaussian float32 (the tail, if size is not a multiple of 4, zeros). */
    static byte[] payload(int size) {
        byte[] b = new byte[size];
        Workload.fillGaussian(b, 0, size / Float.BYTES, new SplittableRandom(7));
        return b;
    }
}
