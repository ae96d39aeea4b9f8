import * as grpc from '@grpc/grpc-js';
import type { StatusMap } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { BroadcastResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { Broadcaster } from '../../../../../core/peer/gateway/broadcaster';
import { AtomicBroadcastDef } from '../../../../../core/peer/grpc/raw-service';
import { OrdererClient } from '../../../../../core/peer/orderer/orderer-client';

type Duplex = grpc.ServerDuplexStream<Buffer, Uint8Array>;

/** A fake orderer on loopback answering each envelope (its text) with `answer(text)`. */
async function fakeOrderer(answer: (text: string, call: Duplex) => { status: StatusMap[keyof StatusMap]; info: string } | 'end'): Promise<{ address: string; stop(): void }> {
  const server = new grpc.Server();
  server.addService(AtomicBroadcastDef, {
    broadcast: (call: Duplex) => {
      call.on('data', (req: Buffer) => {
        const a = answer(req.toString(), call);
        if (a === 'end') {
          call.end();
          return;
        }
        const res = new BroadcastResponse();
        res.setStatus(a.status);
        res.setInfo(a.info);
        call.write(res.serializeBinary());
      });
    },
    deliver: (call: Duplex) => call.end(),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

describe('Broadcaster', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => cleanup.splice(0).reverse().forEach((fn) => fn()));

  it("pairs the orderer's answers with envelopes in order, status and info included", async () => {
    const orderer = await fakeOrderer((text) => (text.startsWith('bad') ? { status: 400, info: `rejected ${text}` } : { status: 200, info: '' }));
    const client = new OrdererClient(orderer.address, {});
    cleanup.push(() => orderer.stop(), () => client.close());
    const b = new Broadcaster(client);
    const results = await Promise.all(['ok1', 'bad2', 'ok3'].map((t) => b.send(Buffer.from(t))));
    expect(results).toEqual([
      { status: 200, info: '' },
      { status: 400, info: 'rejected bad2' },
      { status: 200, info: '' },
    ]);
  });

  it('fails what is pending when the stream ends, and opens a new stream for the next envelope', async () => {
    let streams = 0;
    const orderer = await fakeOrderer((text) => {
      if (text === 'first') {
        streams++;
        return 'end';
      }
      return { status: 200, info: `after ${streams}` };
    });
    const client = new OrdererClient(orderer.address, {});
    cleanup.push(() => orderer.stop(), () => client.close());
    const b = new Broadcaster(client);
    await expect(b.send(Buffer.from('first'))).rejects.toThrow(/ended/);
    expect(await b.send(Buffer.from('second'))).toEqual({ status: 200, info: 'after 1' });
  });
});
