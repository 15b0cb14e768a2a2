/** The admin HTTP endpoint: liveness and readiness probes for supervisors and orchestrators. */
package dev.gatehouse.appliance.admin;
