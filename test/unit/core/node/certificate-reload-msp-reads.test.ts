import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CertificateReloader } from '../../../../core/node/certificate-reload';
import { NodeLogging } from '../../../../core/node/logger';
import { generateOrg, X509MspProvider } from '../../../../plugins/msp-x509';

/** Every folder listed, passed on to the real file system: the MSP folder is read by listing it. */
const listed: string[] = [];
jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof fs>('node:fs');
  const readdirSync = (dir: fs.PathLike, ...rest: unknown[]): unknown => {
    listed.push(path.resolve(String(dir)));
    return (real.readdirSync as (d: fs.PathLike, ...r: unknown[]) => unknown)(dir, ...rest);
  };
  return { ...real, readdirSync };
});

/**
 * The local MSP folder (certificates, keystore, config.yaml) is read once as the node starts and
 * once per certificate reload: its MSP and its signing identity come from the same read.
 */
test('a start and each reload read the local MSP folder once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-msp-reads-'));
  try {
    const org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', users: [] }, dir);
    const { mspDir } = org.nodes.peer0!;
    const reads = (): number => listed.filter((d) => d === path.resolve(mspDir, 'cacerts')).length;
    listed.length = 0;

    const reloader = new CertificateReloader({ msp: { dir: mspDir, id: org.mspId, provider: new X509MspProvider() }, logger: new NodeLogging('silent').logger('certmonitor') });
    expect(reads()).toBe(1);
    expect(reloader.reload()).toEqual({ result: 'unchanged' });
    expect(reads()).toBe(2);

    // A folder that changed is switched to, from that one read too: its MSP and the signer it validated.
    const tlsRoots = (): number => reloader.localMsp.config.getTlsRootCertsList_asU8().length;
    const before = tlsRoots();
    fs.copyFileSync(org.tlsCaCertPath, path.join(mspDir, 'tlscacerts', 'renewed-tlsca.pem'));
    expect(reloader.reload()).toMatchObject({ result: 'reloaded', localMsp: { dir: mspDir } });
    expect(reads()).toBe(3);
    expect(tlsRoots()).toBe(before + 1);
    expect(() => reloader.localMsp.deserializeIdentity(reloader.signer.serialized).validate()).not.toThrow();
    reloader.stop();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
