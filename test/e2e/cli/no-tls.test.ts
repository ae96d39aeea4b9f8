import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { json, runCli } from './run-cli';

/**
 * `weft network init --no-tls`: the peers serve plaintext while the orderer keeps TLS, so the peers
 * must dial the orderer with TLS to pull blocks and broadcast. Deploy and invoke prove both. The
 * chaincode is deployed with `--init-required`, so `invoke --is-init` must come first.
 */
describe('weft network init --no-tls, a chaincode with --init-required (real processes)', () => {
  let tmp: string;
  let net: string;
  let up = false;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-notls-'));
    net = path.join(tmp, 'net');
  });
  afterAll(async () => {
    if (up) await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('deploys, initializes once with --is-init, commits a transaction and queries it', async () => {
    const base = await findFreePorts(7);
    json(await runCli(['network', 'init', net, '--base-port', String(base), '--batch-timeout', '250ms', '--no-tls', '--json']));
    up = true;
    expect((await runCli(['network', 'up', net])).code).toBe(0);
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
