import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { decodeLedgerTx, defaultLedgerOptions, KvLedger, type LedgerTx, MvccValidator, type PrivateDataPolicy } from '../../../../core/ledger';
import { nextCommitHash, storedCommitHash, updateBatchBytes } from '../../../../core/ledger/commit-hash';
import { EXPIRY_NAMESPACE, expiryKey, hashedNamespace } from '../../../../core/ledger/private-data';
import type { StateUpdate } from '../../../../core/ledger/versioned-state-store';
import { getTransactionsFilter } from '../../../../core/protocol/block';
import { buildRwSetEnvelope, TestChain } from '../../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

/**
 * Blocks of transactions and what Fabric's peer makes of them, produced by Fabric v2.4.9's own code:
 * a throw-away Go test in a copy of `core/ledger/kvledger/txmgmt/txmgr` built each rwset with
 * `rwsetutil.RWSetBuilder`, ran `LockBasedTxMgr.ValidateAndPrepare` (leveldb state; a CONFIG
 * processor writing "" / CHANNEL_CONFIG_ENV_BYTES as `core/peer/configtx_processor.go` does) on
 * blocks 1-3 after a genesis block, printed the final TRANSACTIONS_FILTER, the bytes of
 * `deterministicBytesForPubAndHashUpdates` and the hash chained as `kvLedger.addBlockCommitHash`
 * chains it. `code` is the flag the block carried before the ledger (10: ENDORSEMENT_POLICY_FAILURE).
 *
 * Block 1: public writes in ns1 and ns2, two keys whose UTF-16 and UTF-8 orders differ (U+FF61,
 * U+1F600), hashed writes in two collections of ns1 and in ns3 (hashed only), a `_lifecycle` write,
 * a metadata-only write to a key written by the block's first transaction, an invalid transaction.
 * Block 2: a public and a hashed delete, a hashed metadata write, a key written by two valid
 * transactions, an MVCC conflict (11), a metadata write to a missing key. Block 3: a config block,
 * whose only write (namespace "") Fabric leaves out. Block 4: a hashed write to `short`, whose data
 * lives one block ({@link POLICY}); block 6's commit deletes it (Fabric's test checked the hashed key
 * was there before block 6 and gone after), which is not in block 6's bytes.
 */
const CONFIG_TX = 'config';
const POLICY: PrivateDataPolicy = { blockToLive: (ns, coll) => (ns === 'ns1' && coll === 'short' ? 1 : 0) };
const FABRIC: readonly {
  readonly blockNum: number;
  readonly txs: readonly { readonly code: number; readonly rwset: string }[] | typeof CONFIG_TX;
  readonly filter: string;
  readonly updates: string;
  readonly commitHash: string;
}[] = [
  {
    blockNum: 1,
    txs: [
      { code: 0, rwset:
        '12ea020a036e733112351a080a026b311a0276311a080a026b321a0276321a100a03efbda11a0968616c6677696474681a0d0a04f09f98801a05656d6f6a691ab8010a05636f6c6c31128c' +
        '0112440a20f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a1a20406a0588403185cc1733c40c02d078e887bf5af6cdbf27fc1e16f1ae2e27f97b12440a20' +
        '3946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b276931a20ed89b36b3302f5b9e66c8a2f784af3f8a5cbdeea479511cee08bf85b2e1e61a11a203c7ddb441e3560' +
        '527bce6893d064a4072550461cd686183f637cc2863b1d3ecb1a710a05636f6c6c32124612440a20c75de8c1b7c3ae5252091267a736a9bf57001d80e82668b3cb3cd09e2f6a43cb1a2023' +
        'd059e180d8d4803def795bfcf52bd2e90393675bc035b8f08ae774a29792f91a2068d729c452aef3a21316a019457c83b8b3623aebdd0e54980abe76b9382e9c9f12100a036e733212091a' +
        '070a01611a02766112740a036e73331a6d0a0163124612440a209208a03139fd836ea00df8b2b68e32f0322cbde1af53025ccfd172bd987eba251a202d711642b726b04401627ca9fbac32' +
        'f5c8530fb1903cc4db02258717921a48811a2046f20350c7caf7c203709c9f65437b0064cd94e6e5a896cf63b9e9f600378317' },
      { code: 0, rwset:
        '12330a0a5f6c6966656379636c6512251a230a1d6e616d657370616365732f6669656c64732f63632f53657175656e63651a02080112290a036e7331122222200a026b31121a0a1456414c' +
        '49444154494f4e5f504152414d4554455212026570' },
      { code: 10, rwset:
        '12140a036e7331120d1a0b0a026b331a056e65766572' },
    ],
    filter: '00000a',
    updates:
      '0a350a0a5f6c6966656379636c651a1d6e616d657370616365732f6669656c64732f63632f53657175656e63652a0208013204010101010a130a036e73311a026b312a0276313204010101' +
      '010a0d1a026b322a02763232030101000a151a03efbda12a0968616c66776964746832030101000a121a04f09f98802a05656d6f6a6932030101000a501205636f6c6c311a203946ca64ff' +
      '78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b276932a20ed89b36b3302f5b9e66c8a2f784af3f8a5cbdeea479511cee08bf85b2e1e61a132030101000a491a20f64551fcd6' +
      'f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a2a20406a0588403185cc1733c40c02d078e887bf5af6cdbf27fc1e16f1ae2e27f97b32030101000a501205636f6c6c32' +
      '1a20c75de8c1b7c3ae5252091267a736a9bf57001d80e82668b3cb3cd09e2f6a43cb2a2023d059e180d8d4803def795bfcf52bd2e90393675bc035b8f08ae774a29792f932030101000a11' +
      '0a036e73321a01612a02766132030101000a510a036e73331201631a209208a03139fd836ea00df8b2b68e32f0322cbde1af53025ccfd172bd987eba252a202d711642b726b04401627ca9' +
      'fbac32f5c8530fb1903cc4db02258717921a48813203010100',
    commitHash: 'efa9fc1e8460dd4fd020d91c20291e464bd74759697e280e610781a1a95770b2',
  },
  {
    blockNum: 2,
    txs: [
      { code: 0, rwset:
        '12af010a036e733112131a090a026b311a037631621a060a026b3210011a92010a05636f6c6c31126712240a203946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b2' +
        '769310011a3f0a20f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a121b0a1456414c49444154494f4e5f504152414d4554455212037065701a20e3a91e72' +
        '9bf73086304d5c931f06f8dd78fd5acb3cd0ec22ea3c70baf604b4d0' },
      { code: 0, rwset:
        '12120a036e7331120b1a090a026b311a03763163' },
      { code: 0, rwset:
        '12110a036e7331120a0a080a026b311202080112180a036e733212111a0f0a01621a0a636f6e666c6963746564' },
      { code: 0, rwset:
        '122c0a036e7331122522230a056e6f6b6579121a0a1456414c49444154494f4e5f504152414d4554455212026570' },
    ],
    filter: '00000b00',
    updates:
      '0a140a036e73311a026b312a037631633204010201010a0b1a026b32200132030102000a301205636f6c6c311a203946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368' +
      'b27693200132030102000a491a20f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a2a20406a0588403185cc1733c40c02d078e887bf5af6cdbf27fc1e16f1' +
      'ae2e27f97b3203010200',
    commitHash: 'c72d29523201d7b85c4e687c51508152b729d95a9671103488df9c0bebd06253',
  },
  {
    blockNum: 3,
    txs: CONFIG_TX,
    filter: '00',
    updates:
      '',
    commitHash: '49bc3219191111d74343f2c67573d6924ab58562f2a2ad224b3d46e313add721',
  },
  {
    blockNum: 4,
    txs: [
      { code: 0, rwset:
        '12780a036e73311a710a0573686f7274124612440a2029a8825bd242f14386ee528d76e0e8f1e38f3c8c4047d7b2d6df7493368a17d01a20534ae04e945ff1774cb8cd368bc42b13fbee94' +
        'b620d10974778c95db18202bab1a206e16f966ee4950f7e18ed786c9b66f47e5ad4b1559c76e0a5d3c491455131edb12100a036e733212091a070a01631a027663' },
    ],
    filter: '00',
    updates:
      '0a550a036e7331120573686f72741a2029a8825bd242f14386ee528d76e0e8f1e38f3c8c4047d7b2d6df7493368a17d02a20534ae04e945ff1774cb8cd368bc42b13fbee94b620d1097477' +
      '8c95db18202bab32030104000a110a036e73321a01632a0276633203010400',
    commitHash: '1171cda625d5ac58aaafbe01982d059e17f779f976c871609ee926d72010c483',
  },
  {
    blockNum: 5,
    txs: [
      { code: 0, rwset:
        '12100a036e733212091a070a01641a027664' },
    ],
    filter: '00',
    updates:
      '0a110a036e73321a01642a0276643203010500',
    commitHash: '891c4ab7cb98c18c363991e9b010bd28ddf1a29ab3143ae4fa1dd49ab1cb9bed',
  },
  {
    blockNum: 6,
    txs: [
      { code: 0, rwset:
        '12100a036e733212091a070a01651a027665' },
    ],
    filter: '00',
    updates:
      '0a110a036e73321a01652a0276653203010600',
    commitHash: '61dcafef2d0d85c8c3bf6d4cb4e423466e22670e4236fa41af67b303f3e305d9',
  },
];

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const toHexString = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('commit hash (Fabric COMMIT_HASH metadata)', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-commit-hash-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives the update bytes, flags and chained hashes Fabric gives for the same blocks', () => {
    const store = new SqliteLedgerStoreProvider({ rootDir: dir }).open('ch1');
    const ledger = new KvLedger('ch1', store, defaultLedgerOptions, undefined, POLICY);
    const chain = new TestChain();
    ledger.commit(chain.block([]));
    try {
      for (const fixture of FABRIC) {
        const envelopes =
          fixture.txs === CONFIG_TX
            ? [buildRwSetEnvelope({ txId: 'config', rwset: new Uint8Array(0), channelId: 'ch1', type: HeaderType.CONFIG })]
            : fixture.txs.map((t, i) => buildRwSetEnvelope({ txId: `b${fixture.blockNum}t${i}`, rwset: hex(t.rwset), channelId: 'ch1' }));
        const codes = fixture.txs === CONFIG_TX ? [TxValidationCode.VALID] : fixture.txs.map((t) => t.code);
        const txs = envelopes.map((e, i) => decodeLedgerTx(e, i));
        // What the commit below computes, taken apart: the same validation over the same state.
        const updates = MvccValidator.validate(store.state, defaultLedgerOptions, fixture.blockNum, txs, codes, false, { policy: POLICY });
        expect(toHexString(updateBatchBytes(fixture.blockNum, updates.state, txs, updates.codes))).toBe(fixture.updates);

        ledger.commit(chain.block(envelopes), codes);
        const stored = ledger.getBlockByNumber(fixture.blockNum);
        if (stored === undefined) throw new Error(`block ${fixture.blockNum} was not stored`);
        expect(toHexString(getTransactionsFilter(stored))).toBe(fixture.filter);
        expect(toHexString(storedCommitHash('ch1', stored))).toBe(fixture.commitHash);
      }
      const genesis = ledger.getBlockByNumber(0);
      if (genesis === undefined) throw new Error('block 0 was not stored');
      expect(storedCommitHash('ch1', genesis)).toHaveLength(0);
    } finally {
      ledger.close();
    }
  });

  it('chains SHA-256(uvarint(len(filter)) || filter || updates || previous)', () => {
    const filter = new Uint8Array(200).fill(0);
    const updates = hex('0a0401020304');
    const previous = hex('11'.repeat(32));
    // 200 flags: a two-byte uvarint (c8 01).
    const expected = createHash('sha256').update(Buffer.concat([hex('c801'), filter, updates, previous])).digest();
    expect(toHexString(nextCommitHash(filter, updates, previous))).toBe(toHexString(expected));
  });

  it('reads a hashed write of the empty value\'s hash as a delete, as Fabric\'s IsKVWriteHashDelete does', () => {
    const store = new SqliteLedgerStoreProvider({ rootDir: dir }).open('ch1');
    try {
      const keyHash = createHash('sha256').update('k').digest();
      const emptyValueHash = new Uint8Array(createHash('sha256').digest());
      const tx: LedgerTx = {
        txNum: 0,
        txId: 't0',
        headerType: HeaderType.ENDORSER_TRANSACTION,
        timestamp: { seconds: 0, nanos: 0 },
        rwsets: [
          {
            namespace: 'cc',
            reads: [],
            ranges: [],
            writes: [],
            metadataWrites: [],
            collections: [
              { collection: 'secrets', reads: [], writes: [{ keyHash, isDelete: false, valueHash: emptyValueHash, isPurge: false }], metadataWrites: [], pvtRwsetHash: new Uint8Array(0) },
            ],
          },
        ],
      };
      const { state } = MvccValidator.validate(store.state, defaultLedgerOptions, 1, [tx], [TxValidationCode.VALID], false, { policy: POLICY });
      const hashed = state.filter((u) => u.namespace === hashedNamespace('cc', 'secrets'));
      expect(hashed).toEqual([expect.objectContaining({ key: toHexString(keyHash), value: undefined })]);
      // Updates{kvwrites: KVWrite{namespace "cc", collection "secrets", key <hash>, isDelete, version_bytes (1, 0)}}
      expect(toHexString(updateBatchBytes(1, state, [tx], [TxValidationCode.VALID]))).toBe(
        `0a36${'0a026363'}${'120773656372657473'}1a20${toHexString(keyHash)}${'2001'}${'3203010100'}`,
      );
    } finally {
      store.close();
    }
  });

  describe('leaves out what Fabric adds to its batch after taking its bytes', () => {
    const ns = 'cc';
    const coll = 'short';
    const keyHash = 'ab'.repeat(32);
    const gone = (namespace: string, key: string): StateUpdate => ({ namespace, key, value: undefined, version: { blockNum: 7, txNum: 0 } });
    const expiry = gone(EXPIRY_NAMESPACE, expiryKey(7, ns, coll, keyHash));
    const hashedDelete = gone(hashedNamespace(ns, coll), keyHash);
    /** Transaction 0 of block 7, deleting the expiring key or not. */
    const txZero = (deletesKey: boolean): LedgerTx => ({
      txNum: 0,
      txId: 't0',
      headerType: HeaderType.ENDORSER_TRANSACTION,
      timestamp: { seconds: 0, nanos: 0 },
      rwsets: [
        {
          namespace: ns,
          reads: [],
          ranges: [],
          writes: [],
          metadataWrites: [],
          collections: [
            {
              collection: coll,
              reads: [],
              writes: deletesKey ? [{ keyHash: hex(keyHash), isDelete: true, valueHash: new Uint8Array(0), isPurge: false }] : [],
              metadataWrites: [],
              pvtRwsetHash: new Uint8Array(0),
            },
          ],
        },
      ],
    });

    it('an expiry of collection data is not in the bytes', () => {
      expect(updateBatchBytes(7, [expiry, hashedDelete], [txZero(false)], [TxValidationCode.VALID])).toHaveLength(0);
    });

    it('a valid transaction 0 that deletes an expiring key is', () => {
      const bytes = updateBatchBytes(7, [expiry, hashedDelete], [txZero(true)], [TxValidationCode.VALID]);
      // Updates{kvwrites: KVWrite{namespace "cc", collection "short", key <hash>, isDelete, version_bytes (7, 0)}}
      expect(toHexString(bytes)).toBe(`0a34${'0a026363'}${'120573686f7274'}1a20${keyHash}${'2001'}${'3203010700'}`);
    });

    it('an invalid transaction 0 does not keep it', () => {
      expect(updateBatchBytes(7, [expiry, hashedDelete], [txZero(true)], [TxValidationCode.MVCC_READ_CONFLICT])).toHaveLength(0);
    });
  });
});
