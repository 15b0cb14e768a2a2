package dev.gatehouse.ingress.gre.health;

import java.time.Duration;
import java.util.Objects;

/**
 * A tunnel's {@code health-check} settings, validated.
 *
 * @param enabled whether probes are sent at all
 * @param type what the probe is: an echo request the site answers, or an echo reply the
 *     site routes back
 * @param direction whether the answer must come back through the tunnel
 * @param rate how often probes leave
 */
public record HealthCheckSettings(boolean enabled, Type type, Direction direction, Rate rate) {

  /** No probes: what a tunnel built without settings for them gets. */
  public static final HealthCheckSettings DISABLED =
      new HealthCheckSettings(false, Type.REPLY, Direction.BIDIRECTIONAL, Rate.MID);

  /** Probes on every default: reply style, bidirectional, mid rate. */
  public static final HealthCheckSettings DEFAULTS =
      new HealthCheckSettings(true, Type.REPLY, Direction.BIDIRECTIONAL, Rate.MID);

  public HealthCheckSettings {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(rate, "rate");
  }

  /** The probe's ICMP message (RFC 792: Echo, type 8, and Echo Reply, type 0). */
  public enum Type {
    /**
     * The probe is an Echo Reply from the site's address to the appliance's: the site's
     * router, having decapsulated it, routes it on toward its destination, unchanged, and
     * that route leads back to the appliance.
     */
    REPLY("reply"),
    /**
     * The probe is an Echo from the appliance's address to the site's: the site answers it
     * with an Echo Reply, as RFC 792 asks of every host.
     */
    REQUEST("request");

    private final String configName;

    Type(String configName) {
      this.configName = configName;
    }

    /** The word the configuration uses. */
    public String configName() {
      return configName;
    }
  }

  /** Which way the answer takes back. */
  public enum Direction {
    /**
     * Both ways inside the tunnel, between the two interface addresses (the
     * {@code interface-address} and the other host of its /31 or /30).
     */
    BIDIRECTIONAL("bidirectional"),
    /**
     * Probe inside the tunnel, answer outside it, between the outer addresses
     * ({@code local} and {@code remote}).
     */
    UNIDIRECTIONAL("unidirectional");

    private final String configName;

    Direction(String configName) {
      this.configName = configName;
    }

    /** The word the configuration uses. */
    public String configName() {
      return configName;
    }
  }

  /**
   * How often a probe leaves, apart from the quick second and third probes that confirm a
   * change. Cloudflare names the three rates but gives no figures (its rate depends on how
   * many of its servers probe); these are ours.
   */
  public enum Rate {
    /** One probe every 10 seconds. */
    LOW("low", Duration.ofSeconds(10)),
    /** One probe a second. */
    MID("mid", Duration.ofSeconds(1)),
    /** Four probes a second. */
    HIGH("high", Duration.ofMillis(250));

    private final String configName;
    private final Duration interval;

    Rate(String configName, Duration interval) {
      this.configName = configName;
      this.interval = interval;
    }

    /** The word the configuration uses. */
    public String configName() {
      return configName;
    }

    /** The time between two regular probes. */
    public Duration interval() {
      return interval;
    }
  }
}
