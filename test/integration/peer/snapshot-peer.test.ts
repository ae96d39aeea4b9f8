import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Contract } from '@hyperledger/fabric-gateway';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { BlockchainInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { PreparedTransaction } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { BatchSize } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { ChannelQueryResponse, JoinBySnapshotStatus } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { readSnapshotMetadata } from '../../../core/ledger/snapshot-metadata';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig, snapshotsRootDir } from '../../../core/peer/peer-config';
import { PeerLedgerAdmin } from '../../../core/peer/peer-ledger-admin';
import { PeerNode } from '../../../core/peer/peer-node';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { parseEnvelope } from '../../../core/protocol/envelope';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { parseProposalResponse } from '../../../core/protocol/proposal-response';
import { loadSigningIdentity } from '../../../plugins/msp-x509';
import { broadcast } from '../orderer/orderer-fixture';
import { configUpdate } from './config-updates';
import { type InProcessNetwork, deployKvInProcess, gatewayOn, peersInSync, startInProcessNetwork } from './in-process-network';
import { CHANNEL, KV_EVENTS_DIR, eventually, freePort, gatewayFor, install, peerClient, propose, rawEndorser, signerOf } from './network-fixture';
import { packageChaincode } from '../../../core/chaincode/packager';
import { freshPeerConfig } from './fresh-peer';
import { pendingSnapshots, peerDeliver, signedSnapshotRequest, snapshotCall, snapshotRefusal } from './snapshot-support';

const utf8 = new TextDecoder();

/**
 * Fabric's ledger snapshots on a peer (`snapshotgrpc/snapshot_service.go`, `kvledger/snapshot_mgmt.go`,
 * cscc `JoinChainBySnapshot`): the signed `protos.Snapshot` service and its rules, a requested block's
 * snapshot written when that block commits (equal on two peers), and a fresh peer joined from it that
 * catches up, endorses, validates and survives a restart, without the blocks before the snapshot.
 */
describe('ledger snapshots on a peer', () => {
  let net: InProcessNetwork;
  let kv: Contract;
  let packageBytes: Uint8Array;
  /** The peer joined from a snapshot, stopped with the network. */
  let joined: PeerNode | undefined;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-snappeer-' });
    await deployKvInProcess(net);
    packageBytes = (await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' })).packageBytes;
    kv = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('kv');
    await kv.submitTransaction('Put', 'a', 'apple');
    await peersInSync(net.peers);
  }, 180_000);

  afterAll(async () => {
    await joined?.stop();
    await net?.close();
  });

  const admin = (org: 0 | 1 = 0) => signerOf(net.m.orgs[org], 'Admin');
  const height = () => net.peers[0]!.height(CHANNEL);

  it('takes signed requests from the peer org admins only, with Fabric rules and texts', async () => {
    const client = net.clients[0]!;
    const future = height() + 50;
    expect(await snapshotRefusal(client, 'Generate', signedSnapshotRequest(signerOf(net.m.orgs[0]), CHANNEL, future))).toMatch(
      /access denied for \[snapshot\/submitrequest\]: the creator must be an admin of Org1MSP/,
    );
    // Org2's admin is no admin of Org1's peer.
    expect(await snapshotRefusal(client, 'Generate', signedSnapshotRequest(admin(1), CHANNEL, future))).toMatch(/access denied for \[snapshot\/submitrequest\]/);
    expect(await snapshotRefusal(client, 'Generate', signedSnapshotRequest(admin(), CHANNEL, future, true))).toMatch(/signature over the request does not verify/);
    expect(await snapshotRefusal(client, 'QueryPendings', signedSnapshotRequest(signerOf(net.m.orgs[0]), CHANNEL, 'query'))).toMatch(/access denied for \[snapshot\/listpending\]/);
    expect(await snapshotRefusal(client, 'Generate', signedSnapshotRequest(admin(), 'nochannel', future))).toBe('cannot find ledger for channel nochannel');
    expect(await snapshotRefusal(client, 'Generate', signedSnapshotRequest(admin(), CHANNEL, 1))).toBe(
      `requested snapshot for block number 1 cannot be less than the last committed block number ${height() - 1}`,
    );

    await snapshotCall(client, 'Generate', signedSnapshotRequest(admin(), CHANNEL, future));
    expect(await snapshotRefusal(client, 'Generate', signedSnapshotRequest(admin(), CHANNEL, future))).toBe(`duplicate snapshot request for block number ${future}`);
    await snapshotCall(client, 'Generate', signedSnapshotRequest(admin(), CHANNEL, future + 1));
    expect(await pendingSnapshots(client, admin(), CHANNEL)).toEqual([future, future + 1]);
    await snapshotCall(client, 'Cancel', signedSnapshotRequest(admin(), CHANNEL, future + 1));
    expect(await snapshotRefusal(client, 'Cancel', signedSnapshotRequest(admin(), CHANNEL, future + 1))).toBe(`no snapshot request exists for block number ${future + 1}`);

    // The pending list is on disk: a restarted peer still has it.
    await net.peers[0]!.stop();
    net.peers[0] = new PeerNode(parsePeerConfig(loadNodeConfig(net.peerFiles[0].configFile)));
    await net.peers[0].start();
    // The client reconnects by itself to the restarted peer.
    expect(await pendingSnapshots(client, admin(), CHANNEL)).toEqual([future]);
    await snapshotCall(client, 'Cancel', signedSnapshotRequest(admin(), CHANNEL, future));
    expect(await pendingSnapshots(client, admin(), CHANNEL)).toEqual([]);
  }, 120_000);

  it('writes a requested block’s snapshot when it commits, equal on both peers, and a fresh peer joins from it', async () => {
    const start = height();
    const target = start + 3;
    for (const i of [0, 1] as const) await snapshotCall(net.clients[i]!, 'Generate', signedSnapshotRequest(admin(i), CHANNEL, target));

    // A config change before the snapshot: the joined peer must run it without holding its block.
    const ordererTls = fs.readFileSync(net.m.ordererOrg.tlsCaCertPath);
    const orderer = new AtomicBroadcastClient(`127.0.0.1:${net.ordererFiles.port}`, grpc.credentials.createSsl(ordererTls));
    const ordererAdmin = loadSigningIdentity(net.m.ordererOrg.users.Admin.mspDir, 'OrdererMSP');
    const current = parseConfigBlock(net.geneses[0]!).config;
    const next = current.clone();
    const sizeValue = next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchSize')!;
    const size = BatchSize.deserializeBinary(sizeValue.getValue_asU8());
    size.setMaxMessageCount(321);
    sizeValue.setValue(size.serializeBinary());
    expect((await broadcast(orderer, [configUpdate(CHANNEL, current, next, [ordererAdmin], ordererAdmin)]))[0]!.status).toBe(Status.SUCCESS);
    await eventually(() => expect(height()).toBe(start + 1));

    // A transaction committed before the snapshot, kept to be sent again after the join.
    const oldTx = await kv.newProposal('Put', { arguments: ['b', 'banana'] }).endorse();
    // The prepared envelope is not signed yet (the Gateway client signs it at submit): sign it as User1 to send it again later.
    const prepared = PreparedTransaction.deserializeBinary(oldTx.getBytes()).getEnvelope()!;
    prepared.setSignature(signerOf(net.m.orgs[0]).sign(prepared.getPayload_asU8()));
    const oldEnvelope = prepared.serializeBinary();
    const oldSubmitted = await oldTx.submit();
    const oldStatus = await oldSubmitted.getStatus();
    while (height() <= target) await kv.submitTransaction('Put', 'c', `cherry${height()}`);
    await peersInSync(net.peers);

    const dirs = [0, 1].map((i) => path.join(snapshotsRootDir(net.peers[i]!.config), 'completed', CHANNEL, String(target)));
    await eventually(() => dirs.forEach((d) => expect(fs.existsSync(d)).toBe(true)), 30_000);
    const [mine, theirs] = dirs.map((d) => readSnapshotMetadata(d));
    expect(mine!.lastBlockNumber).toBe(target);
    expect(Buffer.from(mine!.snapshotHash).toString('hex')).toBe(Buffer.from(theirs!.snapshotHash).toString('hex'));
    expect(fs.existsSync(path.join(snapshotsRootDir(net.peers[0]!.config), 'temp', CHANNEL, String(target)))).toBe(false);
    for (const i of [0, 1] as const) expect(await pendingSnapshots(net.clients[i]!, admin(i), CHANNEL)).toEqual([]);
    // The loop stopped at the first block past the target: the target is the last committed block, and its snapshot exists.
    expect(height()).toBe(target + 1);
    expect(await snapshotRefusal(net.clients[0]!, 'Generate', signedSnapshotRequest(admin(), CHANNEL, 0))).toBe(`snapshot already generated for block number ${target}`);

    // A fresh Org1 peer (its own port and data directory) joins from peer0's snapshot.
    const fresh = freshPeerConfig(net, await freePort(), await freePort());
    const first = (joined = new PeerNode(parsePeerConfig(loadNodeConfig(fresh))));
    await first.start();
    const port = first.port;
    const client = peerClient(net.m.orgs[0], port);
    net.clients.push(client);
    const cscc = async (signer = admin(), args: (string | Uint8Array)[] = []) => {
      const endorser = rawEndorser(net.m.orgs[0], port);
      try {
        return (await propose(endorser, signer, '', 'cscc', args)).response;
      } finally {
        endorser.close();
      }
    };
    expect((await cscc(signerOf(net.m.orgs[0]), ['JoinChainBySnapshot', dirs[0]!])).message).toMatch(/access denied for \[cscc\/JoinChainBySnapshot\]/);
    expect((await cscc(admin(), ['JoinChainBySnapshot', path.join(dirs[0]!, 'nope')])).message).toMatch(/^cannot create ledger from snapshot .*nope: /);
    const started = await cscc(admin(), ['JoinChainBySnapshot', dirs[0]!]);
    expect(started).toMatchObject({ status: 200 });
    await eventually(async () => {
      const status = JoinBySnapshotStatus.deserializeBinary((await cscc(admin(), ['JoinBySnapshotStatus'])).payload);
      expect(status.getInProgress()).toBe(false);
      const channels = ChannelQueryResponse.deserializeBinary((await cscc(admin(), ['GetChannels'])).payload);
      expect(channels.getChannelsList().map((c) => c.getChannelId())).toEqual([CHANNEL]);
    }, 30_000);
    expect((await cscc(admin(), ['JoinChainBySnapshot', dirs[0]!])).message).toMatch(/ledger \[mychannel\] already exists/);
    await eventually(() => expect(first.height(CHANNEL)).toBe(height()), 30_000);

    // Blocks up to the snapshot are not there: Deliver answers NOT_FOUND, qscc says why.
    const reader = signerOf(net.m.orgs[0]);
    expect(await peerDeliver(client, reader, CHANNEL, 1, 1)).toEqual({ blocks: [], status: Status.NOT_FOUND });
    const qscc = async (peerPort: number, args: string[]) => {
      const endorser = rawEndorser(net.m.orgs[0], peerPort);
      try {
        return (await propose(endorser, reader, CHANNEL, 'qscc', args)).response;
      } finally {
        endorser.close();
      }
    };
    expect((await qscc(port, ['GetBlockByNumber', CHANNEL, '1'])).message).toMatch(new RegExp(`joined from a snapshot at block ${target}`));
    const txId = parseEnvelope(oldEnvelope).channelHeader.txId;
    expect((await qscc(port, ['GetTransactionByID', CHANNEL, txId])).message).toMatch(/is not available on this peer/);

    // The config changed before the snapshot is the one the joined peer runs (no config block held).
    const config = Config.deserializeBinary((await propose(rawEndorser(net.m.orgs[0], port), reader, CHANNEL, 'cscc', ['GetChannelConfig', CHANNEL])).response.payload);
    const batch = BatchSize.deserializeBinary(config.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchSize')!.getValue_asU8());
    expect(batch.getMaxMessageCount()).toBe(321);

    // It endorses over the imported state once the chaincode is installed, and its blocks match peer0's.
    await install(net.m.orgs[0], port, packageBytes);
    const viaJoined = gatewayFor(net.m.orgs[0], client);
    net.gateways.push(viaJoined);
    const contract = viaJoined.getNetwork(CHANNEL).getContract('kv');
    await eventually(async () => expect(utf8.decode(await contract.evaluateTransaction('Get', 'b'))).toBe('banana'), 30_000);
    expect(utf8.decode(await contract.submitTransaction('Put', 'd', 'date'))).toBe('date');
    // A client resuming chaincode events after a transaction from before the snapshot gets the events after it.
    const resumed = await viaJoined.getNetwork(CHANNEL).getChaincodeEvents('kv', { checkpoint: { getBlockNumber: () => oldStatus.blockNumber, getTransactionId: () => oldTx.getTransactionId() } });
    try {
      const firstEvent = (await resumed[Symbol.asyncIterator]().next()).value as { blockNumber: bigint; payload: Uint8Array };
      expect(firstEvent.blockNumber).toBe(BigInt(target + 1));
    } finally {
      resumed.close();
    }
    // The status of a transaction from before the snapshot: Fabric's block store's answer, not a wait.
    await expect(viaJoined.newCommit(oldSubmitted.getBytes()).getStatus()).rejects.toThrow(
      new RegExp(`details for the TXID \\[${oldTx.getTransactionId()}\\] not available. Ledger bootstrapped from a snapshot. First available block = \\[${target + 1}\\]`),
    );
    await eventually(() => expect(net.peers[0]!.height(CHANNEL)).toBe(first.height(CHANNEL)));
    const info = async (p: number) => BlockchainInfo.deserializeBinary((await qscc(p, ['GetChainInfo', CHANNEL])).payload).toObject();
    // The same chain; the joined peer's info also names the snapshot (Fabric's bootstrapping_snapshot_info).
    const [joinedInfo, fullInfo] = [await info(port), await info(net.ports[0])];
    expect(joinedInfo).toEqual({ ...fullInfo, bootstrappingsnapshotinfo: { lastblockinsnapshot: target } });
    expect(fullInfo.bootstrappingsnapshotinfo).toBeUndefined();
    expect((await peerDeliver(client, reader, CHANNEL, target + 1, target + 1)).blocks).toEqual([target + 1]);

    expect(utf8.decode(await kv.evaluateTransaction('Get', 'd'))).toBe('date');

    // A snapshot "now" (block 0) on the joined peer and on peer0, at the same block: the same hash.
    const now = first.height(CHANNEL) - 1;
    await snapshotCall(client, 'Generate', signedSnapshotRequest(admin(), CHANNEL, 0));
    await snapshotCall(net.clients[0]!, 'Generate', signedSnapshotRequest(admin(), CHANNEL, 0));
    const again = [first.config, net.peers[0]!.config].map((c) => path.join(snapshotsRootDir(c), 'completed', CHANNEL, String(now)));
    await eventually(() => again.forEach((d) => expect(fs.existsSync(d)).toBe(true)), 30_000);
    const [fromJoined, fromFirst] = again.map((d) => Buffer.from(readSnapshotMetadata(d).snapshotHash).toString('hex'));
    expect(fromJoined).toBe(fromFirst);

    // A transaction from before the snapshot is a duplicate at endorsement (the orderer's replay filter keeps the same envelope from being ordered again).
    const signedOld = parseEnvelope(oldEnvelope).signatureHeader;
    const resent = buildProposal({ channelId: CHANNEL, chaincodeName: 'kv', args: ['Put', 'b', 'again'].map((a) => Buffer.from(a)), creator: signedOld.creator, nonce: signedOld.nonce });
    expect(resent.txId).toBe(txId);
    const endorser = rawEndorser(net.m.orgs[0], port);
    try {
      const answer = await endorser.processProposal(signProposal(resent.proposalBytes, signerOf(net.m.orgs[0])), Date.now() + 30_000).then(
        (bytes) => JSON.stringify(parseProposalResponse(bytes).response),
        (err: Error) => err.message,
      );
      expect(answer).toMatch(new RegExp(`duplicate transaction found \\[${txId}\\]`));
    } finally {
      endorser.close();
    }
    const before = first.height(CHANNEL);
    orderer.close();

    // A restart keeps the channel (config from state) and it goes on committing.
    await first.stop();
    joined = undefined;
    // rebuild-dbs, rollback and reset refuse a peer with a channel joined from a snapshot, changing nothing.
    const ledgerAdmin = PeerLedgerAdmin.open(parsePeerConfig(loadNodeConfig(fresh)), 'test');
    try {
      for (const run of [() => ledgerAdmin.rebuild(), () => ledgerAdmin.rollback(CHANNEL, target + 1), () => ledgerAdmin.reset()]) {
        expect(run).toThrow(expect.objectContaining({ code: 'PEER_BOOTSTRAPPED_FROM_SNAPSHOT', message: expect.stringContaining(`[${CHANNEL}]`) as string }));
      }
    } finally {
      ledgerAdmin.close();
    }
    const restarted = (joined = new PeerNode(parsePeerConfig(loadNodeConfig(fresh))));
    await restarted.start();
    expect(restarted.height(CHANNEL)).toBe(before);
    await kv.submitTransaction('Put', 'e', 'elderberry');
    await eventually(() => expect(restarted.height(CHANNEL)).toBe(net.peers[0]!.height(CHANNEL)));

    // unjoin removes it like any channel.
    await restarted.stop();
    joined = undefined;
    const unjoining = PeerLedgerAdmin.open(parsePeerConfig(loadNodeConfig(fresh)), 'test');
    try {
      unjoining.unjoin(CHANNEL);
      expect(unjoining.channels()).toEqual([]);
    } finally {
      unjoining.close();
    }
  }, 240_000);
});
