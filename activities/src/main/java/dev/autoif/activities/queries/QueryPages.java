package dev.autoif.activities.queries;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.activities.artifacts.ArtifactStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A campaign's query pool as any worker reads it by position: {@value #POOL} (one JSON string per line, as imported)
 * cut into pages of {@value #PAGE_SIZE} lines beside it ({@code queries/page-000000.jsonl}, ...), and
 * {@value #MANIFEST} naming the pool's size, written last. A draw of 16 queries reads at most 16 small pages, never the
 * whole pool, and needs no shared disk and no ranged read.
 *
 * <p>Position {@code i} is the pool file's {@code i}-th non-empty line, as it always was: campaigns imported before
 * the pages existed get them on their first draw, and draw the same queries.
 */
public final class QueryPages {
    public static final String POOL = "queries.jsonl";
    static final String MANIFEST = "queries/pages.json";
    static final int PAGE_SIZE = 256;
    /** Pages kept in memory per pool: a worker drawing for many instructions reads each page about once. */
    private static final int CACHED_PAGES = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ArtifactStore campaign;
    private final int size;
    private final int pageSize;
    private final Map<Integer, List<String>> pages = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, List<String>> eldest) {
            return size() > CACHED_PAGES;
        }
    };

    private QueryPages(ArtifactStore campaign, int size, int pageSize) {
        this.campaign = campaign;
        this.size = size;
        this.pageSize = pageSize;
    }

    /** The campaign's paged pool, paging {@value #POOL} first when it has no pages yet. */
    public static QueryPages open(ArtifactStore campaign) {
        JsonNode manifest = campaign.find(MANIFEST).map(QueryPages::parse).orElseGet(() -> parse(write(campaign)));
        return new QueryPages(campaign, manifest.get("queries").asInt(), manifest.get("pageSize").asInt());
    }

    /**
     * Cuts {@value #POOL} into pages, then writes the manifest (last: a reader that sees it sees every page). A pure
     * function of the pool, so two workers paging at once write the same objects.
     */
    public static byte[] write(ArtifactStore campaign) {
        int count = 0;
        StringBuilder page = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(campaign.open(POOL), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.isEmpty()) {
                    continue;
                }
                page.append(line).append('\n');
                if (++count % PAGE_SIZE == 0) {
                    campaign.writeString(pageKey(count / PAGE_SIZE - 1), page.toString());
                    page.setLength(0);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + campaign.location(POOL) + ": " + e.getMessage(), e);
        }
        if (!page.isEmpty()) {
            campaign.writeString(pageKey(count / PAGE_SIZE), page.toString());
        }
        byte[] manifest = JSON.createObjectNode().put("queries", count).put("pageSize", PAGE_SIZE).toString()
                .getBytes(StandardCharsets.UTF_8);
        campaign.write(MANIFEST, manifest);
        return manifest;
    }

    public int size() {
        return size;
    }

    /** The queries at these pool positions, in this order. */
    public List<String> queries(int[] positions) {
        List<String> queries = new ArrayList<>(positions.length);
        for (int position : positions) {
            queries.add(page(position / pageSize).get(position % pageSize));
        }
        return queries;
    }

    private synchronized List<String> page(int page) {
        List<String> cached = pages.get(page);
        if (cached != null) {
            return cached;
        }
        List<String> queries = new ArrayList<>(pageSize);
        for (String line : campaign.readString(pageKey(page)).split("\n")) {
            try {
                queries.add(JSON.readValue(line.strip(), String.class));
            } catch (IOException e) {
                throw new UncheckedIOException("unreadable query in " + campaign.location(pageKey(page)), e);
            }
        }
        pages.put(page, queries);
        return queries;
    }

    private static String pageKey(int page) {
        return String.format("queries/page-%06d.jsonl", page);
    }

    private static JsonNode parse(byte[] manifest) {
        try {
            return JSON.readTree(manifest);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable query pool manifest: " + e.getMessage(), e);
        }
    }
}
