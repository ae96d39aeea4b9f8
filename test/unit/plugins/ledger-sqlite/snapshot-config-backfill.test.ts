/**
 * A ledger committed before the channel config was kept in state: its snapshot still carries the
 * newest config, at the version Fabric's committer would have given it.
 */
import { BlockMetadataIndex, Envelope, HeaderType, Payload } from '@hyperledger/fabric-protos/lib/common/common_pb';
import Database from 'better-sqlite3';
import * as path from 'node:path';
import { makeFixture, type Fixture, str, utf8 } from '../../../../core/ledger/conformance-fixture';
import { buildRwSetEnvelope } from '../../../../core/ledger/test-blocks';
import { lastConfigMetadata, setBlockMetadata } from '../../../../core/protocol/block';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

function configTx(txId: string, data: string): Uint8Array {
  const env = Envelope.deserializeBinary(buildRwSetEnvelope({ txId, rwset: new Uint8Array(0), channelId: 'ch1', type: HeaderType.CONFIG }));
  const payload = Payload.deserializeBinary(env.getPayload_asU8());
  payload.setData(utf8(data));
  env.setPayload(payload.serializeBinary());
  return env.serializeBinary();
}

describe('ledger-sqlite: channel config of a ledger from before it was kept in state', () => {
  let f: Fixture;
  afterEach(() => f.close());

  it('is written from the newest config block before an export or a read of it', async () => {
    f = makeFixture((dir) => new SqliteLedgerStoreProvider({ rootDir: dir }));
    let lastConfig = 0;
    const commit = (env: Uint8Array, isConfig: boolean): void => {
      const block = f.chain.block([env]);
      if (isConfig) lastConfig = block.getHeader()!.getNumber();
      setBlockMetadata(block, BlockMetadataIndex.LAST_CONFIG, lastConfigMetadata(lastConfig));
      f.ledger.commit(block);
    };
    commit(configTx('c0', 'config-0'), true);
    commit(f.tx('t1', (s) => s.setState('cc', 'a', utf8('1'))), false);
    commit(configTx('c2', 'config-2'), true);
    commit(f.tx('t3', (s) => s.setState('cc', 'b', utf8('2'))), false);
    const expected = await f.ledger.exportSnapshot(path.join(f.dir, 'with')).done;

    // As an older build left it: no config in state.
    f.manager.close();
    const db = new Database(path.join(f.dir, 'ch1_state.sqlite'));
    expect(db.prepare("DELETE FROM state WHERE ns = ''").run().changes).toBe(1);
    db.close();
    f.reopen();
    const exported = await f.ledger.exportSnapshot(path.join(f.dir, 'without')).done;
    expect(Buffer.from(exported.snapshotHash).toString('hex')).toBe(Buffer.from(expected.snapshotHash).toString('hex'));
    expect(str(f.ledger.channelConfigEnvelope())).toBe('config-2');
  });
});
