/**
 * The local TUN ingress ({@code type: tun}), router mode: the host, or the container the
 * appliance runs in, routes traffic into a TUN device and Gatehouse terminates every inner
 * packet the device hands over. {@link dev.gatehouse.ingress.tun.TunTunnelProvider} reads
 * the settings; {@link dev.gatehouse.ingress.tun.TunTunnel} owns the device, its host
 * configuration and the thread that reads it.
 */
package dev.gatehouse.ingress.tun;
