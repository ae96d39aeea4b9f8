import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { chaincodeDebugInfo, vscodeLaunchConfig } from '../../../../cli/services/chaincode/debug-targets';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';

const FIXTURE = path.join(__dirname, '../../plugins/runtime-isolated-vm/fixtures/debuggable');

/**
 * `weft chaincode debug` reads which peers of a network directory are in debug mode from their
 * configs and asks each for the chaincode's targets: here a runtime in debug mode stands where
 * the peer's runtime would, on the port the peer's config names.
 */
describe('weft chaincode debug', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ccdebug-'));
  const net = path.join(root, 'net');
  /** Made by `weft network init --chaincode-debug`. */
  const debugNet = path.join(root, 'debug-net');
  beforeAll(async () => {
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: await findFreePorts(20) });
    await initNetwork(debugNet, { ...DEFAULT_INIT_OPTIONS, basePort: await findFreePorts(20), chaincodeDebug: true });
  }, 60_000);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a network without debug mode is refused with the config line to add', async () => {
    await expect(chaincodeDebugInfo(openNetwork(net), 'orders')).rejects.toThrow(/chaincode debugging is not enabled on .*: their configs set no plugins\.runtime\.options\.inspector/);
  });

  test('network init --chaincode-debug gives each peer an inspector port of its own, after the nodes\' ports, and its Gateway an hour', () => {
    const layout = openNetwork(debugNet);
    const nodePorts = layout.nodes().flatMap((n) => [n.address, n.adminAddress, n.operationsAddress]).filter((a) => a !== undefined).map((a) => Number(a.split(':').pop()));
    const debugPorts = layout.peers().map((p) => p.debugPort!);
    expect(debugPorts).toEqual([Math.max(...nodePorts) + 1, Math.max(...nodePorts) + 2]);
    for (const peer of layout.peers()) {
      const config = parseYaml(fs.readFileSync(peer.configFile, 'utf8')) as { plugins: { runtime: { options: unknown } }; peer: { gateway: { endorsementTimeoutMs?: number } } };
      expect(config.plugins.runtime.options).toEqual({ inspector: { port: peer.debugPort } });
      expect(config.peer.gateway.endorsementTimeoutMs).toBe(3_600_000);
    }
    // network.yaml says so, and reads back the same.
    expect(fs.readFileSync(path.join(debugNet, 'network.yaml'), 'utf8')).toContain(`debugPort: ${debugPorts[0]}`);
    // Without the flag: no inspector, Fabric's endorsement timeout.
    const plain = parseYaml(fs.readFileSync(openNetwork(net).peers()[0]!.configFile, 'utf8')) as { plugins: { runtime: { options: unknown } }; peer: { gateway: { endorsementTimeoutMs?: number } } };
    expect(plain.plugins.runtime.options).toEqual({});
    expect(plain.peer.gateway.endorsementTimeoutMs).toBeUndefined();
  });

  test("a peer in debug mode lists the chaincode's packages, the latest first, with a launch.json that maps the sources", async () => {
    const layout = openNetwork(debugNet);
    const [peer, other] = layout.peers();
    const port = peer!.debugPort!;

    const rt = new IsolatedVmRuntime({ inspector: { port } });
    try {
      const older = (await rt.install((await packageChaincode({ projectDir: FIXTURE, label: 'orders_1.0' })).packageBytes)).packageId;
      const newer = (await rt.install((await packageChaincode({ projectDir: FIXTURE, label: 'orders_1.0-dev.20261125.010203Z' })).packageBytes)).packageId;
      await rt.install((await packageChaincode({ projectDir: FIXTURE, label: 'ordersextra_1.0' })).packageBytes);

      const [info, ...others] = await chaincodeDebugInfo(layout, 'orders');
      // The other peer's runtime is not running here.
      expect(others).toEqual([expect.objectContaining({ peer: other!.id, error: expect.stringMatching(/does not answer/) as string })]);
      expect(info).toMatchObject({ peer: peer!.id, inspector: { host: '127.0.0.1', port } });
      expect(info!.targets.map((t) => t.packageId)).toEqual([newer, older]);
      expect(info!.targets[0]!.webSocketDebuggerUrl).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${port}/[0-9a-f-]{36}$`));
      expect(vscodeLaunchConfig('orders', info!, '/home/dev/orders')).toMatchObject({
        type: 'node',
        request: 'attach',
        port,
        sourceMapPathOverrides: { 'chaincode:///*': '/home/dev/orders/*' },
      });
    } finally {
      await rt.close();
    }
    const [down] = await chaincodeDebugInfo(layout, 'orders');
    expect(down!.error).toMatch(/does not answer/);
  }, 60_000);
});
