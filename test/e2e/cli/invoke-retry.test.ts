import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { validationCodeInfo } from '../../../core/protocol/validation-codes';
import { type CliResult, REPO, errorOf, json, runCli } from './run-cli';

const KV = path.join(REPO, 'test', 'integration', 'peer', 'fixtures', 'kv-events');
const MVCC = validationCodeInfo('MVCC_READ_CONFLICT')!;

/**
 * `weft chaincode invoke` under contention, on a 1-org network of real processes: invokes that
 * read-modify-write one key, started together, endorse against the same version and all but the
 * first to commit fail MVCC_READ_CONFLICT. Without retries the CLI explains the code; with
 * `--retry` it endorses again and every increment commits once. The 3 s batch timeout lets the
 * processes, which start a second or two apart on a busy machine, reach the same block.
 */
describe('weft chaincode invoke --retry on read conflicts (real processes)', () => {
  let tmp: string;
  let net: string;

  const increment = (retry: number): Promise<CliResult> => runCli(['chaincode', 'invoke', net, '--name', 'kv', 'Increment', 'counter', '--retry', String(retry), '--json']);
  const together = (n: number, retry: number): Promise<CliResult[]> => Promise.all(Array.from({ length: n }, () => increment(retry)));
  const counter = async (): Promise<number> => Number((json(await runCli(['chaincode', 'query', net, '--name', 'kv', 'Get', 'counter', '--json'])) as { result: string }).result);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-retry-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(7);
    json(await runCli(['network', 'init', net, '--orgs', '1', '--base-port', String(base), '--batch-timeout', '3s', '--json']));
    json(await runCli(['network', 'up', net, '--json']));
    json(await runCli(['chaincode', 'deploy', net, KV, '--name', 'kv', '--json']));
    json(await increment(0));
  }, 120_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('with --retry 0, fails the conflicting invokes with TX_INVALID saying what the code means and to retry', async () => {
    const before = await counter();
    const runs = await together(3, 0);
    const failed = runs.filter((r) => r.code !== 0);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const r of failed) {
      const error = errorOf(r);
      expect(error).toMatchObject({ code: 'TX_INVALID', details: { validationCode: 'MVCC_READ_CONFLICT', code: 11, retryable: true, attempts: 1 } });
      expect(error.message).toContain(`as invalid: MVCC_READ_CONFLICT. ${MVCC.when}`);
      const { suggestions } = JSON.parse(r.stdout) as { suggestions: string[] };
      expect(suggestions).toEqual([MVCC.advice, 'let the CLI endorse again and resubmit: --retry <n> (for example --retry 3)', `inspect the block: weft block show <dir> ${String(error.details.blockNumber)}`]);
    }
    expect(await counter()).toBe(before + runs.length - failed.length);

    // The block shows the conflicted transaction with the same explanation.
    const { details } = errorOf(failed[0]!);
    const block = json(await runCli(['block', 'show', net, String(details.blockNumber), '--json'])) as { transactions: { txId: string; validationCode: string; explanation?: unknown }[] };
    const tx = block.transactions.find((t) => t.txId === details.transactionId);
    expect(tx).toMatchObject({ validationCode: 'MVCC_READ_CONFLICT', explanation: { meaning: MVCC.when, retryable: true, advice: MVCC.advice } });
    expect(block.transactions.filter((t) => t.validationCode === 'VALID').every((t) => t.explanation === undefined)).toBe(true);
    // The peer warns of it as Fabric's committer does, by code name, at its default level (warn).
    const warned = fs
      .readFileSync(path.join(net, 'logs', 'peer0.org1.example.com.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"transaction invalid"'))
      .map((l) => JSON.parse(l) as { level: number; txId: string; code: string; retryable: boolean });
    expect(warned).toContainEqual(expect.objectContaining({ level: 40, txId: details.transactionId, code: 'MVCC_READ_CONFLICT', retryable: true }));
  }, 60_000);

  it('with --retry, endorses the conflicting invokes again until every one commits, and says so', async () => {
    const before = await counter();
    const runs = await together(3, 10);
    const results = runs.map((r) => json(r) as { validationCode: string; result: string; attempts: number });
    expect(results.every((r) => r.validationCode === 'VALID')).toBe(true);
    // Each increment saw a different count: none was lost, none applied twice.
    expect(results.map((r) => Number(r.result)).sort()).toEqual([before + 1, before + 2, before + 3]);
    expect(await counter()).toBe(before + 3);
    const retried = runs.filter((_, i) => results[i]!.attempts > 1);
    expect(retried.length).toBeGreaterThanOrEqual(1);
    for (const r of retried) expect(r.stderr).toMatch(/MVCC_READ_CONFLICT in block \d+ \(tx [0-9a-f]{64}\): endorsing again in \d+ ms \(retry 1 of 10\)/);
  }, 60_000);
});
