import type { ExtraSnapshotFile } from '../../ledger/snapshot';
import { type ConfigHistoryEntry, configHistoryFiles } from '../../ledger/snapshot-config-history';
import type { JoinedChannel } from '../channel/channel-manager';
import type { PeerLedger } from '../channel/peer-ledger';
import { DefinitionHistory } from '../deliver/definition-history';
import { decodeCollectionPackage } from '../lifecycle/collection-wire';
import { definedNames } from '../lifecycle/lifecycle-state';

/**
 * Fabric's collection config history of a channel as its confighistory database holds it at the
 * ledger's current height (`confighistory.Mgr.HandleStateUpdates`): an entry at every block that
 * committed a definition of a chaincode whose definition then had collections (redefinitions that
 * leave the collections unchanged included; none for `_lifecycle`'s implicit collections, nor for a
 * definition without collections), valued with the collections after that block; plus, for a
 * ledger created from a snapshot, the entries it imported (Fabric exports its whole database, the
 * imported entries with it). Synchronous, and reads only state and blocks the height covers: the
 * snapshot manager calls it between two commits, so the history is that of the exported height.
 */
export function configHistoryOf(ledger: Pick<PeerLedger, 'getVersionedState' | 'getBlockBytes' | 'newQueryExecutor' | 'importedConfigHistory'>): ConfigHistoryEntry[] {
  const reader = ledger.newQueryExecutor();
  let names: string[];
  try {
    names = definedNames(reader);
  } finally {
    reader.done();
  }
  const history = new DefinitionHistory(ledger);
  const entries = [...ledger.importedConfigHistory()];
  for (const name of names) {
    for (const { blockNum, definition } of history.definitionCommits(name)) {
      // Fabric skips a definition whose package has no config (`len(ExplicitCollectionConfigPkg.Config) == 0`).
      if (definition === undefined || definition.collectionsBytes.length === 0) continue;
      if (definition.collections.length === 0 && decodeCollectionPackage(definition.collectionsBytes, 'Collections').getConfigList().length === 0) continue;
      entries.push({ chaincode: name, blockNum, collections: definition.collectionsBytes });
    }
  }
  return entries;
}

/** The `confighistory.data` / `.metadata` files of a snapshot of `joined` at its current height; none when the history is empty (as Fabric). */
export function configHistorySnapshotFiles(joined: JoinedChannel): ExtraSnapshotFile[] {
  return configHistoryFiles(configHistoryOf(joined.channel.ledger));
}
