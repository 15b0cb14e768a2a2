/**
 * The explicit HTTP proxy: browsers and tools configured with a proxy address (or, later,
 * a PAC file) send {@code CONNECT} for tunnels and absolute-form requests for plain HTTP.
 *
 * <p>Reading list: RFC 9110 §7.6 (message forwarding, hop-by-hop fields, Via), §9.3.6
 * (CONNECT); RFC 9112 §3.2 (request-target forms), §6 (message body framing), §9
 * (connection management).
 */
package dev.gatehouse.appliance.explicit;
