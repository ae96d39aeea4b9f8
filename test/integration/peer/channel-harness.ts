/**
 * One channel on a peer, without gRPC: the real MSP, policy and SQLite ledger plugins under the
 * peer's channel manager and committer, plus builders for endorsed transactions and signed blocks,
 * so tests can feed any block (well-formed or not) to the committer and read the validation codes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { defaultLedgerOptions } from '../../../core/ledger/ledger-options';
import { NodeLogging } from '../../../core/node/logger';
import { ChannelManager, type JoinedChannel } from '../../../core/peer/channel/channel-manager';
import { writeCommitted } from '../../../core/peer/lifecycle/lifecycle-layout';
import { completedSnapshotDir, SnapshotManager } from '../../../core/peer/snapshot/snapshot-manager';
import { decodeDefinition, encodeDefinition, LIFECYCLE_NAMESPACE } from '../../../core/peer/lifecycle/lifecycle-state';
import type { PeerMetrics } from '../../../core/peer/peer-metrics';
import { BlockValidator } from '../../../core/peer/validation/block-validator';
import { EndorsementPolicies } from '../../../core/peer/validation/endorsement-policies';
import { ThreadPoolSignatureVerifier } from '../../../core/peer/validation/signature-verifier';
import { blockHeaderHash, getTransactionsFilter, newBlock, parseBlock } from '../../../core/protocol/block';
import { signBlock } from '../../../core/protocol/block-signatures';
import { buildEnvelope } from '../../../core/protocol/envelope';
import { buildProposal, parseSignedProposal, signProposal } from '../../../core/protocol/proposal';
import { buildProposalResponse, parseProposalResponse } from '../../../core/protocol/proposal-response';
import type { Signer } from '../../../core/protocol/signer';
import { buildTransactionEnvelope } from '../../../core/protocol/transaction';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { X509MspProvider } from '../../../plugins/msp-x509';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { CHANNEL, type Material, generateMaterial, genesisBlock, signerOf, tmpDir } from './network-fixture';
import { KVRWSet, KVWrite } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { NsReadWriteSet, TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { testDefinition } from '../../support/chaincode-definition';

export interface Harness {
  readonly channels: ChannelManager;
  readonly joined: JoinedChannel;
  readonly orderer: Signer;
  readonly peers: readonly [Signer, Signer];
  readonly users: readonly [Signer, Signer];
}

export function openHarness(
  m: Material,
  ledgerDir: string,
  genesis: Uint8Array = genesisBlock(m, 7050),
  policies = new FabricPolicyProvider(),
  metrics?: PeerMetrics,
): Harness {
  // The fuzz tests feed configs a peer refuses and logs at warn; only errors are worth showing here.
  const harnessLogger = new NodeLogging('error').logger('committer');
  const mspProvider = new X509MspProvider();
  const channels = new ChannelManager({
    ledgers: new SqliteLedgerStoreProvider({ rootDir: ledgerDir }),
    ledgerOptions: defaultLedgerOptions,
    msp: mspProvider,
    policy: policies,
    validator: new BlockValidator(new ThreadPoolSignatureVerifier(), new EndorsementPolicies(policies)),
    logger: harnessLogger,
    localMspId: 'Org1MSP',
    metrics,
  });
  channels.openAll();
  if (channels.channel(CHANNEL) === undefined) channels.join(genesis);
  return {
    channels,
    joined: channels.get(CHANNEL) as JoinedChannel,
    orderer: mspProvider.loadSigningIdentity(m.ordererOrg.nodes.orderer.mspDir, 'OrdererMSP'),
    peers: [mspProvider.loadSigningIdentity(m.orgs[0].nodes.peer0.mspDir, 'Org1MSP'), mspProvider.loadSigningIdentity(m.orgs[1].nodes.peer0.mspDir, 'Org2MSP')],
    users: [signerOf(m.orgs[0]), signerOf(m.orgs[1])],
  };
}

/** One namespace's part of a `TxReadWriteSet`. */
export function nsRwset(namespace: string, kv: KVRWSet): NsReadWriteSet {
  const ns = new NsReadWriteSet();
  ns.setNamespace(namespace);
  ns.setRwset(kv.serializeBinary());
  return ns;
}

/** A KV `TxReadWriteSet` of `namespaces`, serialized. */
export function txRwset(...namespaces: NsReadWriteSet[]): Uint8Array {
  const tx = new TxReadWriteSet();
  tx.setDataModel(TxReadWriteSet.DataModel.KV);
  tx.setNsRwsetList(namespaces);
  return tx.serializeBinary();
}

/** A `TxReadWriteSet` writing `writes` (namespace → key → value). */
export function rwset(writes: Record<string, Record<string, Uint8Array>>): Uint8Array {
  return txRwset(
    ...Object.keys(writes)
      .sort()
      .map((ns) => {
        const kv = new KVRWSet();
        kv.setWritesList(
          Object.keys(writes[ns])
            .sort()
            .map((k) => {
              const w = new KVWrite();
              w.setKey(k);
              w.setValue(writes[ns][k]);
              return w;
            }),
        );
        return nsRwset(ns, kv);
      }),
  );
}

export interface TxOptions {
  readonly creator: Signer;
  readonly endorsers: readonly Signer[];
  readonly chaincode: string;
  readonly results: Uint8Array;
  readonly channelId?: string;
  readonly txId?: string;
  readonly nonce?: Uint8Array;
  /** Signs the envelope with this signer instead of the creator (a forged signature). */
  readonly envelopeSigner?: Signer;
}

/** An endorsed transaction envelope, as a client would assemble it. */
export function endorsedTx(o: TxOptions): { envelope: Uint8Array; txId: string } {
  const built = buildProposal({
    channelId: o.channelId ?? CHANNEL,
    chaincodeName: o.chaincode,
    args: [Buffer.from('f')],
    creator: o.creator.serialized,
    txId: o.txId,
    nonce: o.nonce,
  });
  const proposal = parseSignedProposal(signProposal(built.proposalBytes, o.creator), { verifyTxId: false });
  const responses = o.endorsers.map((e) =>
    parseProposalResponse(buildProposalResponse({ proposal, response: { status: 200 }, results: o.results, chaincodeId: { name: o.chaincode, version: '1.0' }, endorser: e })),
  );
  const signer = o.envelopeSigner === undefined ? o.creator : { serialized: o.creator.serialized, sign: (m: Uint8Array) => (o.envelopeSigner as Signer).sign(m) };
  return { envelope: buildTransactionEnvelope(proposal, responses, signer), txId: built.txId };
}

/** The `_lifecycle` writes that define `name` (policy: the channel's MAJORITY Endorsement); no org's approval. */
export function definitionWrites(name: string): Uint8Array {
  const def = decodeDefinition(
    encodeDefinition(testDefinition(name)),
  );
  // The keys `_lifecycle`'s commit writes on a channel where the chaincode is new (Fabric's layout).
  const writes: Record<string, Uint8Array> = {};
  writeCommitted({ getState: () => undefined, putState: (key, value) => (writes[key] = value), delState: () => undefined }, def);
  return rwset({ [LIFECYCLE_NAMESPACE]: writes });
}

/**
 * Builds the next block over `envelopes`, signs it as the orderer (naming `lastConfigIndex` as the
 * newest config block, as an orderer does) and commits it; returns the final flags.
 */
export async function commitBlock(h: Harness, envelopes: readonly Uint8Array[], lastConfigIndex = 0): Promise<number[]> {
  const channel = h.joined.channel;
  const height = channel.height();
  const prev = parseBlock(channel.ledger.getBlockBytes(height - 1) as Uint8Array, { verifyDataHash: false });
  const block = newBlock(height, blockHeaderHash({ number: prev.number, previousHash: prev.previousHash, dataHash: prev.dataHash }), envelopes);
  signBlock(block, h.orderer, { lastConfigIndex });
  let flags: number[] = [];
  const off = channel.onBlock((b) => {
    flags = [...b.flags];
  });
  try {
    await h.joined.committer.commit(parseBlock(block.serializeBinary()));
  } finally {
    off();
  }
  return flags;
}

/** A signed envelope of an arbitrary header type. */
export function typedEnvelope(type: number, signer: Signer, channelId = CHANNEL): Uint8Array {
  return buildEnvelope({ type, channelId, data: new Uint8Array([1, 2, 3]), signer });
}

export { HeaderType };

/** Where {@link openPeerPair} keeps each peer's ledgers: `dir/a` and `dir/b`. */
export const PEER_PAIR_DIRS = ['a', 'b'] as const;

/**
 * Two peers' channels on one genesis block, ledgers under `dir/a` and `dir/b`, with chaincode `kv`
 * defined (MAJORITY) on both: what the fuzz tests feed alike and compare.
 */
export async function openPeerPair(m: Material, dir: string, genesis: Uint8Array): Promise<Harness[]> {
  const peers = PEER_PAIR_DIRS.map((d) => openHarness(m, path.join(dir, d), genesis));
  const definition = endorsedTx({ creator: peers[0].users[0], endorsers: peers[0].peers, chaincode: '_lifecycle', results: definitionWrites('kv') });
  for (const p of peers) {
    const flags = await commitBlock(p, [definition.envelope]);
    if (flags[0] !== TxValidationCode.VALID) throw new Error(`defining kv failed with code ${flags[0]}`);
  }
  return peers;
}

/** A suite's {@link openPeerPair}: its directory, material, genesis block and the two peers. */
export interface PeerPair {
  dir: string;
  m: Material;
  genesis: Uint8Array;
  peers: Harness[];
}

/**
 * Opens a peer pair in a fresh temporary directory (named from `prefix`) before the suite's tests,
 * and closes and deletes it after them; the fields are set once `beforeAll` has run.
 */
export function usePeerPair(prefix: string): PeerPair {
  const pair = {} as PeerPair;
  beforeAll(async () => {
    pair.dir = tmpDir(prefix);
    pair.m = await generateMaterial(pair.dir);
    pair.genesis = genesisBlock(pair.m, 7050);
    pair.peers = await openPeerPair(pair.m, pair.dir, pair.genesis);
  }, 60_000);
  afterAll(() => {
    for (const p of pair.peers ?? []) p.channels.close();
    if (pair.dir !== undefined) fs.rmSync(pair.dir, { recursive: true, force: true });
  });
  return pair;
}

/**
 * Commits one transaction's block on each of `peers`, built on `builtOn` (which holds the previous
 * block) as the orderer would send it to all, and expects it VALID on each; `pvt`: the
 * transaction's private rwset, in each one's transient store as its endorsers left it.
 */
export async function commitOnEvery(builtOn: Harness, peers: readonly Harness[], tx: { envelope: Uint8Array; txId: string; pvt?: Uint8Array }): Promise<number> {
  const height = builtOn.joined.channel.height();
  const prev = parseBlock(builtOn.joined.channel.ledger.getBlockBytes(height - 1) as Uint8Array, { verifyDataHash: false });
  const block = newBlock(height, blockHeaderHash({ number: prev.number, previousHash: prev.previousHash, dataHash: prev.dataHash }), [tx.envelope]);
  signBlock(block, builtOn.orderer, { lastConfigIndex: 0 });
  for (const h of peers) {
    if (tx.pvt !== undefined) h.joined.channel.transient.persist(tx.txId, tx.pvt, height);
    await h.joined.committer.commit(parseBlock(block.serializeBinary()));
    expect([...getTransactionsFilter(parseBlock(h.joined.channel.ledger.getBlockBytes(height) as Uint8Array).block)]).toEqual([TxValidationCode.VALID]);
  }
  return height;
}

/** A snapshot of `h` at its last block under `root`, through the peer's snapshot manager (with its default extra files); its directory. */
export async function snapshotAtLastBlock(h: Harness, root: string): Promise<string> {
  const manager = new SnapshotManager({ rootDir: root, logger: new NodeLogging('silent').logger('kvledger') });
  manager.attach(h.joined);
  manager.submit(CHANNEL, 0);
  await manager.idle();
  const snap = completedSnapshotDir(root, CHANNEL, h.joined.channel.height() - 1);
  expect(fs.existsSync(snap)).toBe(true);
  return snap;
}
