package dev.autoif.activities.training;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/** Ends a process and everything it started. */
final class ProcessTrees {
    private ProcessTrees() {}

    /**
     * SIGTERM to {@code root} and all its descendants (the tree is snapshotted first: a killed parent's children are
     * re-parented and could no longer be found), then SIGKILL to whatever is still alive after {@code grace}.
     *
     * @return true when every process of the tree is gone
     */
    static boolean kill(ProcessHandle root, Duration grace) {
        Set<ProcessHandle> tree = new LinkedHashSet<>();
        tree.add(root);
        root.descendants().forEach(tree::add);
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() < deadline) {
            root.descendants().forEach(tree::add); // children spawned while the tree was being signalled
            if (tree.stream().noneMatch(ProcessHandle::isAlive)) {
                return true;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        root.descendants().forEach(tree::add);
        tree.forEach(ProcessHandle::destroyForcibly);
        long hard = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < hard && tree.stream().anyMatch(ProcessHandle::isAlive)) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                break;
            }
        }
        return tree.stream().noneMatch(ProcessHandle::isAlive);
    }
}
