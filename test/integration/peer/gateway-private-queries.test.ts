import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type Contract, GatewayError } from '@hyperledger/fabric-gateway';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { parseProposalResponse } from '../../../core/protocol/proposal-response';
import { collectionPackage } from '../../support/lifecycle-collections';
import { sample } from '../../support/prometheus-text';
import { deployChaincodeInProcess, gatewayOn, peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, approve, commitDefinition, failureOf, gatewayFor, PRIVATE_DIR, rawEndorser, signerOf } from './network-fixture';

const utf8 = new TextDecoder();
/** Test chaincode reading another chaincode's private data through a chaincode-to-chaincode call. */
const PRIVATE_VIA_DIR = path.join(__dirname, 'fixtures', 'private-via');
const ORG2_IMPLICIT = '_implicit_org_Org2MSP';

/**
 * A transaction whose only read of private data is a range query (the `private` chaincode's `Keys`):
 * the query adds nothing to the read/write set, yet its result is the endorser's private values, so
 * the Gateway must plan it as a private read. Only Org1 holds `org1only`; the chaincode's policy is
 * the channel's MAJORITY, which Org1 alone cannot meet. Fabric's Gateway (whose interest misses
 * private queries) asks Org2's peer, which answers `[]` from data it does not hold, and the client
 * gets a payload mismatch.
 *
 * The same package is also defined as `private_any`, whose policy either org meets alone. Through
 * Org2's Gateway (Org1's client connected to it), Org2's peer (not a member) answers first and could satisfy the policy with `[]`:
 * the Gateway uses a member's answer instead, for a submit and an evaluation alike.
 *
 * Two private reads the proposal's chaincode definition does not show are caught the same way:
 * `via` (no collections) reads `private_any`'s `org1only` through a chaincode-to-chaincode call, and
 * `private_any` reads Org2's implicit collection, which only Org2's peer holds.
 */
describe("the Gateway's plan for a transaction that queried private data", () => {
  let net: InProcessNetwork;
  let org1: Contract;
  /** `private_any` for Org1's client (who may read `org1only`) through Org2's Gateway. */
  let anyOnOrg2: Contract;
  /** `private_any` for Org1's client through Org1's Gateway. */
  let anyOnOrg1: Contract;
  /** `via` for Org1's client through Org2's Gateway. */
  let viaOnOrg2: Contract;

  const proposalsOn = async (peer: 0 | 1): Promise<number> => {
    const text = await (await fetch(`http://${net.peers[peer].operationsAddress() as string}/metrics`)).text();
    return sample(text, 'endorser_proposals_received');
  };
  /** How a Gateway call failed: its gRPC code, message and each endpoint's detail. */
  const gatewayFailure = async (p: Promise<unknown>): Promise<{ code: number; message: string; details: { mspId: string; message: string }[] }> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${err === undefined ? 'success' : String(err)}`);
    return { code: err.code, message: err.message, details: err.details.map((d) => ({ mspId: d.mspId, message: d.message })) };
  };

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-pvt-query-' });
    const org1only = (): ReturnType<typeof collectionPackage> => collectionPackage({ name: 'org1only', policy: "OR('Org1MSP.member')" });
    const packageId = await deployChaincodeInProcess(net, { projectDir: PRIVATE_DIR, label: 'private_1', name: 'private', collections: org1only() });
    const either = "OR('Org1MSP.member','Org2MSP.member')";
    const admins = [gatewayFor(net.m.orgs[0], net.clients[0], 'Admin'), gatewayFor(net.m.orgs[1], net.clients[1], 'Admin')];
    net.gateways.push(...admins);
    await Promise.all(admins.map((a) => approve(a, 'private_any', 1, packageId, false, CHANNEL, org1only(), either)));
    await peersInSync(net.peers);
    await commitDefinition(admins[0], 'private_any', 1, false, CHANNEL, org1only(), either);
    await peersInSync(net.peers);
    org1 = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('private');
    anyOnOrg2 = gatewayOn(net, 0, 1).getNetwork(CHANNEL).getContract('private_any');
    // The client trusts Org2 with the transient value, so both orgs endorse the write; only Org1 keeps the value.
    await org1.submit('Put', { arguments: ['org1only', 'terms'], transientData: { value: Buffer.from('org1-terms') }, endorsingOrganizations: ['Org1MSP', 'Org2MSP'] });
    await gatewayOn(net, 0)
      .getNetwork(CHANNEL)
      .getContract('private_any')
      .submit('Put', { arguments: ['org1only', 'rules'], transientData: { value: Buffer.from('org1-rules') } });
    await peersInSync(net.peers);
    await deployChaincodeInProcess(net, { projectDir: PRIVATE_VIA_DIR, label: 'private_via_1', name: 'via', policy: either });
    anyOnOrg1 = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('private_any');
    viaOnOrg2 = gatewayOn(net, 0, 1).getNetwork(CHANNEL).getContract('via');
    // Org2's own implicit collection, endorsed by Org2 alone: Org1's peer holds only its hash.
    await gatewayOn(net, 1)
      .getNetwork(CHANNEL)
      .getContract('private_any')
      .submit('Put', { arguments: [ORG2_IMPLICIT, 'notes'], transientData: { value: Buffer.from('org2-notes') }, endorsingOrganizations: ['Org2MSP'] });
    await peersInSync(net.peers);
  }, 180_000);

  afterAll(() => net?.close());

  it('names the queried collection as privately read in the endorser’s interest', async () => {
    const endorser = rawEndorser(net.m.orgs[0], net.ports[0]);
    try {
      const client = signerOf(net.m.orgs[0]);
      const built = buildProposal({ channelId: CHANNEL, chaincodeName: 'private', args: ['Keys', 'org1only'].map((a) => Buffer.from(a)), creator: client.serialized });
      const response = parseProposalResponse(await endorser.processProposal(signProposal(built.proposalBytes, client), Date.now() + 30_000));
      expect(utf8.decode(response.response.payload ?? new Uint8Array(0))).toBe('["terms"]');
      expect(response.interest?.chaincodes.map((c) => ({ name: c.name, collections: c.collections, noPrivateReads: c.noPrivateReads }))).toEqual([
        { name: 'private', collections: ['org1only'], noPrivateReads: false },
      ]);
    } finally {
      endorser.close();
    }
  });

  it('asks no peer outside the collection: the policy is reported unmet instead of a mismatch with a peer that lacks the data', async () => {
    const before = await proposalsOn(1);
    const failure = await failureOf(org1.submitTransaction('Keys', 'org1only'));
    expect(failure).toContain('failed to collect enough transaction endorsements');
    expect(failure).not.toContain('do not match');
    expect(await proposalsOn(1)).toBe(before);
    // Evaluation is not planned from an interest: Org1's peer answers from the values it holds.
    expect(utf8.decode(await org1.evaluateTransaction('Keys', 'org1only'))).toBe('["terms"]');
  });

  it('a submit through the Gateway of an org outside the collection commits a member’s answer, not its own peer’s answer without the data', async () => {
    const before = await proposalsOn(0);
    // Org2's peer answers `[]` and would satisfy the policy alone; Org1's peer endorses instead.
    expect(utf8.decode(await anyOnOrg2.submitTransaction('Keys', 'org1only'))).toBe('["rules"]');
    expect(await proposalsOn(0)).toBeGreaterThan(before);
  });

  it('an evaluation through that Gateway answers with a member’s result too', async () => {
    expect(utf8.decode(await anyOnOrg2.evaluateTransaction('Keys', 'org1only'))).toBe('["rules"]');
  });

  it('an evaluation reading, through a chaincode-to-chaincode call, a collection its Gateway’s org is not in answers with a member’s result', async () => {
    const before = await proposalsOn(0);
    // Org2's peer answers `[]`: `via` defines no collection, only the callee's read shows it.
    expect(utf8.decode(await viaOnOrg2.evaluateTransaction('KeysVia', 'private_any', 'org1only'))).toBe('["rules"]');
    expect(await proposalsOn(0)).toBeGreaterThan(before);
  });

  it('an evaluation reading another org’s implicit collection is answered by that org’s peer', async () => {
    const before = await proposalsOn(1);
    // Org1 is a member of every collection `private_any` defines; `_implicit_org_Org2MSP` is none of them.
    expect(utf8.decode(await anyOnOrg1.evaluateTransaction('Keys', ORG2_IMPLICIT))).toBe('["notes"]');
    expect(await proposalsOn(1)).toBeGreaterThan(before);
  });

  it('a submit of either read commits a member’s endorsement, planned from the first endorsement’s interest', async () => {
    expect(utf8.decode(await viaOnOrg2.submitTransaction('KeysVia', 'private_any', 'org1only'))).toBe('["rules"]');
    expect(utf8.decode(await anyOnOrg1.submitTransaction('Keys', ORG2_IMPLICIT))).toBe('["notes"]');
  });

  it('a non-member peer’s own answer names both reads in its interest, so a Gateway asking it remotely drops that answer too', async () => {
    const client = signerOf(net.m.orgs[0]);
    const interestOf = async (peer: 0 | 1, chaincodeName: string, args: readonly string[]): Promise<{ payload: string; read: unknown }> => {
      const endorser = rawEndorser(net.m.orgs[peer], net.ports[peer]);
      try {
        const built = buildProposal({ channelId: CHANNEL, chaincodeName, args: args.map((a) => Buffer.from(a)), creator: client.serialized });
        const response = parseProposalResponse(await endorser.processProposal(signProposal(built.proposalBytes, client), Date.now() + 30_000));
        const read = response.interest?.chaincodes.filter((c) => !c.noPrivateReads && c.collections.length > 0).map((c) => ({ name: c.name, collections: c.collections }));
        return { payload: utf8.decode(response.response.payload ?? new Uint8Array(0)), read };
      } finally {
        endorser.close();
      }
    };
    expect(await interestOf(1, 'via', ['KeysVia', 'private_any', 'org1only'])).toEqual({ payload: '[]', read: [{ name: 'private_any', collections: ['org1only'] }] });
    expect(await interestOf(0, 'private_any', ['Keys', ORG2_IMPLICIT])).toEqual({ payload: '[]', read: [{ name: 'private_any', collections: [ORG2_IMPLICIT] }] });
  });

  it('an evaluation that reads no private value (a hash through a chaincode-to-chaincode call) is answered by the Gateway’s own peer', async () => {
    const [member, local] = [await proposalsOn(0), await proposalsOn(1)];
    const hash = utf8.decode(await viaOnOrg2.evaluateTransaction('HashVia', 'private_any', 'org1only', 'rules'));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await proposalsOn(0)).toBe(member);
    expect(await proposalsOn(1)).toBe(local + 1);
  });

  it('with no member peer reachable, both are refused FAILED_PRECONDITION naming the collection, not answered without the data', async () => {
    await net.peers[0].stop();
    try {
      for (const call of [() => anyOnOrg2.submitTransaction('Keys', 'org1only'), () => anyOnOrg2.evaluateTransaction('Keys', 'org1only')]) {
        const failure = await gatewayFailure(call());
        expect(failure.code).toBe(grpc.status.FAILED_PRECONDITION);
        expect(failure.message).toMatch(/it reads private data of collection\(s\) \[org1only\], and no peer of their member organisation\(s\) (endorsed|evaluated) it/);
        expect(failure.details).toEqual([
          { mspId: 'Org2MSP', message: expect.stringContaining('not a member of private data collection(s) [org1only]') },
          { mspId: 'Org1MSP', message: expect.any(String) },
        ]);
      }
    } finally {
      net.peers[0] = new PeerNode(parsePeerConfig(loadNodeConfig(net.peerFiles[0].configFile)));
      await net.peers[0].start();
    }
  });
});
