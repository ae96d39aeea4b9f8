/**
 * Which file of a Node chaincode project runs, as a Fabric peer decides it. Fabric's Node runtime
 * starts chaincode with `npm start`: a contract project's start script is
 * `fabric-chaincode-node start`, which loads package.json's `main`; an older fabric-shim project's
 * start script runs its file itself (`node abstore.js`) and often has no `main` at all.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChaincodeError } from '../errors';

/** The file to bundle for a project whose package.json is `pkgJson`. */
export function projectEntry(projectDir: string, pkgJson: Record<string, unknown>): string {
  const scripts = pkgJson.scripts as Record<string, unknown> | undefined;
  const start = typeof scripts?.start === 'string' ? scripts.start : undefined;
  const started = start === undefined ? undefined : nodeScriptOf(start);
  if (started !== undefined) return resolveEntry(projectDir, started, `the start script's '${started}'`);
  if (typeof pkgJson.main !== 'string' || pkgJson.main === '') {
    // fabric-chaincode-node's words, with the other way a Fabric project names its file.
    throw new ChaincodeError('CHAINCODE_BAD_PROJECT', "package.json does not contain a 'main' entry for the module (nor a start script that runs 'node <file>')", {
      projectDir,
      start,
    });
  }
  return resolveEntry(projectDir, pkgJson.main, `package.json main '${pkgJson.main}'`);
}

/** Node options whose value is the next word. */
const NODE_OPTIONS_WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions']);

/** The file a start script hands to `node`, if one of its commands is `node [options] <file> …` (`set -x && node app.js` too). */
export function nodeScriptOf(start: string): string | undefined {
  for (const command of start.split(/&&|;|\|\|/)) {
    const [program, ...args] = command.trim().split(/\s+/);
    if (program !== 'node') continue;
    for (let i = 0; i < args.length; i++) {
      if (NODE_OPTIONS_WITH_VALUE.has(args[i])) i++;
      else if (!args[i].startsWith('-')) return args[i];
    }
  }
  return undefined;
}

/** The file itself, or its TypeScript source when the project is not built. */
function resolveEntry(projectDir: string, main: string, what: string): string {
  const direct = path.resolve(projectDir, main);
  const candidates = [direct, `${direct}.js`, `${direct}.ts`, path.join(direct, 'index.js'), path.join(direct, 'index.ts')];
  const tsconfigFile = path.join(projectDir, 'tsconfig.json');
  if (fs.existsSync(tsconfigFile)) {
    const co = (readProjectJson(tsconfigFile, 'tsconfig').compilerOptions ?? {}) as { outDir?: string; rootDir?: string };
    if (co.outDir) {
      const outDir = path.resolve(projectDir, co.outDir);
      if (direct.startsWith(outDir + path.sep)) {
        // Without rootDir, tsc uses the sources' common root: `src` in Fabric's TypeScript samples.
        for (const root of co.rootDir !== undefined ? [co.rootDir] : ['src', '.']) {
          candidates.push(path.join(path.resolve(projectDir, root), path.relative(outDir, direct)).replace(/\.js$/, '.ts'));
        }
      }
    }
  }
  const found = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
  if (found === undefined) {
    throw new ChaincodeError('CHAINCODE_BAD_PROJECT', `${what} does not exist in ${projectDir} (and no TypeScript source was found for it)`, { main });
  }
  return found;
}

export function readProjectJson(file: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ChaincodeError('CHAINCODE_BAD_PROJECT', `cannot read ${what} ${file}: ${(err as Error).message}`, { file });
  }
}
