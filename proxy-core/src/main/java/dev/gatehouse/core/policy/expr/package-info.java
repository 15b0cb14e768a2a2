/**
 * The selector language of network policies: a small, typed filter language in the style
 * of the one Cloudflare Gateway network policies use ({@code net.dst.ip in {198.18.0.0/24}
 * and net.dst.port == 22}).
 *
 * <p>{@link dev.gatehouse.core.policy.expr.Expression#compile(String)} checks the text once,
 * at config time, and turns it into a tree whose evaluation allocates little and never
 * throws; {@link dev.gatehouse.core.policy.expr.Expression#evaluate(FlowFacts)} answers with
 * three values so that a flow can be decided before everything about it is known. The
 * grammar and every field are described in {@code docs/POLICY-EXPRESSIONS.md}.
 */
package dev.gatehouse.core.policy.expr;
