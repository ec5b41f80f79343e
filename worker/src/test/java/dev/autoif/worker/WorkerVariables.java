package dev.autoif.worker;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import io.micronaut.context.env.PropertySource;
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
import java.util.Set;
import java.util.stream.Stream;

/** Which environment variables the worker reads: the deployment files must give it only those. */
final class WorkerVariables {
    private WorkerVariables() {}

    /** Variables the worker's libraries read rather than its settings: the Docker client and the AWS SDK's credentials chain. */
    static final Set<String> READ_BY_LIBRARIES = Set.of("DOCKER_HOST", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");

    /**
     * The worker's application context as a process with {@code environment} as its environment variables would build
     * it (the same property convention Micronaut gives the real environment), for a deployment file's settings.
     */
    static ApplicationContext contextWith(Map<String, String> environment) {
        return ApplicationContext.builder(Environment.CLI)
                .propertySources(PropertySource.of("deployment-environment", Map.copyOf(environment),
                        PropertySource.PropertyConvention.ENVIRONMENT_VARIABLE))
                .start();
    }

    /**
     * True when application.yml maps {@code variable} to a key, or when Micronaut binds it by name to a key of
     * {@link AutoifProperties} (AUTOIF_LLM_CONCURRENCY: autoif.llm.concurrency): setting it changes the settings.
     */
    static boolean readByWorker(String variable) {
        if (applicationYml().contains("${" + variable + ":")) {
            return true;
        }
        // a value of each kind the settings take: a number, a flag, a URL, a duration (one that does not convert fails to bind)
        return variable.startsWith("AUTOIF_") && Stream.of("7", "true", "http://example.org:7", "7d")
                .anyMatch(value -> changesSettings(variable, value));
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
        return Stream.concat(describe(context.getBean(AutoifSettings.class), AutoifSettings.class),
                describe(context.getBean(StoreSettings.class), StoreSettings.class)).toList();
    }

    private static Stream<String> describe(Object s, Class<?> type) {
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
