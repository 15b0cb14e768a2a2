package dev.gatehouse.testbed.bench;

import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.policy.Policy;
import dev.gatehouse.core.policy.PolicyAction;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.policy.Verdict;
import dev.gatehouse.core.policy.expr.Expression;
import dev.gatehouse.core.policy.expr.ExpressionException;
import dev.gatehouse.core.policy.expr.FlowFacts;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A policy set of a given size and the flows decided against it, made from a seed so that
 * every run and every machine decides the same flows against the same rules.
 *
 * <p>The rules are what an administrator's list grows into: mostly per-host ({@code /32})
 * and per-subnet ({@code /24}, IPv6 {@code /64}) rules with their ports, some port-only
 * rules ({@code net.dst.port in {22 23 3389}}), a few {@code net.protocol} rules, a few broad
 * rules with {@code not} that every flow meets (an anti-spoofing rule first of all), and SNI
 * rules at the very end. The SNI rules are guarded by {@code net.dst.port == 443} and placed
 * last, as one writes them: an SNI rule early in the list would leave every flow that reaches
 * it pending on its first packet, whatever the rules after it say.
 *
 * <p>The flows: about a tenth aimed at a host or subnet rule in the first tenth of the
 * list, a tenth at one in the last tenth, and the rest at destinations or ports no host or
 * subnet rule covers, which the default action or a broad rule decides. Half of the TCP
 * flows to port 443 are already inspected (a ClientHello was read), as on a flow's second
 * decision; the others reach the SNI rules pending. {@link #mix()} counts what the rules
 * actually decide, since an earlier rule may claim a flow aimed at a later one.
 *
 * <p>Addresses come from the benchmarking ranges 198.18.0.0/15 (RFC 2544) and 2001:2::/48
 * (RFC 5180): hosts rules in 198.18.0.0/17, subnet rules in 198.19.0.0/17 and
 * 2001:2:0:0::/49; nothing covers 198.18.128.0/17 and 2001:2:0:8000::/49.
 */
final class PolicyWorkload {
  /** The seed the benchmark uses. Chosen. */
  static final long SEED = 0x6a7e_4005L;
  /** How many flows are decided in turn, a power of two. Chosen: more than a CPU cache holds of rules' state. */
  static final int FLOWS = 4096;

  private static final int[] SERVICE_PORTS = {25, 80, 443, 587, 993, 3306, 5432, 6379, 8080, 8443, 9200, 27017};
  private static final int HTTPS_PORT = 443;
  private static final String[] PORT_ONLY = {
      "net.dst.port in {22 23 3389}", "net.dst.port in {5900..5910}", "net.dst.port == 445",
      "net.dst.port in {135 137..139}"};
  private static final String[] PROTOCOL = {
      "net.protocol == \"icmp\" and net.dst.ip in {198.19.0.0/17}",
      "net.protocol == \"udp\" and net.dst.port in {53 123}",
      "net.protocol == \"tcp\" and net.dst.port in {20 21}"};
  private static final String ANTI_SPOOFING = "not net.src.ip in {198.18.0.0/15 2001:2::/48}";
  private static final String[] NEGATED = {
      "net.protocol == \"udp\" and not net.dst.port in {53 123 443}",
      "net.protocol == \"tcp\" and not net.src.port in {1024..65535}"};

  private final PolicySet policies;
  private final FlowDescription[] flows;
  private Verdict[] checked;

  private PolicyWorkload(PolicySet policies, FlowDescription[] flows) {
    this.policies = policies;
    this.flows = flows;
  }

  /** Makes {@code ruleCount} rules (at least 10) and {@link #FLOWS} flows from {@code seed}. */
  static PolicyWorkload generate(int ruleCount, long seed) {
    if (ruleCount < 10) {
      throw new IllegalArgumentException("a workload needs at least 10 rules, got " + ruleCount);
    }
    SplittableRandom random = new SplittableRandom(seed);
    List<Rule> rules = layOut(ruleCount, random);
    List<Policy> policies = new ArrayList<>(rules.size());
    for (int position = 0; position < rules.size(); position++) {
      Rule rule = rules.get(position);
      policies.add(Policy.of(String.format(Locale.ROOT, "rule-%05d", position), compile(rule.selector()),
          rule.action()));
    }
    List<Rule> body = rules.stream().filter(rule -> rule.target() != null).toList();
    FlowDescription[] flows = new FlowDescription[FLOWS];
    for (int i = 0; i < FLOWS; i++) {
      flows[i] = flow(body, random);
    }
    return new PolicyWorkload(PolicySet.of(policies, PolicyAction.BLOCK), flows);
  }

  PolicySet policies() {
    return policies;
  }

  /** The flows, in the order they are decided. */
  FlowDescription[] flows() {
    return flows;
  }

  /**
   * Each flow's verdict by {@link PolicySet#decideLinearly}, the reference, made on the first
   * call: at 10,000 rules it takes seconds. Verdicts are shared objects, compared by identity.
   */
  Verdict[] checkedVerdicts() {
    if (checked == null) {
      checked = new Verdict[flows.length];
      for (int i = 0; i < flows.length; i++) {
        checked[i] = policies.decideLinearly(flows[i]);
      }
    }
    return checked;
  }

  /**
   * The first flow on which the indexed decision differs from {@link #checkedVerdicts()},
   * described; empty when they agree on every flow.
   */
  Optional<String> disagreement() {
    Verdict[] checked = checkedVerdicts();
    for (int i = 0; i < flows.length; i++) {
      Verdict indexed = policies.decide(flows[i]);
      Verdict linear = checked[i];
      if (indexed != linear) {
        FlowDescription flow = flows[i];
        return Optional.of("flow " + i + " (" + flow.protocol() + " to " + flow.dstIp().getHostAddress()
            + " port " + flow.dstPort() + ", inspected " + flow.isInspected() + "): indexed decides '"
            + indexed + "', linear '" + linear + "'");
      }
    }
    return Optional.empty();
  }

  /** What the rules decide for the flows, counted from {@link #checkedVerdicts()}. */
  Mix mix() {
    int count = policies.policies().size();
    int firstTenth = 0;
    int later = 0;
    int byDefault = 0;
    int pending = 0;
    for (Verdict verdict : checkedVerdicts()) {
      if (verdict.isPending()) {
        pending++;
      } else if (verdict.policy() == null) {
        byDefault++;
      } else if (position(verdict) < count / 10) {
        firstTenth++;
      } else {
        later++;
      }
    }
    return new Mix(firstTenth, later, byDefault, pending);
  }

  private static int position(Verdict verdict) {
    return Integer.parseInt(verdict.policyName().substring("rule-".length()));
  }

  /**
   * How the flows are decided.
   *
   * @param firstTenth by a rule in the first tenth of the list
   * @param later by a rule after it
   * @param byDefault by the default action
   * @param pending pending until inspection
   */
  record Mix(int firstTenth, int later, int byDefault, int pending) {}

  /** One rule before compiling; {@code target} is set for host and subnet rules. */
  private record Rule(String selector, PolicyAction action, Target target) {}

  /** The destinations a host or subnet rule covers: one prefix and its ports. */
  private record Target(byte[] network, int prefixLength, int[] ports) {}

  private enum Kind { HOST, SUBNET, SUBNET_V6, PORT_ONLY, PROTOCOL, NEGATED, SNI }

  /** The order of kinds: anti-spoofing first, SNI last, the other broad rules strewn among the rest. */
  private static List<Rule> layOut(int ruleCount, SplittableRandom random) {
    int sni = Math.max(1, ruleCount / 1000);
    int portOnly = Math.max(1, ruleCount / 500);
    int protocol = Math.max(1, ruleCount / 2000);
    int negated = Math.max(1, ruleCount / 2000);
    List<Kind> kinds = new ArrayList<>();
    for (int i = sni + portOnly + protocol + negated; i < ruleCount; i++) {
      int draw = random.nextInt(100);
      kinds.add(draw < 45 ? Kind.HOST : draw < 75 ? Kind.SUBNET : Kind.SUBNET_V6);
    }
    strew(kinds, Kind.PORT_ONLY, portOnly, random);
    strew(kinds, Kind.PROTOCOL, protocol, random);
    strew(kinds, Kind.NEGATED, negated - 1, random);
    kinds.addFirst(Kind.NEGATED);
    for (int i = 0; i < sni; i++) {
      kinds.add(Kind.SNI);
    }

    Set<Integer> hostsTaken = new HashSet<>();
    int[] seen = new int[Kind.values().length];
    List<Rule> rules = new ArrayList<>(ruleCount);
    for (Kind kind : kinds) {
      rules.add(rule(kind, seen[kind.ordinal()]++, hostsTaken, random));
    }
    return rules;
  }

  private static void strew(List<Kind> kinds, Kind kind, int count, SplittableRandom random) {
    for (int i = 0; i < count; i++) {
      kinds.add(random.nextInt(kinds.size() + 1), kind);
    }
  }

  private static Rule rule(Kind kind, int nth, Set<Integer> hostsTaken, SplittableRandom random) {
    PolicyAction bodyAction = random.nextInt(10) < 7 ? PolicyAction.ALLOW : PolicyAction.BLOCK;
    return switch (kind) {
      case HOST -> {
        int host;
        do {
          host = random.nextInt(1 << 15); // 198.18.0.0/17
        } while ((host & 0xff) == 0 || (host & 0xff) == 0xff || !hostsTaken.add(host));
        yield bodyRule(new byte[] {(byte) 198, 18, (byte) (host >> 8), (byte) host}, 32,
            "198.18." + (host >> 8) + "." + (host & 0xff), random, bodyAction);
      }
      case SUBNET -> {
        int subnet = random.nextInt(128); // 198.19.0.0/17
        yield bodyRule(new byte[] {(byte) 198, 19, (byte) subnet, 0}, 24, "198.19." + subnet + ".0/24", random,
            bodyAction);
      }
      case SUBNET_V6 -> {
        int subnet = random.nextInt(0x8000); // 2001:2:0:0::/49
        byte[] network = {0x20, 0x01, 0, 0x02, 0, 0, (byte) (subnet >> 8), (byte) subnet, 0, 0, 0, 0, 0, 0, 0, 0};
        yield bodyRule(network, 64, String.format(Locale.ROOT, "2001:2:0:%x::/64", subnet), random, bodyAction);
      }
      case PORT_ONLY -> new Rule(nth < PORT_ONLY.length ? PORT_ONLY[nth] : "net.dst.port == " + (20_000 + nth),
          PolicyAction.BLOCK, null);
      case PROTOCOL -> new Rule(PROTOCOL[nth % PROTOCOL.length], PolicyAction.ALLOW, null);
      case NEGATED -> new Rule(nth == 0 ? ANTI_SPOOFING : NEGATED[(nth - 1) % NEGATED.length],
          PolicyAction.BLOCK, null);
      case SNI -> new Rule("net.dst.port == " + HTTPS_PORT + " and any(net.sni.domains[*] == \"blocked-" + nth
          + ".example\")", PolicyAction.BLOCK, null);
    };
  }

  private static Rule bodyRule(byte[] network, int prefixLength, String prefixText, SplittableRandom random,
      PolicyAction action) {
    int[] ports = random.ints(1 + random.nextInt(3), 0, SERVICE_PORTS.length).map(i -> SERVICE_PORTS[i])
        .distinct().toArray();
    StringBuilder selector = new StringBuilder("net.dst.ip in {").append(prefixText)
        .append("} and net.dst.port in {");
    for (int i = 0; i < ports.length; i++) {
      selector.append(i == 0 ? "" : " ").append(ports[i]);
    }
    return new Rule(selector.append('}').toString(), action, new Target(network, prefixLength, ports));
  }

  /** One flow: aimed at an early or a late body rule, or at what no body rule covers. */
  private static FlowDescription flow(List<Rule> body, SplittableRandom random) {
    int draw = random.nextInt(100);
    int tenth = Math.max(1, body.size() / 10);
    if (draw < 10) {
      return aimedAt(body.get(random.nextInt(tenth)).target(), random);
    }
    if (draw < 20) {
      return aimedAt(body.get(body.size() - 1 - random.nextInt(tenth)).target(), random);
    }
    if (draw < 45) {
      return flow("tcp", uncoveredV4(random), SERVICE_PORTS[random.nextInt(SERVICE_PORTS.length)], random);
    }
    if (draw < 70) {
      // a covered destination on a port its rule does not list
      Target target = body.get(random.nextInt(body.size())).target();
      return flow("tcp", inside(target, random), 30_000 + random.nextInt(10_000), random);
    }
    if (draw < 80) {
      int[] udpPorts = {53, 123, HTTPS_PORT};
      return flow("udp", uncoveredV4(random), udpPorts[random.nextInt(udpPorts.length)], random);
    }
    if (draw < 95) {
      byte[] v6 = randomV6(random);
      v6[6] |= (byte) 0x80; // 2001:2:0:8000::/49
      return flow("tcp", address(v6), SERVICE_PORTS[random.nextInt(SERVICE_PORTS.length)], random);
    }
    return flow("icmp", uncoveredV4(random), FlowFacts.NO_PORT, random);
  }

  private static FlowDescription aimedAt(Target target, SplittableRandom random) {
    return flow("tcp", inside(target, random), target.ports()[random.nextInt(target.ports().length)], random);
  }

  private static FlowDescription flow(String protocol, InetAddress destination, int port, SplittableRandom random) {
    boolean v6 = destination.getAddress().length == 16;
    byte[] source = v6 ? randomV6(random)
        : new byte[] {(byte) 198, 19, (byte) (128 + random.nextInt(128)), (byte) (1 + random.nextInt(254))};
    if (v6) {
      source[6] = (byte) 0xff; // 2001:2:0:ff??::/56, inside the site's own range
    }
    int sourcePort = protocol.equals("icmp") ? FlowFacts.NO_PORT : 32_768 + random.nextInt(28_232);
    FlowDescription flow = new FlowDescription(protocol, address(source), sourcePort, destination, port,
        "site-a", "branch", 0);
    if (protocol.equals("tcp") && port == HTTPS_PORT && random.nextBoolean()) {
      // inspected: some carry a server name that an SNI rule blocks, most do not
      String sni = random.nextInt(8) == 0 ? "www.blocked-" + random.nextInt(4) + ".example"
          : "app-" + random.nextInt(1000) + ".example";
      flow.inspected("tls", sni, "");
    }
    return flow;
  }

  private static InetAddress inside(Target target, SplittableRandom random) {
    byte[] address = target.network().clone();
    if (target.prefixLength() == 24) {
      address[3] = (byte) (1 + random.nextInt(254));
    } else if (target.prefixLength() == 64) {
      for (int i = 8; i < 16; i++) {
        address[i] = (byte) random.nextInt(256);
      }
    }
    return address(address);
  }

  private static InetAddress uncoveredV4(SplittableRandom random) {
    return address(new byte[] {(byte) 198, 18, (byte) (128 + random.nextInt(128)), (byte) (1 + random.nextInt(254))});
  }

  /** An address in 2001:2::/48 with random bits after the /48. */
  private static byte[] randomV6(SplittableRandom random) {
    byte[] address = {0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 6; i < 16; i++) {
      address[i] = (byte) random.nextInt(256);
    }
    address[6] &= 0x7f;
    return address;
  }

  private static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("an address is 4 or 16 bytes, got " + bytes.length, e);
    }
  }

  private static Expression compile(String selector) {
    try {
      return Expression.compile(selector);
    } catch (ExpressionException e) {
      throw new IllegalStateException("the workload wrote a selector the compiler refuses: " + selector, e);
    }
  }
}
