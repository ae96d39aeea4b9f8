/**
 * The Gateway's status codes and messages, as Fabric's gateway answers them
 * (internal/pkg/gateway/{evaluate,submit,commitstatus}.go and their _test.go cases): the real
 * channel (MSP, policies, ledger) from the channel harness, with this peer's endorser, the remote
 * peers and the orderers replaced by scripted fakes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { CommitStatusRequest, EndorseRequest, EvaluateRequest, EvaluateResponse, SignedCommitStatusRequest, SubmitRequest } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { Endorser } from '../../../core/peer/endorser/endorser';
import type { BroadcastResult, Broadcaster } from '../../../core/peer/gateway/broadcaster';
import type { EndorsementCollector } from '../../../core/peer/gateway/endorsement-collector';
import type { EndorsingPeer } from '../../../core/peer/gateway/endorser-client';
import { GatewayService } from '../../../core/peer/gateway/gateway-service';
import { PeerError } from '../../../core/peer/peer-error';
import { type ParsedSignedProposal, buildProposal, parseSignedProposal, signProposal } from '../../../core/protocol/proposal';
import { buildErrorProposalResponse, buildProposalResponse } from '../../../core/protocol/proposal-response';
import type { Signer } from '../../../core/protocol/signer';
import { type Harness, commitBlock, definitionWrites, endorsedTx, openHarness } from './channel-harness';
import { CHANNEL, type Material, generateMaterial, genesisBlock, tmpDir } from './network-fixture';

const utf8 = new TextEncoder();
type Simulate = (proposal: ParsedSignedProposal) => Promise<{ status: number; message: string; payload: Uint8Array }>;

let dir: string;
let m: Material;
let h: Harness;
/** The same channel with `gateway/CommitStatus` and `gateway/ChaincodeEvents` reserved to admins. */
let strict: Harness;

beforeAll(async () => {
  dir = tmpDir('weft-gateway-rules-');
  m = await generateMaterial(dir);
  h = openHarness(m, path.join(dir, 'ledgers'));
  const acls = { 'gateway/CommitStatus': '/Channel/Application/Admins', 'gateway/ChaincodeEvents': '/Channel/Application/Admins' };
  strict = openHarness(m, path.join(dir, 'strict'), genesisBlock(m, 7050, '100ms', CHANNEL, [], acls));
  // The chaincode every proposal here names: the Gateway asks no peer about one the channel has not defined.
  const define = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('kv') });
  expect(await commitBlock(h, [define.envelope])).toEqual([TxValidationCode.VALID]);
}, 60_000);

afterAll(() => {
  h?.channels.close();
  strict?.channels.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const local: EndorsingPeer = { address: 'peer0.org1:7051', mspId: 'Org1MSP', processProposal: () => Promise.reject(new Error('local is simulated')) };

function gateway(
  harness: Harness,
  options: { simulate?: Simulate; peers?: EndorsingPeer[]; orderers?: ((env: Uint8Array) => Promise<BroadcastResult>)[]; systemChaincode?: string } = {},
): GatewayService {
  const simulate = options.simulate ?? (() => Promise.resolve({ status: 200, message: '', payload: utf8.encode('local') }));
  return new GatewayService({
    endorser: { simulate: async (p: ParsedSignedProposal) => ({ result: { response: await simulate(p) } }) } as unknown as Endorser,
    collector: {} as EndorsementCollector,
    local,
    peers: () => options.peers ?? [],
    channel: (id) => harness.channels.channel(id),
    broadcasters: () => (options.orderers ?? []).map((send, i) => ({ address: `orderer${i}:7050`, send }) as unknown as Broadcaster),
    endorsementTimeoutMs: 1000,
    broadcastTimeoutMs: 1000,
    isSystemChaincode: (name) => name === options.systemChaincode,
  });
}

function remote(address: string, mspId: string, answer: (p: ParsedSignedProposal) => Promise<Uint8Array>): EndorsingPeer & { calls: number } {
  const peer = {
    address,
    mspId,
    calls: 0,
    processProposal: (bytes: Uint8Array) => {
      peer.calls++;
      return answer(parseSignedProposal(bytes));
    },
  };
  return peer;
}

function evaluateRequest(options: { channelId?: string; orgs?: string[]; transient?: Record<string, Uint8Array>; chaincode?: string } = {}): Uint8Array {
  const signer = h.users[0];
  const built = buildProposal({ channelId: options.channelId ?? CHANNEL, chaincodeName: options.chaincode ?? 'kv', args: [utf8.encode('Get')], creator: signer.serialized, transient: options.transient });
  const req = new EvaluateRequest();
  req.setChannelId(options.channelId ?? CHANNEL);
  req.setProposedTransaction(SignedProposal.deserializeBinary(signProposal(built.proposalBytes, signer)));
  req.setTargetOrganizationsList(options.orgs ?? []);
  return req.serializeBinary();
}

const resultOf = (bytes: Uint8Array): string => new TextDecoder().decode(EvaluateResponse.deserializeBinary(bytes).getResult()?.getPayload_asU8());
const endorsed = (p: ParsedSignedProposal, text: string): Uint8Array =>
  buildProposalResponse({ proposal: p, response: { status: 200, payload: utf8.encode(text) }, results: new Uint8Array(0), chaincodeId: { name: 'kv', version: '1' }, endorser: h.peers[1] });

describe('Evaluate: Fabric responseStatus codes, retrying only where another peer may do better', () => {
  it('reports a chaincode error as UNKNOWN with the chaincode message, without asking another peer', async () => {
    const other = remote('peer0.org2:9051', 'Org2MSP', async (p) => endorsed(p, 'remote'));
    const gw = gateway(h, { simulate: async () => ({ status: 500, message: 'the asset is locked', payload: new Uint8Array(0) }), peers: [other] });
    await expect(gw.evaluate(evaluateRequest())).rejects.toMatchObject({
      code: GrpcStatus.UNKNOWN,
      message: 'evaluate call to endorser returned error: chaincode response 500, the asset is locked',
      details: [{ address: local.address, mspId: 'Org1MSP', message: 'chaincode response 500, the asset is locked' }],
    });
    expect(other.calls).toBe(0);
  });

  it('reports a proposal this peer rejects before running it as FAILED_PRECONDITION, without asking another peer', async () => {
    const other = remote('peer0.org2:9051', 'Org2MSP', async (p) => endorsed(p, 'remote'));
    const message = 'access denied: channel [mychannel] creator org [Org1MSP]: signature is invalid';
    const gw = gateway(h, { simulate: () => Promise.reject(new PeerError('PEER_ACCESS_DENIED', message)), peers: [other] });
    await expect(gw.evaluate(evaluateRequest())).rejects.toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
      message: `evaluate call to endorser returned error: ${message}`,
      details: [{ mspId: 'Org1MSP', message }],
    });
    expect(other.calls).toBe(0);
  });

  it('moves on to the next peer when this one fails while running the proposal (ABORTED), and returns its result', async () => {
    const other = remote('peer0.org2:9051', 'Org2MSP', async (p) => endorsed(p, 'remote'));
    const gw = gateway(h, { simulate: () => Promise.reject(new PeerError('PEER_SIMULATION_FAILED', 'error in simulation: boom')), peers: [other] });
    expect(resultOf(await gw.evaluate(evaluateRequest()))).toBe('remote');
    expect(other.calls).toBe(1);
  });

  it('ends with the last failure code and every detail when no peer can answer', async () => {
    const down = remote('peer0.org2:9051', 'Org2MSP', () => Promise.reject(Object.assign(new Error('14 UNAVAILABLE'), { details: 'No connection established' })));
    const gw = gateway(h, { simulate: () => Promise.reject(new Error('error in simulation: chaincode stream terminated')), peers: [down] });
    await expect(gw.evaluate(evaluateRequest())).rejects.toMatchObject({
      code: GrpcStatus.UNAVAILABLE,
      message: 'failed to evaluate transaction, see attached details for more info',
      details: [
        { address: local.address, message: 'error in simulation: chaincode stream terminated' },
        { address: 'peer0.org2:9051', mspId: 'Org2MSP', message: 'No connection established' },
      ],
    });
  });

  it("reads a remote peer's answer as Fabric: a peer-made 500 moves on, a chaincode error (UNKNOWN) is final", async () => {
    const broken = remote('peer1.org2:9052', 'Org2MSP', async () => buildErrorProposalResponse(500, 'chaincode kv not found'));
    const refusing = remote('peer0.org2:9051', 'Org2MSP', async () => buildErrorProposalResponse(404, 'no such asset'));
    const last = remote('peer2.org2:9053', 'Org2MSP', async (p) => endorsed(p, 'remote'));
    const gw = gateway(h, { peers: [broken, refusing, last] });
    await expect(gw.evaluate(evaluateRequest({ orgs: ['Org2MSP'] }))).rejects.toMatchObject({
      code: GrpcStatus.UNKNOWN,
      message: 'evaluate call to endorser returned error: chaincode response 404, no such asset',
      details: [{ address: 'peer1.org2:9052', message: 'chaincode kv not found' }, { address: 'peer0.org2:9051' }],
    });
    expect(last.calls).toBe(0);
  });

  it('keeps a proposal with transient data and no target orgs in this org', async () => {
    const other = remote('peer0.org2:9051', 'Org2MSP', async (p) => endorsed(p, 'remote'));
    const gw = gateway(h, { simulate: () => Promise.reject(new Error('error in simulation: boom')), peers: [other] });
    await expect(gw.evaluate(evaluateRequest({ transient: { secret: utf8.encode('s') } }))).rejects.toMatchObject({
      code: GrpcStatus.ABORTED,
      message: 'failed to evaluate transaction, see attached details for more info',
    });
    expect(other.calls).toBe(0);
  });

  it("answers as Fabric's gateway when the channel is unknown or unnamed, no peer can evaluate, or there is no proposal", async () => {
    await expect(gateway(h).evaluate(evaluateRequest({ channelId: 'nochannel' }))).rejects.toMatchObject({
      code: GrpcStatus.UNAVAILABLE,
      message: 'failed to get config for channel [nochannel]: could not get last config for channel nochannel',
    });
    await expect(gateway(h).evaluate(evaluateRequest({ channelId: '' }))).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      message: 'failed to unpack transaction proposal: no channel id provided',
    });
    await expect(gateway(h).endorse(endorseRequest('kv', [], 'nochannel'))).rejects.toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
      message: 'no combination of peers can be derived which satisfy the endorsement policy: No metadata was found for chaincode kv in channel nochannel',
    });
    await expect(gateway(h).evaluate(evaluateRequest({ orgs: ['Org3MSP'] }))).rejects.toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION });
    await expect(gateway(h).evaluate(new EvaluateRequest().serializeBinary())).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      message: 'failed to unpack transaction proposal: a signed proposal is required',
    });
  });

  it('asks no peer about a chaincode the channel has not defined, answering with Fabric codes and texts', async () => {
    const asked = remote('peer0.org2:9051', 'Org2MSP', async (p) => endorsed(p, 'remote'));
    const gw = gateway(h, { simulate: () => Promise.reject(new Error('the local peer was asked')), peers: [asked] });
    await expect(gw.evaluate(evaluateRequest({ chaincode: 'nope' }))).rejects.toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
      message: 'no peers available to evaluate chaincode nope in channel mychannel',
    });
    await expect(gw.endorse(endorseRequest('nope'))).rejects.toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
      message: 'no combination of peers can be derived which satisfy the endorsement policy: No metadata was found for chaincode nope in channel mychannel',
    });
    await expect(gw.endorse(endorseRequest('nope', ['Org2MSP']))).rejects.toMatchObject({
      code: GrpcStatus.UNAVAILABLE,
      message: 'failed to find any endorsing peers for org(s): Org2MSP',
    });
    expect(asked.calls).toBe(0);
    // A system chaincode needs no definition.
    expect(resultOf(await gateway(h, { systemChaincode: 'qscc' }).evaluate(evaluateRequest({ chaincode: 'qscc' })))).toBe('local');
  });
});

function endorseRequest(chaincode: string, orgs: string[] = [], channelId = CHANNEL): Uint8Array {
  const signer = h.users[0];
  const built = buildProposal({ channelId, chaincodeName: chaincode, args: [utf8.encode('Put')], creator: signer.serialized });
  const req = new EndorseRequest();
  req.setTransactionId(built.txId);
  req.setChannelId(channelId);
  req.setProposedTransaction(SignedProposal.deserializeBinary(signProposal(built.proposalBytes, signer)));
  req.setEndorsingOrganizationsList(orgs);
  return req.serializeBinary();
}

function submitRequest(channelId = CHANNEL): Uint8Array {
  const env = new Envelope();
  env.setPayload(Uint8Array.from([1]));
  env.setSignature(Uint8Array.from([2]));
  const req = new SubmitRequest();
  req.setChannelId(channelId);
  req.setPreparedTransaction(env);
  return req.serializeBinary();
}

describe('Submit: only a 4xx orderer answer is final', () => {
  const answer = (status: number, info = '') => async (): Promise<BroadcastResult> => ({ status, info });

  it('tries the next orderer after a 5xx answer or a broken stream', async () => {
    const sent: number[] = [];
    const track = (i: number, r: () => Promise<BroadcastResult>) => () => (sent.push(i), r());
    const gw = gateway(h, { orderers: [track(0, answer(500, 'internal')), track(1, () => Promise.reject(new Error('stream ended'))), track(2, answer(200))] });
    expect(await gw.submit(submitRequest())).toEqual(new Uint8Array(0));
    expect(sent).toEqual([0, 1, 2]);
  });

  it('aborts on a 4xx answer without trying further orderers', async () => {
    let later = 0;
    const gw = gateway(h, { orderers: [answer(503, 'busy'), answer(400, 'bad envelope'), () => (later++, answer(200)())] });
    await expect(gw.submit(submitRequest())).rejects.toMatchObject({
      code: GrpcStatus.ABORTED,
      message: 'received unsuccessful response from orderer: status=BAD_REQUEST, info=bad envelope',
    });
    expect(later).toBe(0);
  });

  it('ends UNAVAILABLE when no orderer accepts, FAILED_PRECONDITION for an unknown channel', async () => {
    const gw = gateway(h, { orderers: [answer(503, 'busy'), answer(500, 'internal')] });
    await expect(gw.submit(submitRequest())).rejects.toMatchObject({
      code: GrpcStatus.UNAVAILABLE,
      message: 'no orderers could successfully process transaction',
      details: [{ address: 'orderer0:7050' }, { address: 'orderer1:7050' }],
    });
    await expect(gateway(h).submit(submitRequest())).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE, message: 'no orderer nodes available' });
    await expect(gw.submit(submitRequest('nochannel'))).rejects.toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
      message: 'failed to get config for channel [nochannel]: could not get last config for channel nochannel',
    });
  });
});

function commitStatusRequest(signer: Signer, fields: { txId?: string; channelId?: string; identity?: boolean } = {}): Uint8Array {
  const req = new CommitStatusRequest();
  req.setTransactionId(fields.txId ?? 'tx');
  req.setChannelId(fields.channelId ?? CHANNEL);
  if (fields.identity !== false) req.setIdentity(signer.serialized);
  const bytes = req.serializeBinary();
  const signed = new SignedCommitStatusRequest();
  signed.setRequest(bytes);
  signed.setSignature(signer.sign(bytes));
  return signed.serializeBinary();
}

describe('CommitStatus: request checks and the gateway/CommitStatus ACL', () => {
  it('refuses a request without transaction ID, channel or identity at once (INVALID_ARGUMENT)', async () => {
    const gw = gateway(h);
    const user = h.users[0];
    await expect(gw.commitStatus(commitStatusRequest(user, { txId: '' }))).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, message: 'transaction ID should not be empty' });
    await expect(gw.commitStatus(commitStatusRequest(user, { channelId: '' }))).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, message: 'no channel ID provided' });
    await expect(gw.commitStatus(commitStatusRequest(user, { identity: false }))).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, message: 'no identity provided' });
    await expect(gw.commitStatus(new SignedCommitStatusRequest().serializeBinary())).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      message: 'a commit status request is required',
    });
  });

  it('answers PERMISSION_DENIED for a channel this peer does not have, as the ACL check does in Fabric', async () => {
    await expect(gateway(h).commitStatus(commitStatusRequest(h.users[0], { channelId: 'nochannel' }))).rejects.toMatchObject({
      code: GrpcStatus.PERMISSION_DENIED,
      message: 'Failed to get policy manager for channel [nochannel]',
    });
  });

  it("follows the channel's ACL for gateway/CommitStatus (default Readers)", async () => {
    const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('status') });
    expect(await commitBlock(h, [tx.envelope])).toEqual([TxValidationCode.VALID]);
    // A Readers member (here a peer identity) may ask on the default channel.
    expect(await gateway(h).commitStatus(commitStatusRequest(h.peers[0], { txId: tx.txId }))).toBeInstanceOf(Uint8Array);
    await expect(gateway(strict).commitStatus(commitStatusRequest(h.users[0], { txId: tx.txId }))).rejects.toMatchObject({
      code: GrpcStatus.PERMISSION_DENIED,
      message: expect.stringMatching(/^Failed evaluating policy on signed data during check policy on channel \[mychannel\] with policy \[\/Channel\/Application\/Admins\]: \[/),
    });
  });
});
