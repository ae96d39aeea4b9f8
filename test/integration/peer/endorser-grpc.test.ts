import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ProposedTransaction } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { TestOrg } from '../../../plugins/msp-x509';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import type { Signer } from '../../../core/protocol/signer';
import { parseProposalResponse } from '../../../core/protocol/proposal-response';
import { testIdentitySigner } from '../orderer/orderer-fixture';
import { type InProcessNetwork, deployKvInProcess, startInProcessNetwork } from './in-process-network';
import { CHANNEL, gatewayFor, signerOf } from './network-fixture';

/**
 * `protos.Endorser/ProcessProposal` over real gRPC answers as Fabric's endorser does: a proposal its
 * checks refuse is a gRPC error (grpc-go's UNKNOWN, the message as its details); an unknown channel
 * or a failing chaincode is a status-500 response; and the peer keeps serving.
 */
describe('the endorser service over gRPC', () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-endorser-grpc-' });
    await deployKvInProcess(net);
  }, 120_000);

  afterAll(() => net?.close());

  /** A unary `ProcessProposal` call to Org1's peer (the Weft gateway would use its stream instead). */
  const processProposal = (signed: Uint8Array): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const id = (b: Uint8Array): Buffer => Buffer.from(b);
      net.clients[0].makeUnaryRequest('/protos.Endorser/ProcessProposal', id, id, Buffer.from(signed), new Metadata(), { deadline: Date.now() + 30_000 }, (err, res) =>
        err ? reject(err) : resolve(res as Buffer),
      );
    });
  const propose = async (signer: Signer, channelId: string, chaincodeName: string, args: string[]) =>
    parseProposalResponse(await processProposal(signProposal(buildProposal({ channelId, chaincodeName, args: args.map((a) => Buffer.from(a)), creator: signer.serialized }).proposalBytes, signer)));
  const refusal = async (signed: Uint8Array): Promise<ServiceError> => {
    const err = (await processProposal(signed).then(
      () => undefined,
      (e: unknown) => e,
    )) as ServiceError | undefined;
    if (err === undefined) throw new Error('the proposal was answered, not refused');
    return err;
  };

  it('refuses malformed, mis-derived, foreign and replayed proposals with a gRPC error, and answers an unknown channel with status 500', async () => {
    const user = signerOf(net.m.orgs[0]);
    const garbage = await refusal(new Uint8Array([0x0a, 0x03, 0xff, 0xff, 0xff]));
    expect(garbage.code).toBe(GrpcStatus.UNKNOWN);
    expect(garbage.details).toMatch(/^error validating proposal: /);

    const badTxId = buildProposal({ channelId: CHANNEL, chaincodeName: 'qscc', args: [Buffer.from('GetChainInfo'), Buffer.from(CHANNEL)], creator: user.serialized, txId: 'f'.repeat(64) });
    const txIdErr = await refusal(signProposal(badTxId.proposalBytes, user));
    expect(txIdErr.code).toBe(GrpcStatus.UNKNOWN);
    expect(txIdErr.details).toMatch(/error validating proposal: .*tx_?id/i);

    const outsider = testIdentitySigner(await (await TestOrg.create({ mspId: 'Org9MSP' })).issue('mallory'));
    const foreign = buildProposal({ channelId: CHANNEL, chaincodeName: 'kv', args: [Buffer.from('Get'), Buffer.from('a')], creator: outsider.serialized });
    const foreignErr = await refusal(signProposal(foreign.proposalBytes, outsider));
    expect(foreignErr.code).toBe(GrpcStatus.UNKNOWN);
    expect(foreignErr.details).toMatch(/^error validating proposal: access denied: channel \[.*\] creator org unknown/);

    const unknownChannel = await propose(user, 'nochannel', 'qscc', ['GetChainInfo', 'nochannel']);
    expect(unknownChannel.response).toMatchObject({ status: 500, message: "channel 'nochannel' not found" });

    // The peer keeps serving.
    const info = await propose(user, CHANNEL, 'qscc', ['GetChainInfo', CHANNEL]);
    expect(info.response.status).toBe(200);
  });

  it('refuses a replayed transaction id once the transaction is committed', async () => {
    const admin = signerOf(net.m.orgs[0], 'Admin');
    const gateway = gatewayFor(net.m.orgs[0], net.clients[0]);
    net.gateways.push(gateway);
    const contract = gateway.getNetwork(CHANNEL).getContract('kv');
    const proposal = contract.newProposal('Put', { arguments: ['replayed', 'v'] });
    const committed = await (await proposal.endorse()).submit();
    expect((await committed.getStatus()).successful).toBe(true);
    const signed = ProposedTransaction.deserializeBinary(proposal.getBytes()).getProposal()?.serializeBinary() as Uint8Array;
    const replay = await refusal(signed);
    expect(replay.code).toBe(GrpcStatus.UNKNOWN);
    expect(replay.details).toContain(`duplicate transaction found [${proposal.getTransactionId()}]`);
    expect((await propose(admin, CHANNEL, 'qscc', ['GetChainInfo', CHANNEL])).response.status).toBe(200);
  });
});
