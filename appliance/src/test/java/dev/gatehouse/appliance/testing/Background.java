package dev.gatehouse.appliance.testing;

import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/** Runs a blocking step of a test on a virtual thread, its failure kept for {@code get}. */
public final class Background {

  /** A step that may throw. */
  @FunctionalInterface
  public interface Step {
    void run() throws Exception;
  }

  private Background() {}

  public static Future<Void> run(String name, Step step) {
    FutureTask<Void> task = new FutureTask<>(() -> {
      step.run();
      return null;
    });
    Thread.ofVirtual().name(name).start(task);
    return task;
  }
}
