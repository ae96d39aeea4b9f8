import * as fs from 'node:fs';
import { runCli } from './run-cli';

describe('weft demo', () => {
  it('runs init → up → deploy → create/read/transfer/query → private data across both peers → down and cleans up', async () => {
    const r = await runCli(['demo', '--json'], { timeoutMs: 180_000 });
    // On failure, show what the CLI said rather than only its exit code.
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(r.stdout) as { dir: string; steps: { step: string; result: string }[]; events: { eventName: string; payload: string }[] };
    const step = (prefix: string) => result.steps.find((s) => s.step.startsWith(prefix))?.result;
    expect(step('deploy asset-transfer')).toMatch(/^basic_1\.0:[0-9a-f]{64}, sequence 1, on 2 peers$/);
    expect(step('Org2 User1 TransferAsset')).toMatch(/committed in block \d+, returned Tomoko/);
    expect(JSON.parse(step('ReadAsset asset1 (from Org2)')!).Owner).toBe('Max');
    expect(JSON.parse(step('GetAllAssets')!).map((a: { ID: string }) => a.ID)).toEqual(['asset1', 'asset2']);
    expect(step('ReadAsset nope')).toMatch(/The asset nope does not exist/);
    // Private data: Org2's peer reads what only Org1's peer endorsed, then the transfer by hash comparison.
    expect(step('deploy private-assets')).toMatch(/^private_1\.0:[0-9a-f]{64}, sequence 1, on 2 peers$/);
    expect(JSON.parse(step("ReadAsset passet1 on Org2's peer")!)).toMatchObject({ assetID: 'passet1', color: 'green', size: 3 });
    expect(step('Org1 User1 TransferAsset passet1')).toMatch(/^committed in block \d+$/);
    const before = JSON.parse(step("ReadAsset passet1 on Org2's peer")!) as { owner: string };
    const after = JSON.parse(step('ReadAsset passet1 (from Org2)')!) as { owner: string };
    expect(after.owner).toMatch(/^x509::/);
    expect(after.owner).not.toBe(before.owner);
    const created = result.events.filter((e) => e.eventName === 'CreateAsset').map((e) => (JSON.parse(e.payload) as { ID: string }).ID);
    expect(created).toEqual(expect.arrayContaining(['asset1', 'asset2']));
    expect(r.stderr).toMatch(/network down/);
    expect(fs.existsSync(result.dir)).toBe(false);
  });
});
