import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderTree, writeTree } from '../../../../cli/services/templates/render-tree';
import { scaffoldChaincode, pascalCase } from '../../../../cli/services/scaffold/scaffold';

describe('template rendering', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-render-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('renders .ejs files, drops the suffix and substitutes __name__ path segments', () => {
    const files = renderTree('chaincode/ts', { name: 'fish', className: 'FishContract', weftDependency: 'file:..', allowScripts: '{}' }, { name: 'fish' });
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'src/fish-contract.ts', 'test/fish-contract.test.ts', 'tsconfig.json']));
    expect(paths.some((p) => p.endsWith('.ejs') || p.includes('__name__'))).toBe(false);
    const contract = files.find((f) => f.path === 'src/fish-contract.ts')!.content;
    expect(contract).toContain('export class FishContract extends Contract');
    expect(JSON.parse(files.find((f) => f.path === 'package.json')!.content).name).toBe('fish');
  });

  it('writes nothing into a non-empty target and leaves no temporary folder behind', () => {
    const target = path.join(tmp, 'proj');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'mine.txt'), 'keep');
    expect(() => writeTree(target, [{ path: 'a.txt', content: 'x' }])).toThrow(/not empty/);
    expect(fs.readdirSync(target)).toEqual(['mine.txt']);
    expect(fs.readdirSync(tmp)).toEqual(['proj']);
  });

  it('fills an empty directory', () => {
    const result = scaffoldChaincode('my-assets', 'js', path.join(tmp, 'empty'));
    expect(result.files).toContain('lib/my-assets-contract.js');
    expect(fs.readFileSync(path.join(tmp, 'empty', 'index.js'), 'utf8')).toContain('MyAssetsContract');
    expect(pascalCase('a-b-c')).toBe('ABC');
  });
});
