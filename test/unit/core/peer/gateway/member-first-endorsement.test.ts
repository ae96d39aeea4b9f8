import { generateKeyPairSync, sign } from 'node:crypto';
import type { Channel } from '../../../../../core/peer/channel/channel';
import { EndorsementCollector } from '../../../../../core/peer/gateway/endorsement-collector';
import type { EndorsingPeer } from '../../../../../core/peer/gateway/endorser-client';
import { GatewayRpcError } from '../../../../../core/peer/grpc/grpc-status';
import type { EndorsementPolicies } from '../../../../../core/peer/validation/endorsement-policies';
import type { ChaincodeInterest } from '../../../../../core/protocol/chaincode-interest';
import { buildProposal, parseSignedProposal, signProposal } from '../../../../../core/protocol/proposal';
import { buildProposalResponse } from '../../../../../core/protocol/proposal-response';
import { serializeIdentity } from '../../../../../core/protocol/serialized-identity';

function signer(name: string) {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { serialized: serializeIdentity(name, Buffer.from(name)), sign: (m: Uint8Array) => new Uint8Array(sign('sha256', m, privateKey)) };
}

const client = signer('Client');
const proposalWith = (transient?: Record<string, Buffer>): { signed: Uint8Array; proposal: ReturnType<typeof parseSignedProposal> } => {
  const signed = signProposal(buildProposal({ channelId: 'ch', chaincodeName: 'cc', args: [Buffer.from('f')], creator: client.serialized, transient }).proposalBytes, client);
  return { signed, proposal: parseSignedProposal(signed) };
};
const { signed, proposal } = proposalWith();

/**
 * An interest naming org `mspId`'s implicit collection of `_lifecycle` (its members are that org
 * alone, known without a ledger): read privately, or only written.
 */
const interestIn = (mspId: string, noPrivateReads = false): ChaincodeInterest => ({
  chaincodes: [{ name: '_lifecycle', collections: [`_implicit_org_${mspId}`], noPrivateReads, noPublicWrites: false, keyPolicies: [], disregardNamespacePolicy: false }],
});

/** A peer that endorses with `payload` and `interest`, recording that it was asked in `calls`. */
function peer(address: string, mspId: string, calls: string[], payload: string, interest?: ChaincodeInterest): EndorsingPeer {
  const endorser = signer(mspId);
  return {
    address,
    mspId,
    processProposal: () => {
      calls.push(address);
      return Promise.resolve(buildProposalResponse({ proposal, response: { status: 200, payload: Buffer.from(payload) }, results: new Uint8Array(0), chaincodeId: { name: 'cc', version: '1' }, endorser, interest }));
    },
  };
}
const unreachable = (address: string, mspId: string, calls: string[]): EndorsingPeer => ({
  address,
  mspId,
  processProposal: () => (calls.push(address), Promise.reject(Object.assign(new Error('14 UNAVAILABLE'), { details: 'connection refused' }))),
});

// A policy any one endorsement satisfies: without the check, the first answer would be the one used.
const anyOne = new EndorsementCollector({ requirementsFor: () => ({ ok: true, policies: [] }) } as unknown as EndorsementPolicies);
const channel = { id: 'ch', ledger: {}, resources: () => ({ deserializer: { withVerified: (_: unknown, f: () => void) => f() } }) } as unknown as Channel;

/**
 * The Gateway of an org that does not hold a collection the transaction read private values of
 * never uses its own peer's answer (computed without the data): a member org's peer endorses
 * first instead, and planning goes on from its answer.
 */
describe('EndorsementCollector: the first endorsement comes from an org holding the private data read', () => {
  it("drops this org's answer and uses the first member peer that endorses, skipping one that fails and asking no other org", async () => {
    const calls: string[] = [];
    const local = peer('peer0.org2:7051', 'Org2MSP', calls, '[]', interestIn('Org1MSP'));
    const others = [
      peer('peer1.org2:7051', 'Org2MSP', calls, '[]', interestIn('Org1MSP')),
      peer('peer0.org3:7051', 'Org3MSP', calls, '[]', interestIn('Org1MSP')),
      unreachable('peer0.org1:7051', 'Org1MSP', calls),
      peer('peer1.org1:7051', 'Org1MSP', calls, '["terms"]', interestIn('Org1MSP')),
    ];
    const got = await anyOne.collect(proposal, signed, channel, local, others, [], Date.now() + 5000);
    expect(got.map((g) => g.peer.address)).toEqual(['peer1.org1:7051']);
    expect(calls).toEqual(['peer0.org2:7051', 'peer0.org1:7051', 'peer1.org1:7051']);
  });

  it("passes over a member whose own answer read a collection its org lacks (the chaincode went another way there)", async () => {
    const calls: string[] = [];
    const local = peer('peer0.org2:7051', 'Org2MSP', calls, '[]', interestIn('Org1MSP'));
    const strayed = peer('peer0.org1:7051', 'Org1MSP', calls, 'other', interestIn('Org3MSP'));
    const err = (await anyOne.collect(proposal, signed, channel, local, [strayed], [], Date.now() + 5000).catch((e: unknown) => e)) as GatewayRpcError;
    expect(err).toBeInstanceOf(GatewayRpcError);
    expect(err.code).toBe(9);
    expect(err.message).toBe(
      'failed to endorse transaction: it reads private data of collection(s) [_implicit_org_Org1MSP], and no peer of their member organisation(s) endorsed it, see attached details for more info',
    );
    expect(err.details).toEqual([
      { address: 'peer0.org2:7051', mspId: 'Org2MSP', message: expect.stringContaining('not a member of private data collection(s) [_implicit_org_Org1MSP]') },
      { address: 'peer0.org1:7051', mspId: 'Org1MSP', message: expect.stringContaining('not a member of private data collection(s) [_implicit_org_Org3MSP]') },
    ]);
  });

  it('fails FAILED_PRECONDITION naming the collection when no member peer is known', async () => {
    const calls: string[] = [];
    const local = peer('peer0.org2:7051', 'Org2MSP', calls, '[]', interestIn('Org1MSP'));
    await expect(anyOne.collect(proposal, signed, channel, local, [], [], Date.now() + 5000)).rejects.toMatchObject({
      code: 9,
      message: expect.stringContaining('[_implicit_org_Org1MSP]'),
      details: [{ address: 'peer0.org2:7051', mspId: 'Org2MSP', message: expect.stringContaining('answer not used') }],
    });
  });

  it("keeps this org's answer when the collection is only written, even with transient data kept among its members", async () => {
    const calls: string[] = [];
    const withTransient = proposalWith({ value: Buffer.from('v') });
    const local = peer('peer0.org2:7051', 'Org2MSP', calls, '', interestIn('Org1MSP', true));
    const got = await anyOne.collect(withTransient.proposal, withTransient.signed, channel, local, [peer('peer0.org1:7051', 'Org1MSP', calls, '')], [], Date.now() + 5000);
    expect(got.map((g) => g.peer.address)).toEqual(['peer0.org2:7051']);
    expect(calls).toEqual(['peer0.org2:7051']);
  });
});
