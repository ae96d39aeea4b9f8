import { Metadata, type ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { EndorseResponse } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { Response } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import { GossipMessage } from '@hyperledger/fabric-protos/lib/gossip/message_pb';
import { pkiIdOf, signAlive, signStateInfo } from '../../../core/peer/discovery/gossip-messages';
import { loadSigningIdentity } from '../../../plugins/msp-x509';
import { getTransactionsFilter } from '../../../core/protocol/block';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { seekEnvelope } from '../orderer/orderer-fixture';
import { PROPOSAL_LAYERS, TRANSACTION_LAYERS, resignSigned } from '../../support/fuzz-signing';
import { type WireField, mutateMessage, rewriteAt, writeFields } from '../../support/protobuf-mutator';
import { seededRandom } from '../../support/seeded-random';
import { type InProcessNetwork, deployKvInProcess, peersInSync, startInProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, propose, rawEndorser, signerOf } from './network-fixture';

const CALLS = 300;
/** What a JavaScript fault looks like when it leaks into an error message. */
const INTERNAL_FAULT = /TypeError|RangeError|ReferenceError|SyntaxError|is not a function|Cannot read properties|INTERNAL_SERVER_ERROR|Maximum call stack/;
/** Deliver's `common.Status` values for a request it refuses or finishes: SUCCESS, BAD_REQUEST, FORBIDDEN, NOT_FOUND. */
const DELIVER_ANSWERS = [200, 400, 403, 404];

const bytesField = (num: number, value: Uint8Array | string): WireField => ({ num, wire: 2, value: typeof value === 'string' ? Buffer.from(value) : value });

/**
 * A peer's gRPC services against hostile requests: proposals to the Endorser, the Gateway's
 * Evaluate, Endorse and Submit, and Deliver seeks, each with a random change at some layer and
 * mostly re-signed by the client. Every call must end in an answer or a deliberate refusal (never a
 * JavaScript fault or an INTERNAL error), the mutated transactions Submit lets through must be
 * judged the same way by both peers, and the peers must go on serving.
 */
describe("a peer's gRPC services under mutated requests", () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-wire-fuzz-' });
    await deployKvInProcess(net);
  }, 120_000);

  afterAll(() => net?.close());

  const unary = (method: string, request: Uint8Array, deadlineMs = 20_000): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const id = (b: Uint8Array): Buffer => Buffer.from(b);
      net.clients[0].makeUnaryRequest(method, id, id, Buffer.from(request), new Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) =>
        err ? reject(err) : resolve(res as Buffer),
      );
    });

  /** Sends one seek and returns the status Deliver ends with (blocks before it are read and dropped). */
  const deliverStatus = (method: string, request: Uint8Array): Promise<number | ServiceError> =>
    new Promise((resolve) => {
      const call = net.clients[0].makeBidiStreamRequest(method, (b: Buffer) => b, (b: Buffer) => b, new Metadata(), { deadline: Date.now() + 20_000 });
      let status: number | undefined;
      call.on('data', (b: Buffer) => {
        // DeliverResponse{status = 1 (varint), block = 2, filtered_block = 3}
        if (b[0] === 0x08) status = b[1] | ((b[2] ?? 0) << 7);
      });
      call.on('error', (err: ServiceError) => resolve(err));
      call.on('end', () => resolve(status ?? -1));
      call.write(Buffer.from(request));
      call.end();
    });

  it('sends a refusal that quotes an oversized field cut short, so the client can read it', async () => {
    const user = signerOf(net.m.orgs[0]);
    const channelId = 'c'.repeat(70_000);
    const built = buildProposal({ channelId, chaincodeName: 'kv', args: [Buffer.from('Get'), Buffer.from('k')], creator: user.serialized });
    const request = writeFields([bytesField(1, built.txId), bytesField(2, channelId), bytesField(3, signProposal(built.proposalBytes, user))]);
    for (const method of ['/gateway.Gateway/Evaluate', '/gateway.Gateway/Endorse']) {
      const err = (await unary(method, request).then(
        () => undefined,
        (e: unknown) => e,
      )) as ServiceError | undefined;
      expect(err).toBeDefined();
      expect(err?.code).not.toBe(GrpcStatus.INTERNAL);
      expect(err?.details).toMatch(/ccc… \(\d+ more characters\)/);
      expect(err?.details.length).toBeLessThan(1100);
    }
  });

  /** Opens a ChaincodeEvents stream and reports how it ended, or 'streaming' if it is still open after 300 ms. */
  const eventsOutcome = (request: Uint8Array): Promise<string | ServiceError> =>
    new Promise((resolve) => {
      const call = net.clients[0].makeServerStreamRequest('/gateway.Gateway/ChaincodeEvents', (b: Buffer) => b, (b: Buffer) => b, Buffer.from(request));
      const timer = setTimeout(() => {
        resolve('streaming');
        call.cancel();
      }, 300);
      call.on('data', () => undefined);
      call.on('error', (err: ServiceError) => {
        clearTimeout(timer);
        resolve(err.code === GrpcStatus.CANCELLED ? 'streaming' : err);
      });
      call.on('end', () => {
        clearTimeout(timer);
        resolve('ended');
      });
    });

  it(`answers ${CALLS} mutated requests without a fault, and both peers judge what reached the orderer alike`, async () => {
    const user = signerOf(net.m.orgs[0]);
    const rnd = seededRandom(0xf022);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const mutateAt = (message: Uint8Array, layers: readonly (readonly number[])[]): Uint8Array => {
      const layer = pick(layers);
      const mutated = layer.length === 0 ? mutateMessage(message, rnd) : rewriteAt(message, layer, (b) => mutateMessage(b, rnd, 0.5));
      return rnd() < 0.85 ? resignSigned(mutated, user) : mutated;
    };
    const faults: string[] = [];
    const outcomes = new Map<string, number>();
    const record = (what: string, outcome: string): void => void outcomes.set(`${what} ${outcome}`, (outcomes.get(`${what} ${outcome}`) ?? 0) + 1);
    const refusal = (what: string, err: unknown): void => {
      const e = err as ServiceError;
      if (typeof e.code !== 'number' || e.code === GrpcStatus.INTERNAL || !e.details || INTERNAL_FAULT.test(e.details)) faults.push(`${what}: ${e.code} ${e.details ?? String(err)}`);
      record(what, `refused ${e.code}`);
    };

    const committed = await net.gateways[0].getNetwork(CHANNEL).getContract('kv').submitAsync('Put', { arguments: ['committed', 'yes'] });
    await committed.getStatus();
    const signedRequest = (request: Uint8Array): Uint8Array => writeFields([bytesField(1, request), bytesField(2, user.sign(request))]);
    const statusRequest = signedRequest(writeFields([bytesField(1, committed.getTransactionId()), bytesField(2, CHANNEL), bytesField(3, user.serialized)]));
    // ChaincodeEventsRequest{channel_id, chaincode_id, identity, start_position = SeekPosition{oldest}}
    const eventsRequest = signedRequest(writeFields([bytesField(1, CHANNEL), bytesField(2, 'kv'), bytesField(3, user.serialized), bytesField(4, writeFields([bytesField(2, new Uint8Array(0))]))]));
    for (let i = 0; i < CALLS; i++) {
      const built = buildProposal({ channelId: CHANNEL, chaincodeName: 'kv', args: ['Put', `k${i % 7}`, `v${i}`].map((a) => Buffer.from(a)), creator: user.serialized });
      const signed = signProposal(built.proposalBytes, user);
      const gatewayRequest = (proposal: Uint8Array): Uint8Array => writeFields([bytesField(1, built.txId), bytesField(2, CHANNEL), bytesField(3, proposal)]);
      const kind = pick(['endorser', 'evaluate', 'endorse', 'submit', 'deliver', 'status', 'events'] as const);
      try {
        if (kind === 'endorser') await unary('/protos.Endorser/ProcessProposal', mutateAt(signed, PROPOSAL_LAYERS));
        else if (kind === 'evaluate' || kind === 'endorse') {
          const request = rnd() < 0.7 ? gatewayRequest(mutateAt(signed, PROPOSAL_LAYERS)) : mutateMessage(gatewayRequest(signed), rnd);
          await unary(kind === 'evaluate' ? '/gateway.Gateway/Evaluate' : '/gateway.Gateway/Endorse', request);
        } else if (kind === 'submit') {
          const endorsed = EndorseResponse.deserializeBinary(await unary('/gateway.Gateway/Endorse', gatewayRequest(signed)));
          const prepared = mutateAt((endorsed.getPreparedTransaction() as NonNullable<ReturnType<EndorseResponse['getPreparedTransaction']>>).serializeBinary(), TRANSACTION_LAYERS);
          await unary('/gateway.Gateway/Submit', writeFields([bytesField(1, built.txId), bytesField(2, CHANNEL), bytesField(3, prepared)]));
        } else if (kind === 'status') {
          // A valid request for a transaction nobody committed waits for it: the short deadline ends that.
          await unary('/gateway.Gateway/CommitStatus', mutateAt(statusRequest, [[], [1]]), 500);
        } else if (kind === 'events') {
          const outcome = await eventsOutcome(mutateAt(eventsRequest, [[], [1], [1, 4]]));
          if (typeof outcome !== 'string') refusal(kind, outcome);
          else record(kind, outcome);
          continue;
        } else {
          const seek = mutateAt(seekEnvelope(user, CHANNEL, pick(['oldest', 'newest'] as const), 'newest', 'fail'), [[], [1], [1, 1, 1], [1, 1, 2], [1, 2], [1, 2, 1], [1, 2, 2]]);
          const status = await deliverStatus(pick(['/protos.Deliver/Deliver', '/protos.Deliver/DeliverFiltered', '/protos.Deliver/DeliverWithPrivateData']), seek);
          if (typeof status !== 'number') refusal(kind, status);
          else if (!DELIVER_ANSWERS.includes(status)) faults.push(`deliver ended with status ${status}`);
          else record(kind, `status ${status}`);
          continue;
        }
        record(kind, 'answered');
      } catch (err) {
        refusal(kind, err);
      }
    }
    expect(faults).toEqual([]);
    // The mutations were both refused and let through, on every service.
    for (const kind of ['endorser', 'evaluate', 'endorse', 'submit', 'status']) {
      expect(outcomes.get(`${kind} answered`) ?? 0).toBeGreaterThan(0);
      expect([...outcomes.keys()].some((k) => k.startsWith(`${kind} refused`))).toBe(true);
    }
    expect([...outcomes.keys()].filter((k) => k.startsWith('deliver status')).length).toBeGreaterThanOrEqual(2);
    expect([...outcomes.keys()].filter((k) => k.startsWith('events ')).length).toBeGreaterThanOrEqual(2);

    // The peer still endorses and commits, and both peers decided every block alike.
    const gateway = net.gateways[0];
    await gateway.getNetwork(CHANNEL).getContract('kv').submitTransaction('Put', 'after-fuzz', 'ok');
    await peersInSync(net.peers);
    const height = net.peers[0].height(CHANNEL);
    const filters = async (i: 0 | 1): Promise<string[]> => {
      const endorser = rawEndorser(net.m.orgs[i], net.ports[i]);
      const out: string[] = [];
      try {
        for (let n = 0; n < height; n++) {
          const res = await propose(endorser, signerOf(net.m.orgs[i]), CHANNEL, 'qscc', ['GetBlockByNumber', CHANNEL, String(n)]);
          out.push(Buffer.from(getTransactionsFilter(Block.deserializeBinary(res.response.payload))).toString('hex'));
        }
      } finally {
        endorser.close();
      }
      return out;
    };
    const [a, b] = [await filters(0), await filters(1)];
    expect(b).toEqual(a);
    // Some mutated transactions reached the blocks, and were marked invalid there.
    expect(a.some((flags) => /[1-9a-f]/.test(flags))).toBe(true);
  }, 180_000);

  it(`answers ${CALLS} mutated discovery requests and membership announcements without a fault, and lists only the real peers after`, async () => {
    const user = signerOf(net.m.orgs[0]);
    const rnd = seededRandom(0xd15c);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const faults: string[] = [];
    const outcomes = new Map<string, number>();
    const record = (what: string, outcome: string): void => void outcomes.set(`${what} ${outcome}`, (outcomes.get(`${what} ${outcome}`) ?? 0) + 1);
    // Request{authentication = 1 {client_identity = 1}, queries = 2 {channel = 1, config_query = 2, peer_query = 3, cc_query = 4, local_peers = 5}}
    const ccInterest = writeFields([bytesField(1, writeFields([bytesField(1, 'kv')]))]);
    const query = (field: number, body: Uint8Array, channel = CHANNEL): Uint8Array => writeFields([bytesField(1, channel), bytesField(field, body)]);
    const request = writeFields([
      bytesField(1, writeFields([bytesField(1, user.serialized)])),
      bytesField(2, query(2, new Uint8Array(0))),
      bytesField(2, query(3, new Uint8Array(0))),
      bytesField(2, query(4, writeFields([bytesField(1, ccInterest)]))),
      bytesField(2, query(5, new Uint8Array(0), '')),
    ]);
    const signedRequest = writeFields([bytesField(1, request), bytesField(2, user.sign(request))]);
    // What Org2's peer announces of itself (older than what it really sent, so never kept):
    // Peers{peers = 1 {state_info = 1, membership_info = 2, identity = 3}}
    const org2Peer = loadSigningIdentity(net.m.orgs[1].nodes.peer0.mspDir, 'Org2MSP');
    const pkiId = pkiIdOf(org2Peer.serialized);
    const announcement = writeFields([
      bytesField(
        1,
        writeFields([
          bytesField(1, signStateInfo(org2Peer, pkiId, CHANNEL, { incNum: 1, seqNum: 1 }, 1, []).serializeBinary()),
          bytesField(2, signAlive(org2Peer, pkiId, `127.0.0.1:${net.ports[1]}`, { incNum: 1, seqNum: 1 }).serializeBinary()),
          bytesField(3, org2Peer.serialized),
        ]),
      ),
    ]);
    const endpointsListed = async (): Promise<string[]> => {
      const peers = Response.deserializeBinary(await unary('/discovery.Discovery/Discover', signedRequest)).getResultsList()[1]?.getMembers()?.getPeersByOrgMap();
      return [...(peers?.values() ?? [])]
        .flatMap((p) => p.getPeersList())
        .map((x) => GossipMessage.deserializeBinary(x.getMembershipInfo()?.getPayload_asU8() ?? new Uint8Array()).getAliveMsg()?.getMembership()?.getEndpoint() ?? '')
        .sort();
    };
    const real = [`127.0.0.1:${net.ports[0]}`, `127.0.0.1:${net.ports[1]}`].sort();
    await eventually(async () => expect(await endpointsListed()).toEqual(real));
    for (let i = 0; i < CALLS; i++) {
      const discovery = rnd() < 0.6;
      const what = discovery ? 'discover' : 'exchange';
      let message: Uint8Array;
      if (discovery) {
        const layer = pick([[], [1], [1, 1], [1, 2], [1, 2, 4], [1, 2, 4, 1, 1]]);
        const mutated = layer.length === 0 ? mutateMessage(signedRequest, rnd) : rewriteAt(signedRequest, layer, (b) => mutateMessage(b, rnd, 0.5));
        message = rnd() < 0.85 ? resignSigned(mutated, user) : mutated;
      } else {
        const layer = pick([[], [1], [1, 1], [1, 2], [1, 3], [1, 1, 1], [1, 2, 1], [1, 2, 2]]);
        message = layer.length === 0 ? mutateMessage(announcement, rnd) : rewriteAt(announcement, layer, (b) => mutateMessage(b, rnd, 0.5));
      }
      try {
        const res = Response.deserializeBinary(await unary(discovery ? '/discovery.Discovery/Discover' : '/weft.peer.Membership/Exchange', message));
        const errors = res.getResultsList().flatMap((r) => r.getError()?.getContent() ?? []);
        const leaked = errors.find((e) => INTERNAL_FAULT.test(e));
        if (leaked !== undefined) faults.push(`${what}: ${leaked}`);
        record(what, errors.length === res.getResultsList().length ? 'all refused' : 'answered');
      } catch (err) {
        const e = err as ServiceError;
        if (typeof e.code !== 'number' || e.code === GrpcStatus.INTERNAL || !e.details || INTERNAL_FAULT.test(e.details)) faults.push(`${what}: ${e.code} ${e.details ?? String(err)}`);
        record(what, `refused ${e.code}`);
      }
    }
    expect(faults).toEqual([]);
    expect(outcomes.get('discover answered') ?? 0).toBeGreaterThan(0);
    expect([...outcomes.keys()].some((k) => k.startsWith('discover refused') || k === 'discover all refused')).toBe(true);
    expect((outcomes.get('exchange all refused') ?? 0) + [...outcomes.keys()].filter((k) => k.startsWith('exchange refused')).length).toBeGreaterThan(0);

    // Nothing mutated got in: the peers listed are the two real ones, where they listen.
    expect(await endpointsListed()).toEqual(real);
  }, 180_000);
});
