import { generateKeyPairSync, sign } from 'node:crypto';
import { EndorsementCollector } from '../../../../../core/peer/gateway/endorsement-collector';
import type { EndorsingPeer } from '../../../../../core/peer/gateway/endorser-client';
import { GatewayRpcError } from '../../../../../core/peer/grpc/grpc-status';
import type { Channel } from '../../../../../core/peer/channel/channel';
import type { EndorsementPolicies } from '../../../../../core/peer/validation/endorsement-policies';
import { buildProposal, parseSignedProposal, signProposal } from '../../../../../core/protocol/proposal';
import { buildChaincodeErrorResponse, buildErrorProposalResponse, buildProposalResponse } from '../../../../../core/protocol/proposal-response';
import { serializeIdentity } from '../../../../../core/protocol/serialized-identity';

function signer(name: string) {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { serialized: serializeIdentity(name, Buffer.from(name)), sign: (m: Uint8Array) => new Uint8Array(sign('sha256', m, privateKey)) };
}

const client = signer('Client');
const signed = signProposal(buildProposal({ channelId: 'ch', chaincodeName: 'cc', args: [Buffer.from('f')], creator: client.serialized }).proposalBytes, client);
const proposal = parseSignedProposal(signed);

function peer(mspId: string, results: string, payload = 'ok'): EndorsingPeer {
  const endorser = signer(mspId);
  return {
    address: `peer0.${mspId.toLowerCase()}:7051`,
    mspId,
    processProposal: () =>
      Promise.resolve(
        buildProposalResponse({
          proposal,
          response: { status: 200, payload: Buffer.from(payload) },
          results: Buffer.from(results),
          chaincodeId: { name: 'cc', version: '1' },
          endorser,
        }),
      ),
  };
}

/** A chaincode's own error, as Fabric's endorser answers a status ≥ 500: with the payload. */
const chaincodeError = (message: string): Uint8Array =>
  buildChaincodeErrorResponse({ proposal, response: { status: 500, message }, results: new Uint8Array(0), chaincodeId: { name: 'cc', version: '1' } });

const channel = { id: 'ch' } as Channel;
const collector = new EndorsementCollector({} as EndorsementPolicies);

describe('EndorsementCollector (target organizations given)', () => {
  it('collects one endorsement per requested org when the payloads are byte-identical', async () => {
    const got = await collector.collect(proposal, signed, channel, peer('Org1MSP', 'rw'), [peer('Org2MSP', 'rw')], ['Org1MSP', 'Org2MSP'], Date.now() + 1000);
    expect(got.map((g) => g.peer.mspId)).toEqual(['Org1MSP', 'Org2MSP']);
  });

  it('names both endorsers and what differs when the payloads do not match', async () => {
    const err = (await collector
      .collect(proposal, signed, channel, peer('Org1MSP', 'rw-a', 'x'), [peer('Org2MSP', 'rw-b', 'y')], ['Org1MSP', 'Org2MSP'], Date.now() + 1000)
      .catch((e: unknown) => e)) as GatewayRpcError;
    expect(err).toBeInstanceOf(GatewayRpcError);
    expect(err.message).toMatch(/ProposalResponsePayloads do not match: peer0\.org1msp:7051 \(Org1MSP\) and peer0\.org2msp:7051 \(Org2MSP\) differ in read\/write set, chaincode response payload/);
    expect(err.details.map((d) => d.mspId)).toEqual(['Org1MSP', 'Org2MSP']);
  });

  it("reports an endorser's chaincode error verbatim in the details, and a peer's own failure bare, as Fabric's responseStatus", async () => {
    const failing: EndorsingPeer = { address: 'peer0.org2:7051', mspId: 'Org2MSP', processProposal: () => Promise.resolve(chaincodeError('asset X is locked')) };
    const err = (await collector.collect(proposal, signed, channel, peer('Org1MSP', 'rw'), [failing], ['Org1MSP', 'Org2MSP'], Date.now() + 1000).catch((e: unknown) => e)) as GatewayRpcError;
    expect(err.details).toEqual([{ address: 'peer0.org2:7051', mspId: 'Org2MSP', message: 'chaincode response 500, asset X is locked' }]);
    const refusing: EndorsingPeer = { address: 'peer0.org2:7051', mspId: 'Org2MSP', processProposal: () => Promise.resolve(buildErrorProposalResponse(500, 'error validating proposal: access denied')) };
    const refused = (await collector.collect(proposal, signed, channel, peer('Org1MSP', 'rw'), [refusing], ['Org1MSP', 'Org2MSP'], Date.now() + 1000).catch((e: unknown) => e)) as GatewayRpcError;
    expect(refused.details).toEqual([{ address: 'peer0.org2:7051', mspId: 'Org2MSP', message: 'error validating proposal: access denied' }]);
  });

  it("asks a named org's next peer when one fails, and counts the org once", async () => {
    const failing: EndorsingPeer = { address: 'peer0.org2:7051', mspId: 'Org2MSP', processProposal: () => Promise.reject(Object.assign(new Error('14 UNAVAILABLE'), { details: 'connection refused' })) };
    const got = await collector.collect(proposal, signed, channel, peer('Org1MSP', 'rw'), [failing, peer('Org2MSP', 'rw')], ['Org1MSP', 'Org2MSP', 'Org2MSP'], Date.now() + 1000);
    expect(got.map((g) => g.peer.mspId)).toEqual(['Org1MSP', 'Org2MSP']);
  });

  it('refuses an org it knows no peer of', async () => {
    await expect(collector.collect(proposal, signed, channel, peer('Org1MSP', 'rw'), [], ['Org3MSP'], Date.now() + 1000)).rejects.toMatchObject({
      code: 14,
      message: 'failed to find any endorsing peers for org(s): Org3MSP',
    });
  });
});

describe('EndorsementCollector (first endorser, as Fabric planFromFirstEndorser)', () => {
  const policies = { requirementsFor: () => ({ ok: true, policies: [] }) } as unknown as EndorsementPolicies;
  const planned = new EndorsementCollector(policies);
  const anyChannel = { id: 'ch', ledger: {}, resources: () => ({ deserializer: { withVerified: (_: unknown, f: () => void) => f() } }) } as unknown as Channel;
  const notInstalled = "chaincode definition for 'cc' exists, but chaincode is not installed";
  // The peer's own failure (no payload), or with `byChaincode` the chaincode's error (a payload).
  const failing = (address: string, mspId: string, message: string, calls: string[], byChaincode = false): EndorsingPeer => ({
    address,
    mspId,
    processProposal: () => (calls.push(address), Promise.resolve(byChaincode ? chaincodeError(message) : buildErrorProposalResponse(500, message))),
  });
  const counted = (p: EndorsingPeer, calls: string[]): EndorsingPeer => ({ ...p, processProposal: (...a) => (calls.push(p.address), p.processProposal(...a)) });

  it("asks this org's other peers, then another org's, when no peer of this org has the chaincode installed", async () => {
    const calls: string[] = [];
    const local = failing('peer0.org1:7051', 'Org1MSP', notInstalled, calls);
    const sibling = failing('peer1.org1:7051', 'Org1MSP', notInstalled, calls);
    const got = await planned.collect(proposal, signed, anyChannel, local, [counted(peer('Org2MSP', ''), calls), sibling], [], Date.now() + 1000);
    expect(got.map((g) => g.peer.mspId)).toEqual(['Org2MSP']);
    expect(calls).toEqual(['peer0.org1:7051', 'peer1.org1:7051', 'peer0.org2msp:7051']);
  });

  it('keeps a proposal with transient data in this org (FAILED_PRECONDITION)', async () => {
    const calls: string[] = [];
    const withTransient = signProposal(
      buildProposal({ channelId: 'ch', chaincodeName: 'cc', args: [Buffer.from('f')], creator: client.serialized, transient: { secret: Buffer.from('s') } }).proposalBytes,
      client,
    );
    const local = failing('peer0.org1:7051', 'Org1MSP', notInstalled, calls);
    const err = (await planned
      .collect(parseSignedProposal(withTransient), withTransient, anyChannel, local, [counted(peer('Org2MSP', 'rw'), calls)], [], Date.now() + 1000)
      .catch((e: unknown) => e)) as GatewayRpcError;
    expect(err).toMatchObject({ code: 9, message: "no endorsers found in the gateway's organization; retry specifying endorsing organization(s) to protect transient data" });
    expect(calls).toEqual(['peer0.org1:7051']);
  });

  it("ends ABORTED with every detail when this org's peers fail for another reason, asking no other org", async () => {
    const calls: string[] = [];
    const local = failing('peer0.org1:7051', 'Org1MSP', 'asset X is locked', calls, true);
    const sibling = failing('peer1.org1:7051', 'Org1MSP', notInstalled, calls);
    const err = (await planned.collect(proposal, signed, anyChannel, local, [sibling, counted(peer('Org2MSP', 'rw'), calls)], [], Date.now() + 1000).catch((e: unknown) => e)) as GatewayRpcError;
    expect(err).toMatchObject({ code: 10, message: 'failed to endorse transaction, see attached details for more info' });
    expect(err.details.map((d) => d.message)).toEqual(['chaincode response 500, asset X is locked', notInstalled]);
    expect(calls).toEqual(['peer0.org1:7051', 'peer1.org1:7051']);
  });

  it('does not ask again, when planning further endorsers, the peers that had no chaincode for the first endorsement', async () => {
    const twoOrgs = { requirementsFor: () => ({ ok: true, policies: [{ what: 'cc', policy: { evaluate: (sd: unknown[]) => ({ satisfied: sd.length >= 2, reason: 'needs 2 orgs' }) } }] }) };
    const needsTwo = new EndorsementCollector(twoOrgs as unknown as EndorsementPolicies);
    const calls: string[] = [];
    const local = failing('peer0.org1:7051', 'Org1MSP', notInstalled, calls);
    const sibling = failing('peer1.org1:7051', 'Org1MSP', notInstalled, calls);
    const org2 = counted(peer('Org2MSP', ''), calls);
    const got = await needsTwo.collect(proposal, signed, anyChannel, local, [local, sibling, org2, counted(peer('Org3MSP', ''), calls)], [], Date.now() + 1000);
    expect(got.map((g) => g.peer.mspId)).toEqual(['Org2MSP', 'Org3MSP']);
    expect(calls).toEqual(['peer0.org1:7051', 'peer1.org1:7051', 'peer0.org2msp:7051', 'peer0.org3msp:7051']);

    // With no third org the policy stays unmet; the details still say why this org could not endorse.
    calls.length = 0;
    const err = (await needsTwo.collect(proposal, signed, anyChannel, local, [sibling, org2], [], Date.now() + 1000).catch((e: unknown) => e)) as GatewayRpcError;
    expect(err).toMatchObject({ code: 10, message: expect.stringContaining('cc: needs 2 orgs') });
    expect(err.details.map((d) => d.address)).toEqual(['peer0.org1:7051', 'peer1.org1:7051']);
    expect(calls).toEqual(['peer0.org1:7051', 'peer1.org1:7051', 'peer0.org2msp:7051']);
  });
});
