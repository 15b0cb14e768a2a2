/**
 * GRE on the wire: {@link dev.gatehouse.ingress.gre.wire.GreHeader}, an allocation-free view
 * over a buffer (RFC 2784, RFC 2890). Malformed bytes give a
 * {@link dev.gatehouse.ingress.gre.wire.GreStatus}, never an exception.
 */
package dev.gatehouse.ingress.gre.wire;
