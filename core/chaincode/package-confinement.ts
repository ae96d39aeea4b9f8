/**
 * Keeps the install-time bundling of a package's plain sources inside the directory the package was
 * unpacked into. A Fabric peer builds such a package in an isolated builder container that cannot
 * see the peer's files; here esbuild runs in the peer's own process, and the package's sources
 * decide what it reads: `import key from '/…/msp/keystore/priv_sk' with { type: 'text' }`, a
 * `require('../../…')` or a package found in some `node_modules` above the directory would put the
 * peer's files into the bundle, and the chaincode would hand them to any client.
 *
 * So an import from the package's code resolves only to a file inside the package (or to one of
 * Weft's own modules, which the packager maps by name), may carry no import attribute but
 * `type: 'json'`, and loads only code and JSON. After the build, the bundle's inputs are checked
 * against the same rules, a second line should a resolution ever slip past the first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as esbuildTypes from 'esbuild';
import { ChaincodeError } from '../errors';

/** What the package's own files may be, by extension: code and JSON, nothing esbuild would inline as text, bytes or CSS. */
export const CONFINED_EXTENSIONS: readonly string[] = ['.js', '.cjs', '.mjs', '.json', '.ts'];
/** The extensions an import without one is tried with, in esbuild's default order, less those not in {@link CONFINED_EXTENSIONS}. */
export const CONFINED_RESOLVE_EXTENSIONS: readonly string[] = ['.ts', '.js', '.json'];

/** Marks the resolution a confined import asks esbuild for, so that the plugin does not answer it again. */
const RESOLVING = Object.freeze({ weftConfinedResolve: true });
/** Longest import specifier quoted in an error. */
const MAX_QUOTED = 200;

function quote(spec: string): string {
  return JSON.stringify(spec.length > MAX_QUOTED ? `${spec.slice(0, MAX_QUOTED)}…` : spec);
}

function within(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function forbidden(message: string, details: Record<string, unknown>): ChaincodeError {
  return new ChaincodeError('CHAINCODE_FORBIDDEN_IMPORT', message, details);
}

/**
 * The rules for one package's sources, unpacked under `root`. The packager's esbuild plugin calls
 * {@link resolve} for every import it does not map to a Weft module itself, {@link mapped} for
 * every one it does, {@link checkLoad} before any file loads, and {@link checkInputs} on the result.
 */
export class PackageConfinement {
  /**
   * The directory as given and as the file system names it: esbuild names resolved files by their
   * real path, and the generated entry by the given one (they differ where the temporary directory
   * is a link, as macOS's /var).
   */
  private readonly roots: readonly string[];
  private readonly weftModules = new Set<string>();

  constructor(root: string) {
    const given = path.resolve(root);
    this.roots = [...new Set([given, fs.realpathSync(given)])];
  }

  /** Whether `file`, an absolute path, lies inside the package. */
  holds(file: string): boolean {
    return path.isAbsolute(file) && this.roots.some((root) => within(root, file));
  }

  /** A file as the package names it (`src/index.js`): error messages never show where it was unpacked. */
  name(file: string): string {
    const root = path.isAbsolute(file) ? this.roots.find((r) => within(r, file)) : undefined;
    return root === undefined ? file : path.relative(root, file).split(path.sep).join('/');
  }

  /** Notes a file the packager mapped an import to: one of Weft's own modules, which the package may reach by name. */
  mapped(file: string): void {
    this.weftModules.add(file);
  }

  /**
   * Resolves an import of the package's code, confined: undefined for an import from one of Weft's
   * own modules (they resolve as usual), a resolution inside the package, or an error. Throws
   * `CHAINCODE_FORBIDDEN_IMPORT` for an absolute path, a relative one leading out, an import
   * attribute other than JSON, or a file that is neither code nor JSON.
   */
  async resolve(build: esbuildTypes.PluginBuild, args: esbuildTypes.OnResolveArgs): Promise<esbuildTypes.OnResolveResult | undefined> {
    if (args.pluginData === RESOLVING || args.namespace !== 'file' || !this.holds(args.importer)) return undefined;
    const from = this.name(args.importer);
    const details = { importer: from, import: args.path };
    if (path.isAbsolute(args.path) || path.win32.isAbsolute(args.path)) {
      throw forbidden(`${from} imports ${quote(args.path)}, an absolute path: chaincode may import only files inside its package`, details);
    }
    this.checkAttributes(args.with, from, args.path);
    const r = await build.resolve(args.path, { kind: args.kind, importer: args.importer, namespace: args.namespace, resolveDir: args.resolveDir, with: args.with, pluginData: RESOLVING });
    if (r.errors.length > 0) return { errors: r.errors, warnings: r.warnings };
    if (r.external || r.namespace !== 'file' || !this.holds(r.path)) {
      // A package name found only above the package (a node_modules of the peer's host) is not in it.
      if (/^[^./]/.test(args.path) && r.namespace === 'file' && !r.external) return { errors: [{ text: `Could not resolve ${quote(args.path)} inside the package (imported by ${from})` }] };
      throw forbidden(`${from} imports ${quote(args.path)}, which resolves outside the package: chaincode may import only files inside its package`, details);
    }
    this.checkExtension(r.path, from, args.path);
    return { path: r.path, namespace: 'file', sideEffects: r.sideEffects, suffix: r.suffix, pluginData: r.pluginData as unknown, warnings: r.warnings };
  }

  /** Refuses to load a file of the package that is not code or JSON, or that an import attribute would load as something else. */
  checkLoad(args: esbuildTypes.OnLoadArgs): void {
    if (args.namespace !== 'file' || !this.holds(args.path)) return;
    const file = this.name(args.path);
    this.checkAttributes(args.with, file, file);
    this.checkExtension(args.path, file, file);
  }

  /**
   * The second line: every input of the bundle that lies inside the package is code or JSON loaded
   * without a foreign import attribute, and everything it imports lies inside the package or is a
   * Weft module the packager mapped it to. Paths in `metafile` are relative to `workingDir`.
   */
  checkInputs(metafile: esbuildTypes.Metafile, workingDir: string, weftNamespaces: readonly string[]): void {
    const isWeft = (p: string): boolean => weftNamespaces.some((ns) => p.startsWith(`${ns}:`));
    for (const [input, info] of Object.entries(metafile.inputs)) {
      if (isWeft(input)) continue;
      const file = path.resolve(workingDir, input);
      if (!this.holds(file)) continue;
      const name = this.name(file);
      this.checkAttributes(info.with ?? {}, name, name);
      this.checkExtension(file, name, name);
      for (const imported of info.imports) {
        // An import left external stays a `require` the sandbox answers at run time: nothing was read.
        if (imported.external === true || isWeft(imported.path)) continue;
        const target = path.resolve(workingDir, imported.path);
        if (this.holds(target) || this.weftModules.has(target)) continue;
        const spec = imported.original ?? imported.path;
        throw forbidden(`${name} imports ${quote(spec)}, which resolved outside the package`, { importer: name, import: spec });
      }
    }
  }

  private checkAttributes(attributes: Record<string, string>, from: string, spec: string): void {
    for (const [key, value] of Object.entries(attributes)) {
      if (key === 'type' && value === 'json') continue;
      throw forbidden(`${from} imports ${quote(spec)} with { ${key}: ${JSON.stringify(value)} }: chaincode may use no import attribute but { type: 'json' }`, {
        importer: from,
        import: spec,
        attribute: key,
        value,
      });
    }
  }

  private checkExtension(file: string, from: string, spec: string): void {
    const ext = path.extname(file);
    if (CONFINED_EXTENSIONS.includes(ext)) return;
    throw forbidden(`${from} imports ${quote(spec)}, a ${ext === '' ? 'file without an extension' : `${ext} file`}: chaincode may import only ${CONFINED_EXTENSIONS.join(' ')} files`, {
      importer: from,
      import: spec,
    });
  }
}
