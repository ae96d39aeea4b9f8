import type * as grpc from '@grpc/grpc-js';
import { type Gateway, GatewayError, connect, hash, signers } from '@hyperledger/fabric-gateway';
import { Block, HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { SeekInfo, SeekNewest, SeekOldest, SeekPosition, SeekSpecified } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { buildEnvelope, parseEnvelope } from '../../../core/protocol/envelope';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { parseProposalResponse } from '../../../core/protocol/proposal-response';
import { decodeEndorseFrame, encodeEndorseFrame } from '../../../core/peer/grpc/endorse-stream-frame';
import { BlockchainInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { ChannelQueryResponse } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import {
  CheckCommitReadinessArgs,
  CheckCommitReadinessResult,
  QueryChaincodeDefinitionArgs,
  QueryChaincodeDefinitionResult,
  QueryInstalledChaincodesResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { ProcessedTransaction, TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { TestOrg } from '../../../plugins/msp-x509';
import { packageChaincode } from '../../../core/chaincode/packager';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { seekEnvelope } from '../orderer/orderer-fixture';
import { fabricSccRefusals } from '../../support/fabric-scc-refusals';
import { peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import {
  CHANNEL,
  KV_EVENTS_DIR,
  approve,
  commitDefinition,
  eventually,
  gatewayFor,
  install,
  propose,
  rawEndorser,
  signerOf,
  type Material,
} from './network-fixture';

const utf8 = new TextDecoder();

describe('a 2-org Weft network in one process (orderer + two peers, TLS, MAJORITY)', () => {
  let net: InProcessNetwork;
  let m: Material;
  let peers: PeerNode[];
  let clients: grpc.Client[];
  let gateways: Gateway[];
  let ports: [number, number];

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-net-' });
    ({ m, peers, clients, gateways, ports } = net);
  }, 120_000);

  afterAll(() => net?.close());

  it('joins both peers to the channel at height 1', () => {
    expect(peers.map((p) => p.channelIds())).toEqual([[CHANNEL], [CHANNEL]]);
    expect(peers.map((p) => p.height(CHANNEL))).toEqual([1, 1]);
  });

  it('installs, approves (each org) and commits a chaincode, then submits and evaluates through the Gateway', async () => {
    const built = await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' });
    const ids = [await install(m.orgs[0], ports[0], built.packageBytes), await install(m.orgs[1], ports[1], built.packageBytes)];
    expect(ids).toEqual([built.packageId, built.packageId]);

    const admins = [gatewayFor(m.orgs[0], clients[0], 'Admin'), gatewayFor(m.orgs[1], clients[1], 'Admin')];
    gateways.push(...admins);
    await approve(admins[0], 'kv', 1, built.packageId);
    await approve(admins[1], 'kv', 1, built.packageId);
    await peersInSync(peers);
    await commitDefinition(admins[0], 'kv', 1);
    await peersInSync(peers);

    const user = gatewayFor(m.orgs[0], clients[0]);
    gateways.push(user);
    const contract = user.getNetwork(CHANNEL).getContract('kv');
    const result = await contract.submitTransaction('Put', 'a', 'apple');
    expect(utf8.decode(result)).toBe('apple');
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'a'))).toBe('apple');

    // The other org's peer commits the same blocks.
    await eventually(() => expect(peers[1].height(CHANNEL)).toBe(peers[0].height(CHANNEL)));
    const other = gatewayFor(m.orgs[1], clients[1]);
    gateways.push(other);
    expect(utf8.decode(await other.getNetwork(CHANNEL).getContract('kv').evaluateTransaction('Get', 'a'))).toBe('apple');
  }, 120_000);

  it('submits and reads back a 768 KiB value, which also rides in the event and the result', async () => {
    const contract = gateways[2].getNetwork(CHANNEL).getContract('kv');
    // The prepared transaction carries it four times (argument, write, event, result): ~3 MiB,
    // under the 4 MiB a gRPC client receives by default.
    const big = 'x'.repeat(768 * 1024 - 7) + 'the end';
    expect(utf8.decode(await contract.submitTransaction('Put', 'big', big))).toBe(big);
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'big'))).toBe(big);
    await eventually(() => expect(peers[1].height(CHANNEL)).toBe(peers[0].height(CHANNEL)));
    const other = gateways[3].getNetwork(CHANNEL).getContract('kv');
    expect(utf8.decode(await other.evaluateTransaction('Get', 'big'))).toBe(big);
  }, 60_000);

  it('tells a client that submits its transaction again (its answer lost) that it was taken, and commits it once', async () => {
    const network = gateways[2].getNetwork(CHANNEL);
    const endorsed = await network.getContract('kv').newProposal('Put', { arguments: ['again', '1'] }).endorse();
    const first = await endorsed.submit();
    const again = await endorsed.submit();
    const status = await first.getStatus();
    expect(status).toMatchObject({ successful: true, code: TxValidationCode.VALID });
    expect(await again.getStatus()).toEqual(status);
    const block = Block.deserializeBinary(await network.getContract('qscc').evaluateTransaction('GetBlockByTxID', CHANNEL, first.getTransactionId()));
    const txIds = block.getData()!.getDataList_asU8().map((env) => parseEnvelope(env).channelHeader.txId);
    expect(txIds.filter((id) => id === first.getTransactionId())).toHaveLength(1);
  }, 60_000);

  it('returns a chaincode error message verbatim in the Gateway error details', async () => {
    const contract = gateways[2].getNetwork(CHANNEL).getContract('kv');
    const err = await contract.evaluateTransaction('Fail', 'the asset is locked').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    const details = (err as GatewayError).details;
    expect(details).toHaveLength(1);
    expect(details[0]).toMatchObject({ mspId: 'Org1MSP' });
    expect(details[0].message).toContain('the asset is locked');

    const submitErr = await contract.submitTransaction('Fail', 'no endorsement for you').catch((e: unknown) => e);
    expect(submitErr).toBeInstanceOf(GatewayError);
    expect((submitErr as GatewayError).details[0].message).toContain('no endorsement for you');
  }, 60_000);

  it('answers qscc and cscc queries through the Gateway and the endorser', async () => {
    const network = gateways[2].getNetwork(CHANNEL);
    const submitted = await network.getContract('kv').submitAsync('Put', { arguments: ['q', '1'] });
    const { blockNumber } = await submitted.getStatus();
    const qscc = network.getContract('qscc');
    const info = BlockchainInfo.deserializeBinary(await qscc.evaluateTransaction('GetChainInfo', CHANNEL));
    expect(info.getHeight()).toBe(peers[0].height(CHANNEL));
    const pt = ProcessedTransaction.deserializeBinary(await qscc.evaluateTransaction('GetTransactionByID', CHANNEL, submitted.getTransactionId()));
    expect(pt.getValidationcode()).toBe(TxValidationCode.VALID);
    const block = Block.deserializeBinary(await qscc.evaluateTransaction('GetBlockByTxID', CHANNEL, submitted.getTransactionId()));
    expect(block.getHeader()?.getNumber()).toBe(Number(blockNumber));
    const byNumber = await qscc.evaluateTransaction('GetBlockByNumber', CHANNEL, String(blockNumber));
    expect(Block.deserializeBinary(byNumber).serializeBinary()).toEqual(block.serializeBinary());

    const config = Block.deserializeBinary(await network.getContract('cscc').evaluateTransaction('GetConfigBlock', CHANNEL));
    expect(config.getHeader()?.getNumber()).toBe(0);
    const endorser = rawEndorser(m.orgs[0], ports[0]);
    try {
      const res = await propose(endorser, signerOf(m.orgs[0]), '', 'cscc', ['GetChannels']);
      expect(ChannelQueryResponse.deserializeBinary(res.response.payload).getChannelsList().map((c) => c.getChannelId())).toEqual([CHANNEL]);
      const denied = await propose(endorser, signerOf(m.orgs[0]), '', 'cscc', ['JoinChain', Buffer.from('x')]);
      expect(denied.response).toMatchObject({ status: 500, message: expect.stringMatching(/access denied for \[cscc\/JoinChain\]/) });
      // Fabric's `peer chaincode list --instantiated` / `--installed` ask lscc, which knows no 2.x chaincode.
      const instantiated = await propose(endorser, signerOf(m.orgs[0]), CHANNEL, 'lscc', ['getchaincodes']);
      expect(instantiated.response).toMatchObject({ status: 200, payload: new Uint8Array(0) });
      const installed = await propose(endorser, signerOf(m.orgs[0], 'Admin'), '', 'lscc', ['getinstalledchaincodes']);
      expect(installed.response).toMatchObject({ status: 200, payload: new Uint8Array(0) });
      // Word for word as a Fabric 2.4.9 peer answers lookups that find nothing and a channel it lacks.
      for (const fabric of [...fabricSccRefusals('cscc', CHANNEL), ...fabricSccRefusals('lscc', CHANNEL)]) {
        const res = await propose(endorser, signerOf(m.orgs[0]), CHANNEL, fabric.chaincode, fabric.args.map((a) => Buffer.from(a)));
        expect({ args: fabric.args, status: res.response.status, message: res.response.message }).toEqual({ args: fabric.args, status: fabric.status, message: fabric.message });
      }
    } finally {
      endorser.close();
    }
  }, 60_000);

  it('_lifecycle keeps sequences, reports commit readiness and definitions, and lists installed packages', async () => {
    // Approving takes an Admin of the peer's own org (Fabric's local Admins policy).
    const admin = gatewayFor(m.orgs[0], clients[0], 'Admin');
    const user = gatewayFor(m.orgs[0], clients[0]);
    gateways.push(admin, user);
    const lc = admin.getNetwork(CHANNEL).getContract('_lifecycle');
    const qa = new QueryChaincodeDefinitionArgs();
    qa.setName('kv');
    const def = QueryChaincodeDefinitionResult.deserializeBinary(await lc.evaluateTransaction('QueryChaincodeDefinition', qa.serializeBinary()));
    expect(def.getSequence()).toBe(1);
    expect(def.getVersion()).toBe('1.0');
    expect(Object.fromEntries(def.getApprovalsMap().toArray())).toEqual({ Org1MSP: true, Org2MSP: true });

    const details = async (p: Promise<unknown>): Promise<string> => {
      const err = (await p.catch((e: unknown) => e)) as GatewayError;
      expect(err).toBeInstanceOf(GatewayError);
      return err.details.map((d) => d.message).join(' | ');
    };
    expect(await details(approve(admin, 'kv', 3, 'kv_1:' + '0'.repeat(64)))).toMatch(/requested sequence 3 is larger than the next available sequence number 2/);
    expect(await details(approve(user, 'kv', 2, 'kv_1:' + '0'.repeat(64)))).toMatch(
      /access denied for \[_lifecycle\/ApproveChaincodeDefinitionForMyOrg\]: the creator must be an admin of Org1MSP/,
    );

    const readiness = async (): Promise<Record<string, boolean>> => {
      const args = new CheckCommitReadinessArgs();
      args.setName('kv');
      args.setVersion('1.0');
      args.setSequence(2);
      return Object.fromEntries(CheckCommitReadinessResult.deserializeBinary(await lc.evaluateTransaction('CheckCommitReadiness', args.serializeBinary())).getApprovalsMap().toArray());
    };
    expect(await readiness()).toEqual({ Org1MSP: false, Org2MSP: false });
    await approve(admin, 'kv', 2, 'kv_1:' + '0'.repeat(64));
    expect(await readiness()).toEqual({ Org1MSP: true, Org2MSP: false });
    // Org1's peer endorses (its own org approved); Org2's, needed for MAJORITY, refuses.
    expect(await details(commitDefinition(admin, 'kv', 2))).toMatch(/chaincode definition not agreed to by this org \(Org2MSP\)/);

    const endorser = rawEndorser(m.orgs[0], ports[0]);
    try {
      const installed = await propose(endorser, signerOf(m.orgs[0], 'Admin'), '', '_lifecycle', ['QueryInstalledChaincodes', new Uint8Array(0)]);
      expect(installed.response.status).toBe(200);
      const [kv] = QueryInstalledChaincodesResult.deserializeBinary(installed.response.payload).getInstalledChaincodesList();
      expect(kv?.getLabel()).toBe('kv_1');
      // Where this org approved the package for the committed definition (sequence 1, not the pending 2).
      expect(kv?.getReferencesMap().get(CHANNEL)?.getChaincodesList().map((c) => [c.getName(), c.getVersion()])).toEqual([['kv', '1.0']]);
      const denied = await propose(endorser, signerOf(m.orgs[0]), '', '_lifecycle', ['QueryInstalledChaincodes', new Uint8Array(0)]);
      expect(denied.response.message).toMatch(/must be an admin of Org1MSP/);
    } finally {
      endorser.close();
    }
  }, 60_000);

  it('refuses an identity of an MSP outside the channel on every service', async () => {
    const outsider = await (await TestOrg.create({ mspId: 'Org9MSP' })).issue('mallory');
    const gw = connect({
      client: clients[0],
      identity: { mspId: 'Org9MSP', credentials: outsider.credentials },
      signer: signers.newPrivateKeySigner(outsider.privateKey),
      hash: hash.sha256,
    });
    gateways.push(gw);
    const network = gw.getNetwork(CHANNEL);
    const err = (await network.getContract('kv').evaluateTransaction('Get', 'a').catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.details[0].message).toMatch(/creator org unknown/);
    const events = await network.getBlockEvents({ startBlock: 0n });
    await expect(events[Symbol.asyncIterator]().next()).rejects.toThrow(/403/);
    events.close();
    const status = await network.getChaincodeEvents('kv', { startBlock: 0n });
    await expect(status[Symbol.asyncIterator]().next()).rejects.toThrow(/PERMISSION_DENIED: Failed evaluating policy on signed data during check policy on channel \[mychannel\]/);
    status.close();
  }, 60_000);

  it('answers proposals on the peer-to-peer endorsement stream and ends a stream that sends a malformed frame', async () => {
    const path = '/weft.peer.EndorserStream/ProcessProposals';
    const raw = (b: Uint8Array): Buffer => Buffer.from(b);
    const open = (): grpc.ClientDuplexStream<Uint8Array, Buffer> => clients[1].makeBidiStreamRequest(path, raw, (b: Buffer) => b);
    const built = buildProposal({ channelId: CHANNEL, chaincodeName: 'qscc', args: ['GetChainInfo', CHANNEL].map((a) => Buffer.from(a)), creator: signerOf(m.orgs[1]).serialized });
    const good = open();
    const answered = new Promise<Buffer>((resolve, reject) => {
      good.on('data', resolve);
      good.on('error', reject);
    });
    good.write(encodeEndorseFrame(7, signProposal(built.proposalBytes, signerOf(m.orgs[1]))));
    const frame = decodeEndorseFrame(await answered);
    expect(frame.id).toBe(7);
    expect(parseProposalResponse(frame.body).response.status).toBe(200);
    good.end();

    const bad = open();
    const status = await new Promise<grpc.ServiceError>((resolve) => {
      bad.on('error', resolve);
      bad.on('data', () => undefined);
      bad.write(Uint8Array.from([0x12, 0x09, 1]));
    });
    expect(status.code).toBe(3); // INVALID_ARGUMENT
    expect(status.details).toMatch(/EndorseFrame/);
    // The peer keeps serving: a new stream (through the gateway's own client) gets its answer.
    const endorser = rawEndorser(m.orgs[1], ports[1]);
    try {
      expect((await propose(endorser, signerOf(m.orgs[1]), CHANNEL, 'qscc', ['GetChainInfo', CHANNEL])).response.status).toBe(200);
    } finally {
      endorser.close();
    }
  }, 60_000);

  it('stops reading an endorsement stream whose answers go unread, and answers everything once they are read', async () => {
    const ops = peers[1].operationsAddress() as string;
    const qsccProposals = async (): Promise<number> => {
      const text = await (await fetch(`http://${ops}/metrics`)).text();
      return [...text.matchAll(/^endorser_proposal_duration_count\{[^}]*chaincode="qscc"[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const built = buildProposal({ channelId: CHANNEL, chaincodeName: 'qscc', args: ['GetChainInfo', CHANNEL].map((a) => Buffer.from(a)), creator: signerOf(m.orgs[1]).serialized });
    const signed = signProposal(built.proposalBytes, signerOf(m.orgs[1]));
    const stream = clients[1].makeBidiStreamRequest('/weft.peer.EndorserStream/ProcessProposals', (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b);
    const total = 3000;
    const ids = new Set<number>();
    const allAnswered = new Promise<void>((resolve, reject) => {
      stream.on('data', (b: Buffer) => {
        ids.add(decodeEndorseFrame(b).id);
        if (ids.size === total) resolve();
      });
      stream.on('error', reject);
    });
    stream.pause(); // answers are not read until resume()
    const before = await qsccProposals();
    for (let id = 1; id <= total; id++) stream.write(encodeEndorseFrame(id, signed));
    // Once HTTP/2 flow control fills up with unread answers, the peer must stop taking proposals.
    let last = -1;
    let now = await qsccProposals();
    while (now !== last) {
      last = now;
      await new Promise((r) => setTimeout(r, 500));
      now = await qsccProposals();
    }
    expect(now - before).toBeLessThan(total / 2);
    stream.resume();
    await allAnswered;
    stream.end();
    expect(await qsccProposals()).toBe(before + total);
  }, 60_000);

  it('answers Deliver seek requests: ranges, FAIL_IF_NOT_READY and unknown channels', async () => {
    const user = signerOf(m.orgs[0]);
    const position = (n: number | 'oldest'): SeekPosition => {
      const p = new SeekPosition();
      if (n === 'oldest') p.setOldest(new SeekOldest());
      else {
        const s = new SeekSpecified();
        s.setNumber(n);
        p.setSpecified(s);
      }
      return p;
    };
    const request = (channelId: string, start: number | 'oldest', stop: number, fail = false): Uint8Array => {
      const seek = new SeekInfo();
      seek.setStart(position(start));
      seek.setStop(position(stop));
      if (fail) seek.setBehavior(SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
      return buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId, data: seek.serializeBinary(), signer: user });
    };
    const deliver = (req: Uint8Array, method = '/protos.Deliver/DeliverFiltered'): Promise<{ blocks: number[]; status: number }> =>
      new Promise((resolve, reject) => {
        const call = clients[0].makeBidiStreamRequest(method, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => DeliverResponse.deserializeBinary(b));
        const blocks: number[] = [];
        call.on('data', (r: DeliverResponse) => {
          if (r.hasFilteredBlock()) blocks.push(r.getFilteredBlock()?.getNumber() ?? -1);
          else if (r.hasBlockAndPrivateData()) blocks.push(r.getBlockAndPrivateData()?.getBlock()?.getHeader()?.getNumber() ?? -1);
          else {
            call.end();
            resolve({ blocks, status: r.getStatus() });
          }
        });
        call.on('error', reject);
        call.write(req);
      });
    expect(await deliver(request(CHANNEL, 'oldest', 1))).toEqual({ blocks: [0, 1], status: 200 });
    expect(await deliver(request(CHANNEL, 1, 2), '/protos.Deliver/DeliverWithPrivateData')).toEqual({ blocks: [1, 2], status: 200 });
    const height = peers[0].height(CHANNEL);
    expect(await deliver(request(CHANNEL, height + 5, height + 6, true))).toEqual({ blocks: [], status: 404 });
    expect(await deliver(request('nochannel', 0, 1))).toEqual({ blocks: [], status: 404 });
    expect(await deliver(request(CHANNEL, 3, 1))).toEqual({ blocks: [], status: 400 });
  });

  it('reads the next Deliver request on a stream only once the current one is served', async () => {
    const request = seekEnvelope(signerOf(m.orgs[0]), CHANNEL, 'newest', 'max');
    const call = clients[0].makeBidiStreamRequest('/protos.Deliver/Deliver', (b: Uint8Array) => Buffer.from(b), (b: Buffer) => DeliverResponse.deserializeBinary(b));
    const served = new Promise<DeliverResponse>((resolve) => call.once('data', resolve));
    call.on('error', () => undefined); // cancelled below
    // The first request never ends; the peer must not read (and queue) the thousands behind it.
    for (let i = 0; i < 3000; i++) call.write(request);
    expect((await served).hasBlock()).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(call.writableLength).toBeGreaterThan(0);
    call.cancel();
  });

  it('serves /healthz, /version and Prometheus metrics for proposals, blocks and ledger height', async () => {
    const ops = peers[0].operationsAddress() as string;
    const get = async (p: string): Promise<{ status: number; text: string }> => {
      const res = await fetch(`http://${ops}${p}`);
      return { status: res.status, text: await res.text() };
    };
    expect(await get('/healthz')).toMatchObject({ status: 200, text: expect.stringContaining('"status":"OK"') });
    expect(JSON.parse((await get('/version')).text)).toMatchObject({ Version: expect.any(String) });
    const metrics = (await get('/metrics')).text;
    expect(metrics).toContain(`ledger_blockchain_height{channel="${CHANNEL}"} ${peers[0].height(CHANNEL)}`);
    expect(metrics).toMatch(/endorser_proposal_duration_count\{channel="mychannel",chaincode="kv",success="true"\} [1-9]/);
    expect(metrics).toMatch(/ledger_transaction_count\{channel="mychannel",transaction_type="ENDORSER_TRANSACTION",chaincode="kv:1.0",validation_code="VALID"\} [1-9]/);
    expect(metrics).toContain('ledger_block_processing_time_bucket');
    expect(metrics).toContain('endorser_proposal_duration_bucket');
    // The Deliver tests above ran against this peer: served ranges, an unknown channel, an inverted range.
    expect(metrics).toMatch(/deliver_requests_completed\{channel="mychannel",filtered="true",data_type="filtered_block",success="true"\} [1-9]/);
    expect(metrics).toMatch(/deliver_requests_completed\{channel="mychannel",filtered="false",data_type="block_and_pvtdata",success="true"\} [1-9]/);
    // As Fabric's deliverBlocks, a request for a channel the peer has not joined is in no request counter.
    expect(metrics).toMatch(/deliver_requests_completed\{channel="mychannel",filtered="true",data_type="filtered_block",success="false"\} [1-9]/);
    expect(metrics).not.toMatch(/^deliver_requests_(received|completed)\{channel="(nochannel)?"/m);
    expect(metrics).toMatch(/deliver_blocks_sent\{channel="mychannel",filtered="true",data_type="filtered_block"\} [2-9]/);
    expect(metrics).toMatch(/deliver_streams_opened [1-9]/);
  });

  it('stopping a peer ends its open streams: Deliver and ChaincodeEvents with UNAVAILABLE, endorsement streams once answered', async () => {
    const user = gatewayFor(m.orgs[0], clients[0]);
    gateways.push(user);
    // ChaincodeEvents, open once it has delivered an event.
    const events = await user.getNetwork(CHANNEL).getChaincodeEvents('kv', { startBlock: BigInt(peers[0].height(CHANNEL)) });
    await user.getNetwork(CHANNEL).getContract('kv').submitTransaction('Put', 'stop', 'soon');
    const iterator = events[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ eventName: 'Put' });
    const eventsEnd = iterator.next().then(
      () => undefined,
      (err: unknown) => err,
    );
    // Deliver from the newest block on, forever: open once the newest block came.
    const seek = new SeekInfo();
    const newest = new SeekPosition();
    newest.setNewest(new SeekNewest());
    const forever = new SeekSpecified();
    forever.setNumber(Number.MAX_SAFE_INTEGER);
    const stop = new SeekPosition();
    stop.setSpecified(forever);
    seek.setStart(newest);
    seek.setStop(stop);
    const deliver = clients[0].makeBidiStreamRequest('/protos.Deliver/DeliverFiltered', (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b);
    const deliverEnd = new Promise<grpc.ServiceError>((resolve) => deliver.on('error', resolve));
    const delivered = new Promise((resolve) => deliver.once('data', resolve));
    deliver.write(buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId: CHANNEL, data: seek.serializeBinary(), signer: signerOf(m.orgs[0]) }));
    await delivered;
    // A peer-to-peer endorsement stream, open once it has answered a proposal.
    const endorse = clients[0].makeBidiStreamRequest('/weft.peer.EndorserStream/ProcessProposals', (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b);
    const endorseEnd = new Promise<grpc.StatusObject>((resolve) => endorse.on('status', resolve));
    const answered = new Promise((resolve) => endorse.once('data', resolve));
    const built = buildProposal({ channelId: CHANNEL, chaincodeName: 'qscc', args: ['GetChainInfo', CHANNEL].map((a) => Buffer.from(a)), creator: signerOf(m.orgs[0]).serialized });
    endorse.write(encodeEndorseFrame(1, signProposal(built.proposalBytes, signerOf(m.orgs[0]))));
    await answered;

    await peers[0].stop();
    // Ended by the peer with these statuses, not cut off when a grace period ran out.
    expect(await deliverEnd).toMatchObject({ code: 14, details: 'the peer is shutting down' });
    const eventsError = await eventsEnd;
    expect(eventsError).toBeInstanceOf(GatewayError);
    expect(eventsError).toMatchObject({ code: 14, message: expect.stringContaining('the peer is shutting down') });
    expect(await endorseEnd).toMatchObject({ code: 0 });

    peers[0] = new PeerNode(parsePeerConfig(loadNodeConfig(net.peerFiles[0].configFile)));
    await peers[0].start();
    expect(utf8.decode(await user.getNetwork(CHANNEL).getContract('kv').evaluateTransaction('Get', 'stop'))).toBe('soon');
  }, 60_000);
});
