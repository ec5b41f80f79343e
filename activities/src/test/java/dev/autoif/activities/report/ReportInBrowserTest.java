package dev.autoif.activities.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.autoif.activities.artifacts.FileSystemArtifactStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html in headless Chromium (Debian's {@code chromium}; AUTOIF_CHROMIUM names another binary), offline from a
 * file: URL: it renders (screenshot), logs nothing to the console, and after its script ran the numbers it shows are
 * funnel.json's. A page with a console error proves the console check can fail.
 */
@Tag("tools")
class ReportInBrowserTest {
    static final String CHROMIUM = System.getenv().getOrDefault("AUTOIF_CHROMIUM", "chromium");

    record Run(int exit, String stdout, String stderr) {}

    static Run chromium(Path profile, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=8000"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(profile.getParent(), "chromium", ".out");
        Path err = Files.createTempFile(profile.getParent(), "chromium", ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium hung: " + command);
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static List<String> consoleLines(String stderr) {
        return stderr.lines().filter(l -> l.contains(":CONSOLE")).toList();
    }

    @Test
    void theReportRendersWithoutConsoleErrorsAndShowsFunnelJsonsNumbers(@TempDir Path tmp) throws Exception {
        Path dir = CampaignReportTest.campaign(Files.createDirectories(tmp.resolve("campaign")));
        Path page = Path.of(CampaignReport.write(new FileSystemArtifactStore(dir), instruction -> {}));
        String url = page.toUri().toString();

        Path shot = tmp.resolve("report.png");
        Run screenshot = chromium(tmp.resolve("profile-1"), "--hide-scrollbars", "--window-size=1400,3000",
                "--screenshot=" + shot, url);
        assertEquals(0, screenshot.exit(), screenshot.stderr());
        assertTrue(Files.size(shot) > 50_000, "a rendered page, not a blank one: " + Files.size(shot) + " bytes");

        Run dom = chromium(tmp.resolve("profile-2"), "--dump-dom", url);
        assertEquals(0, dom.exit(), dom.stderr());
        assertEquals(List.of(), consoleLines(dom.stderr()), "console messages");
        assertTrue(dom.stdout().contains("data-rendered=\"true\""), "the page's script ran to its end");

        JsonNode f = CampaignReportTest.JSON.readTree(dir.resolve("funnel.json").toFile()).get("funnel");
        assertEquals(f.get("instructions").asText(), shown(dom.stdout(), "n-instructions"));
        assertEquals(f.get("finished").asText(), shown(dom.stdout(), "n-finished"));
        assertEquals(f.get("kept").asText(), shown(dom.stdout(), "n-kept"));
        assertEquals("1", shown(dom.stdout(), "n-dropped"));
        assertEquals(f.at("/responses/prompts").asText(), shown(dom.stdout(), "n-prompts"));
        assertEquals(f.at("/responses/responses").asText(), shown(dom.stdout(), "n-responses"));
        assertEquals(f.at("/responses/sftRows").asText(), shown(dom.stdout(), "n-sft-rows"));
        assertEquals(f.at("/responses/dpoPairs").asText(), shown(dom.stdout(), "n-dpo-pairs"));
        assertEquals("4600", shown(dom.stdout(), "n-tokens"));
        assertEquals("0.0057", shown(dom.stdout(), "n-cost"));
        assertEquals("1", attributeCell(dom.stdout(), "data-instruction-reason", "TOO_FEW_CASES"));
        assertEquals("3", attributeCell(dom.stdout(), "data-response-reason", "BELOW_PASS_RATE"));
        assertTrue(dom.stdout().contains("href=\"items/000001-bbbb.json\""), "the dropped instruction links to its record");
    }

    @Test
    void aPageWithAConsoleErrorIsCaught(@TempDir Path tmp) throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.html"), "<html><body><script>console.error('boom')</script></body></html>",
                StandardCharsets.UTF_8);
        Run dom = chromium(tmp.resolve("profile"), "--dump-dom", bad.toUri().toString());
        assertEquals(1, consoleLines(dom.stderr()).size(), dom.stderr());
        assertTrue(consoleLines(dom.stderr()).get(0).contains("\"boom\""));
    }

    static String shown(String dom, String id) {
        Matcher m = Pattern.compile("id=\"" + id + "\"[^>]*>([^<]*)<").matcher(dom);
        assertTrue(m.find(), "no element #" + id);
        return m.group(1);
    }

    static String attributeCell(String dom, String attribute, String value) {
        Matcher m = Pattern.compile(attribute + "=\"" + value + "\"[^>]*>([^<]*)<").matcher(dom);
        assertTrue(m.find(), "no cell " + attribute + "=" + value);
        return m.group(1);
    }
}
