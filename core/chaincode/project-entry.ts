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
  const named = entryNamed(pkgJson);
  if (named === undefined) {
    // fabric-chaincode-node's words, with the other way a Fabric project names its file.
    throw new ChaincodeError('CHAINCODE_BAD_PROJECT', "package.json does not contain a 'main' entry for the module (nor a start script that runs 'node <file>')", {
      projectDir,
      start: startScript(pkgJson),
    });
  }
  return resolveEntry(projectDir, named.file, named.what);
}

function startScript(pkgJson: Record<string, unknown>): string | undefined {
  const scripts = pkgJson.scripts as Record<string, unknown> | undefined;
  return typeof scripts?.start === 'string' ? scripts.start : undefined;
}

/** The file package.json names to run: its start script's `node <file>`, else its `main`. */
function entryNamed(pkgJson: Record<string, unknown>): { file: string; what: string } | undefined {
  const start = startScript(pkgJson);
  const started = start === undefined ? undefined : nodeScriptOf(start);
  if (started !== undefined) return { file: started, what: `the start script's '${started}'` };
  return typeof pkgJson.main === 'string' && pkgJson.main !== '' ? { file: pkgJson.main, what: `package.json main '${pkgJson.main}'` } : undefined;
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
  const { built, sources } = entryCandidates(projectDir, main);
  const found = [...built, ...sources].find(isFile);
  if (found === undefined) {
    throw new ChaincodeError('CHAINCODE_BAD_PROJECT', `${what} does not exist in ${projectDir} (and no TypeScript source was found for it)`, { main });
  }
  return found;
}

/**
 * Where `main` may be: `built`, the file as named (and Node's resolutions of it); `sources`, the
 * TypeScript it is compiled from when it lies in tsconfig.json's outDir.
 */
function entryCandidates(projectDir: string, main: string): { built: string[]; sources: string[] } {
  const direct = path.resolve(projectDir, main);
  const built = [direct, `${direct}.js`, `${direct}.ts`, path.join(direct, 'index.js'), path.join(direct, 'index.ts')];
  const sources: string[] = [];
  const outDir = tsOutDir(projectDir);
  if (outDir !== undefined && direct.startsWith(outDir.dir + path.sep)) {
    // Without rootDir, tsc uses the sources' common root: `src` in Fabric's TypeScript samples.
    for (const root of outDir.rootDir !== undefined ? [outDir.rootDir] : ['src', '.']) {
      sources.push(path.join(path.resolve(projectDir, root), path.relative(outDir.dir, direct)).replace(/\.js$/, '.ts'));
    }
  }
  return { built, sources };
}

function tsOutDir(projectDir: string): { dir: string; rootDir?: string } | undefined {
  const tsconfigFile = path.join(projectDir, 'tsconfig.json');
  if (!fs.existsSync(tsconfigFile)) return undefined;
  const co = (readProjectJson(tsconfigFile, 'tsconfig').compilerOptions ?? {}) as { outDir?: string; rootDir?: string };
  return co.outDir ? { dir: path.resolve(projectDir, co.outDir), ...(co.rootDir !== undefined && { rootDir: co.rootDir }) } : undefined;
}

const isFile = (file: string): boolean => fs.existsSync(file) && fs.statSync(file).isFile();

/**
 * A TypeScript project built once: the file that runs is tsc's output (in its outDir) while the
 * source it came from is there too. The packager bundles the output, as a Fabric peer runs it, so
 * edits of the source change nothing packaged until the project is built again. Undefined otherwise.
 */
export function builtOverSources(projectDir: string): { entry: string; source: string; outDir: string } | undefined {
  const named = entryNamed(readProjectJson(path.join(projectDir, 'package.json'), 'package.json'));
  const outDir = tsOutDir(projectDir);
  if (named === undefined || outDir === undefined) return undefined;
  const { built, sources } = entryCandidates(projectDir, named.file);
  const entry = built.find(isFile);
  const source = sources.find(isFile);
  return entry !== undefined && source !== undefined && !entry.endsWith('.ts') ? { entry, source, outDir: outDir.dir } : undefined;
}

export function readProjectJson(file: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ChaincodeError('CHAINCODE_BAD_PROJECT', `cannot read ${what} ${file}: ${(err as Error).message}`, { file });
  }
}
