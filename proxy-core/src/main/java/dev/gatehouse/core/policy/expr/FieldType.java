package dev.gatehouse.core.policy.expr;

/** The type of a field, which decides the operators and literals it may be compared with. */
public enum FieldType {
  /** An IPv4 or IPv6 address: {@code ==}, {@code !=}, {@code in} a set of addresses and CIDRs. */
  ADDRESS("an address"),
  /** A non-negative integer: equality, ordering, {@code in} a set of integers and ranges. */
  INTEGER("an integer"),
  /** A string: {@code ==}, {@code !=}, {@code in} a set of strings, {@code matches}. */
  STRING("a string"),
  /** An array of strings, read only through {@code any(field[*] ...)}. */
  STRING_ARRAY("an array of strings");

  private final String description;

  FieldType(String description) {
    this.description = description;
  }

  /** How messages name the type ({@code an integer}). */
  public String description() {
    return description;
  }
}
