/**
 * A TypeScript chaincode made by `weft new chaincode --lang ts` that calls Weft's paginated private
 * data queries compiles with the project's own tsc settings: the template declares the three calls
 * fabric-shim's types lack, for fabric-contract-api's `ctx.stub` and for fabric-shim's stub. Without
 * that declaration the same code does not compile.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, runCli, runNode } from './run-cli';

const USES_PAGINATION = `import { Context, Contract, Transaction } from 'fabric-contract-api';
import { ChaincodeStub } from 'fabric-shim';

export class PagedPrivate extends Contract {
  @Transaction(false)
  public async Page(ctx: Context, collection: string, bookmark: string): Promise<string> {
    const { iterator, metadata } = await ctx.stub.getPrivateDataByRangeWithPagination(collection, '', '', 10, bookmark);
    const keys: string[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) keys.push(r.value.key);
    await iterator.close();
    return JSON.stringify({ keys, fetched: metadata.fetchedRecordsCount, bookmark: metadata.bookmark });
  }

  @Transaction(false)
  public async Owners(ctx: Context, collection: string): Promise<number> {
    let n = 0;
    for await (const kv of ctx.stub.getPrivateDataByPartialCompositeKeyWithPagination(collection, 'owner', [], 5)) n += kv.value.length;
    const page = await ctx.stub.getPrivateDataQueryResultWithPagination(collection, '{"selector":{}}', 5);
    return n + page.metadata.fetchedRecordsCount;
  }
}

/** fabric-shim's own stub class has them too. */
export function firstPage(stub: ChaincodeStub): Promise<unknown> {
  return stub.getPrivateDataQueryResultWithPagination('c', '{}', 1);
}
`;

describe('weft new chaincode --lang ts: the stub types of Weft\'s additions', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-stub-types-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** tsc over the project with its tsconfig, the packages an npm install would bring linked from this repository. */
  async function tsc(dir: string): Promise<{ code: number; out: string }> {
    for (const name of ['fabric-contract-api', 'fabric-shim', 'fabric-shim-api', 'typescript']) {
      const link = path.join(dir, 'node_modules', name);
      if (fs.existsSync(link)) continue;
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync(path.join(REPO, 'node_modules', name), link, 'dir');
    }
    const r = await runNode([path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', dir], { cwd: dir, timeoutMs: 120_000 });
    return { code: r.code, out: r.stdout + r.stderr };
  }

  it('compiles a contract calling getPrivateDataByRangeWithPagination and its two twins; without the declaration it does not', async () => {
    const dir = path.join(tmp, 'paged');
    const made = await runCli(['new', 'chaincode', 'paged', '--lang', 'ts', '--dir', dir, '--json']);
    expect(made.code).toBe(0);
    expect((JSON.parse(made.stdout) as { files: string[] }).files).toContain('src/weft-stub.d.ts');
    fs.writeFileSync(path.join(dir, 'src', 'paged-private.ts'), USES_PAGINATION);

    const compiled = await tsc(dir);
    expect(compiled.out).toBe('');
    expect(compiled.code).toBe(0);

    fs.rmSync(path.join(dir, 'src', 'weft-stub.d.ts'));
    const without = await tsc(dir);
    expect(without.code).not.toBe(0);
    expect(without.out).toMatch(/Property 'getPrivateDataByRangeWithPagination' does not exist on type 'ChaincodeStub'/);
    expect(without.out).toMatch(/Property 'getPrivateDataQueryResultWithPagination' does not exist on type 'ChaincodeStub'/);
  }, 180_000);
});
