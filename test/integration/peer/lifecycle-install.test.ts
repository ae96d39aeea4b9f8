import {
  GetInstalledChaincodePackageArgs,
  GetInstalledChaincodePackageResult,
  InstallChaincodeArgs,
  InstallChaincodeResult,
  QueryInstalledChaincodeArgs,
  QueryInstalledChaincodesArgs,
  QueryInstalledChaincodesResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { writeChaincodePackage } from '../../../core/chaincode/chaincode-package';
import { packageChaincode } from '../../../core/chaincode/packager';
import { KV_EVENTS_DIR, propose, rawEndorser, signerOf } from './network-fixture';
import { type OnePeer, startOnePeer } from './one-peer';

/** `_lifecycle` install and package queries on a real peer (real store, real isolated-vm runtime), as Fabric answers them. */
describe('_lifecycle InstallChaincode against Fabric and hostile packages', () => {
  let net: OnePeer;

  beforeAll(async () => {
    net = await startOnePeer('weft-peer-install-');
  }, 120_000);
  afterAll(() => net?.close());

  const call = async (fn: string, arg: Uint8Array) => {
    const endorser = rawEndorser(net.m.orgs[0], net.port);
    try {
      return (await propose(endorser, signerOf(net.m.orgs[0], 'Admin'), '', '_lifecycle', [fn, arg])).response;
    } finally {
      endorser.close();
    }
  };
  const install = (bytes: Uint8Array) => {
    const args = new InstallChaincodeArgs();
    args.setChaincodeInstallPackage(bytes);
    return call('InstallChaincode', args.serializeBinary());
  };
  const getPackage = (id: string) => {
    const args = new GetInstalledChaincodePackageArgs();
    args.setPackageId(id);
    return call('GetInstalledChaincodePackage', args.serializeBinary());
  };
  const listed = async () =>
    QueryInstalledChaincodesResult.deserializeBinary((await call('QueryInstalledChaincodes', new QueryInstalledChaincodesArgs().serializeBinary())).payload)
      .getInstalledChaincodesList()
      .map((c) => c.getPackageId());

  it('installs a package once; the second install fails as Fabric fails it', async () => {
    const bytes = (await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' })).packageBytes;
    const first = await install(bytes);
    expect(first.status).toBe(200);
    const id = InstallChaincodeResult.deserializeBinary(first.payload).getPackageId();
    const again = await install(bytes);
    expect(again.status).toBe(500);
    expect(again.message).toBe(`failed to invoke backing implementation of 'InstallChaincode': chaincode already successfully installed (package ID '${id}')`);
    expect(await listed()).toContain(id);
    const got = await getPackage(id);
    expect(Buffer.from(GetInstalledChaincodePackageResult.deserializeBinary(got.payload).getChaincodeInstallPackage_asU8()).equals(Buffer.from(bytes))).toBe(true);
  }, 60_000);

  it('a package whose sources the runtime refuses is not left installed', async () => {
    const bytes = await writeChaincodePackage(
      { path: 'evil', type: 'node', label: 'evil_1' },
      new Map([
        ['src/package.json', Buffer.from('{"name":"evil","version":"1.0.0","main":"index.js"}')],
        ['src/index.js', Buffer.from("module.exports = require('/etc/passwd');")],
      ]),
    );
    const res = await install(bytes);
    expect(res.status).toBe(500);
    expect(res.message).toMatch(/an absolute path: chaincode may import only files inside its package/);
    expect((await listed()).filter((id) => id.startsWith('evil_1:'))).toEqual([]);
  }, 60_000);

  it.each(['../../../../etc/passwd', `../x:${'a'.repeat(64)}`, `x:${'a'.repeat(64)}/../../y`])('GetInstalledChaincodePackage and QueryInstalledChaincode refuse package ID %j', async (id) => {
    const got = await getPackage(id);
    expect(got.status).toBe(500);
    expect(got.message).toContain('invalid package ID');
    const query = new QueryInstalledChaincodeArgs();
    query.setPackageId(id);
    const queried = await call('QueryInstalledChaincode', query.serializeBinary());
    expect(queried.status).toBe(500);
    expect(queried.message).toContain('not found');
  });
});
