/**
 * Wire formats as flyweight views over Netty {@link io.netty.buffer.ByteBuf}s: a view wraps a
 * buffer, an offset and a length, checks the bytes once in {@code wrap} and answers with a
 * {@link dev.gatehouse.core.wire.WireStatus}; its accessors then read and write the buffer in
 * place. Parsing allocates nothing and malformed bytes never throw.
 *
 * <p>The RFCs a reader needs:
 *
 * <ul>
 *   <li>RFC 791, Internet Protocol (IPv4 header and options)
 *   <li>RFC 8200, IPv6 (header, extension headers, upper-layer checksums §8.1)
 *   <li>RFC 4302, IP Authentication Header (its length unit differs from other extensions)
 *   <li>RFC 9293, TCP (header and options); RFC 7323 (window scale, timestamps); RFC 2018
 *       (SACK); RFC 3168 (ECE and CWR flags)
 *   <li>RFC 768, UDP
 *   <li>RFC 792, ICMP; RFC 1191 (next-hop MTU); RFC 4443, ICMPv6
 *   <li>RFC 1071, computing the Internet checksum; RFC 1624, updating it incrementally
 * </ul>
 */
package dev.gatehouse.core.wire;
