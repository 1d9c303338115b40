package io.tokvec.cli;

import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.TableDtype;
import io.tokvec.kafka.ModelPublisher;
import io.tokvec.kafka.StartupChecks;
import io.tokvec.kafka.Topics;
import io.tokvec.model.CommitSigner;
import io.tokvec.model.DeltaChunker;
import io.tokvec.model.ModelChunker;
import io.tokvec.model.SigningKeys;
import io.tokvec.model.VersionCatalog;
import io.tokvec.serde.SchemaRegistries;
import io.tokvec.serde.SchemaRegistryClient;
import io.tokvec.config.TokvecConfig;
import io.tokvec.tables.DeltaFiles;
import io.tokvec.tables.NpyReader;
import io.tokvec.tables.ShardedTables;
import io.tokvec.tables.TableFiles;
import io.tokvec.tables.TableFormat;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code publish}: loads a table file (or the {@code .npy} shards of one, reassembled in the global id
 * order of TF's {@code embedding_lookup} partition strategy, see {@link ShardedTables}), checks it, and
 * publishes it to the model topic as one version (chunks, then commit, then tombstones for versions
 * beyond retention); or, with
 * {@code --activate N}, writes an activate record that rolls the application back (or forward)
 * to a retained version. Before sending anything it reads the model topic and refuses (exit 2, one
 * line) what the application would reject: a version not above the newest committed one, an
 * activate record for a version that is not committed. It warns when {@code --table} names another
 * table than the configuration serves.
 */
@Command(name = "publish",
        description = {"Publish a table version to the model topic in chunks, then commit it; or activate a retained version."})
public final class PublishCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--table", paramLabel = "NAME", description = "Table name (default: tokvec.table from the config).")
    String table;

    @Option(names = "--version", paramLabel = "N", description = "Version to publish (>= 1, larger than every earlier one).")
    Long version;

    @Option(names = "--file", paramLabel = "FILE", description = "Table file.")
    Path file;

    @Option(names = "--format", paramLabel = "npy|glove|word2vec", description = "Format of --file.")
    TableFormat format;

    @Option(names = "--shards", arity = "1..*", paramLabel = "FILE",
            description = "Instead of --file: the .npy shards of one table, in partition order (shard 0 first).")
    List<Path> shards;

    @Option(names = "--partition-strategy", paramLabel = "mod|div", converter = EnrichCommand.StrategyConverter.class,
            description = "With --shards: TF embedding_lookup's partition_strategy (mod: id %% n picks the shard, "
                    + "id // n the row; div: contiguous blocks, the first rows %% n shards one row longer).")
    ShardedTables.Strategy partitionStrategy;

    @Option(names = "--vocab", paramLabel = "FILE", description = "Vocabulary for an .npy table: line i = row i (Keras get_vocabulary()).")
    Path vocab;

    @Option(names = "--activate", paramLabel = "N", description = "Instead of publishing: make retained version N the active one.")
    Long activate;

    @Option(names = "--reason", description = "Reason stored in an activate record.")
    String reason;

    @Option(names = "--allow-nonfinite", description = "Publish tables holding NaN or infinite values.")
    boolean allowNonFinite;

    @Option(names = "--sign-key", paramLabel = "FILE",
            description = "Sign the commit with this Ed25519 private key (PEM, PKCS#8: openssl genpkey -algorithm ed25519).")
    Path signKey;

    @Option(names = "--gen-key", paramLabel = "FILE",
            description = "Instead of publishing: write a new Ed25519 key pair to FILE (private) and FILE.pub (public), then exit.")
    Path genKey;

    @Option(names = "--base", paramLabel = "B",
            description = "Publish a delta version over committed version B: --ids IDS.npy with --file ROWS.npy, or --diff-from OLD.npy"
                    + " with --file NEW.npy.")
    Long base;

    @Option(names = "--ids", paramLabel = "IDS.npy",
            description = "With --base: the delta's row ids (1-D int32 or int64 .npy); --file holds their rows [k, dim], float32 or"
                    + " float16, in the same order. Ids below B's rows replace rows, ids from them up append rows, contiguously.")
    Path ids;

    @Option(names = "--diff-from", paramLabel = "OLD.npy",
            description = "With --base: B's table as the trainer has it; the delta is the rows of --file (the new table) that differ"
                    + " from it bit for bit, plus the rows --file appends.")
    Path diffFrom;

    @Option(names = "--tokens", paramLabel = "FILE",
            description = "With --base, when the table has a vocabulary: the appended rows' tokens, one per line, in id order.")
    Path tokens;

    @Option(names = "--chunk-bytes", paramLabel = "BYTES", description = "Payload budget of one chunk (default ${DEFAULT-VALUE}).")
    int chunkBytes = ModelChunker.DEFAULT_CHUNK_BYTES;

    @Override
    public Integer call() {
        PrintStream err = System.err;
        if (genKey != null) {
            return generateKey(genKey);
        }
        TokvecConfig cfg;
        String served;
        try {
            Map<String, String> m = config.load(Map.of());
            m.putIfAbsent(TokvecConfig.MAX_LEN, "1"); // not used by publish
            served = new TokvecConfig(m).table();
            if (table != null) m.put(TokvecConfig.TABLE, table);
            cfg = new TokvecConfig(m);
            cfg.schemaRegistryUrl();
            if (cfg.property("bootstrap.servers") == null) throw new IllegalArgumentException("bootstrap.servers must be set");
        } catch (RuntimeException e) {
            err.println("publish: " + e.getMessage());
            return 2;
        }
        String name = cfg.table();
        if (!name.equals(served)) {
            err.println("publish: warning: table '" + name + "' (--table) is not the table this configuration serves ('" + served
                    + "', tokvec.table): an application run with it ignores this table");
        }
        if (activate != null) {
            StartupChecks.check(cfg, !Main.verbose(spec));
            return activate(cfg, name, activate);
        }
        String usage = base != null || ids != null || diffFrom != null || tokens != null ? checkDeltaOptions() : checkTableOptions();
        if (usage != null) {
            err.println("publish: " + usage);
            return 2;
        }
        CommitSigner signer = null;
        if (signKey != null) {
            try {
                PrivateKey key = SigningKeys.readPrivateKey(signKey);
                signer = new CommitSigner(key, SigningKeys.publicKeyOf(key));
            } catch (IOException | RuntimeException e) {
                err.println("publish: cannot use --sign-key " + signKey + ": " + e.getMessage());
                return 2;
            }
        }
        if (base != null) {
            return publishDelta(cfg, name, signer);
        }
        EmbeddingTable t;
        try {
            t = loadTable(name);
        } catch (Exception e) {
            err.println("publish: cannot load " + (file != null ? file : shards.size() + " shards") + ": " + e.getMessage());
            return 2;
        }
        // a bad table is refused before anything is contacted; then one line, within
        // tokvec.startup.check.timeout.ms, if the cluster or the registry cannot be used
        StartupChecks.check(cfg, !Main.verbose(spec));
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(cfg.clientProps());
             Admin admin = Admin.create(cfg.clientProps());
             ModelPublisher publisher = new ModelPublisher(cfg, registry).signWith(signer)) {
            Topics.ensureModelTopic(admin, cfg);
            ModelPublisher.TopicState state = publisher.scan(name);
            try {
                publisher.checkNewer(state, name, version);
            } catch (ModelPublisher.Refused e) {
                err.println("publish: refused: " + e.getMessage());
                return 2;
            }
            Progress progress = new Progress(err);
            Map<String, String> meta = new HashMap<>();
            if (file != null) {
                meta.put("source", file.getFileName().toString());
                meta.put("format", format.name().toLowerCase(Locale.ROOT));
            } else {
                meta.put("source", shards.stream().map(p -> p.getFileName().toString()).collect(Collectors.joining(",")));
                meta.put("format", "npy");
                meta.put("partition_strategy", partitionStrategy.toString());
            }
            ModelPublisher.Result r = publisher.publish(state, t, chunkBytes, meta, progress::update);
            progress.done();
            System.out.println(r.summary() + (signer == null ? "" : ", signed with key " + signer.keyId()));
            return 0;
        } catch (RuntimeException e) {
            err.println("publish: failed: " + e.getMessage());
            return 1;
        }
    }

    /** Writes a new key pair: FILE (private key, owner-only permissions where the file system has them) and FILE.pub. */
    private static int generateKey(Path file) {
        Path pub = file.resolveSibling(file.getFileName() + ".pub");
        if (Files.exists(file) || Files.exists(pub)) {
            System.err.println("publish: --gen-key: " + file + " or " + pub + " exists already; not overwritten");
            return 2;
        }
        KeyPair pair = SigningKeys.generate();
        try {
            Files.writeString(file, "", StandardCharsets.US_ASCII);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the default permissions stay
            }
            Files.writeString(file, SigningKeys.pem(pair.getPrivate()), StandardCharsets.US_ASCII);
            Files.writeString(pub, SigningKeys.pem(pair.getPublic()), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            System.err.println("publish: --gen-key: cannot write " + file + ": " + e.getMessage());
            return 2;
        }
        System.out.println("publish: Ed25519 key " + SigningKeys.keyId(pair.getPublic()) + ": private key " + file
                + " (sign with --sign-key), public key " + pub + " (list it in tokvec.table.trusted.keys)");
        return 0;
    }

    /** A usage error in the table options, or null. */
    private String checkTableOptions() {
        if (version == null || (file == null) == (shards == null)) {
            return "--version and either --file with --format or --shards with --partition-strategy are required "
                    + "(or --activate N, or --base B for a delta)";
        }
        if (version < 1) {
            return "--version must be >= 1";
        }
        if (file != null && format == null) {
            return "--file needs --format npy|glove|word2vec";
        }
        if (shards != null && partitionStrategy == null) {
            return "--shards needs --partition-strategy mod|div (TF1's embedding_lookup defaults to mod, TF2's is div)";
        }
        if (shards != null && format != null && format != TableFormat.NPY) {
            return "--shards are .npy files (--format npy or none)";
        }
        return null;
    }

    /** A usage error in the delta options, or null. */
    private String checkDeltaOptions() {
        if (base == null || version == null || file == null || (ids == null) == (diffFrom == null)) {
            return "a delta needs --version N --base B --file ROWS.npy and either --ids IDS.npy or --diff-from OLD.npy";
        }
        if (shards != null || vocab != null || (format != null && format != TableFormat.NPY)) {
            return "a delta is read from .npy files (--ids, --file, --diff-from): --shards, --vocab and --format "
                    + (format == null ? "" : format.name().toLowerCase(Locale.ROOT) + " ") + "do not apply";
        }
        if (base < 1 || version <= base) {
            return "--base B and --version N need 1 <= B < N, got B=" + base + " N=" + version;
        }
        return null;
    }

    /** The rows of a delta from its files, read before anything is sent. */
    private record DeltaInput(int[] ids, EmbeddingTable rows, boolean byId, EmbeddingTable old, List<String> tokens) {
        DeltaChunker.Rows source() {
            return byId ? (i, dst, off) -> rows.copyRow(i, TableDtype.FLOAT32, dst, off)
                    : (i, dst, off) -> rows.copyRow(ids[i], TableDtype.FLOAT32, dst, off);
        }
    }

    private DeltaInput readDelta(String name) throws IOException {
        List<String> appended = tokens == null ? null : DeltaFiles.readTokens(tokens);
        if (ids != null) {
            int[] rowIds = NpyReader.readIds(ids);
            EmbeddingTable rows = TableFiles.load(file, TableFormat.NPY, null, name, version, allowNonFinite);
            if (rows.rows() != rowIds.length) {
                throw new IllegalArgumentException(file + " has " + rows.rows() + " rows for the " + rowIds.length + " ids of " + ids);
            }
            return new DeltaInput(rowIds, rows, true, null, appended);
        }
        EmbeddingTable old = TableFiles.load(diffFrom, TableFormat.NPY, null, name, base, true);
        EmbeddingTable next = TableFiles.load(file, TableFormat.NPY, null, name, version, allowNonFinite);
        int[] changed = DeltaFiles.changedRows(old, next);
        if (changed.length == 0) {
            throw new IllegalArgumentException(file + " and " + diffFrom + " are the same table bit for bit: there is no delta to publish");
        }
        return new DeltaInput(changed, next, false, old, appended);
    }

    private int publishDelta(TokvecConfig cfg, String name, CommitSigner signer) {
        PrintStream err = System.err;
        DeltaInput in;
        try {
            in = readDelta(name);
        } catch (Exception e) {
            err.println("publish: cannot read the delta: " + e.getMessage());
            return 2;
        }
        ModelPublisher.Delta delta = new ModelPublisher.Delta(name, version, base, in.ids(), in.rows().dim(), in.source(), in.tokens());
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(cfg.clientProps());
             Admin admin = Admin.create(cfg.clientProps());
             ModelPublisher publisher = new ModelPublisher(cfg, registry).signWith(signer)) {
            Topics.ensureModelTopic(admin, cfg);
            ModelPublisher.TopicState state = publisher.scan(name, in.tokens() == null ? null : new HashSet<>(in.tokens()));
            try {
                publisher.prepareDelta(state, delta, chunkBytes);
                if (in.old() != null) {
                    checkDiffBase(state, name, in.old());
                }
            } catch (ModelPublisher.Refused e) {
                err.println("publish: refused: " + e.getMessage());
                return 2;
            }
            Progress progress = new Progress(err);
            Map<String, String> meta = new HashMap<>();
            meta.put("source", file.getFileName().toString());
            meta.put(in.old() != null ? "diff_from" : "ids", (in.old() != null ? diffFrom : ids).getFileName().toString());
            ModelPublisher.DeltaResult r = publisher.publishDelta(state, delta, chunkBytes, meta, progress::update);
            progress.done();
            System.out.println(r.summary() + (signer == null ? "" : ", signed with key " + signer.keyId()));
            return 0;
        } catch (ModelPublisher.Refused e) {
            err.println("publish: refused: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("publish: failed: " + e.getMessage());
            return 1;
        }
    }

    /**
     * With --diff-from: OLD must be the base as the topic holds it, else the delta would be made of the
     * wrong rows. Its shape always; its checksum when the base is a full version (a delta's checksum does
     * not cover the whole table).
     */
    private void checkDiffBase(ModelPublisher.TopicState state, String name, EmbeddingTable old) {
        VersionCatalog.Version b = state.catalog().get(base);
        if (old.rows() != b.rows() || old.dim() != b.dim()) {
            throw new ModelPublisher.Refused("table " + name + ": " + diffFrom + " is " + old.rows() + " x " + old.dim() + " but v" + base
                    + " is " + b.rows() + " x " + b.dim() + ": --diff-from must be the base's table");
        }
        if (!b.isDelta()) {
            String sum = ModelChunker.checksum(old);
            if (!sum.equalsIgnoreCase(b.commit().getChecksum())) {
                throw new ModelPublisher.Refused("table " + name + ": " + diffFrom + " is not v" + base + ": its checksum is " + sum
                        + " but v" + base + "'s commit says " + b.commit().getChecksum() + " (--diff-from must be the base's table)");
            }
        }
    }

    /** The table of --file, or of --shards reassembled in global id order. */
    EmbeddingTable loadTable(String name) throws IOException {
        return file != null ? TableFiles.load(file, format, vocab, name, version, allowNonFinite)
                : TableFiles.loadShards(shards, partitionStrategy, vocab, name, version, allowNonFinite);
    }

    private int activate(TokvecConfig cfg, String name, long v) {
        try (SchemaRegistryClient registry = SchemaRegistries.forConfig(cfg.clientProps());
             ModelPublisher publisher = new ModelPublisher(cfg, registry)) {
            ModelPublisher.TopicState state = publisher.scan(name);
            try {
                publisher.activate(state, name, v, reason);
            } catch (ModelPublisher.Refused e) {
                System.err.println("publish: refused: " + e.getMessage());
                return 2;
            }
            System.out.println("publish: activate record for " + name + " v" + v + " written to " + cfg.modelTopic());
            return 0;
        } catch (RuntimeException e) {
            System.err.println("publish: failed: " + e.getMessage());
            return 1;
        }
    }

    /** Progress on a terminal (carriage return); silent when stderr is not a terminal. */
    static final class Progress {
        private final PrintStream out;
        private final boolean tty = System.console() != null;
        private int lastPercent = -1;

        Progress(PrintStream out) {
            this.out = out;
        }

        void update(int sent, int total) {
            if (!tty || total < 20) return;
            int pct = (int) (100L * sent / total);
            if (pct != lastPercent) {
                lastPercent = pct;
                out.print("\rpublish: chunk " + sent + "/" + total + " (" + pct + "%)");
                out.flush();
            }
        }

        void done() {
            if (lastPercent >= 0) out.println();
        }
    }
}
