/**
 * The ledger conformance suite: every `ledger` plugin runs it against its {@link LedgerStoreProvider}
 * (as Fabric's statedb `commontests` are run by each state database). Uses jest globals; not
 * re-exported from core's index.
 *
 *   import { ledgerConformance } from '../../../../core/ledger/conformance';
 *   ledgerConformance('ledger-sqlite', (dir) => new SqliteLedgerStoreProvider({ rootDir: dir }));
 */
import { describe } from '@jest/globals';
import { blockConformance } from './conformance-blocks';
import { mangoConformance } from './conformance-mango';
import { mangoCouchCasesConformance } from './conformance-mango-couch-cases';
import { mangoDocumentsConformance } from './conformance-mango-documents';
import { mangoOperatorsConformance } from './conformance-mango-operators';
import { pauseConformance } from './conformance-pause';
import { pruneConformance } from './conformance-prune';
import { queryConformance } from './conformance-queries';
import { queryPagingConformance } from './conformance-query-paging';
import { rangeConformance } from './conformance-ranges';
import { simulatorConformance } from './conformance-simulator';
import { snapshotConformance } from './conformance-snapshots';
import { snapshotPvtConformance } from './conformance-snapshot-pvt';
import { writeMetadataConformance } from './conformance-write-metadata';
import type { ProviderFactory } from './conformance-fixture';

export type { ProviderFactory };

export function ledgerConformance(name: string, makeProvider: ProviderFactory): void {
  describe(`ledger conformance: ${name}`, () => {
    simulatorConformance(makeProvider);
    writeMetadataConformance(makeProvider);
    blockConformance(makeProvider);
    queryConformance(makeProvider);
    rangeConformance(makeProvider);
    mangoConformance(makeProvider);
    mangoDocumentsConformance(makeProvider);
    mangoOperatorsConformance(makeProvider);
    mangoCouchCasesConformance(makeProvider);
    queryPagingConformance(makeProvider);
    snapshotConformance(makeProvider);
    snapshotPvtConformance(makeProvider);
    pauseConformance(makeProvider);
    pruneConformance(makeProvider);
  });
}
