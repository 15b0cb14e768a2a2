/**
 * Network policies: an ordered list of named selectors with an action each, decided first
 * on a flow's first packet and, when a selector needs them, again after inspecting the
 * client's first bytes. {@link dev.gatehouse.core.policy.PolicySet} decides,
 * {@link dev.gatehouse.core.policy.Policies} holds the set the appliance runs now, and the
 * selector language lives in {@link dev.gatehouse.core.policy.expr}.
 */
package dev.gatehouse.core.policy;
