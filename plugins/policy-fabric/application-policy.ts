import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { PolicyError } from '../../core/errors';
import type { IdentityDeserializer } from '../../core/msp';
import type { Policy, PolicyManager } from '../../core/policy';
import { FabricSignaturePolicy } from './fabric-signature-policy';

/**
 * A chaincode or collection endorsement policy from `common.ApplicationPolicy` bytes, resolved as
 * Fabric's `core/policy.ApplicationPolicyEvaluator` does: an inline signature policy is compiled
 * against `deserializer` (like Fabric's envelope-based provider, without the version check that
 * byte-compiled policies get); a channel config reference (`/Channel/Application/Endorsement`) is
 * looked up in `manager`. Throws `PolicyError` on malformed bytes or an unresolvable reference.
 */
export function newApplicationPolicy(bytes: Uint8Array, manager: PolicyManager, deserializer: IdentityDeserializer): Policy {
  if (!(bytes instanceof Uint8Array)) {
    throw new PolicyError('POLICY_MALFORMED', `application policy: expected ApplicationPolicy bytes, got ${typeof bytes}`, {});
  }
  let decoded: ApplicationPolicy;
  try {
    decoded = ApplicationPolicy.deserializeBinary(bytes);
  } catch (err) {
    throw new PolicyError(
      'POLICY_MALFORMED',
      `application policy: ${bytes.length} bytes are not an ApplicationPolicy (${err instanceof Error ? err.message : String(err)})`,
      { length: bytes.length },
      { cause: err },
    );
  }
  switch (decoded.getTypeCase()) {
    case ApplicationPolicy.TypeCase.SIGNATURE_POLICY:
      return new FabricSignaturePolicy(decoded.getSignaturePolicy() as NonNullable<ReturnType<ApplicationPolicy['getSignaturePolicy']>>, deserializer);
    case ApplicationPolicy.TypeCase.CHANNEL_CONFIG_POLICY_REFERENCE: {
      const reference = decoded.getChannelConfigPolicyReference();
      const policy = manager.getPolicy(reference);
      if (policy === undefined) {
        throw new PolicyError(
          'POLICY_NOT_FOUND',
          `failed to retrieve policy for reference '${reference}': the channel config of /${manager.path} has no such policy`,
          { reference, manager: `/${manager.path}` },
        );
      }
      return policy;
    }
    default:
      throw new PolicyError(
        'POLICY_MALFORMED',
        'application policy: neither signature_policy nor channel_config_policy_reference is set',
        { expected: 'signature_policy | channel_config_policy_reference' },
      );
  }
}
