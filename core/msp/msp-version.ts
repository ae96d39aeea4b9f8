/**
 * Fabric's MSP versions (`msp/factory.go` `MSPVersion`), oldest first. A channel's MSPs run the
 * version its channel capabilities select (`common/capabilities/channel.go` `MSPVersion()`), and
 * every node of the channel must: the versions accept different identities and principals, so two
 * nodes on different versions commit different validation flags. A node's local MSP runs the newest.
 */
export const MSP_VERSIONS = ['MSPv1_0', 'MSPv1_1', 'MSPv1_3', 'MSPv1_4_3', 'MSPv3_0'] as const;
export type MspVersion = (typeof MSP_VERSIONS)[number];

/** What Fabric's local MSP runs (`msp/msp.go` `Options`), and what an MSP built without a version runs. */
export const NEWEST_MSP_VERSION: MspVersion = 'MSPv3_0';

/** Whether `version` is `min` or newer (Fabric compares its `MSPVersion` integers the same way). */
export function mspVersionAtLeast(version: MspVersion, min: MspVersion): boolean {
  return MSP_VERSIONS.indexOf(version) >= MSP_VERSIONS.indexOf(min);
}
