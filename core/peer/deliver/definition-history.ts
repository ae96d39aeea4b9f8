import { ProtocolError } from '../../errors';
import { decodeLedgerTx } from '../../ledger/block-txs';
import type { Version } from '../../ledger/tx-simulator';
import type { ConfigHistoryEntry } from '../../ledger/snapshot-config-history';
import { parseBlock } from '../../protocol/block';
import type { PeerLedger } from '../channel/peer-ledger';
import { decodeCollectionPackage, encodeCollectionPackage } from '../lifecycle/collection-wire';
import { describeCollections } from '../lifecycle/collections';
import { LIFECYCLE_SELF_DEFINITION, NAMESPACES, committedReader } from '../lifecycle/lifecycle-layout';
import { decodeStateData, fieldKey } from '../lifecycle/lifecycle-serializer';
import { type ChaincodeDefinition, definitionIn, definitionKey, LIFECYCLE_NAMESPACE, readDefinition } from '../lifecycle/lifecycle-state';

/** One committed value of a key of a definition: where it was written, and the version it replaced. */
interface Committed {
  readonly blockNum: number;
  readonly definition: ChaincodeDefinition | undefined;
  /** The version the commit read (and MVCC confirmed) before writing; undefined: none, or not recorded. */
  readonly replaced: Version | undefined;
}

/** How a walk back along one key ended: a definition found, the key's first write passed, or a gap. */
type Walked = { readonly definition: ChaincodeDefinition | undefined } | 'first' | 'unknown';

/**
 * Fabric's collection config history (`ConfigHistoryRetriever.MostRecentCollectionConfigBelow`)
 * for one Deliver request, from the blocks themselves instead of a history database. In Fabric's
 * layout a commit rewrites `namespaces/fields/<cc>/Collections` only when the collections change,
 * after reading it (Fabric's serializer reads every field it may overwrite), so the key's committed
 * version leads to the transaction that wrote it, whose read set names the version before it, and
 * so on back: exactly the history of the collections, which is all Deliver judges by (older
 * entries hold the collections alone). The first write of that key replaced nothing; before it, a
 * ledger written by earlier Weft versions may hold definitions under the legacy key
 * (`definitionKey`), walked the same way. `_lifecycle` itself has its implicit org collections
 * at every height. A write whose commit did not record its read, or whose
 * block this peer does not hold (a ledger joined from a snapshot), ends the walk; below a
 * snapshot's block the history the ledger imported with it answers (Fabric's confighistory entries:
 * one per definition commit of a chaincode with collections). Each value is decoded once per request.
 */
export class DefinitionHistory {
  private readonly commits = new Map<string, Committed | undefined>();
  /** Definitions read from state, by key and version. */
  private readonly current = new Map<string, ChaincodeDefinition | undefined>();
  private imported: readonly ConfigHistoryEntry[] | undefined;

  constructor(private readonly ledger: Pick<PeerLedger, 'getVersionedState' | 'getBlockBytes' | 'importedConfigHistory'>) {}

  /** The definition of `name` committed in the most recent block below `blockNum`, or undefined. */
  below(name: string, blockNum: number): ChaincodeDefinition | undefined {
    // `_lifecycle`'s collections are the implicit org ones at every height: an org's peers pull its approvals here.
    if (name === LIFECYCLE_NAMESPACE) return LIFECYCLE_SELF_DEFINITION;
    const fabric = this.walk(name, fieldKey(NAMESPACES, name, 'Collections'), blockNum, collectionsOnly, () => readDefinition(committedReader(this.ledger), name));
    if (fabric === 'unknown') return this.importedBelow(name, blockNum);
    if (fabric !== 'first') return fabric.definition;
    const legacy = this.walk(name, definitionKey(name), blockNum, (_, value) => definitionIn(value), (value) => definitionIn(value));
    return legacy === 'first' || legacy === 'unknown' ? undefined : legacy.definition;
  }

  /**
   * The blocks this peer holds that committed a definition of `name` (Fabric's `UpdatedChaincodes`:
   * each write of its `Sequence` field), newest first, each with the collections the definition
   * held after it; found by walking back along the `Sequence` key's versions, which every commit
   * reads before writing. Ends at the first definition, or at a block this peer does not hold.
   */
  definitionCommits(name: string): { readonly blockNum: number; readonly definition: ChaincodeDefinition | undefined }[] {
    const key = fieldKey(NAMESPACES, name, 'Sequence');
    const out: { blockNum: number; definition: ChaincodeDefinition | undefined }[] = [];
    let version = this.ledger.getVersionedState(LIFECYCLE_NAMESPACE, key)?.version;
    while (version !== undefined) {
      const commit = this.commit(name, key, version, () => undefined);
      if (commit === undefined) break;
      out.push({ blockNum: commit.blockNum, definition: this.below(name, commit.blockNum + 1) });
      version = commit.replaced;
    }
    return out;
  }

  /** The imported history's newest entry of `name` below `blockNum` (Fabric's `MostRecentCollectionConfigBelow`). */
  private importedBelow(name: string, blockNum: number): ChaincodeDefinition | undefined {
    this.imported ??= this.ledger.importedConfigHistory();
    // Key order: a chaincode's entries newest first.
    const entry = this.imported.find((e) => e.chaincode === name && e.blockNum < blockNum);
    if (entry === undefined) return undefined;
    const id = `imported\u0000${name}\u0000${entry.blockNum}`;
    if (!this.current.has(id)) this.current.set(id, collectionsDefinition(name, entry.collections));
    return this.current.get(id);
  }

  /** Walks back along `key`; `decode` reads a value a block wrote, `fromState` the committed definition. */
  private walk(
    name: string,
    key: string,
    blockNum: number,
    decode: (name: string, value: Uint8Array) => ChaincodeDefinition | undefined,
    fromState: (value: Uint8Array) => ChaincodeDefinition | undefined,
  ): Walked {
    const stored = this.ledger.getVersionedState(LIFECYCLE_NAMESPACE, key);
    if (stored === undefined) return 'first';
    // The committed one is read from state: its block need not be read (nor be held).
    if (stored.version.blockNum < blockNum) {
      const id = idOf(key, stored.version);
      if (!this.current.has(id)) this.current.set(id, fromState(stored.value));
      return { definition: this.current.get(id) };
    }
    let version: Version | undefined = stored.version;
    while (version !== undefined) {
      const commit = this.commit(name, key, version, decode);
      if (commit === undefined) return 'unknown';
      if (commit.blockNum < blockNum) return { definition: commit.definition };
      version = commit.replaced;
    }
    return 'first';
  }

  private commit(name: string, key: string, version: Version, decode: (name: string, value: Uint8Array) => ChaincodeDefinition | undefined): Committed | undefined {
    const id = idOf(key, version);
    if (this.commits.has(id)) return this.commits.get(id);
    const found = this.read(name, key, version, decode);
    this.commits.set(id, found);
    return found;
  }

  private read(name: string, key: string, version: Version, decode: (name: string, value: Uint8Array) => ChaincodeDefinition | undefined): Committed | undefined {
    const bytes = this.ledger.getBlockBytes(version.blockNum);
    if (bytes === undefined) return undefined;
    const envelope = parseBlock(bytes, { verifyDataHash: false }).block.getData()?.getDataList_asU8()[version.txNum];
    if (envelope === undefined) return undefined;
    const ns = decodeLedgerTx(envelope, version.txNum).rwsets?.find((s) => s.namespace === LIFECYCLE_NAMESPACE);
    const write = ns?.writes.find((w) => w.key === key);
    if (ns === undefined || write === undefined) return undefined;
    // The same object as read from state, if it was: membership answers are kept by definition.
    const id = idOf(key, version);
    return {
      blockNum: version.blockNum,
      definition: this.current.has(id) ? this.current.get(id) : write.isDelete || write.value.length === 0 ? undefined : decode(name, write.value),
      replaced: ns.reads.find((r) => r.key === key)?.version,
    };
  }
}

/**
 * A definition holding only the collections a `Collections` field value (`StateData` bytes)
 * carries; undefined when they do not decode (as Fabric's history would hold no config).
 */
function collectionsOnly(name: string, value: Uint8Array): ChaincodeDefinition | undefined {
  try {
    const data = decodeStateData(value, 'Collections');
    return collectionsDefinition(name, data !== undefined && 'bytes' in data ? data.bytes : new Uint8Array(0));
  } catch (err) {
    if (err instanceof ProtocolError) return undefined;
    throw err;
  }
}

/** A definition holding only the collections of a `CollectionConfigPackage`'s bytes; undefined when they do not decode. */
function collectionsDefinition(name: string, packageBytes: Uint8Array): ChaincodeDefinition | undefined {
  try {
    const pkg = decodeCollectionPackage(packageBytes, 'Collections');
    return { ...LIFECYCLE_SELF_DEFINITION, name, collections: describeCollections(pkg), collectionsBytes: encodeCollectionPackage(pkg) };
  } catch (err) {
    if (err instanceof ProtocolError) return undefined;
    throw err;
  }
}

function idOf(key: string, version: Version): string {
  return `${key}\u0000${version.blockNum}\u0000${version.txNum}`;
}
