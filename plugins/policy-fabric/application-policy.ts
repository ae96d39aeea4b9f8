import { PolicyError } from '../../core/errors';
import type { IdentityDeserializer } from '../../core/msp';
import type { Policy, PolicyManager } from '../../core/policy';
import { decodeApplicationPolicyWire, WireError } from './envelope-wire';
import { FabricSignaturePolicy } from './fabric-signature-policy';

/**
 * A chaincode or collection endorsement policy from `common.ApplicationPolicy` bytes, resolved as
 * Fabric's `core/policy.ApplicationPolicyEvaluator` does (bytes read as Go's protobuf runtime reads
 * them): an inline signature policy is compiled
 * against `deserializer` (like Fabric's envelope-based provider, without the version check that
 * byte-compiled policies get); a channel config reference (`/Channel/Application/Endorsement`) is
 * looked up in `manager`. Throws `PolicyError` on malformed bytes or an unresolvable reference.
 */
export function newApplicationPolicy(bytes: Uint8Array, manager: PolicyManager, deserializer: IdentityDeserializer): Policy {
  if (!(bytes instanceof Uint8Array)) {
    throw new PolicyError('POLICY_MALFORMED', `application policy: expected ApplicationPolicy bytes, got ${typeof bytes}`, {});
  }
  let decoded: ReturnType<typeof decodeApplicationPolicyWire>;
  try {
    decoded = decodeApplicationPolicyWire(bytes);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    throw new PolicyError(
      'POLICY_MALFORMED',
      `application policy: ${bytes.length} bytes are not an ApplicationPolicy (${err.message})`,
      { length: bytes.length },
      { cause: err },
    );
  }
  if (decoded !== undefined && 'signaturePolicy' in decoded) return new FabricSignaturePolicy(decoded.signaturePolicy, deserializer);
  if (decoded !== undefined) {
    const policy = manager.getPolicy(decoded.reference);
    if (policy === undefined) {
      throw new PolicyError(
        'POLICY_NOT_FOUND',
        `failed to retrieve policy for reference '${decoded.reference}': the channel config of /${manager.path} has no such policy`,
        { reference: decoded.reference, manager: `/${manager.path}` },
      );
    }
    return policy;
  }
  throw new PolicyError('POLICY_MALFORMED', 'application policy: neither signature_policy nor channel_config_policy_reference is set', {
    expected: 'signature_policy | channel_config_policy_reference',
  });
}
