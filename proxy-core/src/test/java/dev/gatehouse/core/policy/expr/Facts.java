package dev.gatehouse.core.policy.expr;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Flow facts for tests: everything unknown until set. */
final class Facts implements FlowFacts {
  private InetAddress srcIp;
  private InetAddress dstIp;
  private int srcPort = UNKNOWN_PORT;
  private int dstPort = UNKNOWN_PORT;
  private String protocol;
  private String sniHost;
  private String httpRequestHost;
  private String detectedProtocol;
  private String tunnelName;
  private String site;
  private long vnetId = UNKNOWN_VNET;

  static Facts unknown() {
    return new Facts();
  }

  /** A TCP flow as the first packet shows it: addresses, ports, protocol, tunnel. */
  static Facts firstPacket(String src, int srcPort, String dst, int dstPort) {
    return new Facts().src(src).srcPort(srcPort).dst(dst).dstPort(dstPort).protocol("tcp")
        .tunnel("gre-1").site("lab").vnet(0);
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(literal, e);
    }
  }

  Facts src(String literal) {
    srcIp = address(literal);
    return this;
  }

  Facts dst(String literal) {
    dstIp = address(literal);
    return this;
  }

  Facts srcPort(int port) {
    srcPort = port;
    return this;
  }

  Facts dstPort(int port) {
    dstPort = port;
    return this;
  }

  Facts protocol(String value) {
    protocol = value;
    return this;
  }

  Facts sni(String value) {
    sniHost = value;
    return this;
  }

  Facts host(String value) {
    httpRequestHost = value;
    return this;
  }

  Facts detected(String value) {
    detectedProtocol = value;
    return this;
  }

  Facts tunnel(String value) {
    tunnelName = value;
    return this;
  }

  Facts site(String value) {
    site = value;
    return this;
  }

  Facts vnet(long value) {
    vnetId = value;
    return this;
  }

  @Override
  public InetAddress srcIp() {
    return srcIp;
  }

  @Override
  public InetAddress dstIp() {
    return dstIp;
  }

  @Override
  public int srcPort() {
    return srcPort;
  }

  @Override
  public int dstPort() {
    return dstPort;
  }

  @Override
  public String protocol() {
    return protocol;
  }

  @Override
  public String sniHost() {
    return sniHost;
  }

  @Override
  public String httpRequestHost() {
    return httpRequestHost;
  }

  @Override
  public String detectedProtocol() {
    return detectedProtocol;
  }

  @Override
  public String tunnelName() {
    return tunnelName;
  }

  @Override
  public String site() {
    return site;
  }

  @Override
  public long vnetId() {
    return vnetId;
  }
}
