package dev.gatehouse.core.linux;

import java.lang.management.ManagementFactory;

/** Measures what a piece of data-path code allocates once the JIT has compiled it. */
final class Allocations {

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** One round of the code under test, run on the calling thread. */
  interface Round {
    void run() throws Exception;
  }

  private Allocations() {}

  /**
   * Runs {@code round} up to {@code maxRounds} times, stopping at the first round that
   * allocates nothing, and returns the fewest bytes a round allocated. The first rounds
   * run interpreted or half-compiled and allocate; code that allocates per packet never
   * gets below a dozen bytes per packet, however long it runs.
   */
  static long fewestBytesPerRound(int maxRounds, Round round) throws Exception {
    long fewestBytes = Long.MAX_VALUE;
    for (int i = 0; i < maxRounds && fewestBytes > 0; i++) {
      long beforeBytes = THREADS.getCurrentThreadAllocatedBytes();
      round.run();
      fewestBytes = Math.min(fewestBytes, THREADS.getCurrentThreadAllocatedBytes() - beforeBytes);
    }
    return fewestBytes;
  }
}
