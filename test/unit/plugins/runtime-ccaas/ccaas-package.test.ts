import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageCcaas } from '../../../../core/chaincode/ccaas-packager';
import { packageIdOf, readChaincodePackage, writeChaincodePackage } from '../../../../core/chaincode/chaincode-package';
import { readTarGz } from '../../../../core/chaincode/package-archive';
import { CcaasRuntime } from '../../../../plugins/runtime-ccaas';

const INDEX = JSON.stringify({ index: { fields: ['color'] }, ddoc: 'indexColorDoc', name: 'indexColor', type: 'json' });

describe('ccaas packages', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ccaas-pkg-'));
    fs.mkdirSync(path.join(dir, 'META-INF', 'statedb', 'couchdb', 'indexes'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'META-INF', 'statedb', 'couchdb', 'indexes', 'indexColor.json'), INDEX);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds metadata.json of type ccaas and code.tar.gz with connection.json at its root, as Fabric\'s ccaas builder reads it', async () => {
    const built = await packageCcaas({ label: 'basic_1.0', connection: { address: 'basic.example.com:9999', dial_timeout: '10s', tls_required: false }, metaInfFrom: dir });
    expect(built.packageId).toBe(packageIdOf('basic_1.0', built.packageBytes));
    const outer = await readTarGz(built.packageBytes, 'package', { allowDirectories: false });
    expect([...outer.keys()]).toEqual(['metadata.json', 'code.tar.gz']);
    expect(JSON.parse(Buffer.from(outer.get('metadata.json') as Uint8Array).toString())).toEqual({ path: '', type: 'ccaas', label: 'basic_1.0' });
    const code = await readTarGz(outer.get('code.tar.gz') as Uint8Array, 'code', { allowDirectories: false });
    expect([...code.keys()]).toEqual(['META-INF/statedb/couchdb/indexes/indexColor.json', 'connection.json']);
    expect(JSON.parse(Buffer.from(code.get('connection.json') as Uint8Array).toString())).toEqual({ address: 'basic.example.com:9999', dial_timeout: '10s', tls_required: false });
    // The same inputs, the same bytes: the package ID the server is started with does not drift.
    expect((await packageCcaas({ label: 'basic_1.0', connection: { address: 'basic.example.com:9999', dial_timeout: '10s', tls_required: false }, metaInfFrom: dir })).packageId).toBe(built.packageId);
  });

  it('checks connection.json before writing anything', async () => {
    await expect(packageCcaas({ label: 'basic_1.0', connection: { address: 'basic.example.com' } })).rejects.toMatchObject({ code: 'CHAINCODE_BAD_CONNECTION', details: { field: 'address' } });
    await expect(packageCcaas({ label: 'bad label', connection: { address: 'cc:1' } })).rejects.toMatchObject({ code: 'CHAINCODE_BAD_LABEL' });
  });

  it('installs on the ccaas runtime, which refuses other types, a package without connection.json and a bad field', async () => {
    const runtime = new CcaasRuntime();
    try {
      const built = await packageCcaas({ label: 'basic_1.0', connection: { address: 'basic.example.com:9999' } });
      expect(await runtime.install(built.packageBytes)).toEqual({ packageId: built.packageId, label: 'basic_1.0' });
      // A hand-made package as Fabric's docs make one: `"type": "CCaaS"` is the same type.
      const handMade = await writeChaincodePackage({ path: '', type: 'CCaaS', label: 'hand_1' }, new Map([['connection.json', Buffer.from('{"address":"h:1"}')]]));
      expect((await runtime.install(handMade)).label).toBe('hand_1');
      const node = await writeChaincodePackage({ path: 'x', type: 'node', label: 'node_1' }, new Map([['src/package.json', Buffer.from('{}')]]));
      await expect(runtime.install(node)).rejects.toMatchObject({ code: 'CHAINCODE_BAD_PACKAGE', message: expect.stringContaining('of type "node"') });
      const empty = await writeChaincodePackage({ path: '', type: 'ccaas', label: 'empty_1' }, new Map([['META-INF/x', Buffer.from('x')]]));
      await expect(runtime.install(empty)).rejects.toMatchObject({ code: 'CHAINCODE_BAD_PACKAGE', message: expect.stringContaining('holds no connection.json') });
      const bad = await writeChaincodePackage({ path: '', type: 'ccaas', label: 'bad_1' }, new Map([['connection.json', Buffer.from('{"address":"h:1","dial_timeout":"soon"}')]]));
      const badId = (await readChaincodePackage(bad)).packageId;
      await expect(runtime.install(bad)).rejects.toMatchObject({ code: 'CHAINCODE_BAD_CONNECTION', details: { field: 'dial_timeout', packageId: badId } });
      await expect(runtime.invoke(badId, undefined as never, undefined as never)).rejects.toMatchObject({ code: 'CHAINCODE_NOT_INSTALLED' });
    } finally {
      await runtime.close();
    }
  });
});
