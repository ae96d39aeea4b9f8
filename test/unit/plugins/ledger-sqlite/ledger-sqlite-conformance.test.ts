import { ledgerConformance } from '../../../../core/ledger/conformance';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

ledgerConformance('ledger-sqlite', (dir) => new SqliteLedgerStoreProvider({ rootDir: dir }));
