package dev.gatehouse.appliance.config;

import dev.gatehouse.core.config.ConfigException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A configuration file as read once: the validated snapshot, a digest of the whole text, and
 * a digest of each top-level section, so that a reload can tell which sections changed
 * without keeping the text (which may hold secrets) or comparing objects that have no value
 * equality (tunnel plans).
 *
 * @param path the file
 * @param config what it validated to
 * @param textDigest SHA-256 of the text, hex
 * @param sectionDigests SHA-256 of each top-level section's canonical form, by key; a
 *     section that is absent, null or an empty mapping has none, as all three mean defaults
 * @param tunnelDigests SHA-256 of each item of {@code tunnels}, by the tunnel's name: a reload
 *     offers a running tunnel its new plan only when its item changed. TODO(#5): a secret
 *     read from a file or the environment is digested as its reference, so a rotated key
 *     file alone is not a change
 */
public record ConfigFile(Path path, GatehouseConfig config, String textDigest, Map<String, String> sectionDigests,
    Map<String, String> tunnelDigests) {

  /** The section a reload applies whole. */
  public static final String RELOADABLE_SECTION = "policies";
  /** The section a reload compares tunnel by tunnel ({@link #tunnelDigests}). */
  public static final String TUNNELS_SECTION = "tunnels";
  /** As deep as the reader lets a document nest. */
  private static final int MAX_DEPTH = 40;

  public ConfigFile {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(textDigest, "textDigest");
    sectionDigests = Map.copyOf(sectionDigests);
    tunnelDigests = Map.copyOf(tunnelDigests);
  }

  /** Reads and validates {@code path}. */
  public static ConfigFile read(GatehouseConfigReader reader, Path path) throws ConfigException {
    return parse(reader, path, GatehouseConfigReader.readText(path));
  }

  /** Validates {@code text}, read from {@code path}. */
  public static ConfigFile parse(GatehouseConfigReader reader, Path path, String text) throws ConfigException {
    GatehouseConfig config = reader.read(new StringReader(text), path.toString());
    try {
      Node root = compose(text);
      return new ConfigFile(path, config, textDigest(text), sectionDigests(root), tunnelDigests(root));
    } catch (YAMLException e) {
      // The reader accepted this text, so this does not happen; without digests every
      // section reads as changed, which only costs a spurious "needs a restart".
      return new ConfigFile(path, config, textDigest(text), Map.of("(unreadable)", e.getClass().getSimpleName()),
          Map.of());
    }
  }

  /** SHA-256 of a file's text, hex: whether a file changed since it was last read. */
  public static String textDigest(String text) {
    return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * The top-level sections other than {@code policies} and {@code tunnels} (compared tunnel by
   * tunnel) that differ between this file and {@code running}, sorted by name.
   */
  public List<String> sectionsNeedingRestart(ConfigFile running) {
    Set<String> keys = new TreeSet<>(sectionDigests.keySet());
    keys.addAll(running.sectionDigests.keySet());
    keys.remove(RELOADABLE_SECTION);
    keys.remove(TUNNELS_SECTION);
    List<String> changed = new ArrayList<>();
    for (String key : keys) {
      if (!Objects.equals(sectionDigests.get(key), running.sectionDigests.get(key))) {
        changed.add(key);
      }
    }
    return changed;
  }

  /**
   * Digests each top-level section of a document already validated. The canonical form sorts
   * mapping keys, so reordering or reformatting a section is not a change; a comment never is.
   */
  private static Map<String, String> sectionDigests(Node root) {
    Map<String, String> digests = new LinkedHashMap<>();
    if (root instanceof MappingNode mapping) {
      for (NodeTuple tuple : mapping.getValue()) {
        if (tuple.getKeyNode() instanceof ScalarNode key && !isDefault(tuple.getValueNode())) {
          digests.put(key.getValue(), digest(tuple.getValueNode()));
        }
      }
    }
    return digests;
  }

  /** Each {@code tunnels} item's digest by its {@code name}; the reader made names unique. */
  private static Map<String, String> tunnelDigests(Node root) {
    Map<String, String> digests = new LinkedHashMap<>();
    if (root instanceof MappingNode mapping) {
      for (NodeTuple section : mapping.getValue()) {
        if (section.getKeyNode() instanceof ScalarNode key && key.getValue().equals(TUNNELS_SECTION)
            && section.getValueNode() instanceof SequenceNode items) {
          items.getValue().forEach(item -> nameOf(item).ifPresent(name -> digests.put(name, digest(item))));
        }
      }
    }
    return digests;
  }

  private static Optional<String> nameOf(Node tunnel) {
    if (tunnel instanceof MappingNode item) {
      for (NodeTuple tuple : item.getValue()) {
        if (tuple.getKeyNode() instanceof ScalarNode key && key.getValue().equals("name")
            && tuple.getValueNode() instanceof ScalarNode name) {
          return Optional.of(name.getValue());
        }
      }
    }
    return Optional.empty();
  }

  /** The document's node tree, null for an empty document, with the reader's limits. */
  private static Node compose(String text) {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(20);
    options.setAllowRecursiveKeys(false);
    options.setNestingDepthLimit(MAX_DEPTH);
    return new Yaml(options).compose(new StringReader(text));
  }

  private static String digest(Node node) {
    StringBuilder canonical = new StringBuilder();
    canonical(node, canonical, 0);
    return HexFormat.of().formatHex(sha256().digest(canonical.toString().getBytes(StandardCharsets.UTF_8)));
  }

  private static boolean isDefault(Node value) {
    return value instanceof ScalarNode s && s.getTag().equals(Tag.NULL)
        || value instanceof MappingNode m && m.getValue().isEmpty();
  }

  /**
   * Length-prefixed, so that no two different trees print the same. The depth bound stops an
   * alias that refers to its own ancestor.
   */
  private static void canonical(Node node, StringBuilder out, int depth) {
    if (depth > MAX_DEPTH) {
      out.append("...");
      return;
    }
    switch (node) {
      case ScalarNode scalar -> out.append("s").append(scalar.getValue().length()).append(':')
          .append(scalar.getValue());
      case SequenceNode sequence -> {
        out.append("[").append(sequence.getValue().size()).append(':');
        sequence.getValue().forEach(item -> canonical(item, out, depth + 1));
        out.append(']');
      }
      case MappingNode mapping -> {
        List<String[]> entries = new ArrayList<>();
        for (NodeTuple tuple : mapping.getValue()) {
          StringBuilder key = new StringBuilder();
          StringBuilder value = new StringBuilder();
          canonical(tuple.getKeyNode(), key, depth + 1);
          canonical(tuple.getValueNode(), value, depth + 1);
          entries.add(new String[] {key.toString(), value.toString()});
        }
        entries.sort(Comparator.comparing((String[] e) -> e[0]));
        out.append("{").append(entries.size()).append(':');
        entries.forEach(e -> out.append(e[0]).append(e[1]));
        out.append('}');
      }
      default -> out.append("?");
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
