package dev.autoif.worker.fakellm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Misbehaviour the scripted server injects, each mode at its own rate, as real endpoints do.
 * Whether a request is faulted depends only on the seed, the request (prompt, seed, n) and how
 * many times that same request was seen before — not on timing or arrival order — so a run is
 * reproducible under any concurrency, and a retried request draws again. The {@linkplain Mode#quirk quirks} of real
 * servers (ignoring {@code n} or {@code seed}, no {@code usage}, ...) are not drawn: any rate above 0 turns one on for
 * every request.
 *
 * @param rates      probability per mode (the drawn modes' sum at most 1)
 * @param seed       makes the draws reproducible
 * @param latency    added to every chat request (a model's generation time; for benchmarks)
 * @param slowDelay  extra delay of a {@link Mode#SLOW} answer
 * @param retryAfter Retry-After header value of a {@link Mode#RATE_LIMIT} answer (seconds, may be fractional)
 */
public record Faults(Map<Mode, Double> rates, long seed, Duration latency, Duration slowDelay, String retryAfter) {

    public enum Mode {
        /** 429 Too Many Requests with Retry-After. */
        RATE_LIMIT("429"),
        /** 500 Internal Server Error. */
        SERVER_ERROR("500"),
        /** A correct answer after {@code slowDelay}. */
        SLOW("slow"),
        /** Every choice cut in half with finish_reason=length (billed: the tokens were generated). */
        TRUNCATE("truncate"),
        /** HTTP 200 with a body that is not JSON (not billed). */
        MALFORMED("malformed"),
        /** Fewer choices than n (half, rounded down; none for n=1); only those are billed. */
        FEWER("fewer"),
        /** The connection is closed without an answer (not billed). */
        DROP("drop"),
        /** Quirk: one choice whatever n asks (llama.cpp's and transformers' servers). */
        IGNORE_N("ignore-n", true),
        /** Quirk: the seed is ignored, every answer is a fresh draw (a server sampling without a fixed seed). */
        IGNORE_SEED("ignore-seed", true),
        /** Quirk: the end-of-turn marker is left at the end of the text (transformers serve). */
        KEEP_STOP("keep-stop", true),
        /** Quirk: no usage block in the body. */
        NO_USAGE("no-usage", true),
        /** Quirk: no finish_reason in the choices. */
        NO_FINISH_REASON("no-finish-reason", true),
        /** Quirk: a request with response_format is rejected with 400 (a server without structured output). */
        REJECT_SCHEMA("reject-schema", true),
        /**
         * Quirk: response_format only as {"type": "json_object", "schema": ...}; "json_schema" gets a 500 naming the
         * field (llama-cpp-python's server).
         */
        JSON_OBJECT_ONLY("json-object-only", true);

        public final String flag;
        /** A standing behaviour of the server, on for every request, instead of a fault drawn per request. */
        public final boolean quirk;

        Mode(String flag) {
            this(flag, false);
        }

        Mode(String flag, boolean quirk) {
            this.flag = flag;
            this.quirk = quirk;
        }

        static Mode fromFlag(String flag) {
            for (Mode m : values()) {
                if (m.flag.equals(flag)) return m;
            }
            throw new IllegalArgumentException("unknown fault '" + flag + "'; known: 429, 500, slow, truncate, malformed, "
                    + "fewer, drop, ignore-n, ignore-seed, keep-stop, no-usage, no-finish-reason, reject-schema, json-object-only");
        }
    }

    public Faults {
        EnumMap<Mode, Double> copy = new EnumMap<>(Mode.class);
        double sum = 0;
        for (Map.Entry<Mode, Double> e : rates.entrySet()) {
            if (e.getValue() < 0 || e.getValue() > 1) {
                throw new IllegalArgumentException("fault rate of " + e.getKey().flag + " must be within [0, 1]");
            }
            copy.put(e.getKey(), e.getValue());
            sum += e.getKey().quirk ? 0 : e.getValue();
        }
        if (sum > 1 + 1e-9) {
            throw new IllegalArgumentException("fault rates add up to " + sum + " > 1");
        }
        rates = Collections.unmodifiableMap(copy);
    }

    public static Faults none() {
        return new Faults(Map.of(), 0, Duration.ZERO, Duration.ofSeconds(2), "1");
    }

    /** {@code "429:0.1,500:0.1,drop:0.1"}; empty or null means none. */
    public static Faults parse(String spec, long seed) {
        EnumMap<Mode, Double> rates = new EnumMap<>(Mode.class);
        if (spec != null && !spec.isBlank()) {
            for (String part : spec.split(",")) {
                String[] kv = part.strip().split(":");
                if (kv.length != 2) {
                    throw new IllegalArgumentException("fault spec '" + part + "' is not MODE:RATE (e.g. 429:0.1)");
                }
                rates.merge(Mode.fromFlag(kv[0].strip().toLowerCase(Locale.ROOT)), Double.parseDouble(kv[1].strip()), Double::sum);
            }
        }
        Faults none = none();
        return new Faults(rates, seed, none.latency(), none.slowDelay(), none.retryAfter());
    }

    public Faults withRates(Map<Mode, Double> rates) {
        return new Faults(rates, seed, latency, slowDelay, retryAfter);
    }

    public Faults withLatency(Duration latency) {
        return new Faults(rates, seed, latency, slowDelay, retryAfter);
    }

    public Faults withSlowDelay(Duration slowDelay) {
        return new Faults(rates, seed, latency, slowDelay, retryAfter);
    }

    public Faults withRetryAfter(String retryAfter) {
        return new Faults(rates, seed, latency, slowDelay, retryAfter);
    }

    public boolean any() {
        return rates.entrySet().stream().anyMatch(e -> !e.getKey().quirk && e.getValue() > 0);
    }

    /** Whether quirk {@code mode} is on. */
    public boolean has(Mode mode) {
        return rates.getOrDefault(mode, 0.0) > 0;
    }

    /** The fault for the {@code occurrence}-th arrival of request {@code identity}, or null for a correct answer. */
    public Mode draw(String identity, long occurrence) {
        if (!any()) {
            return null;
        }
        double u = uniform(seed + "\u0000" + identity + "\u0000" + occurrence);
        double cumulative = 0;
        for (Mode m : Mode.values()) {
            if (m.quirk) {
                continue;
            }
            cumulative += rates.getOrDefault(m, 0.0);
            if (u < cumulative) {
                return m;
            }
        }
        return null;
    }

    private static double uniform(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            long bits = 0;
            for (int i = 0; i < 7; i++) {
                bits = (bits << 8) | (d[i] & 0xff);
            }
            return (bits >>> 3) / (double) (1L << 53);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
