/**
 * Tunnel health checks for GRE tunnels: ICMP echo probes (RFC 792) inside the tunnel, the
 * healthy / degraded / down verdict drawn from their answers, and its history.
 * {@link dev.gatehouse.ingress.gre.health.HealthCheck} is the pure engine.
 */
package dev.gatehouse.ingress.gre.health;
