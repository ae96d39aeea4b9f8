import * as fs from 'node:fs';
import * as path from 'node:path';
import { LedgerError } from '../errors';
import { fsyncPath } from '../node/durable-files';
import type { BlockchainInfo } from './ledger';
import type { ChannelLedgerStore } from './ledger-store-provider';
import type { ExtraSnapshotFile, SnapshotExport, SnapshotMetadata } from './snapshot';
import { LEDGER_SNAPSHOT_FILES } from './snapshot-format';
import {
  additionalMetadataJson,
  isSnapshotFileName,
  sha256Hex,
  signableMetadataJson,
  SNAPSHOT_ADDITIONAL_METADATA_FILE,
  SNAPSHOT_SIGNABLE_METADATA_FILE,
  WEFT_STATE_DB_TYPE,
} from './snapshot-metadata';

const PARTIAL = '.partial-';

function checkExtra(channelId: string, extra: readonly ExtraSnapshotFile[]): void {
  const seen = new Set<string>();
  for (const [i, f] of extra.entries()) {
    const name = (f as Partial<ExtraSnapshotFile> | undefined)?.name;
    const problem =
      typeof name !== 'string' || !isSnapshotFileName(name)
        ? `extra[${i}].name ${JSON.stringify(name)} is not a plain file name`
        : LEDGER_SNAPSHOT_FILES.includes(name) || seen.has(name)
          ? `extra[${i}].name ${JSON.stringify(name)} is already a file of the snapshot`
          : !(f.bytes instanceof Uint8Array)
            ? `extra[${i}].bytes must be a Uint8Array`
            : undefined;
    if (problem !== undefined) throw new LedgerError('LEDGER_BAD_SNAPSHOT', `channel ${channelId}: ${problem}`, { channelId, argument: 'extra', index: i, problem });
    seen.add(name as string);
  }
}

async function writeSynced(file: string, bytes: Uint8Array | string): Promise<void> {
  const handle = await fs.promises.open(file, 'wx', 0o444);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * `Ledger.exportSnapshot` over a store that can export (Fabric's `generateSnapshot`): the store writes
 * its data files into a temp directory beside `dir` on its own thread, this adds the caller's extra
 * files and the two metadata files (0444, each fsynced), syncs the directory and renames it to `dir`.
 * A failure removes the temp directory; one a crash left is removed by the next export to `dir`.
 */
export function exportSnapshot(channelId: string, store: ChannelLedgerStore, info: BlockchainInfo & Pick<SnapshotMetadata, 'lastBlockCommitHash'>, dir: string, extra: readonly ExtraSnapshotFile[]): SnapshotExport {
  const target = path.resolve(dir);
  if (fs.existsSync(target)) throw new LedgerError('LEDGER_SNAPSHOT_EXISTS', `channel ${channelId}: snapshot directory ${target} already exists`, { channelId, dir: target });
  if (info.height === 0) throw new LedgerError('LEDGER_SNAPSHOT_EMPTY', `channel ${channelId}: the ledger has no block to snapshot`, { channelId });
  if (!Array.isArray(extra)) throw new LedgerError('LEDGER_BAD_SNAPSHOT', `channel ${channelId}: extra must be an array of {name, bytes}`, { channelId, argument: 'extra' });
  checkExtra(channelId, extra);
  if (store.exportSnapshot === undefined) {
    throw new LedgerError('LEDGER_SNAPSHOT_UNSUPPORTED', `channel ${channelId}: this ledger plugin cannot export snapshots`, { channelId });
  }
  const parent = path.dirname(target);
  const prefix = `.${path.basename(target)}${PARTIAL}`;
  fs.mkdirSync(parent, { recursive: true });
  for (const leftover of fs.readdirSync(parent)) if (leftover.startsWith(prefix)) fs.rmSync(path.join(parent, leftover), { recursive: true, force: true });
  const temp = fs.mkdtempSync(path.join(parent, prefix));
  let stored;
  try {
    stored = store.exportSnapshot(temp, info.height);
  } catch (e) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw e;
  }
  const done = (async (): Promise<SnapshotMetadata> => {
    try {
      const fileHashes = new Map(await stored.done);
      for (const f of extra) {
        await writeSynced(path.join(temp, f.name), f.bytes);
        fileHashes.set(f.name, Buffer.from(sha256Hex(f.bytes), 'hex'));
      }
      const signable = { channelName: channelId, lastBlockNumber: info.height - 1, lastBlockHash: info.currentBlockHash, previousBlockHash: info.previousBlockHash, fileHashes, stateDbType: WEFT_STATE_DB_TYPE };
      const signableJson = signableMetadataJson(signable);
      await writeSynced(path.join(temp, SNAPSHOT_SIGNABLE_METADATA_FILE), signableJson);
      const snapshotHash = Buffer.from(sha256Hex(Buffer.from(signableJson, 'utf8')), 'hex');
      const commitHash = info.lastBlockCommitHash;
      await writeSynced(path.join(temp, SNAPSHOT_ADDITIONAL_METADATA_FILE), additionalMetadataJson(snapshotHash, commitHash));
      fsyncPath(temp);
      // rename(2) would replace an empty directory created meanwhile: refuse it instead.
      if (fs.existsSync(target)) throw new LedgerError('LEDGER_SNAPSHOT_EXISTS', `channel ${channelId}: snapshot directory ${target} appeared during the export`, { channelId, dir: target });
      await fs.promises.rename(temp, target);
      fsyncPath(parent);
      return { ...signable, snapshotHash, ...(commitHash === undefined ? {} : { lastBlockCommitHash: commitHash }) };
    } catch (e) {
      await fs.promises.rm(temp, { recursive: true, force: true });
      if (e instanceof LedgerError) throw e;
      throw new LedgerError('LEDGER_STORE_FAILED', `channel ${channelId}: writing snapshot ${target} failed: ${(e as Error).message}`, { channelId, dir: target }, { cause: e });
    }
  })();
  return { captured: stored.captured, done };
}
