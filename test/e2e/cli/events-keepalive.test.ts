/**
 * `weft chaincode events` (its watch service, in this process) on a network of real processes,
 * connected to its peer through a TCP relay that turns into a black hole: the connection stays open
 * on both sides but no byte crosses, as when the peer's host loses power or a NAT drops the flow.
 * The session's keepalive fails the stream with UNAVAILABLE, the watch reconnects (a new flow is
 * relayed) and resumes from its checkpoint: the events committed meanwhile come once each.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { invokeChaincode } from '../../../cli/services/chaincode/transact';
import { resolveUser } from '../../../cli/services/client/client-identity';
import type { BlockSummary } from '../../../cli/services/events/block-summary';
import { watchBlockEvents } from '../../../cli/services/events/block-event-watch';
import { type ChaincodeEventJson, watchChaincodeEvents } from '../../../cli/services/events/chaincode-event-watch';
import { findFreePorts } from '../../../cli/services/free-ports';
import { openNetwork } from '../../../cli/services/network/network-access';
import { type KeepaliveRelay, startKeepaliveRelay } from '../../support/keepalive-relay';
import { REPO, json, runCli } from './run-cli';

const KV = path.join(REPO, 'test', 'integration', 'peer', 'fixtures', 'kv-events');
// The timeout leaves room for a loaded machine: a ping whose answer waits unread behind a stalled test
// process times out as surely as one the black hole swallowed, and counts as one more reconnect.
const KEEPALIVE = { intervalMs: 300, timeoutMs: 1_500 };

describe('a chaincode event watch whose connection dies silently', () => {
  let tmp: string;
  let net: string;
  let relay: KeepaliveRelay | undefined;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-events-keepalive-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(8);
    json(await runCli(['network', 'init', net, '--orgs', '1', '--peers-per-org', '1', '--base-port', String(base), '--batch-timeout', '250ms', '--json']));
    json(await runCli(['network', 'up', net, '--json']));
    json(await runCli(['chaincode', 'deploy', net, KV, '--name', 'kv', '--json']));
  }, 180_000);
  afterAll(async () => {
    await relay?.close();
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('notices within its keepalive, reconnects and prints the events (and blocks) committed meanwhile, each once', async () => {
    const layout = openNetwork(net);
    const user = resolveUser(layout, undefined, undefined);
    const peer = layout.peers()[0]!;
    relay = await startKeepaliveRelay(peer.address);
    const put = (key: string): Promise<string> => invokeChaincode(layout, user, { chaincode: 'kv', fn: 'Put', args: [key, key] }).then((r) => r.transactionId);

    const events: ChaincodeEventJson[] = [];
    const blocks: BlockSummary[] = [];
    const progress: { at: number; line: string }[] = [];
    let seen: (() => void) | undefined;
    // Both watches end with the test, whatever it asserts: one left running would outlive the network and fail a later suite in this worker.
    const end = new AbortController();
    // The same peer (its name, its TLS certificate), dialled through the relay.
    const relayed = { ...peer, address: relay.address };
    const blockWatch = watchBlockEvents(layout, {
      peer: relayed,
      filtered: true,
      interrupt: end.signal,
      keepalive: KEEPALIVE,
      count: 3,
      timeoutMs: 30_000,
      progress: (line) => progress.push({ at: Date.now(), line: `blocks: ${line}` }),
      warning: () => undefined,
      emit: (block) => blocks.push(block),
    });
    const watch = watchChaincodeEvents(layout, user, {
      chaincode: 'kv',
      gatewayPeer: relayed,
      interrupt: end.signal,
      keepalive: KEEPALIVE,
      count: 3,
      // Without keepalive the watch would wait here forever: this ends it, one event short.
      timeoutMs: 30_000,
      progress: (line) => progress.push({ at: Date.now(), line }),
      warning: () => undefined,
      emit: (event) => {
        events.push(event);
        seen?.();
      },
    });
    try {
      await waitUntil(() => progress.some((p) => p.line.startsWith('listening for kv events')) && progress.some((p) => p.line.startsWith('blocks: listening')));
      const first = await put('k1');
      await waitUntil(() => events.length === 1 && blocks.length === 1);

      relay.blackHole();
      const silentAt = Date.now();
      // Committed while the watch's connection is a black hole (invoked on the peer directly).
      const meanwhile = [await put('k2'), await put('k3')];
      const result = await watch;

      expect(events.map((e) => e.transactionId)).toEqual([first, ...meanwhile]);
      expect(result).toEqual({ seen: 3, reason: 'count', reconnects: 1 });
      const lost = progress.find((p) => p.line.startsWith(`lost ${peer.id}`));
      expect(lost?.line).toMatch(/reconnecting in/);
      // The next ping (within the interval) goes unanswered for the timeout; slack for a loaded machine.
      expect(lost!.at - silentAt).toBeLessThan(KEEPALIVE.intervalMs + KEEPALIVE.timeoutMs + 2_000);
      expect(progress.some((p) => p.line.startsWith(`reconnected to ${peer.id}`))).toBe(true);
      // A new flow through the relay: the one that went silent was never closed by either side.
      expect(relay.connections()).toBeGreaterThanOrEqual(2);

      const blockResult = await blockWatch;
      expect(blocks.map((b) => b.transactions.map((t) => t.txId))).toEqual([first, ...meanwhile].map((tx) => [tx]));
      expect(blockResult).toEqual({ seen: 3, reason: 'count', reconnects: 1 });
      expect(progress.some((p) => p.line.startsWith(`blocks: reconnected to ${peer.id}`))).toBe(true);
    } catch (err) {
      // What the watches said is what tells a lost connection from a slow one.
      throw new Error(`${(err as Error).message}\nprogress:\n${progress.map((p) => `${p.at} ${p.line}`).join('\n')}`, { cause: err });
    } finally {
      end.abort();
      await Promise.allSettled([watch, blockWatch]);
    }

    async function waitUntil(done: () => boolean, timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms; progress: ${progress.map((p) => p.line).join(' | ')}`);
        await new Promise<void>((r) => {
          seen = r;
          setTimeout(r, 100);
        });
      }
    }
  }, 90_000);
});
