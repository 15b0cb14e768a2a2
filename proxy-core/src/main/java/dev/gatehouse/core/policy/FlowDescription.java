package dev.gatehouse.core.policy;

import dev.gatehouse.core.policy.expr.FlowFacts;
import java.net.InetAddress;
import java.util.Objects;

/**
 * The facts a flow offers its policies: known from the first packet, plus what inspecting
 * the client's first bytes adds ({@link #inspected}). Until then the inspected facts are
 * unknown ({@code null}), so that a selector reading them answers "unknown". Confined to the
 * flow's thread.
 */
public final class FlowDescription implements FlowFacts {
  private final InetAddress srcIp;
  private final InetAddress dstIp;
  private final int srcPort;
  private final int dstPort;
  private final String protocol;
  private final String tunnelName;
  private final String site;
  private final long vnetId;
  private String sniHost;
  private String httpRequestHost;
  private String detectedProtocol;

  /**
   * @param protocol {@code tcp}, {@code udp} or {@code icmp}
   * @param srcPort the client's port, or {@link FlowFacts#NO_PORT}
   * @param dstPort the destination port, or {@link FlowFacts#NO_PORT}
   */
  public FlowDescription(String protocol, InetAddress srcIp, int srcPort, InetAddress dstIp, int dstPort,
      String tunnelName, String site, long vnetId) {
    this.protocol = Objects.requireNonNull(protocol, "protocol");
    this.srcIp = Objects.requireNonNull(srcIp, "srcIp");
    this.srcPort = srcPort;
    this.dstIp = Objects.requireNonNull(dstIp, "dstIp");
    this.dstPort = dstPort;
    this.tunnelName = Objects.requireNonNull(tunnelName, "tunnelName");
    this.site = Objects.requireNonNull(site, "site");
    this.vnetId = vnetId;
  }

  /**
   * Records what inspection found; each is the empty string when known to be absent.
   * Afterwards every fact is known and a policy set's verdict is final.
   */
  public void inspected(String detectedProtocol, String sniHost, String httpRequestHost) {
    this.detectedProtocol = Objects.requireNonNull(detectedProtocol, "detectedProtocol");
    this.sniHost = Objects.requireNonNull(sniHost, "sniHost");
    this.httpRequestHost = Objects.requireNonNull(httpRequestHost, "httpRequestHost");
  }

  /** Whether {@link #inspected} was called. */
  public boolean isInspected() {
    return detectedProtocol != null;
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
