import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { Contract, Gateway } from '@hyperledger/fabric-gateway';
import { packageIdOf, readChaincodePackage, writeChaincodePackage } from '../../../core/chaincode/chaincode-package';
import { packageChaincode } from '../../../core/chaincode/packager';
import { collectionPackage } from '../../support/lifecycle-collections';
import { peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, INDEXED_DIR, approve, commitDefinition, eventually, gatewayFor, install } from './network-fixture';

const COLLECTIONS = collectionPackage({ name: 'shared' });
const utf8 = new TextDecoder();

/** The indexes declared in peer `i`'s state file, as `<namespace> <ddoc>/<name>`. */
function declaredIndexes(net: InProcessNetwork, i: 0 | 1): string[] {
  const db = new Database(path.join(net.peerFiles[i].dataDir, 'ledgers', `${CHANNEL}_state.sqlite`), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT ns, ddoc, name FROM declared_indexes ORDER BY ns, ddoc, name').all() as { ns: string; ddoc: string; name: string }[];
    return rows.map((r) => `${r.ns} ${r.ddoc}/${r.name}`);
  } finally {
    db.close();
  }
}

/** Waits until peer `i` has declared exactly `expected` (a pass runs after its block commits). */
function declaredEventually(net: InProcessNetwork, i: 0 | 1, expected: readonly string[]): Promise<void> {
  return eventually(() => expect(declaredIndexes(net, i)).toEqual(expected));
}

const FIRST = ['indexed /bySize', 'indexed indexOwnerDoc/indexOwner', 'indexed$$pshared privateDoc/privateOwner'];

describe("a chaincode package's CouchDB index files become indexes of the channel's state", () => {
  let net: InProcessNetwork;
  let admins: Gateway[];
  let contract: Contract;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-indexes-' });
    admins = [gatewayFor(net.m.orgs[0], net.clients[0], 'Admin'), gatewayFor(net.m.orgs[1], net.clients[1], 'Admin')];
    net.gateways.push(...admins);
    const user = gatewayFor(net.m.orgs[0], net.clients[0]);
    net.gateways.push(user);
    contract = user.getNetwork(CHANNEL).getContract('indexed');
  }, 60_000);

  afterAll(() => net?.close());

  it('declares them once the chaincode is defined, approved and installed: at commit on one peer, at install on the other', async () => {
    const built = await packageChaincode({ projectDir: INDEXED_DIR, label: 'indexed_1' });
    await install(net.m.orgs[0], net.ports[0], built.packageBytes);
    await Promise.all(admins.map((a) => approve(a, 'indexed', 1, built.packageId, false, CHANNEL, COLLECTIONS)));
    await peersInSync(net.peers);
    // Approved and installed, not yet defined: nothing to declare.
    expect(declaredIndexes(net, 0)).toEqual([]);
    await commitDefinition(admins[0], 'indexed', 1, false, CHANNEL, COLLECTIONS);
    await peersInSync(net.peers);

    // The index of the undefined collection `ghost` is not declared.
    await declaredEventually(net, 0, FIRST);
    expect(declaredIndexes(net, 1)).toEqual([]);
    await install(net.m.orgs[1], net.ports[1], built.packageBytes);
    expect(declaredIndexes(net, 1)).toEqual(FIRST);

    for (const [key, owner] of [
      ['a1', 'alice'],
      ['a2', 'bob'],
      ['a3', 'alice'],
    ]) {
      await contract.submit('Put', { arguments: [key, owner, '1'] });
    }
    await contract.submit('PutPrivate', { arguments: ['shared', 'p1', 'carol'] });
    expect(utf8.decode(await contract.evaluateTransaction('ByOwner', 'alice'))).toBe('["a1","a3"]');
    expect(utf8.decode(await contract.evaluateTransaction('PrivateByOwner', 'shared', 'carol'))).toBe('["p1"]');
  }, 120_000);

  it('skips an invalid index file of a package built elsewhere, declares the others, and keeps committing', async () => {
    const first = await readChaincodePackage((await packageChaincode({ projectDir: INDEXED_DIR, label: 'indexed_1' })).packageBytes);
    const code = new Map(first.code);
    code.set('META-INF/statedb/couchdb/indexes/broken.json', Buffer.from('{"index":{"fields":[]},"name":"broken"}'));
    code.set('META-INF/statedb/couchdb/indexes/byColor.json', Buffer.from('{"index":{"fields":["color"]},"name":"byColor"}'));
    const bytes = await writeChaincodePackage({ ...first.metadata, label: 'indexed_2' }, code);
    const packageId = packageIdOf('indexed_2', bytes);
    for (const i of [0, 1] as const) await install(net.m.orgs[i], net.ports[i], bytes);
    await Promise.all(admins.map((a) => approve(a, 'indexed', 2, packageId, false, CHANNEL, COLLECTIONS)));
    await peersInSync(net.peers);
    await commitDefinition(admins[0], 'indexed', 2, false, CHANNEL, COLLECTIONS);
    await peersInSync(net.peers);

    const second = ['indexed /byColor', ...FIRST].sort();
    for (const i of [0, 1] as const) await declaredEventually(net, i, second);
    await contract.submit('Put', { arguments: ['a4', 'alice', '2'] });
    expect(utf8.decode(await contract.evaluateTransaction('ByOwner', 'alice'))).toBe('["a1","a3","a4"]');
  }, 120_000);
});
