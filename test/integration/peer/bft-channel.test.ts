import * as fs from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import { Envelope, HeaderType, Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ErrorDetail, SubmitRequest } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { Status as RpcStatus } from '@hyperledger/fabric-protos/lib/google/rpc/status_pb';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { headerHashOf } from '../../../core/peer/validation/block-verifier';
import { newBlock, parseBlock } from '../../../core/protocol/block';
import { type BftBlockSigner, signBlockBft } from '../../../core/protocol/block-signatures';
import { buildEnvelope } from '../../../core/protocol/envelope';
import { type GeneratedOrg, generateOrg } from '../../../plugins/msp-x509';
import { type BftOrderer, ServedChain, bftGenesis, startBftOrderer } from './bft-orderers';
import { type Material, eventually, freePort, generateMaterial, peerClient, signerOf, tmpDir, writePeerConfig } from './network-fixture';

const CHANNEL = 'bftchannel';

/**
 * A Weft peer on a channel ordered by a SmartBFT service of four consenters (Fabric 3's
 * `OrdererType: BFT`): it commits a block a quorum of consenters signed by id, refuses one signed
 * by fewer without advancing, leaves an orderer that withholds a block the others show the header
 * of, and its Gateway submits to every orderer as Fabric's `submitBFT`.
 */
describe('a peer on a BFT channel', () => {
  let dir: string;
  let m: Material;
  let ordererOrg: GeneratedOrg;
  const chain = new ServedChain();
  let orderers: BftOrderer[];
  let peer: PeerNode;
  let client: grpc.Client;

  /** Block `number` (one transaction) chained to `previous`, signed by `signers` as SmartBFT signs. */
  function blockSignedBy(number: number, previous: Uint8Array, signers: readonly BftBlockSigner[]): Uint8Array {
    const tx = buildEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, data: new TextEncoder().encode(`tx ${number}`), signer: signerOf(m.orgs[0]) });
    const block = newBlock(number, previous, [tx]);
    signBlockBft(block, signers, { lastConfigIndex: 0 });
    return block.serializeBinary();
  }

  /** The header hash of the block served as `number`: what the next block chains to. */
  const hashOf = (number: number): Uint8Array => headerHashOf(parseBlock(chain.get(number)!, { verifyDataHash: false }));

  beforeAll(async () => {
    dir = tmpDir('weft-peer-bft-');
    m = await generateMaterial(dir);
    ordererOrg = await generateOrg({ domain: 'bft.example.com', mspId: 'BftOrdererMSP', kind: 'orderer', nodes: ['orderer1', 'orderer2', 'orderer3', 'orderer4'] }, dir);
    orderers = await Promise.all([1, 2, 3, 4].map((id) => startBftOrderer(ordererOrg, `orderer${id}`, id, chain)));
    const genesis = bftGenesis(m, ordererOrg, orderers, CHANNEL);
    chain.put(0, genesis);
    const [p0, p1, ops] = [await freePort(), await freePort(), await freePort()];
    // Fabric's 30 s blockCensorshipTimeoutKey, shortened so that leaving a censoring orderer takes a moment.
    const peerSection = { gateway: { peers: [] }, deliveryClient: { blockCensorshipTimeoutKey: '500ms' } };
    peer = new PeerNode(parsePeerConfig(loadNodeConfig(writePeerConfig(m, 0, [p0, p1], ops, { peerSection }).configFile)));
    await peer.start();
    peer.joinChannel(genesis);
    client = peerClient(m.orgs[0], p0);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await peer?.stop();
    for (const o of orderers ?? []) o.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('commits a block signed by a quorum (3 of 4) of consenters, named by id', async () => {
    chain.put(1, blockSignedBy(1, hashOf(0), [orderers[3].signer, orderers[0].signer, orderers[2].signer]));
    await eventually(() => expect(peer.height(CHANNEL)).toBe(2));
  });

  it('refuses a block signed by fewer than a quorum and does not advance, then takes the quorum-signed one', async () => {
    const previous = hashOf(1);
    const seeksAt2 = (): number => chain.blockSeeks.filter((s) => s.start === 2).length;
    // Two consenters, and a third signature by one of them under another's id: no quorum of distinct consenters.
    const forger = orderers[0].signer.signer;
    chain.put(2, blockSignedBy(2, previous, [orderers[0].signer, orderers[1].signer, { id: 3, signer: forger }]));
    // A refused block ends the stream; the peer asks for block 2 again, is served it, refuses it again.
    await eventually(() => expect(seeksAt2()).toBeGreaterThanOrEqual(2));
    expect(peer.height(CHANNEL)).toBe(2);
    chain.put(2, blockSignedBy(2, previous, [orderers[0].signer, orderers[1].signer, orderers[3].signer]));
    await eventually(() => expect(peer.height(CHANNEL)).toBe(3));
  });

  it('leaves a block source that withholds a block whose header a quorum signed and other orderers show (censorship)', async () => {
    const source = chain.blockSeeks[chain.blockSeeks.length - 1].address;
    const censor = orderers.find((o) => o.address === source)!;
    censor.censorFrom = 3;
    chain.put(3, blockSignedBy(3, hashOf(2), [orderers[1].signer, orderers[2].signer, orderers[3].signer]));
    await eventually(() => expect(peer.height(CHANNEL)).toBe(4));
    // Block 3 came from another orderer, asked for after the censor's stream was given up.
    const last = chain.blockSeeks[chain.blockSeeks.length - 1];
    expect(last.start).toBe(3);
    expect(last.address).not.toBe(source);
    censor.censorFrom = Infinity;
  });

  /** Calls the peer's Gateway Submit with a signed envelope; resolves, or rejects with the gRPC error and its ErrorDetails. */
  function submit(payload: string): Promise<{ code: number; message: string; details: ErrorDetail.AsObject[] } | undefined> {
    const env = new Envelope();
    env.setPayload(new TextEncoder().encode(payload));
    env.setSignature(new TextEncoder().encode('signature'));
    const req = new SubmitRequest();
    req.setChannelId(CHANNEL);
    req.setTransactionId(payload);
    req.setPreparedTransaction(env);
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        '/gateway.Gateway/Submit',
        (b: Uint8Array) => Buffer.from(b),
        (b: Buffer) => b,
        req.serializeBinary(),
        (err) => {
          if (err === null) return resolve(undefined);
          const status = RpcStatus.deserializeBinary(err.metadata.get('grpc-status-details-bin')[0] as Buffer);
          const details = status.getDetailsList().map((a) => ErrorDetail.deserializeBinary(a.getValue_asU8()).toObject());
          resolve({ code: err.code, message: err.details, details });
        },
      );
    });
  }

  const answers = (...statuses: readonly (readonly [number, string])[]): void =>
    statuses.forEach(([status, info], i) => Object.assign(orderers[i], { answer: { status, info } }));
  const receivedBy = (payload: string): number => orderers.filter((o) => o.received.some((env) => Buffer.from(Envelope.deserializeBinary(env).getPayload_asU8()).toString() === payload)).length;

  it('submits to every orderer and succeeds once a quorum accepted, a refusal by one not final (submitBFT)', async () => {
    answers([Status.BAD_REQUEST, 'refused'], [Status.SUCCESS, ''], [Status.SUCCESS, ''], [Status.SERVICE_UNAVAILABLE, 'failed to submit request: request already exists']);
    expect(await submit('tx-a')).toBeUndefined();
    await eventually(() => expect(receivedBy('tx-a')).toBe(4));
  });

  it('fails UNAVAILABLE with each failing orderer once no quorum can accept', async () => {
    answers([Status.SUCCESS, ''], [Status.BAD_REQUEST, 'refused'], [Status.SUCCESS, ''], [Status.SERVICE_UNAVAILABLE, 'busy']);
    const failure = await submit('tx-b');
    expect(failure).toMatchObject({ code: 14, message: 'insufficient number of orderers could successfully process transaction to satisfy quorum requirement' });
    expect(failure!.details.sort((a, b) => a.address.localeCompare(b.address))).toEqual(
      [
        { address: orderers[1].address, mspId: 'BftOrdererMSP', message: 'received unsuccessful response from orderer: status=BAD_REQUEST, info=refused' },
        { address: orderers[3].address, mspId: 'BftOrdererMSP', message: 'received unsuccessful response from orderer: status=SERVICE_UNAVAILABLE, info=busy' },
      ].sort((a, b) => a.address.localeCompare(b.address)),
    );
    await eventually(() => expect(receivedBy('tx-b')).toBe(4));
  });
});
