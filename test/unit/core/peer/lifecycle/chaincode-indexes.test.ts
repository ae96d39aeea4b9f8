import { CommitChaincodeDefinitionArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { writeChaincodePackage } from '../../../../../core/chaincode/chaincode-package';
import type { InstalledChaincode } from '../../../../../core/chaincode/chaincode-runtime';
import type { IndexFile } from '../../../../../core/ledger/ledger';
import type { Logger } from '../../../../../core/node/logger';
import type { Channel } from '../../../../../core/peer/channel/channel';
import { ChaincodeIndexes } from '../../../../../core/peer/lifecycle/chaincode-indexes';
import { simOrgState, simPublicState, writeApproval, writeCommitted } from '../../../../../core/peer/lifecycle/lifecycle-layout';
import { definitionOf, writeDefinition } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { MemoryWorld } from '../../chaincode/memory-simulator';
import { testDefinition } from '../../../../support/chaincode-definition';

const DEF = testDefinition('cc', { version: '1', validationParameter: new Uint8Array(0) });

/** One channel where `cc` is defined and approved by Org1MSP with `packageId`: its ledger records what is declared. */
function channelWith(packageId: string, declared: string[]): Channel {
  const world = new MemoryWorld();
  const sim = world.simulator();
  const def = definitionOf(writeDefinition(new CommitChaincodeDefinitionArgs(), DEF));
  writeCommitted(simPublicState(sim), def);
  writeApproval(simOrgState(sim, 'Org1MSP'), def, packageId);
  world.commit(sim);
  const ledger = {
    newQueryExecutor: () => world.simulator('query'),
    declareIndexesInBackground: async (namespace: string, files: readonly IndexFile[]) => void declared.push(...files.map((f) => `${namespace} ${f.name}`)),
  };
  return { id: 'ch', ledger } as unknown as Channel;
}

test('an index whose name or ddoc the ledger cannot store is skipped with a reason; the others are declared', async () => {
  const index = (name: string, ddoc?: string) => Buffer.from(JSON.stringify({ index: { fields: ['owner'] }, name, ...(ddoc === undefined ? {} : { ddoc }) }));
  const bytes = await writeChaincodePackage(
    { path: 'p', type: 'node', label: 'cc_1' },
    new Map([
      ['src/package.json', Buffer.from('{}')],
      ['META-INF/statedb/couchdb/indexes/a.json', index('byOwner')],
      ['META-INF/statedb/couchdb/indexes/b.json', index('nul\u0000name')],
      ['META-INF/statedb/couchdb/indexes/c.json', index('ok', 'ddoc\u0000')],
      ['META-INF/statedb/couchdb/indexes/d.json', index('\ud800')],
    ]),
  );
  const installed: InstalledChaincode = { packageId: `cc_1:${'0'.repeat(64)}`, label: 'cc_1' };
  const errors: string[] = [];
  const logger = { error: (_o: unknown, msg: string) => void errors.push(msg), info: () => undefined } as unknown as Logger;
  const declared: string[] = [];
  const indexes = new ChaincodeIndexes('Org1MSP', { list: () => [installed], load: () => bytes }, logger);
  await indexes.refresh(channelWith(installed.packageId, declared));
  expect(declared).toEqual(['cc a.json']);
  expect(errors).toEqual([
    'chaincode index not declared: "name" "nul\\u0000name" holds a control character',
    'chaincode index not declared: "ddoc" "ddoc\\u0000" holds a control character',
    'chaincode index not declared: "name" "\\ud800" holds a lone UTF-16 surrogate',
  ]);
});
