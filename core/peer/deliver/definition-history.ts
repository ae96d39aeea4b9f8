import { decodeLedgerTx } from '../../ledger/block-txs';
import type { Version } from '../../ledger/tx-simulator';
import { parseBlock } from '../../protocol/block';
import type { PeerLedger } from '../channel/peer-ledger';
import { type ChaincodeDefinition, definitionIn, definitionKey, LIFECYCLE_NAMESPACE } from '../lifecycle/lifecycle-state';

/** One committed definition of a chaincode: where it was written, and the version it replaced. */
interface Committed {
  readonly blockNum: number;
  readonly definition: ChaincodeDefinition | undefined;
  /** The version the commit read (and MVCC confirmed) before writing; undefined: none, or not recorded. */
  readonly replaced: Version | undefined;
}

/**
 * Fabric's collection config history (`ConfigHistoryRetriever.MostRecentCollectionConfigBelow`)
 * for one Deliver request, from the blocks themselves instead of a history database: each
 * `_lifecycle` CommitChaincodeDefinition reads the definition it replaces, so the committed
 * definition's version leads to its transaction, whose read set names the version before it, and
 * so on back. Each definition is decoded once per request, from the block that wrote it; the walk
 * goes back only past definitions committed at or after the block asked about. A definition whose
 * commit did not record that read (written by something other than `_lifecycle`'s commit), or
 * whose block this peer does not hold (a ledger joined from a snapshot), ends the walk: nothing is
 * known of the definitions before it.
 */
export class DefinitionHistory {
  private readonly commits = new Map<string, Committed | undefined>();
  /** Definitions decoded from state, by key and version, before (or without) their block was read. */
  private readonly decoded = new Map<string, ChaincodeDefinition | undefined>();

  constructor(private readonly ledger: Pick<PeerLedger, 'getVersionedState' | 'getBlockBytes'>) {}

  /** The definition of `name` committed in the most recent block below `blockNum`, or undefined. */
  below(name: string, blockNum: number): ChaincodeDefinition | undefined {
    const key = definitionKey(name);
    const stored = this.ledger.getVersionedState(LIFECYCLE_NAMESPACE, key);
    if (stored === undefined) return undefined;
    // The committed one is decoded from state: its block need not be read (nor be held).
    if (stored.version.blockNum < blockNum) return this.current(key, stored.version, stored.value);
    let version: Version | undefined = stored.version;
    while (version !== undefined) {
      const commit = this.commit(key, version);
      if (commit === undefined) return undefined;
      if (commit.blockNum < blockNum) return commit.definition;
      version = commit.replaced;
    }
    return undefined;
  }

  private current(key: string, version: Version, value: Uint8Array): ChaincodeDefinition | undefined {
    const id = idOf(key, version);
    const known = this.commits.get(id);
    if (known !== undefined) return known.definition;
    // What it replaced is read from its block only when an older block is asked about.
    if (!this.decoded.has(id)) this.decoded.set(id, value.length === 0 ? undefined : definitionIn(value));
    return this.decoded.get(id);
  }

  private commit(key: string, version: Version): Committed | undefined {
    const id = idOf(key, version);
    if (this.commits.has(id)) return this.commits.get(id);
    const found = this.read(key, version, id);
    this.commits.set(id, found);
    return found;
  }

  private read(key: string, version: Version, id: string): Committed | undefined {
    const bytes = this.ledger.getBlockBytes(version.blockNum);
    if (bytes === undefined) return undefined;
    const envelope = parseBlock(bytes, { verifyDataHash: false }).block.getData()?.getDataList_asU8()[version.txNum];
    if (envelope === undefined) return undefined;
    const ns = decodeLedgerTx(envelope, version.txNum).rwsets?.find((s) => s.namespace === LIFECYCLE_NAMESPACE);
    const write = ns?.writes.find((w) => w.key === key);
    if (ns === undefined || write === undefined) return undefined;
    // The same object as decoded from state, if it was: membership answers are kept by definition.
    const decoded = this.decoded.get(id);
    return {
      blockNum: version.blockNum,
      definition: this.decoded.has(id) ? decoded : write.isDelete || write.value.length === 0 ? undefined : definitionIn(write.value),
      replaced: ns.reads.find((r) => r.key === key)?.version,
    };
  }
}

function idOf(key: string, version: Version): string {
  return `${key}\u0000${version.blockNum}\u0000${version.txNum}`;
}
