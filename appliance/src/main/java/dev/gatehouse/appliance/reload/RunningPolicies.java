package dev.gatehouse.appliance.reload;

import dev.gatehouse.core.policy.PolicySet;
import java.time.Duration;
import java.time.Instant;

/**
 * The policies the appliance runs and where they came from, for the admin endpoint.
 *
 * @param set the running set
 * @param inspectionTimeout the wait for a client's first bytes, fixed at start
 * @param loadedAt when the set was loaded
 * @param trigger what loaded it
 */
public record RunningPolicies(PolicySet set, Duration inspectionTimeout, Instant loadedAt, ReloadTrigger trigger) {}
