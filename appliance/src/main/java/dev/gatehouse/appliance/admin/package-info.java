/**
 * The admin HTTP endpoint: liveness and readiness probes for supervisors and orchestrators,
 * the running policies and their reload, and every tunnel's status.
 */
package dev.gatehouse.appliance.admin;
