import * as path from 'node:path';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { Registry } from 'prom-client';
import { KVRWSet, KVRead } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { PeerMetrics } from '../../../core/peer/peer-metrics';
import { labelSets, sample } from '../../support/prometheus-text';
import { HeaderType, type Harness, commitBlock, definitionWrites, endorsedTx, openHarness, rwset, typedEnvelope, nsRwset, txRwset } from './channel-harness';
import { CHANNEL, type Material, generateMaterial, tmpDir } from './network-fixture';

const b = (s: string): Uint8Array => Buffer.from(s);

describe("a peer's ledger metrics carry Fabric's names and labels (real committer, SQLite ledger)", () => {
  let m: Material;
  let h: Harness;
  let registry: Registry;
  /** The metrics once the channel was joined, before any block was committed. */
  let joinedText: string;

  beforeAll(async () => {
    const dir = tmpDir('weft-peer-ledger-metrics-');
    m = await generateMaterial(dir);
    registry = new Registry();
    h = openHarness(m, path.join(dir, 'ledgers'), undefined, undefined, new PeerMetrics(registry));
    joinedText = await registry.metrics();
    const def = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('cc') }).envelope;
    expect(await commitBlock(h, [def])).toEqual([TxValidationCode.VALID]);
  }, 60_000);

  afterAll(() => h?.channels.close());

  it("reports a channel's height as soon as its ledger opens, as Fabric's block store does", () => {
    expect(sample(joinedText, 'ledger_blockchain_height', { channel: CHANNEL })).toBe(1);
    // Fabric's state provider sets its height only when it commits a block.
    expect(labelSets(joinedText, 'gossip_state_height')).toEqual([]);
  });

  it('counts each transaction by type, chaincode name:version and final validation code, and times every block', async () => {
    const valid = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { k: b('v') } }) });
    const forged = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { f: b('v') } }), envelopeSigner: h.users[1] });
    const underEndorsed = endorsedTx({ creator: h.users[1], endorsers: [h.peers[0]], chaincode: 'cc', results: rwset({ cc: { u: b('v') } }) });
    // Reads cc/k as absent after the first transaction of the block wrote it: the ledger's MVCC invalidates it.
    const stale = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: readOfAbsentKey('cc', 'k') });
    const update = typedEnvelope(HeaderType.CONFIG_UPDATE, h.users[0]);
    const flags = await commitBlock(h, [valid.envelope, forged.envelope, underEndorsed.envelope, valid.envelope, update, stale.envelope]);
    expect(flags).toEqual([
      TxValidationCode.VALID,
      TxValidationCode.BAD_CREATOR_SIGNATURE,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.DUPLICATE_TXID,
      TxValidationCode.UNSUPPORTED_TX_PAYLOAD,
      TxValidationCode.MVCC_READ_CONFLICT,
    ]);

    const text = await registry.metrics();
    expect(text).toContain('# TYPE ledger_transaction_count counter\n');
    const count = (type: string, chaincode: string, code: string): number =>
      sample(text, 'ledger_transaction_count', { channel: CHANNEL, transaction_type: type, chaincode, validation_code: code });
    expect(count('ENDORSER_TRANSACTION', '_lifecycle:1.0', 'VALID')).toBe(1);
    expect(count('ENDORSER_TRANSACTION', 'cc:1.0', 'VALID')).toBe(1);
    // Fabric's ledger reads no further into a transaction its committer invalidated (kvledger's
    // preprocessProtoBlock): its type and chaincode are 'unknown'. One only the ledger's MVCC
    // invalidates keeps them.
    expect(count('unknown', 'unknown', 'BAD_CREATOR_SIGNATURE')).toBe(1);
    expect(count('unknown', 'unknown', 'ENDORSEMENT_POLICY_FAILURE')).toBe(1);
    expect(count('unknown', 'unknown', 'DUPLICATE_TXID')).toBe(1);
    expect(count('unknown', 'unknown', 'UNSUPPORTED_TX_PAYLOAD')).toBe(1);
    expect(count('ENDORSER_TRANSACTION', 'cc:1.0', 'MVCC_READ_CONFLICT')).toBe(1);
    expect(labelSets(text, 'ledger_transaction_count')).toHaveLength(7);
    // Counts reach the registry when scraped, once: a second scrape shows the same totals.
    expect(sample(await registry.metrics(), 'ledger_transaction_count', { channel: CHANNEL, transaction_type: 'unknown', chaincode: 'unknown', validation_code: 'DUPLICATE_TXID' })).toBe(1);

    // Two blocks went through the committer (the genesis block was joined, not committed).
    const everyBlock = [
      'ledger_block_processing_time',
      'ledger_blockstorage_and_pvtdata_commit_time',
      'ledger_blockstorage_commit_time',
      'ledger_statedb_commit_time',
      'gossip_state_commit_duration',
      'gossip_privdata_validation_duration',
      'gossip_privdata_list_missing_duration',
      'gossip_privdata_commit_block_duration',
      'gossip_privdata_purge_duration',
    ];
    for (const histogram of everyBlock) {
      expect(text).toContain(`# TYPE ${histogram} histogram\n`);
      expect(sample(text, `${histogram}_count`, { channel: CHANNEL })).toBe(2);
    }
    // This peer lacked no private data: nothing was fetched from other peers.
    expect(sample(text, 'gossip_privdata_fetch_duration_count', { channel: CHANNEL })).toBe(0);
    // The ledger's histograms have Fabric's buckets; the gossip ones Prometheus's default buckets.
    expect(buckets(text, 'ledger_blockstorage_commit_time')).toEqual(['0.005', '0.01', '0.015', '0.05', '0.1', '1', '10', '+Inf']);
    for (const histogram of everyBlock.slice(0, 4)) expect(buckets(text, histogram)).toEqual(buckets(text, 'ledger_blockstorage_commit_time'));
    expect(buckets(text, 'gossip_privdata_validation_duration')).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    // The block store's and the state's parts are separate slices of the whole commit.
    const sum = (histogram: string): number => sample(text, `${histogram}_sum`, { channel: CHANNEL });
    expect(sum('ledger_blockstorage_and_pvtdata_commit_time')).toBeGreaterThan(0);
    expect(sum('ledger_statedb_commit_time')).toBeGreaterThan(0);
    expect(sum('ledger_blockstorage_and_pvtdata_commit_time') + sum('ledger_statedb_commit_time')).toBeLessThan(sum('gossip_state_commit_duration'));
    expect(sum('gossip_privdata_validation_duration') + sum('gossip_privdata_commit_block_duration')).toBeLessThan(sum('gossip_state_commit_duration'));
    expect(sample(text, 'ledger_block_processing_time_bucket', { channel: CHANNEL, le: '+Inf' })).toBe(2);
    expect(text).toContain('# TYPE ledger_blockchain_height gauge\n');
    expect(text).toContain('# TYPE gossip_state_height gauge\n');
    expect(sample(text, 'ledger_blockchain_height', { channel: CHANNEL })).toBe(h.joined.channel.height());
    expect(sample(text, 'gossip_state_height', { channel: CHANNEL })).toBe(h.joined.channel.height());
    expect(sample(text, 'ledger_blocks_committed', { channel: CHANNEL })).toBe(2);
  });

  it('labels at most 256 chaincodes per channel and counts the rest as other', async () => {
    const own = new Registry();
    const metrics = new PeerMetrics(own);
    const n = 260;
    const kinds = Array.from({ length: n }, (_, i) => ({ type: 'ENDORSER_TRANSACTION', chaincode: `n${i}:1.0` }));
    const valid = new Uint8Array(n).fill(TxValidationCode.VALID);
    const seconds = { processing: 0, storageCommit: 0, total: 0, validation: 0, listMissing: 0, commitBlock: 0 };
    metrics.observeCommit(CHANNEL, { height: 2, validated: valid, flags: valid, kinds, seconds });
    const text = await own.metrics();
    const chaincodes = labelSets(text, 'ledger_transaction_count').map((l) => l.chaincode);
    expect(chaincodes).toHaveLength(257);
    expect(chaincodes).toContain('n255:1.0');
    expect(chaincodes).not.toContain('n256:1.0');
    expect(sample(text, 'ledger_transaction_count', { channel: CHANNEL, transaction_type: 'ENDORSER_TRANSACTION', chaincode: 'other', validation_code: 'VALID' })).toBe(4);
  });
});

/** The `le` bounds of a histogram's buckets, in the order exported. */
function buckets(text: string, histogram: string): string[] {
  return labelSets(text, `${histogram}_bucket`)
    .filter((l) => l.channel === CHANNEL)
    .map((l) => l.le)
    .filter((le, i, all) => all.indexOf(le) === i);
}

/** A read/write set that reads `key` of `namespace` as absent (a read with no version). */
function readOfAbsentKey(namespace: string, key: string): Uint8Array {
  const read = new KVRead();
  read.setKey(key);
  const kv = new KVRWSet();
  kv.setReadsList([read]);
  return txRwset(nsRwset(namespace, kv));
}
