/**
 * A stand-in orderer endpoint for block-intake tests: a TLS `orderer.AtomicBroadcast` server that
 * relays each Deliver stream to a real orderer, byte for byte (or rewritten by a forger), until a
 * given block; past it, it withholds what the orderer sends and keeps the stream open, as an orderer
 * that has left the channel (or lost its consensus) without closing its connections would.
 */
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { AtomicBroadcastDef } from '../../../core/peer/grpc/raw-service';
import { deliverResponseBlock } from '../../../core/protocol/deliver-response';
import { parseBlock } from '../../../core/protocol/block';
import type { Material } from './network-fixture';

export interface OrdererRelay {
  readonly address: string;
  /** Deliver streams opened on the relay so far. */
  readonly connections: () => number;
  /** Highest block relayed; later blocks are withheld. Infinity (the default) relays everything. */
  holdAfter: number;
  /**
   * Rewrites each relayed block's bytes (a faulty or hostile orderer), or sends a list of blocks in
   * its place (an old or duplicate block before it); none relays them as they are.
   */
  forge: ((blockBytes: Uint8Array) => Uint8Array | readonly Uint8Array[]) | undefined;
  /** Ends every open Deliver stream (with OK status and no DeliverResponse), as an orderer hanging up. */
  dropStreams(): void;
  close(): Promise<void>;
}

type Raw = grpc.ServerDuplexStream<Uint8Array, Uint8Array>;

/**
 * Starts a relay to the orderer at `upstream`, serving the orderer node's TLS certificate and
 * dialling with peer `clientOrg`'s TLS client certificate (the peer's requests name its hash).
 */
export async function startOrdererRelay(m: Material, upstream: string, clientOrg: 0 | 1 = 0): Promise<OrdererRelay> {
  const node = m.ordererOrg.nodes.orderer;
  const peerTls = m.orgs[clientOrg].nodes.peer0;
  const upstreamClient = new grpc.Client(
    upstream,
    grpc.credentials.createSsl(fs.readFileSync(m.ordererOrg.tlsCaCertPath), fs.readFileSync(peerTls.tlsKeyPath), fs.readFileSync(peerTls.tlsCertPath)),
  );
  const calls = new Set<{ end(): void }>();
  let connections = 0;
  const relay: OrdererRelay = {
    address: '',
    connections: () => connections,
    holdAfter: Infinity,
    forge: undefined,
    dropStreams: () => {
      for (const c of calls) c.end();
      calls.clear();
    },
    close: async () => undefined,
  };
  const server = new grpc.Server();
  server.addService(AtomicBroadcastDef, {
    broadcast: (call: Raw) => call.end(),
    deliver: (call: Raw) => {
      connections++;
      const up = upstreamClient.makeBidiStreamRequest(
        '/orderer.AtomicBroadcast/Deliver',
        (b: Uint8Array) => Buffer.from(b),
        (b: Buffer) => b,
      );
      const entry = { end: () => call.end() };
      calls.add(entry);
      up.on('data', (chunk: Buffer) => {
        const blockBytes = deliverResponseBlock(chunk);
        if (blockBytes === undefined) return void call.write(chunk);
        if (parseBlock(blockBytes, { verifyDataHash: false }).number > relay.holdAfter) return;
        if (relay.forge === undefined) return void call.write(chunk);
        const forged = relay.forge(blockBytes);
        for (const bytes of forged instanceof Uint8Array ? [forged] : forged) {
          const response = new DeliverResponse();
          response.setBlock(Block.deserializeBinary(bytes));
          call.write(response.serializeBinary());
        }
      });
      up.on('error', () => call.end());
      up.on('end', () => call.end());
      call.on('data', (b: Uint8Array) => up.write(b));
      call.on('error', () => up.cancel());
      call.on('cancelled', () => up.cancel());
      call.on('end', () => {
        up.cancel();
        calls.delete(entry);
      });
    },
  });
  const creds = grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(node.tlsCertPath), private_key: fs.readFileSync(node.tlsKeyPath) }], false);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
  Object.assign(relay, {
    address: `127.0.0.1:${port}`,
    close: async () => {
      relay.dropStreams();
      server.forceShutdown();
      upstreamClient.close();
    },
  });
  return relay;
}
