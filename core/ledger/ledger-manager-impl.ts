import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { LedgerError } from '../errors';
import { KvLedger } from './kv-ledger';
import type { Ledger } from './ledger';
import { validateChannelId } from './ledger-keys';
import type { LedgerManager } from './ledger-manager';
import { LedgerOptions } from './ledger-options';
import type { LedgerStoreProvider } from './ledger-store-provider';
import { verifySnapshotFiles } from './snapshot-metadata';

/** One {@link KvLedger} per channel over the configured store plugin; each opened once per process. */
export class LedgerManagerImpl implements LedgerManager {
  readonly options: LedgerOptions;
  private readonly ledgers = new Map<string, KvLedger>();
  /** Channels whose snapshot import is under way: neither created nor opened until it ends. */
  private readonly importing = new Set<string>();

  constructor(
    private readonly provider: LedgerStoreProvider,
    options: Partial<LedgerOptions> = {},
  ) {
    const parsed = LedgerOptions.safeParse(options);
    if (!parsed.success) {
      throw new LedgerError('LEDGER_BAD_OPTIONS', `ledger options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    this.options = parsed.data;
  }

  create(channelId: string, genesisBlock?: Block): Ledger {
    validateChannelId(channelId);
    this.refuseExisting(channelId);
    const ledger = this.openStore(channelId);
    if (genesisBlock !== undefined) {
      try {
        ledger.commit(genesisBlock);
      } catch (e) {
        ledger.close();
        this.ledgers.delete(channelId);
        throw e;
      }
    }
    return ledger;
  }

  async createFromSnapshot(snapshotDir: string, onProgress?: (loaded: number) => void): Promise<Ledger> {
    const metadata = await verifySnapshotFiles(snapshotDir);
    const channelId = metadata.channelName;
    this.refuseExisting(channelId);
    if (this.provider.importSnapshot === undefined) {
      throw new LedgerError('LEDGER_SNAPSHOT_UNSUPPORTED', `this ledger plugin cannot create a ledger from a snapshot (channel ${channelId})`, { channelId });
    }
    this.importing.add(channelId);
    try {
      await this.provider.importSnapshot(snapshotDir, metadata, onProgress);
    } finally {
      this.importing.delete(channelId);
    }
    return this.openStore(channelId);
  }

  open(channelId: string): Ledger {
    validateChannelId(channelId);
    const open = this.ledgers.get(channelId);
    if (open !== undefined) return open;
    if (!this.provider.exists(channelId)) {
      const known = this.provider.list();
      throw new LedgerError('LEDGER_UNKNOWN_CHANNEL', `channel ${channelId} has no ledger on this node; known channels: ${known.length > 0 ? known.join(', ') : '(none)'}`, {
        channelId,
        known,
      });
    }
    return this.openStore(channelId);
  }

  exists(channelId: string): boolean {
    validateChannelId(channelId);
    return this.ledgers.has(channelId) || this.provider.exists(channelId);
  }

  list(): string[] {
    return [...new Set([...this.provider.list(), ...this.ledgers.keys()])].sort();
  }

  close(): void {
    for (const l of this.ledgers.values()) l.close();
    this.ledgers.clear();
  }

  /** `LEDGER_CHANNEL_EXISTS`, naming a pause (Fabric's "already exists with state [INACTIVE]"), which a join must not undo. */
  private refuseExisting(channelId: string): void {
    if (!this.ledgers.has(channelId) && !this.importing.has(channelId) && !this.provider.exists(channelId)) return;
    const paused = this.provider.paused?.(channelId) === true;
    throw new LedgerError(
      'LEDGER_CHANNEL_EXISTS',
      paused
        ? `channel ${channelId} already has a ledger, paused: run weft peer resume --channel ${channelId} with the peer stopped, then start it`
        : `channel ${channelId} already has a ledger`,
      { channelId, paused },
    );
  }

  private openStore(channelId: string): KvLedger {
    const store = this.provider.open(channelId);
    let ledger: KvLedger;
    try {
      ledger = new KvLedger(channelId, store, this.options, () => this.ledgers.delete(channelId));
    } catch (e) {
      store.close();
      throw e;
    }
    this.ledgers.set(channelId, ledger);
    return ledger;
  }
}
