import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { SOFTHSM_LIBRARY, softHsm, type SoftHsm } from '../../unit/plugins/msp-x509/softhsm';
import { json, runCli } from './run-cli';

const PIN = '75318642';
const TOKEN_ENV = ['WEFT_PKCS11_PIN', 'WEFT_PKCS11_LIBRARY', 'WEFT_PKCS11_LABEL'] as const;

/**
 * `weft network init --no-tls`: the peers serve plaintext while the orderer keeps TLS, so the peers
 * must dial the orderer with TLS to pull blocks and broadcast. Deploy and invoke prove both. The
 * chaincode is deployed with `--init-required`, so `invoke --is-init` must come first.
 * The same network proves `--hsm-library`/`--hsm-label` (no second start-up): every node and user
 * signing key is born in a SoftHSM token, the nodes sign there (WEFT_PKCS11_PIN) and so do the
 * CLI's Admins and users (WEFT_PKCS11_LIBRARY/LABEL), with no keystore file anywhere.
 */
describe('weft network init --no-tls --hsm-library, a chaincode with --init-required (real processes)', () => {
  let tmp: string;
  let net: string;
  let hsm: SoftHsm;
  let label: string;
  let up = false;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-notls-'));
    net = path.join(tmp, 'net');
    hsm = softHsm('e2e-notls');
    label = hsm.initToken('net', PIN);
    // The CLI's children (and the nodes `network up` starts) inherit these, and SOFTHSM2_CONF.
    Object.assign(process.env, { WEFT_PKCS11_PIN: PIN, WEFT_PKCS11_LIBRARY: SOFTHSM_LIBRARY, WEFT_PKCS11_LABEL: label });
  });
  afterAll(async () => {
    if (up) await runCli(['network', 'down', net, '--grace', '5']);
    for (const name of TOKEN_ENV) delete process.env[name];
    hsm?.remove();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('deploys, initializes once with --is-init, commits a transaction and queries it, every signature made in the token', async () => {
    const base = await findFreePorts(7);
    const init = json(await runCli(['network', 'init', net, '--base-port', String(base), '--batch-timeout', '250ms', '--no-tls', '--hsm-library', SOFTHSM_LIBRARY, '--hsm-label', label, '--json']));
    expect(init.signingKeyToken).toEqual({ library: SOFTHSM_LIBRARY, label });
    const keystoreFiles = fs
      .readdirSync(path.join(net, 'organizations'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && path.basename(e.parentPath) === 'keystore');
    expect(keystoreFiles).toEqual([]);
    up = true;
    expect((await runCli(['network', 'up', net])).code).toBe(0);
    const status = json(await runCli(['network', 'status', net, '--json'])) as { up: boolean; orgKeysHere: string[]; orderers: { keysHere: boolean }[]; peers: { keysHere: boolean }[] };
    expect(status.up).toBe(true);
    expect([...status.orderers, ...status.peers].every((n) => n.keysHere)).toBe(true);
    expect(status.orgKeysHere).toEqual(['OrdererMSP', 'Org1MSP', 'Org2MSP']);
    const project = path.join(tmp, 'items');
    json(await runCli(['new', 'chaincode', 'items', '--dir', project, '--json']));
    const deployed = json(
      await runCli(['chaincode', 'deploy', net, project, '--name', 'items', '--policy', "OR('Org1MSP.peer','Org2MSP.peer')", '--init-required', '--json']),
    );
    expect(deployed).toEqual(expect.objectContaining({ name: 'items', sequence: 1 }));

    const early = await runCli(['chaincode', 'invoke', net, '--name', 'items', 'Create', 'item0', 'red']);
    expect(early.code).not.toBe(0);
    expect(early.message).toMatch(/chaincode 'items' has not been initialized for this version, must call as init first/);
    // Contract chaincode runs Init like any call: the function named is what runs.
    expect(json(await runCli(['chaincode', 'invoke', net, '--name', 'items', '--is-init', 'Create', 'item0', 'red', '--json']))).toEqual(
      expect.objectContaining({ validationCode: 'VALID' }),
    );
    const again = await runCli(['chaincode', 'invoke', net, '--name', 'items', '--is-init', 'Create', 'item9', 'red']);
    expect(again.code).not.toBe(0);
    expect(again.message).toMatch(/already initialized but called as init/);

    const created = json(await runCli(['chaincode', 'invoke', net, '--name', 'items', 'Create', 'item1', 'blue', '--json']));
    expect(created).toEqual(expect.objectContaining({ validationCode: 'VALID', valid: true }));
    const read = json(await runCli(['chaincode', 'query', net, '--name', 'items', 'Read', 'item1', '--json']));
    expect(read.json).toEqual({ ID: 'item1', Owner: 'Org1MSP', Value: 'blue' });

    const down = json(await runCli(['network', 'down', net, '--json'])) as { nodes: { result: string }[] };
    up = false;
    expect(down.nodes.map((n) => n.result).every((r) => r === 'stopped' || r === 'killed')).toBe(true);
  }, 180_000);
});
