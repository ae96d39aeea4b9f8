/**
 * `npm run bench -- <suite> [<suite>…]`: runs bench suites, prints a table for each and writes
 * `bench/results/<suite>.json`. With no argument it lists the suites.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BenchSuite, formatTable, resultOf } from './harness';

const benchDir = __dirname;
const resultsDir = path.join(benchDir, 'results');
const NOT_SUITES = new Set(['harness', 'run']);

function availableSuites(): string[] {
  return fs
    .readdirSync(benchDir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => f.replace(/\.(ts|js)$/, ''))
    .filter((name) => !NOT_SUITES.has(name))
    .sort();
}

async function main(argv: string[]): Promise<number> {
  const suites = availableSuites();
  if (argv.length === 0) {
    process.stdout.write(`usage: npm run bench -- <suite> [<suite>…]\nsuites: ${suites.join(', ')}\n`);
    return 2;
  }
  const requested = argv.includes('all') ? suites : argv;
  for (const name of requested) {
    if (!suites.includes(name)) {
      process.stderr.write(`unknown bench suite "${name}"; available: ${suites.join(', ')}\n`);
      return 2;
    }
  }
  fs.mkdirSync(resultsDir, { recursive: true });
  for (const name of requested) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const suite = (require(path.join(benchDir, name)) as { default: BenchSuite }).default;
    process.stderr.write(`running bench suite ${name}…\n`);
    const result = resultOf(name, await suite());
    fs.writeFileSync(path.join(resultsDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${formatTable(result)}\n→ bench/results/${name}.json\n\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
