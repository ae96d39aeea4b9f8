/**
 * An orderer serving many channels among the same orgs: what each channel costs it. The registrar
 * with the real plugins (SQLite ledger, solo, X.509 MSP, Fabric policies).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeLogging } from '../../../core/node/logger';
import { Registrar } from '../../../core/orderer/registrar';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite/sqlite-ledger-store-provider';
import { loadSigningIdentity } from '../../../plugins/msp-x509';
import { SoloConsenter } from '../../../plugins/orderer-solo';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { generateMaterial, genesisBlock, tmpDir, type Material } from './orderer-fixture';
import { CountingMspProvider } from '../../support/counting-msp-provider';

const CHANNELS = 20;

describe('an orderer on many channels among the same orgs', () => {
  let dir: string;
  let m: Material;

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-many-');
    m = await generateMaterial(dir);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const registrarWith = (msp: CountingMspProvider): Registrar =>
    new Registrar({
      ledgers: new SqliteLedgerStoreProvider({ rootDir: path.join(dir, 'ledgers') }),
      consenter: new SoloConsenter({ logLevel: 'silent', syncWal: false }),
      providers: { mspProvider: msp, policyProvider: new FabricPolicyProvider() },
      signer: loadSigningIdentity(m.ordererOrg.nodes.orderer!.mspDir, 'OrdererMSP'),
      dataDir: path.join(dir, 'orderer'),
      logger: new NodeLogging('silent').logger('orderer.common.multichannel'),
    });

  it('builds each org MSP once, not once per channel, on join and on restart', async () => {
    const msp = new CountingMspProvider();
    const registrar = registrarWith(msp);
    registrar.start();
    const ids = Array.from({ length: CHANNELS }, (_, i) => `ch${i}`);
    for (const id of ids) registrar.join(genesisBlock(m, id));
    // The application org and the orderer org, whatever the number of channels.
    expect(msp.built).toBe(2);
    for (const id of ids) expect(registrar.require(id).support.resources.msps.mspIds()).toEqual(expect.arrayContaining(['Org1MSP', 'OrdererMSP']));
    await registrar.stop();

    const restarted = new CountingMspProvider();
    const reopened = registrarWith(restarted);
    reopened.start();
    expect(reopened.list().map((c) => c.name)).toEqual([...ids].sort());
    expect(restarted.built).toBe(2);
    await reopened.stop();
  });
});
