package dev.gatehouse.core.policy.expr;

/** A test on one known string value; three-valued because a regex search may give up. */
@FunctionalInterface
interface StringCondition {

  Outcome test(String value);
}
