import { type StateDbIndexes, readChaincodePackage, stateDbIndexes } from '../../chaincode/chaincode-package';
import { badIndexName } from '../../chaincode/statedb-index-files';
import type { InstalledChaincode } from '../../chaincode/chaincode-runtime';
import type { IndexFile } from '../../ledger/ledger';
import { pvtNamespace } from '../../ledger/private-data';
import type { Logger } from '../../node/logger';
import type { Channel } from '../channel/channel';
import { approvedChaincodes } from './lifecycle-state';

/** What the index deployer reads: installed packages and their bytes. */
export interface InstalledPackages {
  list(): InstalledChaincode[];
  load(packageId: string): Uint8Array;
}

/**
 * Declares the CouchDB indexes a chaincode package carries (`META-INF/statedb/couchdb/indexes`, and
 * `collections/<name>/indexes` for a collection's private values) on every channel where the
 * chaincode can run on this peer: defined, approved by this org for the committed sequence with a
 * package, and that package installed (Fabric's `isChaincodeInvocable`). Fabric's lifecycle event
 * broker calls its ledgers' `HandleChaincodeDeploy` at the same three moments this runs: when a
 * channel opens or is joined, after a block with a valid `_lifecycle` transaction commits, and after
 * a package is installed.
 *
 * As in Fabric, a file that is not a valid index is logged and skipped, and files go in name order:
 * a bad package must not stop the committer, and two files naming one index must end the same way
 * on every peer.
 */
export class ChaincodeIndexes {
  /** Per channel, per chaincode: the package and collections whose indexes are declared. */
  private readonly declared = new Map<string, Map<string, string>>();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly localMspId: string,
    private readonly packages: InstalledPackages,
    private readonly logger: Logger,
    /**
     * Runs an index build on the channel's commit queue: the build writes the state file from
     * another thread, so no commit may write it meanwhile. Default: right away (nothing commits).
     */
    private readonly onCommitQueue: (channel: Channel, work: () => Promise<void>) => Promise<void> = (_channel, work) => work(),
  ) {}

  /**
   * Queues a pass over `channel`'s chaincode definitions; resolves when the indexes of every
   * chaincode that can run are declared. Never rejects: failures are logged.
   */
  refresh(channel: Channel): Promise<void> {
    const run = this.tail.then(() => this.deployChannel(channel));
    this.tail = run.catch((err: unknown) => this.logger.error({ err, channel: channel.id }, 'declaring chaincode indexes failed'));
    return this.tail;
  }

  /** Resolves when every queued pass is done (the peer waits for it before closing its ledgers). */
  idle(): Promise<void> {
    return this.tail;
  }

  private async deployChannel(channel: Channel): Promise<void> {
    const installed = new Set(this.packages.list().map((p) => p.packageId));
    const wanted = approvedChaincodes(channel.ledger, this.localMspId, [...installed]).filter((c) => installed.has(c.packageId));
    const declared = this.declared.get(channel.id) ?? new Map<string, string>();
    this.declared.set(channel.id, declared);
    const parsed = new Map<string, StateDbIndexes>();
    for (const c of wanted) {
      const stamp = `${c.packageId}\u0000${c.collections.join('\u0000')}`;
      if (declared.get(c.name) === stamp) continue;
      let indexes = parsed.get(c.packageId);
      if (indexes === undefined) {
        try {
          indexes = stateDbIndexes(await readChaincodePackage(this.packages.load(c.packageId)));
        } catch (err) {
          this.logger.error({ err, channel: channel.id, chaincode: c.name, packageId: c.packageId }, 'cannot read the index files of an installed chaincode package');
          continue;
        }
        parsed.set(c.packageId, indexes);
      }
      await this.declare(channel, c.name, c.name, indexes.chaincode);
      for (const [collection, files] of indexes.collections) {
        if (!c.collections.includes(collection)) {
          this.logger.error(
            { channel: channel.id, chaincode: c.name, collection },
            `cannot create an index for an undefined collection=[${collection}]: the chaincode definition has no such collection`,
          );
          continue;
        }
        await this.declare(channel, c.name, pvtNamespace(c.name, collection), files);
      }
      declared.set(c.name, stamp);
    }
  }

  /** Builds off the node's thread, on the commit queue: a large index takes seconds to build. */
  private async declare(channel: Channel, chaincode: string, namespace: string, files: readonly IndexFile[]): Promise<void> {
    for (const file of files) {
      const problem = unstorableName(file);
      if (problem !== undefined) {
        this.logger.error({ channel: channel.id, chaincode, namespace, file: file.name }, `chaincode index not declared: ${problem}`);
        continue;
      }
      try {
        await this.onCommitQueue(channel, () => channel.ledger.declareIndexesInBackground(namespace, [file]));
        this.logger.info({ channel: channel.id, chaincode, namespace, file: file.name }, 'chaincode index declared');
      } catch (err) {
        this.logger.error({ err, channel: channel.id, chaincode, namespace, file: file.name }, 'chaincode index not declared');
      }
    }
  }
}

/** Why the ledger could not store the index a file names, if it could not (see {@link badIndexName}); malformed files are the ledger's to refuse. */
function unstorableName(file: IndexFile): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof file.content === 'string' ? file.content : Buffer.from(file.content).toString('utf8'));
  } catch {
    return undefined;
  }
  return badIndexName(parsed);
}
