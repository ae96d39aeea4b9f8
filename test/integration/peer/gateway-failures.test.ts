/**
 * The Gateway when orderers or peers hang or fail, as Fabric's gateway behaves
 * (internal/pkg/gateway/{submit,endorse}.go): each orderer and each endorser gets its own timeout
 * (`gateway.broadcastTimeout`, `gateway.endorsementTimeout`), a hung one costs a timeout and never
 * more, and its failure is reported in the `ErrorDetail`s. The channel (MSP, policies, ledger) is
 * real, from the channel harness; the hung and scripted orderers and peers are real gRPC servers on
 * loopback, reached through the Broadcaster and RemoteEndorser the peer uses.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GatewayError } from '@hyperledger/fabric-gateway';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { EndorseRequest, EvaluateRequest, SubmitRequest } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { BroadcastResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { SignedProposal } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { Endorser } from '../../../core/peer/endorser/endorser';
import { Broadcaster } from '../../../core/peer/gateway/broadcaster';
import { EndorsementCollector } from '../../../core/peer/gateway/endorsement-collector';
import { type EndorsingPeer, RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import { GatewayService } from '../../../core/peer/gateway/gateway-service';
import { decodeEndorseFrame, encodeEndorseFrame } from '../../../core/peer/grpc/endorse-stream-frame';
import { AtomicBroadcastDef, EndorserServiceDef, EndorserStreamDef } from '../../../core/peer/grpc/raw-service';
import { OrdererClient } from '../../../core/peer/orderer/orderer-client';
import { EndorsementPolicies } from '../../../core/peer/validation/endorsement-policies';
import { buildProposal, parseSignedProposal, signProposal } from '../../../core/protocol/proposal';
import { buildProposalResponse, parseProposalResponse } from '../../../core/protocol/proposal-response';
import type { Signer } from '../../../core/protocol/signer';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { type Harness, commitBlock, definitionWrites, endorsedTx, openHarness } from './channel-harness';
import { type InProcessNetwork, startInProcessNetwork } from './in-process-network';
import { CHANNEL, approve, gatewayFor, generateMaterial, tmpDir } from './network-fixture';

const utf8 = new TextEncoder();
const TIMEOUT_MS = 400;

let dir: string;
let h: Harness;
const servers: grpc.Server[] = [];
const closers: (() => void)[] = [];

beforeAll(async () => {
  dir = tmpDir('weft-gateway-failures-');
  h = openHarness(await generateMaterial(dir), path.join(dir, 'ledgers'));
  const define = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('kv') });
  expect(await commitBlock(h, [define.envelope])).toEqual([TxValidationCode.VALID]);
}, 60_000);

afterAll(() => {
  for (const c of closers) c();
  for (const s of servers) s.forceShutdown();
  h?.channels.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Raw = grpc.ServerDuplexStream<Buffer, Uint8Array>;

async function serve(define: (server: grpc.Server) => void): Promise<string> {
  const server = new grpc.Server();
  define(server);
  servers.push(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return `127.0.0.1:${port}`;
}

/**
 * An orderer whose `stream`-th Broadcast stream (from 1) answers each envelope with `answer`'s
 * status, or never (undefined): an orderer stuck on a connection, or on every one.
 */
async function fakeOrderer(answer: (stream: number) => number | undefined): Promise<{ address: string; streams: () => number }> {
  let streams = 0;
  const address = await serve((server) =>
    server.addService(AtomicBroadcastDef, {
      broadcast: (call: Raw) => {
        const n = ++streams;
        call.on('data', () => {
          const status = answer(n);
          if (status === undefined) return;
          const res = new BroadcastResponse();
          res.setStatus(status as BroadcastResponse.AsObject['status']);
          call.write(res.serializeBinary());
        });
        call.on('end', () => call.end());
      },
      deliver: (call: Raw) => call.end(),
    }),
  );
  return { address, streams: () => streams };
}

function broadcaster(address: string): Broadcaster {
  const client = new OrdererClient(address, {});
  const b = new Broadcaster(client);
  closers.push(() => {
    b.close();
    client.close();
  });
  return b;
}

/** A peer that takes proposals and never answers, on Weft's endorsement stream and on ProcessProposal. */
async function hungPeer(): Promise<string> {
  return serve((server) => {
    server.addService(EndorserStreamDef, { processProposals: (call: Raw) => call.on('data', () => undefined) });
    server.addService(EndorserServiceDef, { processProposal: () => undefined });
  });
}

function scripted(address: string, mspId: string, endorser: Signer): EndorsingPeer & { calls: number } {
  const peer = {
    address,
    mspId,
    calls: 0,
    processProposal: (bytes: Uint8Array) => {
      peer.calls++;
      const proposal = parseSignedProposal(bytes);
      return Promise.resolve(
        buildProposalResponse({ proposal, response: { status: 200, payload: utf8.encode('ok') }, results: new Uint8Array(0), chaincodeId: { name: 'kv', version: '1' }, endorser }),
      );
    },
  };
  return peer;
}

function gateway(options: { local?: EndorsingPeer; peers?: EndorsingPeer[]; broadcasters?: Broadcaster[]; endorser?: Endorser; endorsementTimeoutMs?: number }): GatewayService {
  return new GatewayService({
    endorser: options.endorser ?? ({} as Endorser),
    collector: new EndorsementCollector(new EndorsementPolicies(new FabricPolicyProvider())),
    local: options.local ?? scripted('peer0.org1:7051', 'Org1MSP', h.peers[0]),
    peers: () => options.peers ?? [],
    channel: (id) => h.channels.channel(id),
    broadcasters: () => options.broadcasters ?? [],
    endorsementTimeoutMs: options.endorsementTimeoutMs ?? TIMEOUT_MS,
    broadcastTimeoutMs: TIMEOUT_MS,
    isSystemChaincode: () => false,
  });
}

function submitRequest(): Uint8Array {
  const env = new Envelope();
  env.setPayload(utf8.encode('payload'));
  env.setSignature(utf8.encode('signature'));
  const req = new SubmitRequest();
  req.setChannelId(CHANNEL);
  req.setPreparedTransaction(env);
  return req.serializeBinary();
}

function signedProposal(): Uint8Array {
  const built = buildProposal({ channelId: CHANNEL, chaincodeName: 'kv', args: [utf8.encode('Put')], creator: h.users[0].serialized });
  return signProposal(built.proposalBytes, h.users[0]);
}

function endorseRequest(orgs: string[] = []): Uint8Array {
  const req = new EndorseRequest();
  req.setChannelId(CHANNEL);
  req.setProposedTransaction(SignedProposal.deserializeBinary(signedProposal()));
  req.setEndorsingOrganizationsList(orgs);
  return req.serializeBinary();
}

describe('Submit to orderers that hang or refuse', () => {
  it('fails a hung orderer after the broadcast timeout, moves on, and holds nothing for it afterwards', async () => {
    const hung = broadcaster((await fakeOrderer(() => undefined)).address);
    const good = broadcaster((await fakeOrderer(() => 200)).address);
    const gw = gateway({ broadcasters: [hung, good] });
    for (let i = 0; i < 3; i++) expect(await gw.submit(submitRequest())).toEqual(new Uint8Array(0));
    // Every envelope the hung orderer took has expired, and no stream is left open to it.
    expect(hung.load).toEqual({ waiting: 0, streams: 0 });
  });

  it('sends on a new stream after one stopped answering: an orderer stuck on one connection takes Submits again', async () => {
    const orderer = await fakeOrderer((stream) => (stream === 1 ? undefined : 200));
    const b = broadcaster(orderer.address);
    const gw = gateway({ broadcasters: [b] });
    await expect(gw.submit(submitRequest())).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE, message: 'no orderers could successfully process transaction' });
    expect(await gw.submit(submitRequest())).toEqual(new Uint8Array(0));
    expect(orderer.streams()).toBe(2);
  });

  it("ends UNAVAILABLE with each orderer's address, MSP ID and failure when none accepts", async () => {
    const hung = broadcaster((await fakeOrderer(() => undefined)).address);
    const busy = broadcaster((await fakeOrderer(() => 503)).address);
    const down = broadcaster('127.0.0.1:1');
    const err = await gateway({ broadcasters: [hung, busy, down] })
      .submit(submitRequest())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: GrpcStatus.UNAVAILABLE,
      message: 'no orderers could successfully process transaction',
      details: [
        { address: hung.address, mspId: 'OrdererMSP', message: expect.stringContaining('DEADLINE_EXCEEDED') },
        { address: busy.address, mspId: 'OrdererMSP', message: 'received unsuccessful response from orderer: status=SERVICE_UNAVAILABLE, info=' },
        { address: down.address, mspId: 'OrdererMSP', message: expect.stringContaining('UNAVAILABLE') },
      ],
    });
  });

  it('aborts on a refused envelope (4xx) with no details, as Fabric: the envelope is at fault, not the orderer', async () => {
    const refusing = broadcaster((await fakeOrderer(() => 400)).address);
    const err = await gateway({ broadcasters: [refusing] })
      .submit(submitRequest())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: GrpcStatus.ABORTED, message: 'received unsuccessful response from orderer: status=BAD_REQUEST, info=', details: [] });
  });
});

describe('Endorse when a peer hangs', () => {
  it("gives the next peer of the org its own endorsement timeout after one that hung (endorsing orgs given)", async () => {
    const hung = new RemoteEndorser(await hungPeer(), 'Org2MSP', {});
    closers.push(() => hung.close());
    const live = scripted('peer1.org2:9051', 'Org2MSP', h.peers[1]);
    const res = await gateway({ peers: [hung, live] }).endorse(endorseRequest(['Org1MSP', 'Org2MSP']));
    expect(res.length).toBeGreaterThan(0);
    expect(live.calls).toBe(1);
  });

  it('gives the next peer of the org its own endorsement timeout after one that hung (the gateway plans)', async () => {
    const hung = new RemoteEndorser(await hungPeer(), 'Org2MSP', {});
    closers.push(() => hung.close());
    const live = scripted('peer1.org2:9051', 'Org2MSP', h.peers[1]);
    const res = await gateway({ peers: [hung, live] }).endorse(endorseRequest());
    expect(res.length).toBeGreaterThan(0);
    expect(live.calls).toBe(1);
  });

  it('reports ABORTED with the detail of each peer that failed when every peer of a needed org hangs', async () => {
    const hung = new RemoteEndorser(await hungPeer(), 'Org2MSP', {});
    closers.push(() => hung.close());
    await expect(gateway({ peers: [hung] }).endorse(endorseRequest(['Org1MSP', 'Org2MSP']))).rejects.toMatchObject({
      code: GrpcStatus.ABORTED,
      message: 'failed to collect enough transaction endorsements, see attached details for more info',
      details: [{ address: hung.address, mspId: 'Org2MSP', message: expect.stringContaining('before the deadline') }],
    });
  });
});

describe('Evaluate when a peer hangs past the client deadline', () => {
  it('answers DEADLINE_EXCEEDED before the deadline with the failures so far and the peer it waited on, and asks no peer after it', async () => {
    // This peer could not reach the chaincode server (as runtime-ccaas words it); the next hangs for longer than the client waits.
    const down = 'chaincode kv_1:00 at 127.0.0.1:1: could not connect within the dial timeout of 10000 ms: is the chaincode server running, and listening there?';
    const endorser = { simulate: () => Promise.reject(new Error(down)) } as unknown as Endorser;
    const hung = new RemoteEndorser(await hungPeer(), 'Org2MSP', {});
    closers.push(() => hung.close());
    const live = scripted('peer1.org2:9051', 'Org2MSP', h.peers[1]);
    const req = new EvaluateRequest();
    req.setChannelId(CHANNEL);
    req.setProposedTransaction(SignedProposal.deserializeBinary(signedProposal()));
    const err = await gateway({ peers: [hung, live], endorser, endorsementTimeoutMs: 3_000 })
      .evaluate(req.serializeBinary(), undefined, Date.now() + 1_000)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: GrpcStatus.DEADLINE_EXCEEDED,
      message: 'evaluate timeout expired, see attached details for more info',
      details: [
        { address: 'peer0.org1:7051', mspId: 'Org1MSP', message: down },
        { address: hung.address, mspId: 'Org2MSP', message: expect.stringMatching(/^no answer within \d+ ms, when the client's deadline was near$/) },
      ],
    });
    expect(live.calls).toBe(0);
  });
});

describe('a remote peer stuck on its endorsement stream', () => {
  it('takes the next proposal on a new stream once one expired', async () => {
    let streams = 0;
    const address = await serve((server) =>
      server.addService(EndorserStreamDef, {
        processProposals: (call: Raw) => {
          const stuck = ++streams === 1;
          call.on('data', (bytes: Buffer) => {
            if (stuck) return;
            const { id, body } = decodeEndorseFrame(bytes);
            const answer = scripted(address, 'Org2MSP', h.peers[1]).processProposal(body, Number.POSITIVE_INFINITY);
            void answer.then((res) => call.write(encodeEndorseFrame(id, res)));
          });
        },
      }),
    );
    const peer = new RemoteEndorser(address, 'Org2MSP', {});
    closers.push(() => peer.close());
    await expect(peer.processProposal(signedProposal(), Date.now() + TIMEOUT_MS)).rejects.toMatchObject({ code: GrpcStatus.DEADLINE_EXCEEDED });
    expect(parseProposalResponse(await peer.processProposal(signedProposal(), Date.now() + TIMEOUT_MS)).response.status).toBe(200);
    expect(streams).toBe(2);
  });
});

describe('a real peer when the orderer is down, through the fabric-gateway client', () => {
  let net: InProcessNetwork;
  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-gateway-orderer-down-', peerSection: { gateway: { broadcastTimeoutMs: 2000 } } });
  }, 60_000);
  afterAll(async () => net?.close());

  it("reports UNAVAILABLE naming the orderer's address and MSP ID", async () => {
    await net.orderer.stop();
    // A _lifecycle approval endorses on this peer alone; only its submit needs the orderer.
    const admin = gatewayFor(net.m.orgs[0], net.clients[0], 'Admin');
    net.gateways.push(admin);
    const err = await approve(admin, 'kv', 1, 'kv_1:00').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({
      code: GrpcStatus.UNAVAILABLE,
      details: [{ address: `127.0.0.1:${net.ordererFiles.port}`, mspId: 'OrdererMSP', message: expect.stringContaining('UNAVAILABLE') }],
    });
  });
});
