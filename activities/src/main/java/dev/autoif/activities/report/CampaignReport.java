package dev.autoif.activities.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autoif.activities.artifacts.ArtifactStore;
import dev.autoif.activities.artifacts.CampaignKeys;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntConsumer;
import java.util.stream.Stream;

/**
 * report.html: a self-contained page about one campaign, from its artifacts in the store (a directory or an object
 * store prefix) — funnel.json, the instruction records of items/ (found through instructions.jsonl: nothing is
 * listed), responses.jsonl — with charts drawn by Apache ECharts, which is inlined (the page needs no network).
 * Distributions are binned here, so the page stays small at any campaign size; the numbers on the page are filled in
 * from funnel.json by the page's script (elements with {@code data-funnel} attributes).
 */
public final class CampaignReport {
    public static final String FILE = "report.html";
    /** In the org.webjars.npm:echarts WebJar; the version is the parent pom's echarts.version. */
    static final String ECHARTS = "/META-INF/resources/webjars/echarts/5.3.1/dist/echarts.min.js";
    static final String TEMPLATE = "report.html";
    /** Dropped instructions listed on the page at most (all of them are in dropped.jsonl). */
    static final int MAX_DROPPED_ROWS = 2000;
    /** Points per throughput line at most. */
    static final int MAX_POINTS = 400;
    static final String[] PASS_RATE_BINS = {"0", "0-0.2", "0.2-0.4", "0.4-0.6", "0.6-0.8", "0.8-1", "1"};

    private static final ObjectMapper JSON = new ObjectMapper();

    private CampaignReport() {}

    /**
     * Writes report.html into {@code campaign} from the campaign's artifacts there; returns its location.
     *
     * @param onInstruction called with each instruction's index as its records are read (an activity heartbeats)
     */
    public static String write(ArtifactStore campaign, IntConsumer onInstruction) {
        String data = data(campaign, onInstruction).toString().replace("</", "<\\/"); // no "</script>" inside the script element
        String page = resource(TEMPLATE, CampaignReport.class.getResourceAsStream(TEMPLATE))
                .replace("/*DATA*/", data)
                .replace("/*ECHARTS*/", resource(ECHARTS, CampaignReport.class.getResourceAsStream(ECHARTS)));
        campaign.writeString(FILE, page);
        return campaign.location(FILE);
    }

    static ObjectNode data(ArtifactStore campaign, IntConsumer onInstruction) {
        ObjectNode data = JSON.createObjectNode();
        JsonNode summary = parse(campaign.find(CampaignKeys.FUNNEL).orElseThrow(() -> new IllegalArgumentException(
                campaign.location() + " is not a campaign directory: it has no " + CampaignKeys.FUNNEL)),
                CampaignKeys.FUNNEL, campaign);
        data.put("campaign", summary.path("campaign").asText());
        data.put("preset", summary.path("preset").asText());
        data.set("funnel", summary.path("funnel"));

        Histogram accuracy = new Histogram(new String[] {"0-0.1", "0.1-0.2", "0.2-0.3", "0.3-0.4", "0.4-0.5", "0.5-0.6",
                "0.6-0.7", "0.7-0.8", "0.8-0.9", "0.9-1"}, "kept", "not kept");
        ArrayNode droppedRows = JSON.createArrayNode();
        int dropped = 0;
        List<Long> instructionTimes = new ArrayList<>();
        List<Long> responseTimes = new ArrayList<>();
        int functions = 0;
        for (Item item : items(campaign)) {
            onInstruction.accept(item.index());
            Optional<byte[]> record = campaign.find(item.key());
            if (record.isEmpty()) {
                continue; // not finished: the campaign stopped before it
            }
            campaign.modified(item.key()).ifPresent(t -> instructionTimes.add(t.toEpochMilli()));
            String responsesKey = CampaignKeys.responses(item.index(), item.id());
            campaign.modified(responsesKey).ifPresent(t -> responseTimes.add(t.toEpochMilli()));
            JsonNode r = parse(record.get(), item.key(), campaign);
            for (JsonNode v : r.path("verifiers")) {
                if (v.path("accuracy").isNumber()) {
                    accuracy.add(Math.min(9, (int) Math.floor(v.get("accuracy").asDouble() * 10)), v.path("kept").asBoolean());
                    functions++;
                }
            }
            if (r.hasNonNull("dropReason")) {
                if (dropped++ < MAX_DROPPED_ROWS) {
                    droppedRows.addObject()
                            .put("index", r.path("index").asInt())
                            .put("instruction", r.path("instruction").asText())
                            .put("reason", r.path("dropReason").asText())
                            .put("detail", r.path("detail").asText(""))
                            .put("record", item.key());
                }
            }
        }
        ObjectNode acc = accuracy.json();
        acc.put("functions", functions);
        data.set("accuracy", acc);
        ObjectNode droppedNode = data.putObject("dropped");
        droppedNode.put("total", dropped);
        droppedNode.set("rows", droppedRows);

        Histogram passRate = new Histogram(PASS_RATE_BINS, "kept", "dropped");
        String[] scoreBins = new String[11];
        for (int i = 0; i <= 10; i++) scoreBins[i] = Integer.toString(i);
        Histogram judge = new Histogram(scoreBins, "kept", "dropped");
        int responses = 0;
        int judged = 0;
        if (campaign.exists(CampaignKeys.RESPONSES)) {
            try (BufferedReader in = reader(campaign, CampaignKeys.RESPONSES)) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.isBlank()) continue;
                    JsonNode row = JSON.readTree(line);
                    boolean kept = row.path("kept").asBoolean();
                    if (row.path("pass_rate").isNumber()) {
                        passRate.add(passRateBin(row.get("pass_rate").asDouble()), kept);
                        responses++;
                    }
                    JsonNode scores = row.path("judge_scores");
                    double total = 0;
                    int n = 0;
                    for (JsonNode s : scores) {
                        if (s.isNumber()) {
                            total += s.asDouble();
                            n++;
                        }
                    }
                    if (n > 0) {
                        judge.add((int) Math.max(0, Math.min(10, Math.floor(total / n))), kept);
                        judged++;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        ObjectNode pr = passRate.json();
        pr.put("responses", responses);
        data.set("passRate", pr);
        ObjectNode j = judge.json();
        j.put("responses", judged);
        data.set("judge", j);

        long start = Stream.concat(instructionTimes.stream(), responseTimes.stream()).mapToLong(Long::longValue).min().orElse(0);
        ObjectNode throughput = data.putObject("throughput");
        throughput.set("instructions", cumulative(instructionTimes, start));
        throughput.set("responses", cumulative(responseTimes, start));
        throughput.put("note", "Derived from the modification times of the records in items/ (an instruction's record is "
                + "written when it leaves S2-S5, its .responses.json when S6-S8 are done): the records carry no timestamps "
                + "of their own, so a copied directory shows when it was copied.");
        return data;
    }

    static int passRateBin(double rate) {
        if (rate <= 0) return 0;
        if (rate >= 1) return PASS_RATE_BINS.length - 1;
        return 1 + Math.min(4, (int) Math.floor(rate * 5));
    }

    /** [minutes since start, how many done] at each record, thinned to at most MAX_POINTS points. */
    private static ArrayNode cumulative(List<Long> times, long start) {
        List<Long> sorted = times.stream().sorted().toList();
        ArrayNode points = JSON.createArrayNode();
        int step = Math.max(1, (sorted.size() + MAX_POINTS - 1) / MAX_POINTS);
        for (int i = 0; i < sorted.size(); i++) {
            if ((i + 1) % step == 0 || i == sorted.size() - 1) {
                points.addArray().add((sorted.get(i) - start) / 60_000.0).add(i + 1);
            }
        }
        return points;
    }

    /** An instruction of instructions.jsonl: its index and ID name its records. */
    private record Item(int index, String id) {
        String key() {
            return CampaignKeys.item(index, id);
        }
    }

    /** The campaign's instructions, in order (instructions.jsonl is written before any of them runs). */
    private static List<Item> items(ArtifactStore campaign) {
        if (!campaign.exists(CampaignKeys.INSTRUCTIONS)) return List.of();
        List<Item> items = new ArrayList<>();
        try (BufferedReader in = reader(campaign, CampaignKeys.INSTRUCTIONS)) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.isBlank()) {
                    items.add(new Item(items.size(), JSON.readTree(line).path("id").asText()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + campaign.location(CampaignKeys.INSTRUCTIONS)
                    + ": " + e.getMessage(), e);
        }
        return items;
    }

    private static BufferedReader reader(ArtifactStore campaign, String key) {
        return new BufferedReader(new InputStreamReader(campaign.open(key), StandardCharsets.UTF_8));
    }

    private static JsonNode parse(byte[] content, String key, ArtifactStore campaign) {
        try {
            return JSON.readTree(content);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + campaign.location(key) + ": " + e.getMessage(), e);
        }
    }

    private static String resource(String name, InputStream in) {
        if (in == null) {
            throw new IllegalStateException(name + " is missing from the classpath");
        }
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Counts per bin, split in two series (e.g. kept and dropped), as the page's stacked bars want them. */
    private static final class Histogram {
        final String[] bins;
        final String first;
        final String second;
        final long[] a;
        final long[] b;

        Histogram(String[] bins, String first, String second) {
            this.bins = bins;
            this.first = first;
            this.second = second;
            this.a = new long[bins.length];
            this.b = new long[bins.length];
        }

        void add(int bin, boolean inFirst) {
            (inFirst ? a : b)[bin]++;
        }

        ObjectNode json() {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode names = o.putArray("bins");
            for (String s : bins) names.add(s);
            ArrayNode x = o.putArray(first);
            ArrayNode y = o.putArray(second);
            for (int i = 0; i < bins.length; i++) {
                x.add(a[i]);
                y.add(b[i]);
            }
            return o;
        }
    }
}
