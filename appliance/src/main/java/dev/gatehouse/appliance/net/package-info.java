/**
 * Socket plumbing shared by the appliance's listeners: transport choice, event loops, and
 * the start-once, stop-once life of a listening channel.
 */
package dev.gatehouse.appliance.net;
