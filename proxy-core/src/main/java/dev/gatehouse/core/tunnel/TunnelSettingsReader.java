package dev.gatehouse.core.tunnel;

import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigMap;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.config.SecretSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the {@code tunnels} list: the keys every tunnel has, then the type's own keys
 * through its {@link TunnelProvider}, then refuses keys nobody read.
 */
public final class TunnelSettingsReader {
  /** Names appear in logs, metrics and interface names: keep them short and plain. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,30}");
  /** Every IPv4 host must accept a 576-byte datagram (RFC 791 §3.1, Total Length), so a
   *  smaller tunnel MTU breaks ordinary traffic; 9000 is the common jumbo frame. A tunnel that
   *  carries IPv6 needs at least 1280 (RFC 8200 §5). */
  public static final int MIN_MTU_BYTES = 576;
  public static final int MAX_MTU_BYTES = 9000;
  public static final int MAX_VIRTUAL_NETWORK = 65_535;

  private final TunnelProviders providers;
  private final SecretSource secrets;

  public TunnelSettingsReader(TunnelProviders providers, SecretSource secrets) {
    this.providers = providers;
    this.secrets = secrets;
  }

  /** Reads every tunnel in {@code list}; a tunnel with errors is left out and its errors kept. */
  public List<TunnelPlan> read(ConfigNode list, ConfigErrors errors) {
    List<TunnelPlan> plans = new ArrayList<>();
    Map<String, ConfigNode> names = new HashMap<>();
    for (ConfigNode item : list.asList(errors).orElse(List.of())) {
      item.asMap(errors).flatMap(map -> readOne(map, names, errors)).ifPresent(plans::add);
    }
    return List.copyOf(plans);
  }

  private Optional<TunnelPlan> readOne(ConfigMap map, Map<String, ConfigNode> names, ConfigErrors errors) {
    Optional<String> name = map.required("name").flatMap(n -> readName(n, names, errors));
    Optional<String> type = map.required("type").flatMap(n -> n.asString(errors));
    Optional<TunnelProvider> provider = type.flatMap(t -> {
      Optional<TunnelProvider> found = providers.forType(t);
      if (found.isEmpty()) {
        map.optional("type").ifPresent(n -> errors.add(n, "no ingress in this build provides tunnel type \""
            + t + "\"; available: " + (providers.types().isEmpty() ? "none" : String.join(", ", providers.types()))));
      }
      return found;
    });
    int defaultMtu = provider.map(TunnelProvider::defaultMtuBytes).orElse(1500);
    Optional<Integer> mtu = optionalInt(map, "mtu", MIN_MTU_BYTES, MAX_MTU_BYTES, defaultMtu, errors);
    Optional<ConfigNode> siteNode = map.optional("site");
    Optional<String> site = siteNode.isPresent() ? siteNode.flatMap(n -> n.asString(errors)) : name;
    Optional<Integer> vnet = optionalInt(map, "virtual-network", 0, MAX_VIRTUAL_NETWORK, 0, errors);

    Optional<TunnelPlan> plan = Optional.empty();
    if (name.isPresent() && provider.isPresent() && mtu.isPresent() && site.isPresent() && vnet.isPresent()) {
      TunnelContext context = new TunnelContext(name.get(), type.get(), site.get(), vnet.get(), mtu.get());
      plan = provider.get().plan(context, map, secrets, errors);
      map.finish();
    } else if (provider.isPresent()) {
      // Still let the provider read its keys, so that their errors show in the same pass.
      TunnelContext probe = new TunnelContext("invalid", type.get(), "invalid", 0, defaultMtu);
      provider.get().plan(probe, map, secrets, errors);
      map.finish();
    }
    return plan;
  }

  private static Optional<String> readName(ConfigNode node, Map<String, ConfigNode> names, ConfigErrors errors) {
    Optional<String> name = node.asString(errors);
    if (name.isEmpty()) {
      return name;
    }
    if (!NAME.matcher(name.get()).matches()) {
      errors.add(node, "expected a name of 1 to 31 lower-case letters, digits and '-', starting with a "
          + "letter or digit, got \"" + name.get().replaceAll("[^\\x20-\\x7e]", "?") + "\"");
      return Optional.empty();
    }
    ConfigNode first = names.putIfAbsent(name.get(), node);
    if (first != null) {
      errors.add(node, "tunnel name \"" + name.get() + "\" is already used on line " + first.line());
      return Optional.empty();
    }
    return name;
  }

  private static Optional<Integer> optionalInt(
      ConfigMap map, String key, int min, int max, int fallback, ConfigErrors errors) {
    Optional<ConfigNode> node = map.optional(key);
    return node.isEmpty() ? Optional.of(fallback) : node.get().asInt(min, max, errors);
  }
}
