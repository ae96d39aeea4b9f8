import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChaincodeEvent, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
import { deployChaincode } from '../chaincode/deploy';
import { committedEverywhere } from './committed-everywhere';
import { privateDataSteps } from './demo-private-data';
import { retryOnTakenPort } from './port-race';
import { gatewayFailure } from '../chaincode/gateway-errors';
import { loadClientIdentity } from '../client/client-identity';
import { GatewaySession } from '../client/gateway-session';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../network/network-init';
import { findFreePorts } from '../free-ports';
import { openNetwork } from '../network/network-access';
import { networkDown, networkUp } from '../network/network-control';
import { weftRoot } from '../repo-root';

export interface DemoStep {
  readonly step: string;
  readonly result: string;
  readonly ms: number;
}

export interface DemoResult {
  readonly dir: string;
  readonly kept: boolean;
  readonly steps: DemoStep[];
  readonly events: { blockNumber: string; transactionId: string; eventName: string; payload: string }[];
  readonly totalMs: number;
}

/**
 * `weft demo`: a 2-org network in a temporary directory (BatchTimeout 250 ms), brought up, the
 * asset-transfer chaincode deployed, assets created, read, transferred and listed through the
 * Fabric Gateway while chaincode events are collected, then private data between the two orgs
 * ({@link privateDataSteps}), and the network brought down.
 */
export async function runDemo(options: { keep: boolean }, report: (line: string) => void): Promise<DemoResult> {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-demo-'));
  const steps: DemoStep[] = [];
  const events: DemoResult['events'] = [];
  const step = async (name: string, fn: () => Promise<string>): Promise<string> => {
    const t = Date.now();
    const result = await fn();
    steps.push({ step: name, result, ms: Date.now() - t });
    report(`${name}: ${result}`);
    return result;
  };
  let up = false;
  try {
    // A user's first command: a port taken between the check and a node's bind is not theirs to fix.
    await retryOnTakenPort(
      async () => {
        const basePort = await findFreePorts(7);
        await step('init network', async () => {
          const r = await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, orgs: 2, batchTimeout: '250ms', basePort, logLevel: 'warn' });
          return `${r.nodes.length} nodes, channel ${r.channel}, in ${r.dir}`;
        });
        await step('network up', async () => {
          up = true;
          const r = await networkUp(dir, () => {});
          return [...r.orderers.map((o) => `${o.id} ${o.address}`), ...r.peers.map((p) => `${p.id} ${p.address}`)].join(', ');
        });
      },
      async (err) => {
        report(`${String(err.details.node)} could not bind its port (taken since it was found free): again with other ports`);
        await networkDown(dir, 5000, () => {}).catch(() => undefined);
        up = false;
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { mode: 0o700 });
      },
    );
    const layout = openNetwork(dir);
    await step('deploy asset-transfer as "basic"', async () => {
      const r = await deployChaincode(layout, path.join(weftRoot(), 'chaincode-examples', 'asset-transfer'), { name: 'basic', version: '1.0', initRequired: false }, () => {});
      return `${r.packageId}, sequence ${r.sequence}, on ${r.installedOn.length} peers`;
    });

    const session = new GatewaySession(layout, loadClientIdentity(layout.user(layout.spec.orgs[0]!, 'User1')));
    const session2 = new GatewaySession(layout, loadClientIdentity(layout.user(layout.spec.orgs[1]!, 'User1')));
    let stream: CloseableAsyncIterable<ChaincodeEvent> | undefined;
    try {
      const network = session.gateway.getNetwork(layout.spec.channel.name);
      const contract = network.getContract('basic');
      const contract2 = session2.gateway.getNetwork(layout.spec.channel.name).getContract('basic');
      stream = await network.getChaincodeEvents('basic');
      const listening = (async () => {
        for await (const e of stream!) {
          const ev = { blockNumber: e.blockNumber.toString(), transactionId: e.transactionId, eventName: e.eventName, payload: Buffer.from(e.payload).toString('utf8') };
          events.push(ev);
          report(`  event ${ev.eventName} in block ${ev.blockNumber}: ${ev.payload}`);
        }
      })().catch(() => undefined);
      const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
      const gateways = [session.gateway, session2.gateway];
      const submit = async (c: typeof contract, fn: string, ...args: string[]): Promise<string> => {
        const tx = await c.submitAsync(fn, { arguments: args });
        const status = await committedEverywhere(tx, gateways, fn);
        const out = text(tx.getResult());
        return `committed in block ${status.blockNumber}${out ? `, returned ${out}` : ''}`;
      };
      try {
        await step('Org1 User1 CreateAsset asset1 blue 5 Tomoko 300', () => submit(contract, 'CreateAsset', 'asset1', 'blue', '5', 'Tomoko', '300'));
        await step('Org1 User1 CreateAsset asset2 red 10 Brad 400', () => submit(contract, 'CreateAsset', 'asset2', 'red', '10', 'Brad', '400'));
        await step('ReadAsset asset1', async () => text(await contract.evaluate('ReadAsset', { arguments: ['asset1'] })));
        await step('Org2 User1 TransferAsset asset1 → Max', () => submit(contract2, 'TransferAsset', 'asset1', 'Max'));
        await step('ReadAsset asset1 (from Org2)', async () => text(await contract2.evaluate('ReadAsset', { arguments: ['asset1'] })));
        await step('GetAllAssets', async () => text(await contract.evaluate('GetAllAssets')));
        await step('ReadAsset nope (an error, shown verbatim)', async () => {
          try {
            await contract.evaluate('ReadAsset', { arguments: ['nope'] });
            return 'unexpectedly succeeded';
          } catch (err) {
            return gatewayFailure(err, 'ReadAsset').message;
          }
        });
        await privateDataSteps(layout, step, gateways, (name) => [network.getContract(name), session2.gateway.getNetwork(layout.spec.channel.name).getContract(name)]);
      } finally {
        stream.close();
        await listening;
      }
    } finally {
      session.close();
      session2.close();
    }
    return { dir, kept: options.keep, steps, events, totalMs: Date.now() - started };
  } finally {
    if (up) {
      const t = Date.now();
      await networkDown(dir, 5000, () => {}).catch(() => undefined);
      report(`network down: ${Date.now() - t} ms`);
    }
    if (!options.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}
