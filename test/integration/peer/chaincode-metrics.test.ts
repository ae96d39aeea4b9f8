import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageChaincode } from '../../../core/chaincode/packager';
import { labelSets, sample } from '../../support/prometheus-text';
import { type InProcessNetwork, deployChaincodeInProcess, startInProcessNetwork } from './in-process-network';
import { CHANNEL, install, propose, rawEndorser, signerOf } from './network-fixture';

const FIXTURES = path.join(__dirname, 'fixtures');

async function metricsText(net: InProcessNetwork, peer: number): Promise<string> {
  return (await fetch(`http://${net.peers[peer].operationsAddress() as string}/metrics`)).text();
}

/**
 * Fabric's chaincode metrics on a peer running chaincode in the real isolated-vm runtime over SQLite
 * ledgers: launches are loads of an installed package, shim requests the chaincode's host calls,
 * execute timeouts the sandbox's time limit. Every metric is labelled with the package ID, as Fabric
 * labels them with the ccid the chaincode registered with.
 */
describe("a peer's chaincode metrics count as Fabric's handler and launcher do (in-process 2-org network)", () => {
  let net: InProcessNetwork;
  let packageId = '';

  beforeAll(async () => {
    net = await startInProcessNetwork({
      prefix: 'weft-peer-chaincode-metrics-',
      peerSection: { chaincodeExecuteTimeoutMs: 1500 },
      // Bounds how long a package may take to load (its top-level code), for the launch timeout below.
      runtimeOptions: { timeoutMs: 2000 },
    });
    packageId = await deployChaincodeInProcess(net, { projectDir: path.join(FIXTURES, 'metered'), label: 'metered_1', name: 'metered' });
  }, 120_000);

  afterAll(() => net?.close());

  it("exports Fabric's names and help texts", async () => {
    const text = await metricsText(net, 0);
    for (const [name, help] of [
      ['chaincode_launch_duration', 'The time to launch a chaincode.'],
      ['chaincode_launch_failures', 'The number of chaincode launches that have failed.'],
      ['chaincode_launch_timeouts', 'The number of chaincode launches that have timed out.'],
      ['chaincode_shim_requests_received', 'The number of chaincode shim requests received.'],
      ['chaincode_shim_requests_completed', 'The number of chaincode shim requests completed.'],
      ['chaincode_shim_request_duration', 'The time to complete chaincode shim requests.'],
      ['chaincode_execute_timeouts', 'The number of chaincode executions (Init or Invoke) that have timed out.'],
    ]) {
      expect(text).toContain(`# HELP ${name} ${help}\n`);
    }
  });

  it('exports how the ledger page cache budget is divided over the open channels', async () => {
    const text = await metricsText(net, 0);
    expect(sample(text, 'weft_ledger_page_cache_budget_bytes')).toBe(512 * 1024 * 1024);
    // One channel: the default budget leaves its configured sizes.
    expect(labelSets(text, 'weft_ledger_page_cache_limit_bytes')).toEqual([
      { channel: CHANNEL, db: 'blocks' },
      { channel: CHANNEL, db: 'state' },
    ]);
    expect(sample(text, 'weft_ledger_page_cache_limit_bytes', { channel: CHANNEL, db: 'blocks' })).toBe(32 * 1024 * 1024);
    expect(sample(text, 'weft_ledger_page_cache_limit_bytes', { channel: CHANNEL, db: 'state' })).toBe(256 * 1024 * 1024);
  });

  it("exports the bytes the channel's ledger files take on disk, as the files have them", async () => {
    const text = await metricsText(net, 0);
    expect(labelSets(text, 'weft_ledger_disk_bytes')).toEqual([
      { channel: CHANNEL, db: 'blocks' },
      { channel: CHANNEL, db: 'state' },
      { channel: CHANNEL, db: 'wal' },
    ]);
    // The database files change only at a checkpoint, which the few blocks of this network do not reach.
    const ledgers = path.join(net.peerFiles[0].dataDir, 'ledgers');
    expect(sample(text, 'weft_ledger_disk_bytes', { channel: CHANNEL, db: 'blocks' })).toBe(fs.statSync(path.join(ledgers, `${CHANNEL}.sqlite`)).size);
    expect(sample(text, 'weft_ledger_disk_bytes', { channel: CHANNEL, db: 'state' })).toBe(fs.statSync(path.join(ledgers, `${CHANNEL}_state.sqlite`)).size);
    // The blocks committed so far (genesis, the chaincode definition) are in the WALs.
    expect(sample(text, 'weft_ledger_disk_bytes', { channel: CHANNEL, db: 'wal' })).toBeGreaterThan(0);
  });

  it("exports the heap of the package's sandboxes (V8 isolates outside the peer's own heap metrics)", async () => {
    const text = await metricsText(net, 0);
    expect(sample(text, 'weft_chaincode_sandbox_isolates', { chaincode: packageId })).toBeGreaterThanOrEqual(1);
    const used = sample(text, 'weft_chaincode_sandbox_heap_used_bytes', { chaincode: packageId });
    expect(used).toBeGreaterThan(0);
    expect(sample(text, 'weft_chaincode_sandbox_heap_total_bytes', { chaincode: packageId })).toBeGreaterThanOrEqual(used);
  });

  it('counts each shim request by message type and outcome, and an invocation stopped by the time limit', async () => {
    const endorser = rawEndorser(net.m.orgs[0], net.ports[0]);
    const user = signerOf(net.m.orgs[0]);
    try {
      expect((await propose(endorser, user, CHANNEL, 'metered', ['ReadReadWrite', 'a', 'b', 'c'])).response.status).toBe(200);
      expect((await propose(endorser, user, CHANNEL, 'metered', ['Range', 'a', 'z'])).response.status).toBe(200);
      const failing = (await propose(endorser, user, CHANNEL, 'metered', ['FailingCalls'])).response;
      expect(failing.status).toBe(200);
      expect(JSON.parse(Buffer.from(failing.payload).toString()) as string[]).toEqual([
        'key must not be an empty string',
        expect.stringMatching(/failed to get chaincode container info for nothing: chaincode nothing not found$/),
      ]);
      const spun = (await propose(endorser, user, CHANNEL, 'metered', ['Spin'])).response;
      expect(spun.status).toBe(500);
      expect(spun.message).toMatch(/^timeout expired while executing transaction/);
    } finally {
      endorser.close();
    }

    const text = await metricsText(net, 0);
    const shim = (type: string): Record<string, string> => ({ type, channel: CHANNEL, chaincode: packageId });
    const received = (type: string): number => sample(text, 'chaincode_shim_requests_received', shim(type));
    const completed = (type: string, success: boolean): number => sample(text, 'chaincode_shim_requests_completed', { ...shim(type), success: String(success) });
    const timed = (type: string, success: boolean): number => sample(text, 'chaincode_shim_request_duration_count', { ...shim(type), success: String(success) });

    // Two reads in ReadReadWrite and one before Spin's loop.
    expect([received('GET_STATE'), completed('GET_STATE', true), completed('GET_STATE', false), timed('GET_STATE', true)]).toEqual([3, 3, 0, 3]);
    // ReadReadWrite's write, and FailingCalls' empty key refused by the peer.
    expect([received('PUT_STATE'), completed('PUT_STATE', true), completed('PUT_STATE', false), timed('PUT_STATE', false)]).toEqual([2, 1, 1, 1]);
    expect([received('DEL_STATE'), completed('DEL_STATE', true)]).toEqual([1, 1]);
    expect([received('GET_STATE_BY_RANGE'), completed('GET_STATE_BY_RANGE', true)]).toEqual([1, 1]);
    // The callee is not defined on the channel: the peer answers the request with an error.
    expect([received('INVOKE_CHAINCODE'), completed('INVOKE_CHAINCODE', true), completed('INVOKE_CHAINCODE', false)]).toEqual([1, 0, 1]);
    // Only the types the chaincode sent, all labelled with this channel and the package ID.
    expect(labelSets(text, 'chaincode_shim_requests_received')).toEqual(
      expect.arrayContaining(['GET_STATE', 'PUT_STATE', 'DEL_STATE', 'GET_STATE_BY_RANGE', 'INVOKE_CHAINCODE'].map(shim)),
    );
    expect(labelSets(text, 'chaincode_shim_requests_received')).toHaveLength(5);

    // Counts reach the registry when scraped: a second scrape adds nothing.
    const shimLines = (t: string): string[] => t.split('\n').filter((l) => l.startsWith('chaincode_shim_'));
    expect(shimLines(await metricsText(net, 0))).toEqual(shimLines(text));

    expect(sample(text, 'chaincode_execute_timeouts', { chaincode: packageId })).toBe(1);
    // Loaded once at install: the proposals, the timeout and the sandbox context it reset are no new launches.
    expect(sample(text, 'chaincode_launch_duration_count', { chaincode: packageId, success: 'true' })).toBe(1);
    expect(sample(text, 'chaincode_launch_duration_count', { chaincode: packageId, success: 'false' })).toBe(0);
    expect(sample(text, 'chaincode_launch_failures', { chaincode: packageId })).toBe(0);
  }, 60_000);

  it('counts a package that fails to load as a launch failure, and one whose loading never ends as a launch timeout', async () => {
    const { m, ports } = net;
    const broken = await packageChaincode({ projectDir: path.join(FIXTURES, 'broken'), label: 'broken_1' });
    await expect(install(m.orgs[0], ports[0], broken.packageBytes)).rejects.toThrow(/this chaincode is broken on purpose/);
    const slow = await packageChaincode({ projectDir: path.join(FIXTURES, 'slow-start'), label: 'slow_1' });
    await expect(install(m.orgs[0], ports[0], slow.packageBytes)).rejects.toThrow(/timed out/);

    const text = await metricsText(net, 0);
    const launch = (chaincode: string): number[] => [
      sample(text, 'chaincode_launch_duration_count', { chaincode, success: 'false' }),
      sample(text, 'chaincode_launch_duration_count', { chaincode, success: 'true' }),
      sample(text, 'chaincode_launch_failures', { chaincode }),
      sample(text, 'chaincode_launch_timeouts', { chaincode }),
    ];
    expect(launch(broken.packageId)).toEqual([1, 0, 1, 0]);
    expect(launch(slow.packageId)).toEqual([1, 0, 0, 1]);
  }, 60_000);
});
