package io.tokvec.model;

import io.tokvec.avro.TableCommit;
import io.tokvec.core.EmbeddingTable;
import io.tokvec.core.MappedTableMemory;
import io.tokvec.core.TableDtype;
import io.tokvec.core.TableMemory;
import io.tokvec.core.TableSegments;
import io.tokvec.core.Vocabulary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.zip.CRC32C;

/**
 * Verified local snapshots of table versions, so that a restart with a kept state directory maps
 * the active table instead of rebuilding it from the model store.
 *
 * <p>A version is built straight into its mapped file {@code <table>-v<version>.<dtype>} (see
 * {@link MappedTableMemory}); once every check of {@link TableBuilder} passed, {@link #seal} writes
 * {@code <file>.meta}: the commit's table and vocabulary checksums, rows, dim, dtype, and a CRC32C
 * of the stored bytes (and {@code <file>.vocab}, the tokens, when there is a vocabulary). The meta
 * file is written last and atomically, so its presence means "verified". {@link #open} maps the file
 * again only if the meta matches the commit being activated exactly and the CRC32C of the mapped
 * bytes (and the vocabulary checksum) still match, i.e. nothing was truncated or corrupted; anything
 * else deletes the snapshot and the version is rebuilt from the store. Files of retired versions
 * are deleted when their memory is freed; the active version's file is kept at shutdown (for a delta
 * version, the file of the dense version under it: its deltas are read again from the store, which
 * costs the deltas).
 *
 * <p>A delta version folded into a dense table ({@link #sealFolded}) is kept the same way, its meta
 * naming its content id ({@link ContentIds}) instead of checksums: {@link #openFolded} maps it again
 * for exactly that content.
 */
public final class TableSnapshots {

    private static final Logger log = LoggerFactory.getLogger(TableSnapshots.class);

    static final String META = ".meta";
    static final String VOCAB = ".vocab";

    private final MappedTableMemory memory;

    public TableSnapshots(MappedTableMemory memory) {
        this.memory = memory;
    }

    public MappedTableMemory memory() {
        return memory;
    }

    /** The storage name of a version's table file. */
    public static String fileName(String table, long version, TableDtype dtype) {
        return table + "-v" + version + "." + dtype.configName();
    }

    /** Writes the meta (and vocabulary) of a verified table built in this directory. */
    void seal(EmbeddingTable t, TableCommit commit) {
        String name = fileName(t.name(), t.version(), t.dtype());
        Path file = memory.file(name);
        try {
            if (t.vocabulary() != null) {
                writeVocabulary(sibling(file, VOCAB), t.vocabulary().tokens());
            }
            Properties p = new Properties();
            p.setProperty("checksum", commit.getChecksum());
            if (commit.getVocabChecksum() != null) p.setProperty("vocab_checksum", commit.getVocabChecksum());
            p.setProperty("rows", Integer.toString(t.rows()));
            p.setProperty("dim", Integer.toString(t.dim()));
            p.setProperty("dtype", t.dtype().configName());
            p.setProperty("crc32c", Long.toHexString(crc32c(t.segments())));
            Path tmp = sibling(file, META + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "tokvec verified table snapshot");
            }
            Files.move(tmp, sibling(file, META), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            log.warn("table {}: cannot write the snapshot meta of {} ({}); a restart rebuilds it from the store", t.name(), file, e.toString());
        }
    }

    /** Writes the meta (and vocabulary) of a delta version folded into a dense table in this directory. */
    void sealFolded(EmbeddingTable t, String contentId) {
        Path file = memory.file(fileName(t.name(), t.version(), t.dtype()));
        try {
            Properties p = new Properties();
            if (t.vocabulary() != null) {
                writeVocabulary(sibling(file, VOCAB), t.vocabulary().tokens());
                p.setProperty("vocab_checksum", io.tokvec.core.TableChecksum.ofVocabulary(t.vocabulary().tokens()));
            }
            p.setProperty("content_id", contentId);
            p.setProperty("rows", Integer.toString(t.rows()));
            p.setProperty("dim", Integer.toString(t.dim()));
            p.setProperty("dtype", t.dtype().configName());
            p.setProperty("crc32c", Long.toHexString(crc32c(t.segments())));
            Path tmp = sibling(file, META + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "tokvec folded delta version snapshot");
            }
            Files.move(tmp, sibling(file, META), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            log.warn("table {}: cannot write the snapshot meta of folded {} ({}); a restart rebuilds it from the store", t.name(), file,
                    e.toString());
        }
    }

    /**
     * The verified snapshot of delta version {@code version} folded with exactly this content id,
     * mapped; null (and any other snapshot of that name deleted) if there is none.
     */
    EmbeddingTable openFolded(String table, long version, String contentId, int rows, int dim, TableDtype dtype,
                              boolean hasVocabulary) throws TableRejectedException {
        String name = fileName(table, version, dtype);
        Path file = memory.file(name);
        Properties p = readMeta(file);
        if (p == null) {
            return null;
        }
        if (!contentId.equalsIgnoreCase(String.valueOf(p.getProperty("content_id")))
                || hasVocabulary != (p.getProperty("vocab_checksum") != null)
                || !Integer.toString(rows).equals(p.getProperty("rows")) || !Integer.toString(dim).equals(p.getProperty("dim"))
                || !dtype.configName().equals(p.getProperty("dtype"))) {
            return discard(file, "it is of other contents");
        }
        return map(table, version, name, rows, dim, dtype, p, p.getProperty("vocab_checksum"));
    }

    /** The verified snapshot of exactly this commit, mapped; null (and the snapshot deleted) if there is none. */
    EmbeddingTable open(String table, long version, TableCommit commit, TableDtype dtype) throws TableRejectedException {
        String name = fileName(table, version, dtype);
        Path file = memory.file(name);
        Properties p = readMeta(file);
        if (p == null) {
            return null;
        }
        int rows = (int) commit.getRows();
        int dim = commit.getDim();
        if (!commit.getChecksum().equals(p.getProperty("checksum"))
                || !String.valueOf(commit.getVocabChecksum()).equals(String.valueOf(p.getProperty("vocab_checksum")))
                || !Integer.toString(rows).equals(p.getProperty("rows")) || !Integer.toString(dim).equals(p.getProperty("dim"))
                || !dtype.configName().equals(p.getProperty("dtype"))) {
            return discard(file, "it is of another commit");
        }
        return map(table, version, name, rows, dim, dtype, p, commit.getVocabChecksum());
    }

    /** The meta of the snapshot in {@code file}; null if it has none, or (the snapshot discarded) if it is unreadable. */
    private Properties readMeta(Path file) {
        Path metaFile = sibling(file, META);
        if (!Files.isRegularFile(metaFile)) {
            return null;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(metaFile)) {
            p.load(in);
        } catch (IOException e) {
            discard(file, "unreadable meta: " + e);
            return null;
        }
        return p;
    }

    /** Maps a snapshot whose meta {@code p} matched, if its CRC32C (and vocabulary) still do. */
    private EmbeddingTable map(String table, long version, String name, int rows, int dim, TableDtype dtype, Properties p,
                               String vocabChecksum) throws TableRejectedException {
        long t0 = System.nanoTime();
        Path file = memory.file(name);
        TableSegments segs;
        try {
            segs = memory.open(name, rows, dim * dtype.bytes());
        } catch (TableMemory.TableMemoryException e) {
            throw new TableRejectedException(TableRejectedException.Reason.OUT_OF_MEMORY, table + " v" + version + ": " + e.getMessage());
        }
        if (segs == null) {
            return discard(file, "the table file is missing or of the wrong size");
        }
        boolean ok = false;
        try {
            if (!Long.toHexString(crc32c(segs)).equals(p.getProperty("crc32c"))) {
                return discard(file, "its CRC32C does not match (corrupted)");
            }
            Vocabulary vocab = null;
            if (vocabChecksum != null) {
                CheckedVocabulary read = readVocabulary(sibling(file, VOCAB), rows);
                if (read == null) {
                    return discard(file, "its vocabulary file is unreadable");
                }
                vocab = read.verify(table + " v" + version, vocabChecksum);
            }
            EmbeddingTable t = new EmbeddingTable(table, version, rows, dim, dtype, segs, vocab);
            ok = true;
            log.info("table {}: v{} mapped from its verified snapshot {} ({} MiB, CRC32C checked, in {} ms)", table, version, file,
                    t.sizeBytes() >> 20, (System.nanoTime() - t0) / 1_000_000);
            return t;
        } catch (TableRejectedException e) {
            return discard(file, e.getMessage());
        } finally {
            if (!ok) {
                segs.free(); // deletes the table file
            }
        }
    }

    /** Deletes table files and sidecars in the directory other than {@code keepName}'s (left by a crash or by another dtype). */
    public void deleteAllBut(String keepName) {
        deleteAllBut(java.util.Set.of(keepName));
    }

    /** Deletes table files and sidecars in the directory other than those of {@code keepNames}. */
    public void deleteAllBut(java.util.Set<String> keepNames) {
        if (!Files.isDirectory(memory.dir())) {
            return;
        }
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(memory.dir())) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                boolean keep = false;
                for (String k : keepNames) {
                    keep |= n.equals(k) || n.startsWith(k + ".");
                }
                if (!keep) {
                    stale.add(f);
                }
            }
        } catch (IOException e) {
            log.warn("cannot list {}: {}", memory.dir(), e.toString());
            return;
        }
        for (Path f : stale) {
            try {
                Files.deleteIfExists(f);
                log.info("deleted stale table file {}", f);
            } catch (IOException e) {
                log.warn("cannot delete stale table file {}: {}", f, e.toString());
            }
        }
    }

    private EmbeddingTable discard(Path file, String why) {
        log.info("snapshot {} not used ({}); building from the model store", file, why);
        for (Path f : new Path[] {sibling(file, META), sibling(file, VOCAB), file}) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                log.warn("cannot delete {}: {}", f, e.toString());
            }
        }
        return null;
    }

    static Path sibling(Path file, String suffix) {
        return file.resolveSibling(file.getFileName() + suffix);
    }

    static long crc32c(TableSegments segs) {
        CRC32C crc = new CRC32C();
        for (int i = 0; i < segs.count(); i++) {
            crc.update(segs.segment(i).duplicate().clear());
        }
        return crc.getValue();
    }

    private static void writeVocabulary(Path file, List<String> tokens) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
            out.writeInt(tokens.size());
            for (String t : tokens) {
                byte[] b = t.getBytes(StandardCharsets.UTF_8);
                out.writeInt(b.length);
                out.write(b);
            }
        }
    }

    /** Reads the vocabulary file of a snapshot of {@code rows} rows token by token, or null if it cannot be read. */
    private static CheckedVocabulary readVocabulary(Path file, int rows) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            int n = in.readInt();
            if (n != rows) {
                return null;
            }
            CheckedVocabulary tokens = new CheckedVocabulary(n);
            for (int i = 0; i < n; i++) {
                byte[] b = in.readNBytes(in.readInt());
                tokens.add(new String(b, StandardCharsets.UTF_8));
            }
            return tokens;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
