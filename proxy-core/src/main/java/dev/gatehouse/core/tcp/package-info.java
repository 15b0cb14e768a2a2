/**
 * The user-space TCP engine that terminates clients' connections: {@link
 * dev.gatehouse.core.tcp.TcpConnection} holds a client's SYN until the origin answered, then
 * carries bytes both ways with backpressure. Pure: segments, bytes and {@code nowNanos} in;
 * segments, bytes and events out through {@link dev.gatehouse.core.tcp.TcpOutput}.
 *
 * <p>One file per concern: the connection and its arrival steps, the send buffer, reassembly,
 * the SACK scoreboard, the RTT estimator, congestion control, initial sequence numbers.
 */
package dev.gatehouse.core.tcp;
