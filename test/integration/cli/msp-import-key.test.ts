import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { X509MspProvider, generateOrg, type GeneratedOrg, type X509MspOptions } from '../../../plugins/msp-x509';
import { SOFTHSM_LIBRARY, softHsm, type SoftHsm } from '../../unit/plugins/msp-x509/softhsm';

const REPO = path.resolve(__dirname, '../../..');
const PIN = '24681357';

interface Outcome {
  readonly status: number | null;
  readonly json: Record<string, unknown>;
  readonly stderr: string;
}

describe('weft msp import-key (a real SoftHSM token)', () => {
  let hsm: SoftHsm;
  let dir: string;
  let org: GeneratedOrg;
  let label: string;

  function weft(args: string[], env: Record<string, string> = { WEFT_PKCS11_PIN: PIN }): Outcome {
    const r = spawnSync(process.execPath, ['--no-node-snapshot', path.join(REPO, 'bin', 'dev.js'), 'msp', 'import-key', ...args, '--json'], {
      encoding: 'utf8',
      cwd: REPO,
      env: { ...process.env, WEFT_PKCS11_PIN: '', SOFTHSM2_CONF: hsm.conf, ...env },
    });
    return { status: r.status, json: JSON.parse(r.stdout || '{}') as Record<string, unknown>, stderr: r.stderr };
  }

  beforeAll(async () => {
    hsm = softHsm('cli');
    label = hsm.initToken('org1', PIN);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-msp-import-key-'));
    org = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer' }, dir);
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    hsm.remove();
  });

  it('moves the key into the token, removes the file only then, prints the YAML, and is idempotent', () => {
    const msp = org.nodes.peer0!.mspDir;
    const keyFile = path.join(msp, 'keystore', 'priv_sk');
    const first = weft([msp, '--library', SOFTHSM_LIBRARY, '--label', label]);
    expect(first.stderr).not.toContain(PIN);
    expect(first).toMatchObject({ status: 0, json: { created: true, removedFile: keyFile } });
    expect(fs.existsSync(keyFile)).toBe(false);
    const yaml = parseYaml(String(first.json.yaml)) as { plugins: { msp: { plugin: string; options: X509MspOptions } } };
    expect(yaml.plugins.msp).toEqual({ plugin: 'msp-x509', options: { bccsp: { default: 'PKCS11', pkcs11: { library: SOFTHSM_LIBRARY, label } } } });

    // The printed options, with the PIN in the environment, give a signer whose signatures verify.
    process.env.WEFT_PKCS11_PIN = PIN;
    const provider = new X509MspProvider(yaml.plugins.msp.options);
    try {
      const signer = provider.loadSigningIdentity(msp, 'Org1MSP');
      expect(signer.verify(Buffer.from('hello'), signer.sign(Buffer.from('hello')))).toBe(true);
    } finally {
      provider.close();
      delete process.env.WEFT_PKCS11_PIN;
    }

    expect(weft([msp, '--library', SOFTHSM_LIBRARY, '--label', label])).toMatchObject({ status: 0, json: { created: false } });
  });

  it('refuses a token that is not there, a missing PIN and a folder without a key, writing nothing', () => {
    const admin = org.users.Admin!.mspDir;
    const keyFile = path.join(admin, 'keystore', 'priv_sk');
    expect(weft([admin, '--library', SOFTHSM_LIBRARY, '--label', 'no-such-token'])).toMatchObject({ status: 1, json: { error: { code: 'MSP_PKCS11_TOKEN_NOT_FOUND' } } });
    expect(weft([admin, '--library', SOFTHSM_LIBRARY, '--label', label], {})).toMatchObject({ status: 1, json: { error: { code: 'HSM_PIN_MISSING' } } });
    expect(weft([admin, '--library', SOFTHSM_LIBRARY, '--label', label], { WEFT_PKCS11_PIN: '00000000' })).toMatchObject({ status: 1, json: { error: { code: 'MSP_PKCS11_LOGIN' } } });
    expect(fs.existsSync(keyFile)).toBe(true);
    fs.rmSync(path.join(admin, 'keystore'), { recursive: true });
    expect(weft([admin, '--library', SOFTHSM_LIBRARY, '--label', label])).toMatchObject({ status: 1, json: { error: { code: 'MSP_BAD_FOLDER' } } });
  });
});
