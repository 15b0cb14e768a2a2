/**
 * The activity log: one JSON line per flow event, written off the event loops.
 *
 * <p>Engines build an {@link dev.gatehouse.core.log.ActivityRecord} when a flow starts or
 * ends and hand it to an {@link dev.gatehouse.core.log.ActivityLog}; the
 * {@link dev.gatehouse.core.log.AsyncActivityLog} queues it, encodes it with the
 * {@link dev.gatehouse.core.log.ActivityLineEncoder} on its writer thread and appends it to
 * an {@link dev.gatehouse.core.log.ActivitySink}. {@code docs/ACTIVITY-LOG.md} describes the
 * format.
 */
package dev.gatehouse.core.log;
