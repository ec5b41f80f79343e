package dev.autoif.activities.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.autoif.workflows.activities.llm.VerifierSample;
import dev.autoif.workflows.crossval.TestCase;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerifierParserTest {
    private static VerifierSample parse(String text) {
        return VerifierParser.parse(0, new ChatSample(text, "stop"));
    }

    @Test
    void readsAFencedObjectSurroundedByProse() {
        VerifierSample s = parse("Sure! Here it is:\n```json\n{\"func\": \"def evaluate(response):\\n    return True\", "
                + "\"cases\": [{\"input\": \"a\", \"output\": true}, {\"input\": \"b\", \"output\": false}]}\n```\nHope it helps.");
        assertNull(s.parseError());
        assertEquals("def evaluate(response):\n    return True", s.func());
        assertEquals(List.of(new TestCase("a", true), new TestCase("b", false)), s.cases());
    }

    @Test
    void readsABareObjectAndCoercesStringLabels() {
        VerifierSample s = parse("{\"func\": \"def evaluate(response): return 1\", \"cases\": ["
                + "{\"input\": \"x\", \"output\": \"True\"}, {\"input\": \"y\", \"output\": \"false\"}, {\"input\": \"z\", \"output\": \"maybe\"}, {\"output\": true}]}");
        assertNull(s.parseError());
        assertEquals(List.of(new TestCase("x", true), new TestCase("y", false)), s.cases());
        assertEquals(2, s.rejectedCases());
    }

    @Test
    void namesWhyACompletionIsUnusable() {
        assertTrue(parse("I cannot help with that.").parseError().startsWith("INVALID_JSON"));
        assertTrue(parse("{\"func\": \"def evaluate(r):\n  return True\", \"cases\": []}").parseError().startsWith("INVALID_JSON"),
                "a raw newline inside a JSON string is invalid, as for json.loads");
        assertTrue(parse("{\"cases\": []}").parseError().startsWith("NO_FUNC"));
        assertTrue(parse("{\"func\": \"def check(r): return True\"}").parseError().startsWith("NO_EVALUATE"));
        assertTrue(VerifierParser.parse(0, new ChatSample("{\"func\": \"def evaluate(r", "length")).parseError().startsWith("TRUNCATED"));
    }
}
