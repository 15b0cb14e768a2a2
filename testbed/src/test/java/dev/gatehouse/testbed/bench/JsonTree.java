package dev.gatehouse.testbed.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A tool's JSON report read into maps, lists, strings, doubles and booleans, with a path
 * lookup: enough to pick figures out of iperf3's {@code --json} output, or out of an
 * earlier performance.json, without a data binding library.
 */
public final class JsonTree {
  private static final JsonFactory FACTORY = new JsonFactory();

  private final Object root;

  private JsonTree(Object root) {
    this.root = root;
  }

  /** Parses a whole document; the message of the exception says where it stopped making sense. */
  public static JsonTree parse(String text) throws IOException {
    try (JsonParser parser = FACTORY.createParser(text)) {
      if (parser.nextToken() == null) {
        throw new IOException("empty document");
      }
      return new JsonTree(read(parser));
    }
  }

  /** The value at a path of object keys, if every step exists. */
  public Optional<Object> at(String... keys) {
    Object node = root;
    for (String key : keys) {
      if (!(node instanceof Map<?, ?> object) || !object.containsKey(key)) {
        return Optional.empty();
      }
      node = object.get(key);
    }
    return Optional.ofNullable(node);
  }

  /** The elements of the array at a path (the document itself with no keys); empty if none. */
  public List<JsonTree> array(String... keys) {
    return at(keys).filter(List.class::isInstance).map(list -> ((List<?>) list).stream()
        .map(JsonTree::new).toList()).orElse(List.of());
  }

  /** The subtree at a path; a tree of nothing when the path does not exist. */
  public JsonTree child(String... keys) {
    return new JsonTree(at(keys).orElse(null));
  }

  /** The number at a path, if it is one. */
  public Optional<Double> number(String... keys) {
    return at(keys).filter(Double.class::isInstance).map(Double.class::cast);
  }

  /** The string at a path, if it is one. */
  public Optional<String> string(String... keys) {
    return at(keys).filter(String.class::isInstance).map(String.class::cast);
  }

  private static Object read(JsonParser parser) throws IOException {
    JsonToken token = parser.currentToken();
    return switch (token) {
      case START_OBJECT -> readObject(parser);
      case START_ARRAY -> readArray(parser);
      case VALUE_STRING -> parser.getText();
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      default -> throw new IOException("unexpected " + token + " at " + parser.currentLocation());
    };
  }

  private static Map<String, Object> readObject(JsonParser parser) throws IOException {
    Map<String, Object> object = new LinkedHashMap<>();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String key = parser.currentName();
      parser.nextToken();
      object.put(key, read(parser));
    }
    return object;
  }

  private static List<Object> readArray(JsonParser parser) throws IOException {
    List<Object> array = new ArrayList<>();
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      array.add(read(parser));
    }
    return array;
  }
}
