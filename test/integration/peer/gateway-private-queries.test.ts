import type { Contract } from '@hyperledger/fabric-gateway';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { parseProposalResponse } from '../../../core/protocol/proposal-response';
import { collectionPackage } from '../../support/lifecycle-collections';
import { sample } from '../../support/prometheus-text';
import { deployChaincodeInProcess, gatewayOn, peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, failureOf, PRIVATE_DIR, rawEndorser, signerOf } from './network-fixture';

const utf8 = new TextDecoder();

/**
 * A transaction whose only read of private data is a range query (the `private` chaincode's `Keys`):
 * the query adds nothing to the read/write set, yet its result is the endorser's private values, so
 * the Gateway must plan it as a private read. Only Org1 holds `org1only`; the chaincode's policy is
 * the channel's MAJORITY, which Org1 alone cannot meet. Fabric's Gateway (whose interest misses
 * private queries) asks Org2's peer, which answers `[]` from data it does not hold, and the client
 * gets a payload mismatch.
 */
describe("the Gateway's plan for a transaction that queried private data", () => {
  let net: InProcessNetwork;
  let org1: Contract;

  const proposalsOnOrg2 = async (): Promise<number> => {
    const text = await (await fetch(`http://${net.peers[1].operationsAddress() as string}/metrics`)).text();
    return sample(text, 'endorser_proposals_received');
  };

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-pvt-query-' });
    await deployChaincodeInProcess(net, { projectDir: PRIVATE_DIR, label: 'private_1', name: 'private', collections: collectionPackage({ name: 'org1only', policy: "OR('Org1MSP.member')" }) });
    org1 = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('private');
    // The client trusts Org2 with the transient value, so both orgs endorse the write; only Org1 keeps the value.
    await org1.submit('Put', { arguments: ['org1only', 'terms'], transientData: { value: Buffer.from('org1-terms') }, endorsingOrganizations: ['Org1MSP', 'Org2MSP'] });
    await peersInSync(net.peers);
  }, 120_000);

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
    const before = await proposalsOnOrg2();
    const failure = await failureOf(org1.submitTransaction('Keys', 'org1only'));
    expect(failure).toContain('failed to collect enough transaction endorsements');
    expect(failure).not.toContain('do not match');
    expect(await proposalsOnOrg2()).toBe(before);
    // Evaluation is not planned from an interest: Org1's peer answers from the values it holds.
    expect(utf8.decode(await org1.evaluateTransaction('Keys', 'org1only'))).toBe('["terms"]');
  });
});
