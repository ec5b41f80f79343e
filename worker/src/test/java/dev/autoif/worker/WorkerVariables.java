package dev.autoif.worker;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import io.micronaut.core.util.EnvironmentProperties;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Which environment variables the worker reads: the deployment files must give it only those. */
final class WorkerVariables {
    private WorkerVariables() {}

    /**
     * True when application.yml maps {@code variable} to a key, or when Micronaut binds it by name to a key of
     * {@link AutoifProperties} (AUTOIF_LLM_CONCURRENCY: autoif.llm.concurrency): setting it changes the settings.
     */
    static boolean readByWorker(String variable) {
        if (applicationYml().contains("${" + variable + ":")) {
            return true;
        }
        // A value of each type a key may have: a number, a flag, a duration.
        return variable.startsWith("AUTOIF_") && (changesSettings(variable, "7") || changesSettings(variable, "true")
                || changesSettings(variable, "7d"));
    }

    private static boolean changesSettings(String variable, String value) {
        Map<String, Object> asVariableWouldBe = new HashMap<>();
        for (String name : EnvironmentProperties.empty().findPropertyNamesForEnvironmentVariable(variable)) {
            asVariableWouldBe.put(name, value);
        }
        try (ApplicationContext plain = ApplicationContext.builder(Environment.CLI).start();
             ApplicationContext set = ApplicationContext.builder(Environment.CLI).properties(asVariableWouldBe).start()) {
            return !describe(plain).equals(describe(set));
        } catch (RuntimeException e) {
            return false; // the value does not convert to the key's type
        }
    }

    /** The worker's settings as bound: AutoifSettings and the store's, which live in a class of their own. */
    private static List<String> describe(ApplicationContext context) {
        return java.util.stream.Stream.concat(describe(context.getBean(AutoifSettings.class), AutoifSettings.class),
                describe(context.getBean(StoreSettings.class), StoreSettings.class)).toList();
    }

    private static java.util.stream.Stream<String> describe(Object s, Class<?> type) {
        return Arrays.stream(type.getMethods())
                .filter(m -> m.getParameterCount() == 0 && m.getDeclaringClass() == type
                        && !Modifier.isStatic(m.getModifiers())
                        // not the stores StoreSettings opens: values only
                        && !m.getReturnType().getPackageName().startsWith("dev.autoif.activities.artifacts"))
                .sorted(Comparator.comparing(Method::getName))
                .map(m -> {
                    try {
                        return m.getName() + "=" + m.invoke(s);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(e);
                    }
                });
    }

    private static String applicationYml() {
        try (InputStream in = WorkerVariables.class.getResourceAsStream("/application.yml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
