/**
 * MSP suite: what identity checks cost on the hot path. `verify_cached_per_s` is the steady state
 * (identity found by its exact bytes, validation cached, one ECDSA verify); `verify_uncached_per_s`
 * re-parses and re-validates the certificate every time (what an MSP without a cache pays);
 * `policy_eval_per_s` evaluates a 2-of-3 signature policy over three endorsements through the
 * policy-fabric plugin. Rates are per second of this process's CPU time (one core), so a busy
 * shared machine does not distort them.
 */
import { randomBytes } from 'node:crypto';
import type { SignedData } from '../core/policy';
import { FabricPolicyProvider } from '../plugins/policy-fabric';
import { X509Msp, X509MspProvider, X509SigningIdentity, createTestOrg, type TestIdentity } from '../plugins/msp-x509';
import { measure, round, type BenchMetric } from './harness';

const MESSAGE = new Uint8Array(randomBytes(1024));
const UNIT = 'ops/s per core';

export default async function run(): Promise<BenchMetric[]> {
  const orgs = await Promise.all(['Org1MSP', 'Org2MSP', 'Org3MSP'].map((mspId) => createTestOrg({ mspId })));
  const peers: TestIdentity[] = await Promise.all(orgs.map((org) => org.issue(`peer0.${org.domain}`, { role: 'peer' })));
  const provider = new X509MspProvider();
  const msps = orgs.map((org) => provider.createMsp(org.mspConfig()));
  const manager = provider.createManager(msps);
  const signers = peers.map((p, i) => new X509SigningIdentity(msps[i].deserializeIdentity(p.serialized), p.privateKey));
  const signatures = signers.map((s) => s.sign(MESSAGE));

  const [first] = peers;
  const cached = measure(() => {
    const id = manager.deserializeIdentity(first.serialized);
    id.validate();
    if (!id.verify(MESSAGE, signatures[0])) throw new Error('bench: cached verify failed');
  });

  // A one-entry cache alternating between two identities misses every time: parse, validate, verify.
  const second = await orgs[0].issue('peer1.org1.example.com', { role: 'peer' });
  const secondSig = new X509SigningIdentity(msps[0].deserializeIdentity(second.serialized), second.privateKey).sign(MESSAGE);
  const uncachedMsp = new X509Msp(orgs[0].mspConfig(), { identityCacheSize: 1 });
  const pairs: [Uint8Array, Uint8Array][] = [
    [first.serialized, signatures[0]],
    [second.serialized, secondSig],
  ];
  let turn = 0;
  const uncached = measure(() => {
    const [bytes, sig] = pairs[turn++ & 1];
    const id = uncachedMsp.deserializeIdentity(bytes);
    id.validate();
    if (!id.verify(MESSAGE, sig)) throw new Error('bench: uncached verify failed');
  });

  const policies = new FabricPolicyProvider();
  const envelope = policies.compileExpression("OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')");
  const policy = policies.newSignaturePolicy(envelope, manager);
  const signedData: SignedData[] = peers.map((p, i) => ({ data: MESSAGE, identity: p.serialized, signature: signatures[i] }));
  if (!policy.evaluate(signedData).satisfied) throw new Error('bench: 2-of-3 policy not satisfied by 3 peer signatures');
  const policyRate = measure(() => {
    if (!policy.evaluate(signedData).satisfied) throw new Error('bench: policy evaluation failed');
  });

  const signRate = measure(() => {
    signers[0].sign(MESSAGE);
  });

  return [
    { name: 'verify_cached_per_s', value: round(cached.perCpuSecond, 0), unit: UNIT },
    { name: 'verify_uncached_per_s', value: round(uncached.perCpuSecond, 0), unit: UNIT },
    { name: 'policy_eval_per_s', value: round(policyRate.perCpuSecond, 0), unit: UNIT },
    { name: 'sign_low_s_per_s', value: round(signRate.perCpuSecond, 0), unit: UNIT },
    { name: 'cache_speedup', value: round(cached.perCpuSecond / uncached.perCpuSecond, 2), unit: 'x' },
  ];
}
