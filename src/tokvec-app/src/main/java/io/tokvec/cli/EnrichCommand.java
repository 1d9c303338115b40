package io.tokvec.cli;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.EnrichOptions;
import io.tokvec.core.Pooling;
import io.tokvec.tables.ShardedTables;
import io.tokvec.tables.TableFiles;
import io.tokvec.tables.TableFormat;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code tokvec enrich}: the offline path through the same core as the streaming app. Reads JSON
 * lines {@code {"id":…, "token_ids":[…]}} or {@code {"id":…, "tokens":[…]}} (blank lines skipped)
 * and writes one enriched JSON line per good input line (see {@link EnrichJsonWriter}), streaming,
 * in bounded memory (see {@link EnrichRun}). A bad line is reported on stderr as {@code line N: reason} and skipped.
 *
 * <p>Exit status: 0 when every event was enriched, 1 when any line failed, 2 for usage errors,
 * a table that cannot be loaded, or an input/output error. A one-line summary
 * {@code enrich: N events, M failed, T s} ends stderr.
 */
@Command(name = "enrich",
        mixinStandardHelpOptions = true,
        description = {
                "Enriches JSON-lines events offline with an embedding table file: Keras pad_sequences + "
                        + "Embedding(mask_zero=True), bit for bit.",
                "Input lines: {\"id\":..., \"token_ids\":[...]} or {\"id\":..., \"tokens\":[...]}, optionally \"weights\":[...].",
                "Output lines: id, table_version, ids, mask, length, truncated, dim, embeddings, [pooled,] oov.",
                "Exit status: 0 all lines enriched, 1 some lines failed (named on stderr), 2 usage or table errors."})
public final class EnrichCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--table", paramLabel = "FILE", description = "Embedding table file (or --shards).")
    Path table;

    @Option(names = "--shards", arity = "1..*", paramLabel = "FILE",
            description = "Instead of --table: the .npy shards of one table, in partition order (shard 0 first).")
    List<Path> shards;

    @Option(names = "--partition-strategy", paramLabel = "mod|div", converter = StrategyConverter.class,
            description = "With --shards: how TF's embedding_lookup(params_list, ids, partition_strategy) spread the "
                    + "ids (mod: id %% n picks the shard; div: contiguous blocks). Required with --shards.")
    ShardedTables.Strategy partitionStrategy;

    @Option(names = "--format", paramLabel = "npy|glove|word2vec", converter = FormatConverter.class,
            description = "Format of --table (--shards are npy). glove/word2vec get row 0 '' (padding) and row 1 "
                    + "'[UNK]' (OOV), both zeros, before the file's words.")
    TableFormat format;

    @Option(names = "--vocab", paramLabel = "FILE",
            description = "Vocabulary of an npy table: UTF-8, line i = token of row i (Keras get_vocabulary()).")
    Path vocab;

    @Option(names = "--max-len", required = true, paramLabel = "N", description = "Length of every output sequence.")
    int maxLen;

    @Option(names = "--padding", paramLabel = "pre|post", defaultValue = "pre", converter = SideConverter.class,
            description = "Where padding goes (default: ${DEFAULT-VALUE}).")
    EnrichOptions.Side padding;

    @Option(names = "--truncating", paramLabel = "pre|post", defaultValue = "pre", converter = SideConverter.class,
            description = "pre keeps the last max-len tokens, post the first (default: ${DEFAULT-VALUE}).")
    EnrichOptions.Side truncating;

    @Option(names = "--pad-vector", paramLabel = "table|zeros", defaultValue = "table", converter = PadVectorConverter.class,
            description = "Padded positions carry table row 0 (Keras) or zeros (PyTorch padding_idx) (default: ${DEFAULT-VALUE}).")
    EnrichOptions.PadVector padVector;

    @Option(names = "--oov", paramLabel = "error|unk", defaultValue = "error", converter = OovConverter.class,
            description = "Ids outside the table fail the line (error) or map to the OOV row 1 (unk) (default: ${DEFAULT-VALUE}).")
    EnrichOptions.OovPolicy oov;

    @Option(names = "--pooling", paramLabel = "none|sum|mean|max|sqrtn", defaultValue = "none", converter = PoolingConverter.class,
            description = "Adds 'pooled' over the kept tokens with id != 0: EmbeddingBag sum/mean/max, sqrtn = sum / sqrt(count) "
                    + "(default: ${DEFAULT-VALUE}). Input 'weights' (one per token) need sum.")
    Pooling.Mode pooling;

    @Option(names = "--no-sequence", description = "Leave the [max-len, dim] embeddings out (an empty list).")
    boolean noSequence;

    @Option(names = "--oov-buckets", paramLabel = "N", defaultValue = "1",
            description = "StringLookup(num_oov_indices=N): vocabulary rows 1..N are OOV rows; an unknown token maps to "
                    + "1 + (FarmHash Fingerprint64 mod N) (default: ${DEFAULT-VALUE}).")
    int oovBuckets;

    @Option(names = "--hashing-bins", paramLabel = "N", defaultValue = "0",
            description = "Hash string tokens as Keras Hashing(num_bins=N) into a table of N rows without vocabulary "
                    + "(default: ${DEFAULT-VALUE}, off).")
    int hashingBins;

    @Option(names = "--hashing-mask", paramLabel = "true|false", arity = "1", defaultValue = "true",
            description = "With --hashing-bins: Hashing(mask_value='') reserves bin 0 for '' (default: ${DEFAULT-VALUE}).")
    boolean hashingMask;

    @Option(names = "--allow-nonfinite", description = "Accept a table holding NaN or infinite values.")
    boolean allowNonFinite;

    @Option(names = "--input", paramLabel = "FILE", description = "Read events from FILE instead of stdin.")
    Path input;

    @Option(names = "--output", paramLabel = "FILE", description = "Write enriched events to FILE instead of stdout.")
    Path output;

    @Override
    public Integer call() {
        PrintStream err = System.err;
        EnrichOptions options;
        try {
            options = new EnrichOptions(maxLen, padding, truncating, padVector, oov, pooling, !noSequence,
                    new EnrichOptions.Strings(oovBuckets, hashingBins, hashingMask));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        checkTableOptions();
        long start = System.nanoTime();
        EmbeddingTable t;
        String source = table != null ? table.toString() : "of " + shards.size() + " shards";
        try {
            t = table != null ? TableFiles.load(table, format, vocab, table.getFileName().toString(), 0L, allowNonFinite)
                    : TableFiles.loadShards(shards, partitionStrategy, vocab, shards.get(0).getFileName().toString(), 0L,
                    allowNonFinite);
        } catch (IOException | IllegalArgumentException e) {
            err.println("enrich: cannot load table " + source + ": " + e.getMessage());
            return 2;
        }
        EnrichRun run = new EnrichRun(t, options, err);
        try (InputStream fileIn = input == null ? null : Files.newInputStream(input);
             OutputStream fileOut = output == null ? null : Files.newOutputStream(output)) {
            run.process(fileIn != null ? fileIn : System.in, fileOut != null ? fileOut : System.out);
            if (fileOut == null && System.out.checkError()) {
                throw new IOException("cannot write to stdout");
            }
        } catch (IOException e) {
            err.println("enrich: " + (e instanceof NoSuchFileException ? "no such file: " + e.getMessage() : e.toString()));
            run.summary(start);
            return 2;
        }
        run.summary(start);
        return run.failed == 0 ? 0 : 1;
    }

    /** Exactly one of --table (with --format) and --shards (.npy, with --partition-strategy). */
    private void checkTableOptions() {
        if ((table == null) == (shards == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give either --table FILE --format F or --shards FILE...");
        }
        if (table != null && format == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--table needs --format npy|glove|word2vec");
        }
        if (shards != null && partitionStrategy == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--shards needs --partition-strategy mod|div");
        }
        if (shards != null && format != null && format != TableFormat.NPY) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--shards are .npy files (--format npy or none)");
        }
    }

    /** Case-insensitive enum values, named in lower case in messages ({@code expected one of pre|post}). */
    abstract static class LowerCaseEnumConverter<E extends Enum<E>> implements CommandLine.ITypeConverter<E> {
        private final Class<E> type;

        LowerCaseEnumConverter(Class<E> type) {
            this.type = type;
        }

        @Override
        public E convert(String s) {
            StringBuilder allowed = new StringBuilder();
            for (E c : type.getEnumConstants()) {
                if (c.name().equalsIgnoreCase(s.trim())) {
                    return c;
                }
                allowed.append(allowed.length() == 0 ? "" : "|").append(c.name().toLowerCase(Locale.ROOT));
            }
            throw new CommandLine.TypeConversionException("expected one of " + allowed + ", got '" + s + "'");
        }
    }

    static final class FormatConverter extends LowerCaseEnumConverter<TableFormat> {
        FormatConverter() {
            super(TableFormat.class);
        }
    }

    static final class SideConverter extends LowerCaseEnumConverter<EnrichOptions.Side> {
        SideConverter() {
            super(EnrichOptions.Side.class);
        }
    }

    static final class PadVectorConverter extends LowerCaseEnumConverter<EnrichOptions.PadVector> {
        PadVectorConverter() {
            super(EnrichOptions.PadVector.class);
        }
    }

    static final class OovConverter extends LowerCaseEnumConverter<EnrichOptions.OovPolicy> {
        OovConverter() {
            super(EnrichOptions.OovPolicy.class);
        }
    }

    static final class PoolingConverter extends LowerCaseEnumConverter<Pooling.Mode> {
        PoolingConverter() {
            super(Pooling.Mode.class);
        }
    }

    static final class StrategyConverter extends LowerCaseEnumConverter<ShardedTables.Strategy> {
        StrategyConverter() {
            super(ShardedTables.Strategy.class);
        }
    }
}
