package dev.gatehouse.core.policy.expr;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A compiled policy selector such as {@code net.dst.ip in {198.18.0.0/24} and
 * net.dst.port == 22}. Compiling checks syntax and types and refuses text that would cost
 * the appliance too much (the {@code MAX_} bounds); evaluating never throws and answers
 * {@link Outcome#UNKNOWN} when the result depends on a fact not known yet.
 *
 * <p>An expression is immutable and may be evaluated from any thread.
 */
public final class Expression {

  /** The longest expression text accepted, in characters. Chosen: room for a large set. */
  public static final int MAX_LENGTH_CHARS = 128 * 1024;

  /** How deeply parentheses, {@code not} and {@code any(...)} may nest. Chosen. */
  public static final int MAX_DEPTH = 64;

  /** The most values one set may hold. Chosen. */
  public static final int MAX_SET_ELEMENTS = 10_000;

  /** The longest regular expression after {@code matches}, in characters. Chosen. */
  public static final int MAX_REGEX_CHARS = 1024;

  private final String text;
  private final Node root;
  private final Set<Field> fields;

  private Expression(String text, Node root, Set<Field> fields) {
    this.text = text;
    this.root = root;
    this.fields = Collections.unmodifiableSet(EnumSet.copyOf(fields));
  }

  /**
   * Compiles {@code text}.
   *
   * @throws ExpressionException naming the 1-based column and what was expected there
   */
  public static Expression compile(String text) throws ExpressionException {
    Objects.requireNonNull(text, "text");
    if (text.length() > MAX_LENGTH_CHARS) {
      throw new ExpressionException(MAX_LENGTH_CHARS + 1,
          "expression is longer than " + MAX_LENGTH_CHARS + " characters");
    }
    Parser parser = new Parser(text);
    Node root = parser.parse();
    return new Expression(text, root, parser.fields());
  }

  /** Evaluates the expression against what is known of a flow. */
  public Outcome evaluate(FlowFacts facts) {
    return root.evaluate(facts);
  }

  /**
   * A superset of the destinations the expression can match or leave undecided, for
   * indexing; see {@link DestinationGuard}.
   */
  public DestinationGuard destinationGuard() {
    return root.guard();
  }

  /** The fields the expression reads, so that the engine knows what it must learn first. */
  public Set<Field> fields() {
    return fields;
  }

  /** Whether any field read is known only after inspecting the client's first bytes. */
  public boolean needsInspection() {
    return fields.stream().anyMatch(Field::needsInspection);
  }

  /** The text the expression was compiled from. */
  public String text() {
    return text;
  }

  @Override
  public String toString() {
    return text;
  }
}
