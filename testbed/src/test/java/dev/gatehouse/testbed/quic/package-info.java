/**
 * Stand-ins for a browser and a web origin that speak HTTP/3 (RFC 9114) over QUIC
 * (RFC 9000), for issue #4: a client that blocked QUIC must send back to TCP. Debian has no
 * HTTP/3 client, so {@link dev.gatehouse.testbed.quic.Http3Probe} plays the browser (HTTP/3
 * first, HTTP/2 over TLS when that fails) and {@link dev.gatehouse.testbed.quic.Http3Origin}
 * the origin; {@link dev.gatehouse.testbed.quic.ContainerJava} runs either inside a Debian
 * container on the host's JDK and this module's test class path.
 */
package dev.gatehouse.testbed.quic;
