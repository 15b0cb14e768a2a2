package dev.gatehouse.core.policy.expr;

/**
 * The result of evaluating an expression with three-valued (Kleene) logic: {@link #UNKNOWN}
 * stands for "depends on a fact not known yet", so that a later evaluation point may still
 * decide the flow.
 */
public enum Outcome {
  MATCH,
  NO_MATCH,
  UNKNOWN;

  static Outcome of(boolean matched) {
    return matched ? MATCH : NO_MATCH;
  }

  /** Kleene negation: the negation of an unknown is unknown. */
  public Outcome not() {
    return switch (this) {
      case MATCH -> NO_MATCH;
      case NO_MATCH -> MATCH;
      case UNKNOWN -> UNKNOWN;
    };
  }

  /** Kleene conjunction: false wins over unknown, unknown over true. */
  public Outcome and(Outcome other) {
    if (this == NO_MATCH || other == NO_MATCH) {
      return NO_MATCH;
    }
    return this == UNKNOWN || other == UNKNOWN ? UNKNOWN : MATCH;
  }

  /** Kleene disjunction: true wins over unknown, unknown over false. */
  public Outcome or(Outcome other) {
    if (this == MATCH || other == MATCH) {
      return MATCH;
    }
    return this == UNKNOWN || other == UNKNOWN ? UNKNOWN : NO_MATCH;
  }
}
