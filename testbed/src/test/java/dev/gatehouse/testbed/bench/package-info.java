/**
 * Benchmarks: each figure is measured through Gatehouse and through a baseline peer
 * (haproxy) between the same hosts in the same run, alternating run by run, and reported
 * as a ratio. {@link dev.gatehouse.testbed.bench.BenchmarkRunner} runs them all and writes
 * {@code docs/performance.json} and {@code docs/PERFORMANCE.md}; {@code scripts/bench} is
 * the command. Nothing here is a test: Surefire and Failsafe never pick these classes up.
 */
package dev.gatehouse.testbed.bench;
