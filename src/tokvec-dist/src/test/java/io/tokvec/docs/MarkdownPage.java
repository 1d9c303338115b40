package io.tokvec.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One markdown page of the docs, read the way GitHub renders it: its headings (with GitHub's anchors),
 * its relative links outside code, and its steps in page order: fenced code blocks, each with the
 * HTML comment on the line right above it (its directive: {@code run}, {@code not run}, {@code file},
 * {@code output}), and {@code <!-- setup: ... -->} lines.
 */
final class MarkdownPage {

    /** The pages: README.md and every page of src/site/markdown, relative to the checkout's top level. */
    static List<Path> all() {
        List<Path> pages = new ArrayList<>();
        pages.add(Path.of("README.md"));
        try (Stream<Path> s = Files.list(Path.of("src/site/markdown"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pages;
    }

    /** A fenced code block: its language, its text, the line of its opening fence (1-based), and its directive or null. */
    record Block(String language, String text, int line, String directive) {
    }

    /** A {@code <!-- setup: WHAT -->} line. */
    record Setup(String what, int line) {
    }

    /** A relative link {@code [text](target)} and the line it is on. */
    record Link(String target, int line) {
    }

    private static final Pattern FENCE = Pattern.compile("^```\\s*([A-Za-z0-9_+-]*)\\s*$");
    private static final Pattern COMMENT = Pattern.compile("^<!--\\s*(.*?)\\s*-->\\s*$");
    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    private static final Pattern CODE_SPAN = Pattern.compile("`[^`]*`");

    final Path path;
    final List<String> lines;
    /** Blocks and setups, in page order. */
    final List<Object> steps = new ArrayList<>();
    final Set<String> anchors = new LinkedHashSet<>();
    final List<Link> links = new ArrayList<>();

    MarkdownPage(Path path) {
        this.path = path;
        try {
            this.lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
        parse();
    }

    List<Block> blocks() {
        return steps.stream().filter(Block.class::isInstance).map(Block.class::cast).toList();
    }

    private void parse() {
        Map<String, Integer> slugs = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher fence = FENCE.matcher(line);
            if (fence.matches()) {
                int open = i;
                StringBuilder text = new StringBuilder();
                for (i++; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
                    text.append(lines.get(i)).append('\n');
                }
                if (i == lines.size()) {
                    throw new IllegalStateException(path + ":" + (open + 1) + ": code block is not closed");
                }
                String directive = null;
                if (open > 0) {
                    Matcher c = COMMENT.matcher(lines.get(open - 1));
                    if (c.matches()) directive = c.group(1);
                }
                steps.add(new Block(fence.group(1), text.toString(), open + 1, directive));
                continue;
            }
            Matcher c = COMMENT.matcher(line);
            if (c.matches() && c.group(1).startsWith("setup:")) {
                steps.add(new Setup(c.group(1).substring("setup:".length()).trim(), i + 1));
            }
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                String slug = slug(h.group(2));
                int n = slugs.merge(slug, 1, Integer::sum) - 1;
                anchors.add(n == 0 ? slug : slug + "-" + n);
            }
            Matcher l = LINK.matcher(CODE_SPAN.matcher(line).replaceAll(""));
            while (l.find()) {
                String target = l.group(1);
                if (!target.matches("^[a-z]+:.*")) links.add(new Link(target, i + 1));
            }
        }
    }

    /** GitHub's heading anchor: lower case, markup and punctuation but '-' and '_' dropped, spaces to '-'. */
    static String slug(String heading) {
        String text = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1").toLowerCase(Locale.ROOT);
        return text.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }
}
