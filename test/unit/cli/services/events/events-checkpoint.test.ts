import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkpointers } from '@hyperledger/fabric-gateway';
import {
  CHECKPOINT_HEADER_FORMAT,
  type CheckpointScope,
  checkCheckpointHeader,
  checkpointHeaderPath,
  parseCheckpointState,
  planCheckpoint,
} from '../../../../../cli/services/events/events-checkpoint';
import { refusal } from '../../../../support/refusal';

const KV: CheckpointScope = { stream: 'chaincode', channel: 'mychannel', chaincode: 'kv' };
const BLOCKS: CheckpointScope = { stream: 'block', channel: 'mychannel' };

/** The files of a folder, with their text: what "nothing changed" compares. */
const snapshot = (dir: string): Record<string, string> => Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));

describe('events checkpoint files', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-checkpoint-'));
    file = path.join(dir, 'cp');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes fabric-gateway\'s checkpoint format, each position replacing the file whole (never rewritten in place)', async () => {
    const checkpointer = await planCheckpoint(file, BLOCKS).open();
    await checkpointer.checkpointBlock(4n);
    const inode = fs.statSync(file).ino;
    await checkpointer.checkpointBlock(5n);
    expect(fs.statSync(file).ino).not.toBe(inode);
    expect(fs.readdirSync(dir).sort()).toEqual(['cp', 'cp.header.json']);
    // The client's own file checkpointer reads it, and what it writes is read back.
    const client = await checkpointers.file(file);
    expect([client.getBlockNumber(), client.getTransactionId()]).toEqual([6n, undefined]);
    await client.checkpointTransaction(9n, 'tx-z');
    expect(planCheckpoint(file, BLOCKS).state).toEqual({ blockNumber: 9n, transactionId: 'tx-z' });
  });

  it('round-trips: a plan of the saved file resumes after the last event', async () => {
    const fresh = planCheckpoint(file, KV);
    expect(fresh.state).toEqual({});
    expect(fs.existsSync(file)).toBe(false); // planning writes nothing
    const checkpointer = await fresh.open();
    await checkpointer.checkpointTransaction(12n, 'tx-a');
    expect(JSON.parse(fs.readFileSync(checkpointHeaderPath(file), 'utf8'))).toEqual({ format: CHECKPOINT_HEADER_FORMAT, ...KV });
    const again = planCheckpoint(file, KV);
    expect(again.state).toEqual({ blockNumber: 12n, transactionId: 'tx-a' });
    expect(again.adopted).toBe(false);
  });

  it('refuses a checkpoint of another chaincode, channel or stream, naming the field, and changes nothing', async () => {
    await (await planCheckpoint(file, KV).open()).checkpointTransaction(3n, 'tx-b');
    const before = snapshot(dir);
    for (const scope of [{ ...KV, chaincode: 'other' }, { ...KV, channel: 'otherchannel' }, BLOCKS]) {
      const err = refusal(() => planCheckpoint(file, scope));
      expect(err).toMatchObject({ code: 'CHECKPOINT_MISMATCH', details: { field: '--checkpoint', checkpoint: KV, expected: scope } });
      expect(err.message).toContain('nothing was changed');
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a state file that is not the client\'s JSON, or a header that is not Weft\'s, as CHECKPOINT_CORRUPT', () => {
    for (const text of ['{"blockNumber":', '[1,2]', '{"blockNumber":12}', '{"blockNumber":"-1"}', '{"blockNumber":"5","transactionId":7}']) {
      fs.writeFileSync(file, text);
      expect(refusal(() => planCheckpoint(file, KV))).toMatchObject({ code: 'CHECKPOINT_CORRUPT', details: { field: '--checkpoint', file } });
    }
    fs.writeFileSync(file, '');
    for (const header of ['not json', '{"format":"something-else"}', 'null']) {
      fs.writeFileSync(checkpointHeaderPath(file), header);
      expect(refusal(() => planCheckpoint(file, KV)).code).toBe('CHECKPOINT_CORRUPT');
    }
  });

  it('refuses a checkpoint that cannot be read (a folder in its place) as CHECKPOINT_UNREADABLE', () => {
    fs.mkdirSync(file);
    expect(refusal(() => planCheckpoint(file, KV))).toMatchObject({ code: 'CHECKPOINT_UNREADABLE', details: { field: '--checkpoint' } });
  });

  it('adopts an application\'s header-less checkpoint, but not a chaincode position for a block stream', async () => {
    fs.writeFileSync(file, JSON.stringify({ blockNumber: '7', transactionId: 'tx-c' }));
    const plan = planCheckpoint(file, KV);
    expect(plan).toMatchObject({ adopted: true, state: { blockNumber: 7n, transactionId: 'tx-c' } });
    expect(refusal(() => planCheckpoint(file, BLOCKS)).code).toBe('CHECKPOINT_MISMATCH');
    await plan.open();
    expect(JSON.parse(fs.readFileSync(checkpointHeaderPath(file), 'utf8'))).toMatchObject(KV);
    expect(planCheckpoint(file, KV).adopted).toBe(false);
  });

  it('parses what the client writes and checks a header alone', () => {
    expect(parseCheckpointState('', file)).toEqual({});
    expect(parseCheckpointState('{}', file)).toEqual({});
    expect(parseCheckpointState('{"blockNumber":"9007199254740993"}', file)).toEqual({ blockNumber: 9007199254740993n });
    expect(() => checkCheckpointHeader({ format: CHECKPOINT_HEADER_FORMAT, ...BLOCKS }, BLOCKS, file)).not.toThrow();
    expect(refusal(() => checkCheckpointHeader({ format: CHECKPOINT_HEADER_FORMAT, ...BLOCKS }, KV, file)).message).toContain('stream, chaincode differ');
  });
});
