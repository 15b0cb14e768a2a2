package dev.gatehouse.core.config;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * A mapping of settings whose keys are checked off as they are read: {@link #finish()}
 * reports every key nobody asked for, so a misspelt setting is an error rather than a
 * default silently kept.
 */
public final class ConfigMap {
  private final ConfigNode self;
  private final Map<String, ConfigNode> entries;
  private final Set<String> read = new LinkedHashSet<>();
  private final ConfigErrors errors;

  private ConfigMap(ConfigNode self, Map<String, ConfigNode> entries, ConfigErrors errors) {
    this.self = self;
    this.entries = entries;
    this.errors = errors;
  }

  static Optional<ConfigMap> of(ConfigNode self, MappingNode mapping, ConfigErrors errors) {
    Map<String, ConfigNode> entries = new LinkedHashMap<>();
    boolean ok = true;
    for (NodeTuple tuple : mapping.getValue()) {
      ConfigNode keyNode = new ConfigNode(tuple.getKeyNode(), self.path());
      if (!(tuple.getKeyNode() instanceof ScalarNode key) || keyNode.isNull()) {
        errors.add(keyNode, "expected a setting name, got " + keyNode.describe());
        ok = false;
        continue;
      }
      String childPath = self.path().isEmpty() ? key.getValue() : self.path() + "." + key.getValue();
      ConfigNode value = new ConfigNode(tuple.getValueNode(), childPath);
      if (entries.putIfAbsent(key.getValue(), value) != null) {
        errors.add(new ConfigNode(tuple.getKeyNode(), childPath), "set twice in the same mapping");
        ok = false;
      }
    }
    return ok || !entries.isEmpty() ? Optional.of(new ConfigMap(self, entries, errors)) : Optional.empty();
  }

  /**
   * An empty mapping at {@code path}, standing in for a section the document leaves out, so
   * that its defaults are read the same way and its errors carry the right path.
   */
  public static ConfigMap absent(String path, ConfigErrors errors) {
    MappingNode empty = new MappingNode(org.yaml.snakeyaml.nodes.Tag.MAP, java.util.List.of(),
        org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK);
    return new ConfigMap(new ConfigNode(empty, path), new LinkedHashMap<>(), errors);
  }

  /** The mapping itself, for errors about it as a whole. */
  public ConfigNode node() {
    return self;
  }

  /** The path a key of this mapping has, whether or not it is present. */
  public String pathOf(String key) {
    return self.path().isEmpty() ? key : self.path() + "." + key;
  }

  /** The value under {@code key}, if the key is present (even if its value is null). */
  public Optional<ConfigNode> optional(String key) {
    read.add(key);
    return Optional.ofNullable(entries.get(key));
  }

  /** The value under {@code key}; its absence is recorded as an error. */
  public Optional<ConfigNode> required(String key) {
    Optional<ConfigNode> value = optional(key);
    if (value.isEmpty()) {
      errors.add(pathOf(key), self.line(), "required setting is missing");
    }
    return value;
  }

  /** Records every key that was never read as unknown, naming the keys that are allowed. */
  public void finish() {
    for (Map.Entry<String, ConfigNode> entry : entries.entrySet()) {
      if (!read.contains(entry.getKey())) {
        // The value's line: the key's own for "key: value", the next one for a block; either
        // points the reader at the right place.
        errors.add(entry.getValue().path(), entry.getValue().line(),
            "unknown setting; expected one of " + String.join(", ", read));
      }
    }
  }
}
