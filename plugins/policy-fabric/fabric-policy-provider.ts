import { injectable } from '../../core/di';
import { compilePolicyExpression } from '../../core/policy';
import type { IdentityDeserializer } from '../../core/msp';
import type { Policy, PolicyManager, PolicyProvider } from '../../core/policy';
import { newApplicationPolicy } from './application-policy';
import { FabricPolicyManager } from './fabric-policy-manager';
import { FabricSignaturePolicy } from './fabric-signature-policy';

/** Compiled policies kept per deserializer; chaincode definitions repeat the same few envelopes. */
const MAX_CACHED_POLICIES = 1024;

/**
 * Fabric's policies: the policy language, `cauthdsl` signature policies, implicit meta policies
 * and the channel policy tree. Stateless apart from a bounded cache of compiled signature policies
 * keyed by their exact bytes (compiling is the expensive part; evaluating a compiled policy is the
 * hot path).
 */
@injectable()
export class FabricPolicyProvider implements PolicyProvider {
  private readonly cache = new WeakMap<IdentityDeserializer, Map<string, FabricSignaturePolicy>>();

  compileExpression(expression: string): Uint8Array {
    return compilePolicyExpression(expression);
  }

  newSignaturePolicy(envelope: Uint8Array, deserializer: IdentityDeserializer): Policy {
    let byBytes = this.cache.get(deserializer);
    if (byBytes === undefined) {
      byBytes = new Map();
      this.cache.set(deserializer, byBytes);
    }
    const key = envelope instanceof Uint8Array ? Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength).toString('base64') : '';
    const cached = byBytes.get(key);
    if (cached !== undefined) return cached;
    const policy = FabricSignaturePolicy.fromLedgerBytes(envelope, deserializer);
    if (byBytes.size >= MAX_CACHED_POLICIES) byBytes.delete(byBytes.keys().next().value as string);
    byBytes.set(key, policy);
    return policy;
  }

  newPolicyManager(config: Uint8Array, deserializer: IdentityDeserializer): PolicyManager {
    return FabricPolicyManager.fromConfig(config, deserializer);
  }

  newApplicationPolicy(applicationPolicy: Uint8Array, manager: PolicyManager, deserializer: IdentityDeserializer): Policy {
    return newApplicationPolicy(applicationPolicy, manager, deserializer);
  }
}
