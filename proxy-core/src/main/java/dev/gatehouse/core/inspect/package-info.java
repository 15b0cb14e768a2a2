/**
 * Pure inspection of a flow's first client bytes: which protocol they open, and for TLS and
 * plaintext HTTP the host the client asked for. Bytes in, facts out; no channels, threads or
 * clocks, so that the TCP and UDP engines decide when to inspect and for how long.
 * {@link dev.gatehouse.core.inspect.StreamInspector} follows a TCP stream across segments;
 * {@link dev.gatehouse.core.inspect.DatagramInspector} judges a UDP flow's first datagram;
 * {@link dev.gatehouse.core.inspect.QuicInitialInspector} reads a QUIC client's server name
 * from the Initial packets of its first datagrams.
 * Malformed bytes never throw: they give {@code NONE} or an empty host.
 *
 * <p>The specifications a reader needs:
 *
 * <ul>
 *   <li>RFC 8446, TLS 1.3: §5.1 records, §4 and §4.1.2 the ClientHello, §4.2 extensions;
 *       RFC 5246 §7.4.1.2 for TLS 1.2 ClientHellos without extensions
 *   <li>RFC 6066 §3, the server_name extension
 *   <li>RFC 9112, HTTP/1.1 messages (§2.2 line ends, §3 request line, §3.2 Host and target
 *       forms, §5 field lines); RFC 9110 §7.2 Host, §4.2.4 userinfo; RFC 3986 §3.2 authority
 *   <li>RFC 9113 §3.4, the HTTP/2 connection preface
 *   <li>RFC 4253 §4.2, the SSH identification string
 *   <li>RFC 1035 §4.1 and §4.2.2, DNS messages and their TCP length prefix
 *   <li>RFC 9000 §17.2.2 and RFC 9369, QUIC Initials (through
 *       {@link dev.gatehouse.core.wire.QuicPackets}); RFC 9001 §5 their protection, and
 *       RFC 9000 §12.2, §16, §17.1, §19 coalescing, integers, packet numbers and frames
 *   <li>RFC 1006 §6 and MS-RDPBCGR §2.2.1.1, RDP's TPKT and X.224 Connection Request;
 *       MS-SMB2 §2.1, SMB over Direct TCP
 *   <li>RFC 6347 §4.1 and RFC 9147, DTLS records; RFC 8489 §5, STUN; the WireGuard paper
 *       §5.4.2, its handshake initiation
 * </ul>
 */
package dev.gatehouse.core.inspect;
