/**
 * Policy bytes read as Go's protobuf runtime reads them on Fabric's peers. A chaincode can store
 * any bytes as a key-level validation parameter, so bytes that google-protobuf reads differently
 * (or refuses) are a fork: Fabric's peers evaluate one policy, Weft another or none.
 */
import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { PolicyError } from '../../../../core/errors';
import type { SigningIdentity } from '../../../../core/msp';
import { rolePrincipal, type SignedData } from '../../../../core/policy';
import { buildPolicyConfig, sampleApplicationOrg, sampleChannelConfig } from '../../../../core/policy/conformance-config';
import { ConformanceMsp } from '../../../../core/policy/conformance-msp';
import { FabricPolicyManager, FabricPolicyProvider, newApplicationPolicy } from '../../../../plugins/policy-fabric';

const DATA = new TextEncoder().encode('tx');
const sd = (id: SigningIdentity): SignedData => ({ data: DATA, identity: id.serialized, signature: id.sign(DATA) });

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const tag = (num: number, type: number): number[] => varint(num * 8 + type);
const field = (num: number, body: readonly number[]): number[] => [...tag(num, 2), ...varint(body.length), ...body];
const signedByRule = (i: number): number[] => [...tag(1, 0), ...varint(i)];
const gate = (n: number, rules: readonly number[][]): number[] => field(2, [...(n === 0 ? [] : [...tag(1, 0), ...varint(n)]), ...rules.flatMap((r) => field(2, r))]);
const principals = (...ps: number[][]): number[] => ps.flatMap((p) => field(3, p));

describe('policy bytes read as Go reads them', () => {
  const msp = new ConformanceMsp();
  const peer1 = msp.createIdentity('Org1MSP', 'peer');
  const peer2 = msp.createIdentity('Org2MSP', 'peer');
  const provider = new FabricPolicyProvider();
  const p1 = [...rolePrincipal('Org1MSP', 'peer').serializeBinary()];
  const p2 = [...rolePrincipal('Org2MSP', 'peer').serializeBinary()];
  const policy = (bytes: number[]) => provider.newSignaturePolicy(Uint8Array.from(bytes), msp);

  it('a known field with another wire type is skipped as an unknown field, not refused', () => {
    // version (field 1) sent length-delimited; identities (field 3) also sent as a varint.
    const bytes = [...field(1, [5]), ...field(2, gate(1, [signedByRule(0)])), ...principals(p1), ...tag(3, 0), 1];
    expect(policy(bytes).evaluate([sd(peer1)]).satisfied).toBe(true);
    expect(policy(bytes).evaluate([sd(peer2)]).satisfied).toBe(false);
  });

  it('a message field sent twice is merged (Go), not replaced (google-protobuf)', () => {
    // rule = n_out_of{n: 1, rules: [signed_by 0]} then n_out_of{rules: [signed_by 1]}:
    // merged it is OutOf(1, Org1 peer, Org2 peer); replaced it would be OutOf(0, Org2 peer), which an empty set satisfies.
    const bytes = [...field(2, gate(1, [signedByRule(0)])), ...field(2, gate(0, [signedByRule(1)])), ...principals(p1, p2)];
    expect(policy(bytes).evaluate([]).satisfied).toBe(false);
    expect(policy(bytes).evaluate([sd(peer2)]).satisfied).toBe(true);
    expect(policy(bytes).evaluate([sd(peer1)]).satisfied).toBe(true);
  });

  it('a oneof member replaced by the other one starts fresh', () => {
    const rule = [...gate(2, [signedByRule(0), signedByRule(1)]), ...signedByRule(1)];
    const bytes = [...field(2, rule), ...principals(p1, p2)];
    expect(policy(bytes).evaluate([sd(peer2)]).satisfied).toBe(true);
  });

  it('unknown groups are skipped; broken ones, bad wire types and truncation are POLICY_MALFORMED', () => {
    const good = [...field(2, gate(1, [signedByRule(0)])), ...principals(p1)];
    expect(policy([...good, ...tag(9, 3), ...tag(10, 0), 1, ...tag(9, 4)]).evaluate([sd(peer1)]).satisfied).toBe(true);
    for (const bad of [
      [...good, ...tag(9, 3)],
      [...good, ...tag(9, 4)],
      [...good, ...tag(9, 6), 0],
      [...good, ...tag(0, 0), 0],
      good.slice(0, good.length - 1),
    ]) {
      expect(() => policy(bad)).toThrow(PolicyError);
    }
  });

  it('a policy nested thousands deep is refused cleanly, without a stack overflow', () => {
    // Built in one pass (nesting by copying would be quadratic): 6000 × n_out_of{n: 1, rules: [...]}.
    const depth = 6000;
    const lengths = [signedByRule(0).length];
    for (let i = 1; i <= depth; i++) {
      const inner = lengths[i - 1] as number;
      const nOutOf = 2 + 1 + varint(inner).length + inner;
      lengths.push(1 + varint(nOutOf).length + nOutOf);
    }
    const bytes: number[] = [...tag(2, 2), ...varint(lengths[depth] as number)];
    for (let i = depth; i >= 1; i--) {
      const inner = lengths[i - 1] as number;
      bytes.push(...tag(2, 2), ...varint(2 + 1 + varint(inner).length + inner), ...tag(1, 0), 1, ...tag(2, 2), ...varint(inner));
    }
    bytes.push(...signedByRule(0), ...principals(p1));
    try {
      policy(bytes);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      expect((err as PolicyError).code).toBe('POLICY_MALFORMED');
    }
  });

  it('an ApplicationPolicy is read the same way; a reference that is not UTF-8 is malformed, as in Go', () => {
    const manager = FabricPolicyManager.fromConfig(sampleChannelConfig(['Org1MSP', 'Org2MSP']), msp);
    const envelope = [...field(1, [1]), ...field(2, gate(1, [signedByRule(0)])), ...principals(p1)];
    const inline = newApplicationPolicy(Uint8Array.from(field(1, envelope)), manager, msp);
    expect(inline.evaluate([sd(peer1)]).satisfied).toBe(true);
    const bad = Uint8Array.from(field(2, [0x2f, 0xff]));
    expect(() => newApplicationPolicy(bad, manager, msp)).toThrow(/not valid UTF-8/);
    const ref = new ApplicationPolicy();
    ref.setChannelConfigPolicyReference('/Channel/Application/Endorsement');
    expect(newApplicationPolicy(ref.serializeBinary(), manager, msp)).toBe(manager.getPolicy('/Channel/Application/Endorsement'));
  });

  it('an ImplicitMetaPolicy in a config is read the same way (rule sent length-delimited is unknown: ANY)', () => {
    const value = Uint8Array.from([...field(2, [2]), ...field(1, [...new TextEncoder().encode('Endorsement')])]);
    const config = buildPolicyConfig({
      groups: {
        Application: {
          policies: { Odd: { type: 3, value } },
          groups: { Org1MSP: sampleApplicationOrg('Org1MSP'), Org2MSP: sampleApplicationOrg('Org2MSP') },
        },
      },
    });
    const odd = FabricPolicyManager.fromConfig(config, msp).getPolicy('/Channel/Application/Odd');
    expect(odd?.evaluate([sd(peer2)]).satisfied).toBe(true);
    expect(odd?.evaluate([]).satisfied).toBe(false);
    const notUtf8 = Uint8Array.from([...field(1, [0x45, 0xff])]);
    expect(() => FabricPolicyManager.fromConfig(buildPolicyConfig({ groups: { Application: { policies: { Bad: { type: 3, value: notUtf8 } } } } }), msp)).toThrow(
      /not valid UTF-8/,
    );
  });
});
