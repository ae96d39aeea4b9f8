import * as fs from 'node:fs';
import * as path from 'node:path';
import { VALIDATION_CODES, validationCodesMarkdown } from '../../core/protocol/validation-codes';

const REPO = path.resolve(__dirname, '../..');

/** The README's "Validation codes" section, up to the next heading. */
function section(): string {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const start = readme.indexOf('\n### Validation codes\n');
  if (start < 0) throw new Error('README.md has no "### Validation codes" section');
  const rest = readme.slice(start + 1);
  const end = rest.slice(1).search(/\n#{1,3} /);
  return end < 0 ? rest : rest.slice(0, end + 1);
}

describe("the README's validation codes", () => {
  it('lists exactly the catalogue, as core/protocol/validation-codes.ts renders it', () => {
    const rows = section()
      .split('\n')
      .filter((line) => line.startsWith('|'));
    expect(rows.slice(2).map((r) => Number(r.split(' | ')[0]!.slice(2)))).toEqual(VALIDATION_CODES.map((c) => c.code));
    expect(rows.join('\n')).toBe(validationCodesMarkdown());
  });

  it('quotes the fabric-gateway retry helper that tsc compiles and a test runs', () => {
    const snippet = fs.readFileSync(path.join(REPO, 'test', 'examples', 'submit-with-retry.ts'), 'utf8').trimEnd();
    expect(section()).toContain(`\`\`\`ts\n${snippet}\n\`\`\``);
  });
});
