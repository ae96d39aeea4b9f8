import { generateKeyPairSync, sign } from 'node:crypto';
import { EndorsementCollector } from '../../../../../core/peer/gateway/endorsement-collector';
import type { EndorsingPeer } from '../../../../../core/peer/gateway/endorser-client';
import { GatewayRpcError } from '../../../../../core/peer/grpc/grpc-status';
import type { Channel } from '../../../../../core/peer/channel/channel';
import type { EndorsementPolicies } from '../../../../../core/peer/validation/endorsement-policies';
import { buildProposal, parseSignedProposal, signProposal } from '../../../../../core/protocol/proposal';
import { buildErrorProposalResponse, buildProposalResponse } from '../../../../../core/protocol/proposal-response';
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

  it("reports an endorser's chaincode error verbatim in the details", async () => {
    const failing: EndorsingPeer = { address: 'peer0.org2:7051', mspId: 'Org2MSP', processProposal: () => Promise.resolve(buildErrorProposalResponse(500, 'asset X is locked')) };
    const err = (await collector.collect(proposal, signed, channel, peer('Org1MSP', 'rw'), [failing], ['Org1MSP', 'Org2MSP'], Date.now() + 1000).catch((e: unknown) => e)) as GatewayRpcError;
    expect(err.details).toEqual([{ address: 'peer0.org2:7051', mspId: 'Org2MSP', message: 'chaincode response 500, asset X is locked' }]);
  });

  it('refuses an org it knows no peer of', async () => {
    await expect(collector.collect(proposal, signed, channel, peer('Org1MSP', 'rw'), [], ['Org3MSP'], Date.now() + 1000)).rejects.toThrow(/no peers available .* \[Org3MSP\]/);
  });
});
