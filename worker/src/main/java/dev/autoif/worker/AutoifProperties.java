package dev.autoif.worker;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/**
 * The worker's configuration keys under {@code autoif.*}, each with its default, stated here only. Micronaut binds
 * them from application.yml and from environment variables: AUTOIF_LLM_CONCURRENCY sets autoif.llm.concurrency (every
 * AUTOIF_* variable named after its key); application.yml maps the variables named otherwise (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, OPENAI_*, AUTOIF_CACHE_JDBC_URL, AUTOIF_VERIFIER_IMAGE). {@link AutoifSettings} is what the
 * code reads. Store settings live in a class of their own.
 */
@ConfigurationProperties("autoif")
public class AutoifProperties {
    String dataDir = "autoif-data";
    /** Task queues this process polls, comma-separated; blank: all. */
    String taskQueues = "";

    @ConfigurationProperties("temporal")
    public static class Temporal {
        static final String DEFAULT_NAMESPACE = "default";
        /** Blank: the embedded or local server (see RunCommand / WorkerCommand). */
        String address = "";
        /** Blank (TEMPORAL_NAMESPACE unset): {@link #DEFAULT_NAMESPACE}. */
        String namespace = DEFAULT_NAMESPACE;
        /** A namespace keeping closed workflows for less than this draws a warning when a worker starts. */
        Duration minRetention = Duration.ofDays(30);
    }

    @ConfigurationProperties("llm")
    public static class Llm {
        String baseUrl = "";
        String apiKey = "";
        String model = "";
        int requestTimeoutSeconds = 600;
        int concurrency = 8;
        int concurrencyFloor = 1;
        /** LLM requests in flight per endpoint across all workers sharing the cache database (0: no fleet-wide cap). */
        int globalConcurrency = 0;
        /** Lease of a completion claim / request permit: a crashed worker's come back after this. */
        int leaseSeconds = 30;

        @ConfigurationProperties("cache")
        public static class Cache {
            /** PostgreSQL shared by the workers (completion cache, claims, permits); blank: the disk cache. */
            String jdbcUrl = "";
        }
    }

    @ConfigurationProperties("nli")
    public static class Nli {
        /** ONNX NLI model for campaigns with consistency "onnx"; blank: none. */
        String modelDir = "";
    }

    @ConfigurationProperties("sandbox")
    public static class Sandbox {
        static final String DEFAULT_IMAGE = "autoif/verifier:1";
        /** Blank (AUTOIF_VERIFIER_IMAGE unset): {@link #DEFAULT_IMAGE}. */
        String image = DEFAULT_IMAGE;
        int containers = 2;
        int memoryMb = 512;

        /** Concurrent sandbox calls of one worker share a container (see README, "Sandbox"). */
        @ConfigurationProperties("coalesce")
        public static class Coalesce {
            int windowMs = 250;
            int maxGroups = 64;
            long maxCells = 400_000;
            boolean mixCampaigns = false;
        }
    }
}
