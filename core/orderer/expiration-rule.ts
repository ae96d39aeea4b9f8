import type { CapabilityNames } from '../protocol/capabilities';

/** Fabric's orderer `ExpirationCheck` capability: orderer V1_1, V1_4_2 or V2_0. */
export function ordererChecksExpiration(capabilities: CapabilityNames): boolean {
  return capabilities.orderer.some((name) => name === 'V1_1' || name === 'V1_4_2' || name === 'V2_0');
}
