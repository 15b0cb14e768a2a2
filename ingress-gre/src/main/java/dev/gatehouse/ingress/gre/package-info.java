/**
 * The GRE ingress ({@code type: gre}): tunnels from site routers, GRE as RFC 2784 and
 * RFC 2890 define it over IP protocol 47 (IPv4 or IPv6 outer) or UDP (RFC 8086).
 *
 * <p>The data path: {@link dev.gatehouse.ingress.gre.GreTunnel} owns the sockets;
 * {@link dev.gatehouse.ingress.gre.GreDecapsulator} judges each packet from the site and
 * {@link dev.gatehouse.ingress.gre.GreEncapsulator} builds each packet to it, both pure
 * and confined to one thread; {@link dev.gatehouse.ingress.gre.MssClamp} keeps TCP within
 * the tunnel's MTU both ways; {@link dev.gatehouse.ingress.gre.GreTunnelProvider} reads
 * the settings. Drops are counted per tunnel by {@link dev.gatehouse.ingress.gre.GreDropReason}.
 */
package dev.gatehouse.ingress.gre;
