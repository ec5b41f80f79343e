package dev.autoif.activities.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autoif.workflows.activities.llm.VerifierSample;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The S2 schema: what its {@code func} pattern admits, and that an answer of its shape parses into a verifier. */
class StructuredOutputTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Pattern funcPattern() throws Exception {
        JsonNode schema = JSON.readTree(StructuredOutput.VERIFIER);
        return Pattern.compile(schema.at("/properties/func/pattern").asText());
    }

    @Test
    void funcMustBeAOneLineDefinitionOfEvaluateEndingInAReturn() throws Exception {
        Pattern func = funcPattern();
        for (String ok : List.of("def evaluate(response): return response.islower()",
                "def evaluate(response): words = response.split(); return len(words) == 3",
                "def evaluate(response): import re; return re.search('[?]$', response.strip()) is not None")) {
            assertTrue(func.matcher(ok).matches(), ok);
            // nothing JSON escapes: the JSON text and the decoded string are the same characters, so engines matching
            // either read the pattern alike
            assertEquals("\"" + ok + "\"", JSON.writeValueAsString(ok));
        }
        for (String no : List.of("evaluate", "def evaluate(response):\n    return True", "def check(response): return True",
                "def evaluate(response): x = 1", "def evaluate(response): return \"a\" in response",
                "def evaluate(response): return '\\n' in response", "")) {
            assertFalse(func.matcher(no).matches(), no);
        }
    }

    @Test
    void anAnswerOfTheSchemasShapeParsesIntoAFunctionAndThreeCases() throws Exception {
        JsonNode schema = JSON.readTree(StructuredOutput.VERIFIER);
        assertEquals(3, schema.at("/properties/cases/minItems").asInt());
        assertEquals(3, schema.at("/properties/cases/maxItems").asInt());
        assertEquals("boolean", schema.at("/properties/cases/items/properties/output/type").asText());
        assertFalse(schema.at("/properties/cases/items/additionalProperties").asBoolean(true));
        Pattern input = Pattern.compile(schema.at("/properties/cases/items/properties/input/pattern").asText());
        assertTrue(input.matcher("it's all lower case, isn't it?").matches());
        assertTrue(input.matcher("").matches());
        assertFalse(input.matcher("two\nlines").matches());
        assertFalse(input.matcher("a \"quote\"").matches());

        VerifierSample parsed = VerifierParser.parse(0, new ChatSample("""
                {"func": "def evaluate(response): return response.islower()", "cases": [
                  {"input": "all lower", "output": true}, {"input": "Not", "output": false}, {"input": "", "output": true}]}""",
                "stop"));
        assertTrue(parsed.usable(), parsed.parseError());
        assertEquals(3, parsed.cases().size());
    }
}
