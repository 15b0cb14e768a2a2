package dev.gatehouse.ingress.gre;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The {@code type: gre} settings of one tunnel, validated.
 *
 * @param local the appliance's outer address: the raw socket or UDP socket binds to it
 * @param remote the site router's outer address, of the same family; GRE from any other
 *     source is dropped, and everything the tunnel sends goes to it
 * @param key the Key both directions carry (RFC 2890 §2.1), 0 to 2^32-1; empty for none
 * @param interfaceAddress the appliance's IPv4 address inside the tunnel, a /31 or /30
 * @param interfaceAddressV6 the appliance's IPv6 address inside the tunnel, a /127 or /126
 * @param transport raw IP protocol 47, or GRE-in-UDP
 * @param udpPort with {@link GreTransport#UDP}: the port the appliance listens on and sends to
 * @param checksum whether packets to the site carry the GRE checksum (RFC 2784 §2.5)
 * @param sequenceNumbers whether packets to the site carry sequence numbers (RFC 2890 §2.2)
 * @param healthCheck the tunnel's health check; {@link HealthCheckSettings#DISABLED} for none
 */
public record GreSettings(
    InetAddress local,
    InetAddress remote,
    OptionalLong key,
    Optional<IpPrefix> interfaceAddress,
    Optional<IpPrefix> interfaceAddressV6,
    GreTransport transport,
    int udpPort,
    boolean checksum,
    boolean sequenceNumbers,
    HealthCheckSettings healthCheck) {

  /** RFC 8086 (IANA "GRE-in-UDP"): the destination port of GRE-in-UDP without DTLS. */
  public static final int GRE_IN_UDP_PORT = 4754;

  public GreSettings {
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(remote, "remote");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(interfaceAddress, "interfaceAddress");
    Objects.requireNonNull(interfaceAddressV6, "interfaceAddressV6");
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(healthCheck, "healthCheck");
    if (local.getClass() != remote.getClass()) {
      throw new IllegalArgumentException("local " + local.getHostAddress() + " and remote "
          + remote.getHostAddress() + " are of two IP versions");
    }
    if (key.isPresent() && (key.getAsLong() < 0 || key.getAsLong() > 0xFFFF_FFFFL)) {
      throw new IllegalArgumentException("a GRE key is 32 bits, got " + key.getAsLong());
    }
  }

  /** Settings without a health check. */
  public GreSettings(InetAddress local, InetAddress remote, OptionalLong key, Optional<IpPrefix> interfaceAddress,
      Optional<IpPrefix> interfaceAddressV6, GreTransport transport, int udpPort, boolean checksum,
      boolean sequenceNumbers) {
    this(local, remote, key, interfaceAddress, interfaceAddressV6, transport, udpPort, checksum, sequenceNumbers,
        HealthCheckSettings.DISABLED);
  }

  /** The same settings with {@code settings} for the health check. */
  public GreSettings withHealthCheck(HealthCheckSettings settings) {
    return new GreSettings(local, remote, key, interfaceAddress, interfaceAddressV6, transport, udpPort, checksum,
        sequenceNumbers, settings);
  }

  /**
   * The site's IPv4 address inside the tunnel: the other host of the {@code interface-address}
   * prefix (of a /31 the other address, RFC 3021; of a /30 the other of its two hosts).
   */
  public Optional<Inet4Address> siteInterfaceAddress() {
    return interfaceAddress.map(prefix -> {
      byte[] bytes = prefix.address().getAddress();
      bytes[3] ^= (byte) (prefix.length() == 31 ? 0x1 : 0x3);
      try {
        return (Inet4Address) InetAddress.getByAddress(bytes);
      } catch (UnknownHostException e) {
        throw new AssertionError("four bytes are always an address", e);
      }
    });
  }

  /** Plain GRE over IP from {@code local} to {@code remote}: no key, checksum or sequence numbers. */
  public static GreSettings of(InetAddress local, InetAddress remote) {
    return new GreSettings(local, remote, OptionalLong.empty(), Optional.empty(), Optional.empty(),
        GreTransport.IP, GRE_IN_UDP_PORT, false, false);
  }
}
