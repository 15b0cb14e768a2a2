package dev.gatehouse.core.policy.expr;

import dev.gatehouse.core.config.IpPrefix;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;

/**
 * A compiled expression tree. Literals were checked and converted at compile time, so that
 * evaluating reads a fact and compares it, and allocates only what the facts hand over.
 */
sealed interface Node {

  Outcome evaluate(FlowFacts facts);

  /**
   * A superset of the destinations this node can match or leave unknown, for indexing
   * rules; {@link DestinationGuard#ANY} when the node does not narrow them.
   */
  default DestinationGuard guard() {
    return DestinationGuard.ANY;
  }

  /** All operands must match; stops at the first one that does not. */
  record All(Node[] operands) implements Node {
    @Override
    public Outcome evaluate(FlowFacts facts) {
      Outcome result = Outcome.MATCH;
      for (Node operand : operands) {
        result = result.and(operand.evaluate(facts));
        if (result == Outcome.NO_MATCH) {
          break;
        }
      }
      return result;
    }

    /** Every operand must match, so any operand's narrowing holds: keep the narrowest. */
    @Override
    public DestinationGuard guard() {
      DestinationGuard narrowest = DestinationGuard.ANY;
      for (Node operand : operands) {
        narrowest = narrowest.narrowest(operand.guard());
      }
      return narrowest;
    }
  }

  /** Some operand must match; stops at the first one that does. */
  record Some(Node[] operands) implements Node {
    @Override
    public Outcome evaluate(FlowFacts facts) {
      Outcome result = Outcome.NO_MATCH;
      for (Node operand : operands) {
        result = result.or(operand.evaluate(facts));
        if (result == Outcome.MATCH) {
          break;
        }
      }
      return result;
    }

    /** Any operand may match, so only what all of them narrow stays narrowed. */
    @Override
    public DestinationGuard guard() {
      DestinationGuard union = operands[0].guard();
      for (int i = 1; i < operands.length; i++) {
        union = union.union(operands[i].guard());
      }
      return union;
    }
  }

  record Not(Node operand) implements Node {
    @Override
    public Outcome evaluate(FlowFacts facts) {
      return operand.evaluate(facts).not();
    }
  }

  /**
   * An address compared with one address ({@code equal} set) or a set of ranges. Families
   * never mix: an IPv4 address is not in an IPv6 prefix, even an IPv4-mapped one.
   */
  record AddressTest(Field field, boolean negated, byte[] equal, AddressRanges v4, AddressRanges v6,
      List<IpPrefix> prefixes) implements Node {
    @Override
    public Outcome evaluate(FlowFacts facts) {
      InetAddress address = field == Field.NET_SRC_IP ? facts.srcIp() : facts.dstIp();
      if (address == null) {
        return Outcome.UNKNOWN;
      }
      byte[] bytes = address.getAddress();
      boolean found;
      if (equal != null) {
        found = Arrays.equals(equal, bytes);
      } else {
        found = (bytes.length == 4 ? v4 : v6).contains(bytes);
      }
      return Outcome.of(found != negated);
    }

    @Override
    public DestinationGuard guard() {
      return field == Field.NET_DST_IP && !negated ? DestinationGuard.addresses(prefixes) : DestinationGuard.ANY;
    }
  }

  /** An integer in a set of ranges; comparisons with one literal are ranges too. */
  record IntegerTest(Field field, IntRanges values) implements Node {
    @Override
    public Outcome evaluate(FlowFacts facts) {
      long value = switch (field) {
        case NET_SRC_PORT -> facts.srcPort();
        case NET_DST_PORT -> facts.dstPort();
        default -> facts.vnetId();
      };
      if (value == FlowFacts.UNKNOWN_PORT) {
        return Outcome.UNKNOWN;
      }
      if (value < 0) {
        return Outcome.NO_MATCH;
      }
      return Outcome.of(values.contains(value));
    }

    @Override
    public DestinationGuard guard() {
      return field == Field.NET_DST_PORT ? DestinationGuard.ports(values) : DestinationGuard.ANY;
    }
  }

  record StringTest(Field field, StringCondition test) implements Node {
    @Override
    public Outcome evaluate(FlowFacts facts) {
      String value = switch (field) {
        case NET_PROTOCOL -> facts.protocol();
        case NET_SNI_HOST -> facts.sniHost();
        case HTTP_REQUEST_HOST -> facts.httpRequestHost();
        case NET_DETECTED_PROTOCOL -> facts.detectedProtocol();
        case NET_TUNNEL_NAME -> facts.tunnelName();
        default -> facts.site();
      };
      return value == null ? Outcome.UNKNOWN : test.test(value);
    }
  }

  /**
   * {@code any(net.sni.domains[*] ...)}: the SNI and each parent domain, walked as suffixes
   * of the SNI instead of a list built per flow. No SNI at all is an empty array. An element
   * whose test gave up leaves the result unknown unless another element matches.
   */
  record AnySniDomain(StringCondition test) implements Node {
    @Override
    public Outcome evaluate(FlowFacts facts) {
      String host = facts.sniHost();
      if (host == null) {
        return Outcome.UNKNOWN;
      }
      Outcome result = Outcome.NO_MATCH;
      int from = 0;
      while (from < host.length() && result != Outcome.MATCH) {
        result = result.or(test.test(host.substring(from)));
        int dot = host.indexOf('.', from);
        if (dot < 0) {
          break;
        }
        from = dot + 1;
      }
      return result;
    }
  }
}
