import * as path from 'node:path';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { Registry } from 'prom-client';
import { PeerMetrics, validationCodeName } from '../../../core/peer/peer-metrics';
import { labelSets, sample } from '../../support/prometheus-text';
import { HeaderType, type Harness, commitBlock, definitionWrites, endorsedTx, openHarness, rwset, typedEnvelope } from './channel-harness';
import { CHANNEL, type Material, generateMaterial, tmpDir } from './network-fixture';

const b = (s: string): Uint8Array => Buffer.from(s);

describe("a peer's ledger metrics carry Fabric's names and labels (real committer, SQLite ledger)", () => {
  let m: Material;
  let h: Harness;
  let registry: Registry;

  beforeAll(async () => {
    const dir = tmpDir('weft-peer-ledger-metrics-');
    m = await generateMaterial(dir);
    registry = new Registry();
    h = openHarness(m, path.join(dir, 'ledgers'), undefined, undefined, new PeerMetrics(registry));
    const def = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('cc') }).envelope;
    expect(await commitBlock(h, [def])).toEqual([TxValidationCode.VALID]);
  }, 60_000);

  afterAll(() => h?.channels.close());

  it('counts each transaction by type, chaincode name:version and final validation code, and times every block', async () => {
    const valid = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { k: b('v') } }) });
    const forged = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { f: b('v') } }), envelopeSigner: h.users[1] });
    const underEndorsed = endorsedTx({ creator: h.users[1], endorsers: [h.peers[0]], chaincode: 'cc', results: rwset({ cc: { u: b('v') } }) });
    const update = typedEnvelope(HeaderType.CONFIG_UPDATE, h.users[0]);
    const flags = await commitBlock(h, [valid.envelope, forged.envelope, underEndorsed.envelope, valid.envelope, update]);
    expect(flags).toEqual([
      TxValidationCode.VALID,
      TxValidationCode.BAD_CREATOR_SIGNATURE,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.DUPLICATE_TXID,
      TxValidationCode.UNSUPPORTED_TX_PAYLOAD,
    ]);

    const text = await registry.metrics();
    const count = (type: string, chaincode: string, code: number): number =>
      sample(text, 'ledger_transaction_count', { channel: CHANNEL, transaction_type: type, chaincode, validation_code: validationCodeName(code) });
    expect(count('ENDORSER_TRANSACTION', '_lifecycle:1.0', TxValidationCode.VALID)).toBe(1);
    expect(count('ENDORSER_TRANSACTION', 'cc:1.0', TxValidationCode.VALID)).toBe(1);
    expect(count('ENDORSER_TRANSACTION', 'cc:1.0', TxValidationCode.BAD_CREATOR_SIGNATURE)).toBe(1);
    expect(count('ENDORSER_TRANSACTION', 'cc:1.0', TxValidationCode.ENDORSEMENT_POLICY_FAILURE)).toBe(1);
    expect(count('ENDORSER_TRANSACTION', 'cc:1.0', TxValidationCode.DUPLICATE_TXID)).toBe(1);
    // Fabric labels what did not decode as far as a chaincode action 'unknown'.
    expect(count('CONFIG_UPDATE', 'unknown', TxValidationCode.UNSUPPORTED_TX_PAYLOAD)).toBe(1);
    expect(labelSets(text, 'ledger_transaction_count')).toHaveLength(6);

    // Two blocks went through the committer (the genesis block was joined, not committed).
    const histograms = ['ledger_block_processing_time', 'ledger_blockstorage_and_pvtdata_commit_time', 'ledger_statedb_commit_time', 'gossip_state_commit_duration'];
    for (const histogram of histograms) expect(sample(text, `${histogram}_count`, { channel: CHANNEL })).toBe(2);
    // The block store's and the state's parts are separate slices of the whole commit.
    const sum = (histogram: string): number => sample(text, `${histogram}_sum`, { channel: CHANNEL });
    expect(sum('ledger_blockstorage_and_pvtdata_commit_time')).toBeGreaterThan(0);
    expect(sum('ledger_statedb_commit_time')).toBeGreaterThan(0);
    expect(sum('ledger_blockstorage_and_pvtdata_commit_time') + sum('ledger_statedb_commit_time')).toBeLessThan(sum('gossip_state_commit_duration'));
    expect(sample(text, 'ledger_block_processing_time_bucket', { channel: CHANNEL, le: '+Inf' })).toBe(2);
    expect(sample(text, 'ledger_blockchain_height', { channel: CHANNEL })).toBe(h.joined.channel.height());
    expect(sample(text, 'ledger_blocks_committed', { channel: CHANNEL })).toBe(2);
  });

  it('labels at most 256 chaincodes per channel and counts the rest as other', async () => {
    const envelopes = Array.from({ length: 260 }, (_, i) => endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: `n${i}`, results: rwset({}) }).envelope);
    const flags = await commitBlock(h, envelopes);
    expect(new Set(flags)).toEqual(new Set([TxValidationCode.INVALID_CHAINCODE]));
    const text = await registry.metrics();
    const chaincodes = new Set(labelSets(text, 'ledger_transaction_count').map((l) => l.chaincode));
    // 2 chaincodes from the first test (and 'unknown', which is not one), so 254 of these keep
    // their name and 6 are 'other'.
    expect(chaincodes.size).toBe(3 + 254 + 1);
    expect(chaincodes.has('n253:1.0')).toBe(true);
    expect(chaincodes.has('n254:1.0')).toBe(false);
    const code = validationCodeName(TxValidationCode.INVALID_CHAINCODE);
    expect(sample(text, 'ledger_transaction_count', { channel: CHANNEL, transaction_type: 'ENDORSER_TRANSACTION', chaincode: 'other', validation_code: code })).toBe(6);
  }, 60_000);
});
