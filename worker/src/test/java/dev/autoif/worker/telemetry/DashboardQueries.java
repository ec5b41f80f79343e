package dev.autoif.worker.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The PromQL expressions of a Grafana dashboard and the metric names each one reads. */
public final class DashboardQueries {
    public static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "dashboards", "autoif.json").toAbsolutePath().normalize();

    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "bool", "offset", "inf", "nan");
    private static final Pattern IDENTIFIER = Pattern.compile("\\b([a-zA-Z_:][a-zA-Z0-9_:]*)\\b(?!\\s*\\()");

    private DashboardQueries() {}

    /** Every panel target's expr, with the panel's title. */
    public static List<String[]> expressions() throws IOException {
        List<String[]> exprs = new ArrayList<>();
        for (JsonNode panel : new ObjectMapper().readTree(DASHBOARD.toFile()).path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                exprs.add(new String[]{panel.path("title").asText(), target.path("expr").asText()});
            }
        }
        return exprs;
    }

    /**
     * Metric names in a PromQL expression: identifiers that are not functions or keywords, once label matchers,
     * strings, range selectors and by/without/on/ignoring label lists are removed.
     */
    public static Set<String> metricNames(String expr) {
        String e = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("\\{[^}]*}", "")
                .replaceAll("\\[[^]]*]", "")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", "");
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(e);
        while (m.find()) {
            String id = m.group(1);
            if (!KEYWORDS.contains(id.toLowerCase())) names.add(id);
        }
        return names;
    }
}
