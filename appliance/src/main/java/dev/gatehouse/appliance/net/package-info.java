/** Socket plumbing shared by the appliance's listeners: transport choice and event loops. */
package dev.gatehouse.appliance.net;
