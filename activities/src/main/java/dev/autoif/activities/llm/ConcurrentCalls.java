package dev.autoif.activities.llm;

import dev.autoif.workflows.FailureTypes;
import io.opentelemetry.context.Context;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Independent LLM requests of one activity sent at once, each on its own virtual thread (they mostly wait for HTTP):
 * the endpoint's limiter, not the activity, bounds how many are in flight.
 */
final class ConcurrentCalls {
    private ConcurrentCalls() {}

    /** A call's value, or why it failed. */
    record Outcome<T>(T value, Throwable failure) {}

    /**
     * Runs every call at once and waits for all of them. An interrupt (the activity was cancelled) interrupts every
     * call, which aborts its HTTP request.
     */
    static <T> List<Outcome<T>> allAtOnce(List<Supplier<T>> calls) {
        if (calls.size() == 1) { // no thread for the common single call
            try {
                return List.of(new Outcome<>(calls.get(0).get(), null));
            } catch (RuntimeException e) {
                return List.of(new Outcome<>(null, e));
            }
        }
        // The calls run in the activity's trace: their llm.request spans stay under the activity's span.
        ExecutorService threads = Context.taskWrapping(Executors.newVirtualThreadPerTaskExecutor());
        try {
            List<Future<T>> futures = calls.stream().map(c -> threads.submit(c::get)).toList();
            List<Outcome<T>> outcomes = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    outcomes.add(new Outcome<>(f.get(), null));
                } catch (ExecutionException e) {
                    outcomes.add(new Outcome<>(null, e.getCause()));
                }
            }
            return outcomes;
        } catch (InterruptedException e) {
            threads.shutdownNow();
            Thread.currentThread().interrupt();
            throw ApplicationFailure.newFailure("interrupted while waiting for LLM requests", FailureTypes.LLM_UNAVAILABLE);
        } finally {
            threads.close();
        }
    }

    /** Every call's value, in order, once all of them ended; else the first failure, rethrown once all have ended. */
    static <T> List<T> allOrFirstFailure(List<Supplier<T>> calls) {
        List<T> values = new ArrayList<>();
        for (Outcome<T> outcome : allAtOnce(calls)) {
            if (outcome.failure() != null) {
                throw rethrown(outcome.failure());
            }
            values.add(outcome.value());
        }
        return values;
    }

    static RuntimeException rethrown(Throwable failure) {
        if (failure instanceof Error e) {
            throw e;
        }
        return failure instanceof RuntimeException e ? e : new IllegalStateException(failure);
    }
}
