import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { DEFAULT_INIT_OPTIONS, initNetwork, initNetworkFromFile } from '../../../../cli/services/network/network-init';
import { NetworkLayout, type NodeLayout } from '../../../../cli/services/network/network-layout';
import { loadNetworkSpec, NETWORK_FILE } from '../../../../cli/services/network/network-spec';
import { nodeHealthy } from '../../../../cli/services/network/node-processes';
import { operationsClientOf } from '../../../../cli/services/network/org-keys';
import { loadNodeConfig } from '../../../../core/node/config';
import { OperationsServer, readOperationsTls } from '../../../../core/node/operations/operations-server';
import { toOrdererNodeConfig } from '../../../../core/orderer/orderer-config';
import { parsePeerConfig } from '../../../../core/peer/peer-config';

/** The operations TLS a node's generated config asks for, as the node reads it. */
function operationsTlsOf(node: NodeLayout) {
  const config = loadNodeConfig(node.configFile);
  if (node.kind === 'orderer') return toOrdererNodeConfig(config).orderer.operations?.tls;
  const tls = parsePeerConfig(config).peer.operations?.tls;
  return tls === undefined ? undefined : { cert: tls.certFile, key: tls.keyFile, clientRootCAs: tls.rootCertFiles, clientAuthRequired: tls.clientAuthRequired };
}

/** The node's operations server, started from its generated config on a free port. */
async function startOperations(node: NodeLayout): Promise<OperationsServer> {
  const t = operationsTlsOf(node)!;
  const server = new OperationsServer({
    listenAddress: '127.0.0.1:0',
    version: 'test',
    tls: readOperationsTls('operations.tls', { cert: t.cert!, key: t.key!, clientRootCAs: t.clientRootCAs, clientAuthRequired: t.clientAuthRequired }, { cert: 'cert', key: 'key', clientRootCAs: 'clientRootCAs' }),
  });
  await server.start();
  return server;
}

describe('operations endpoints of a --mutual-tls network', () => {
  let tmp: string;
  const servers: OperationsServer[] = [];
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ops-tls-'));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("serve HTTPS on loopback, /metrics and /logspec for the node's org's TLS clients only; plain HTTP stays the default", async () => {
    const dir = path.join(tmp, 'mtls');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, mutualTls: true, basePort: 30000 });
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    expect(layout.spec.operations).toEqual({ tls: true, clientAuthRequired: false });
    const [orderer, peer1, peer2] = layout.nodes();
    expect(operationsTlsOf(orderer!)).toEqual({
      cert: path.join(orderer!.tlsDir, 'server.crt'),
      key: path.join(orderer!.tlsDir, 'server.key'),
      clientRootCAs: [layout.orgTlsCaCert(undefined)],
      clientAuthRequired: false,
    });
    // Its org's TLS CA, as the peer's own copy.
    expect(operationsTlsOf(peer2!)).toMatchObject({ clientRootCAs: [peer2!.tlsRootCertPath], clientAuthRequired: false });
    expect(fs.readFileSync(peer2!.tlsRootCertPath, 'utf8')).toBe(fs.readFileSync(layout.orgTlsCaCert(layout.spec.orgs[1]), 'utf8'));
    expect(operationsClientOf(layout, peer1!)?.cert.toString()).toBe(fs.readFileSync(layout.user(layout.spec.orgs[0]!, 'Admin').tlsCertPath, 'utf8'));
    expect(operationsClientOf(layout, orderer!)?.cert.toString()).toBe(fs.readFileSync(layout.ordererAdmin().tlsCertPath, 'utf8'));

    // /healthz stays open: a directory without the node's org's keys still sees its health.
    const server = await startOperations(peer2!);
    servers.push(server);
    expect(await nodeHealthy({ ...peer2!, operationsAddress: server.address() })).toBe(true);

    const plain = path.join(tmp, 'plain');
    await initNetwork(plain, { ...DEFAULT_INIT_OPTIONS, basePort: 30000 });
    const plainLayout = new NetworkLayout(plain, loadNetworkSpec(plain));
    expect(plainLayout.nodes().map((n) => [n.operationsTls, operationsTlsOf(n)])).toEqual([
      [false, undefined],
      [false, undefined],
      [false, undefined],
    ]);
    expect(operationsClientOf(plainLayout, plainLayout.peers()[0]!)).toBeUndefined();
  });

  it('clientAuthRequired in network.yaml closes /healthz too; the CLI presents its org client certificate', async () => {
    const source = path.join(tmp, 'source');
    await initNetwork(source, { ...DEFAULT_INIT_OPTIONS, mutualTls: true, basePort: 30000 });
    const raw = parseYaml(fs.readFileSync(path.join(source, NETWORK_FILE), 'utf8')) as { operations: Record<string, unknown> };
    raw.operations.clientAuthRequired = true;
    const file = path.join(tmp, 'strict.yaml');
    fs.writeFileSync(file, stringifyYaml(raw));
    const dir = path.join(tmp, 'strict');
    await initNetworkFromFile(dir, file);
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    const peer = layout.peers()[0]!;
    expect(operationsTlsOf(peer)).toMatchObject({ clientAuthRequired: true });

    const server = await startOperations(peer);
    servers.push(server);
    const running = { ...peer, operationsAddress: server.address() };
    expect(await nodeHealthy(running, operationsClientOf(layout, peer))).toBe(true);
    expect(await nodeHealthy(running)).toBe(false);
    // Another org's client certificate chains to a network TLS CA, but not to the node's org's.
    expect(await nodeHealthy(running, operationsClientOf(layout, layout.peers()[1]!))).toBe(false);
  });

  it('keeps a network.yaml written before operations.tls existed on plain HTTP', async () => {
    const dir = path.join(tmp, 'older');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, mutualTls: true, basePort: 30000 });
    const file = path.join(dir, NETWORK_FILE);
    const raw = parseYaml(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    delete raw.operations;
    fs.writeFileSync(file, stringifyYaml(raw));
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    expect(layout.nodes().map((n) => n.operationsTls)).toEqual([false, false, false]);
  });
});
