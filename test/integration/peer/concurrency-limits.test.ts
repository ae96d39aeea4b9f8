import * as grpc from '@grpc/grpc-js';
import { CommitStatusRequest, SignedCommitStatusRequest } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, signerOf } from './network-fixture';

const raw = (b: Uint8Array): Buffer => Buffer.from(b);
const same = (b: Buffer): Buffer => b;

describe('peer.limits.concurrency (Fabric: a call beyond the limit fails at once)', () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({
      prefix: 'weft-peer-limits-',
      peerSection: { limits: { concurrency: { gatewayService: 1, deliverService: 1 } } },
    });
  }, 120_000);

  afterAll(() => net?.close());

  /** A signed CommitStatus for a transaction that never commits: the call waits until cancelled or past its deadline. */
  function commitStatusBytes(): Uint8Array {
    const signer = signerOf(net.m.orgs[0]);
    const req = new CommitStatusRequest();
    req.setTransactionId('f'.repeat(64));
    req.setChannelId(CHANNEL);
    req.setIdentity(signer.serialized);
    const signed = new SignedCommitStatusRequest();
    signed.setRequest(req.serializeBinary());
    signed.setSignature(signer.sign(req.serializeBinary()));
    return signed.serializeBinary();
  }

  function commitStatus(deadline: number): { call: grpc.ClientUnaryCall; done: Promise<grpc.ServiceError | null> } {
    let call!: grpc.ClientUnaryCall;
    const done = new Promise<grpc.ServiceError | null>((resolve) => {
      call = net.clients[0].makeUnaryRequest('/gateway.Gateway/CommitStatus', raw, same, commitStatusBytes(), { deadline }, (err) => resolve(err));
    });
    return { call, done };
  }

  it('refuses a Gateway call while another holds the only slot, and serves again once it ends', async () => {
    const holder = commitStatus(Date.now() + 60_000);
    const refused = await eventually(async () => {
      const err = await commitStatus(Date.now() + 1000).done;
      if (err?.code !== grpc.status.UNKNOWN) throw new Error(`not refused yet: ${err?.code}`);
      return err;
    });
    expect(refused.details).toBe('too many requests for /gateway.Gateway, exceeding concurrency limit (1)');
    holder.call.cancel();
    expect((await holder.done)?.code).toBe(grpc.status.CANCELLED);
    // The slot is free: the next call is accepted and waits for its transaction (until its deadline).
    await eventually(async () => expect((await commitStatus(Date.now() + 300).done)?.code).toBe(grpc.status.DEADLINE_EXCEEDED));
  }, 60_000);

  it('counts a Deliver stream as one call for its whole life', async () => {
    const open = (): grpc.ClientDuplexStream<Uint8Array, Buffer> => net.clients[1].makeBidiStreamRequest('/protos.Deliver/Deliver', raw, same);
    const holder = open();
    holder.on('error', () => undefined);
    const statusOf = (s: grpc.ClientDuplexStream<Uint8Array, Buffer>): Promise<grpc.ServiceError | undefined> =>
      new Promise((resolve) => {
        s.on('error', resolve);
        s.on('data', () => undefined);
        s.on('end', () => resolve(undefined));
      });
    const refused = await eventually(async () => {
      const second = open();
      // Accepted (the holder not counted yet) means it stays open: give up on it after a second.
      const timer = setTimeout(() => second.cancel(), 1000);
      const err = await statusOf(second);
      clearTimeout(timer);
      if (err?.code !== grpc.status.UNKNOWN) throw new Error(`not refused yet: ${err?.code}`);
      return err;
    });
    expect(refused.details).toBe('too many requests for /protos.Deliver, exceeding concurrency limit (1)');
    holder.cancel();
    // With the holder gone, a new stream is served: it stays open (no refusal) until we end it.
    await eventually(async () => {
      const next = open();
      const status = statusOf(next);
      next.end();
      expect(await status).toBeUndefined();
    });
  }, 60_000);
});
