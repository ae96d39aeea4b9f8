import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ejs from 'ejs';
import { ConfigError } from '../../../core/errors';
import { weftRoot } from '../repo-root';

/** `templates/` at the Weft package root. */
export const TEMPLATES_DIR = path.join(weftRoot(), 'templates');

/** Renders one EJS file of `templates/` with `data`. */
export function renderTemplate(relPath: string, data: Record<string, unknown>): string {
  const file = path.join(TEMPLATES_DIR, relPath);
  return ejs.render(fs.readFileSync(file, 'utf8'), data, { filename: file });
}

/** One file {@link writeTree} writes: destination path relative to the target, and contents. */
export interface TreeFile {
  readonly path: string;
  readonly content: string | Uint8Array;
  /** Permission bits (0600 for a private key); the default leaves them to the umask. */
  readonly mode?: number;
}

/** One file a tree rendering would write. */
export interface RenderedFile extends TreeFile {
  readonly content: string;
}

/**
 * Renders a template folder in memory: `*.ejs` files through EJS (the suffix dropped), other files
 * copied, and every `__key__` in a path segment replaced by `names[key]`. Nothing touches the disk,
 * so a failing template never leaves half a project behind.
 */
export function renderTree(templateDir: string, data: Record<string, unknown>, names: Record<string, string>): RenderedFile[] {
  const root = path.join(TEMPLATES_DIR, templateDir);
  if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError('TEMPLATE_MISSING', `template folder ${root} does not exist`, { template: templateDir });
  }
  const out: RenderedFile[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const srcRel = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        walk(srcRel);
        continue;
      }
      const src = path.join(root, srcRel);
      const destRel = substituteNames(srcRel, names).replace(/\.ejs$/, '');
      const text = fs.readFileSync(src, 'utf8');
      out.push({ path: destRel, content: src.endsWith('.ejs') ? ejs.render(text, data, { filename: src }) : text });
    }
  };
  walk('');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

function substituteNames(rel: string, names: Record<string, string>): string {
  return rel.replace(/__([a-zA-Z]+)__/g, (whole, key: string) => names[key] ?? whole);
}

/** True when `dir` is absent or an empty directory. */
export function isEmptyOrAbsent(dir: string): boolean {
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) return true;
  return stat.isDirectory() && fs.readdirSync(dir).length === 0;
}

/**
 * Writes rendered files, and `emptyDirs` (relative paths) as empty folders, under `target`, which
 * must be absent or empty (generators never overwrite). Writes into a temporary sibling and renames
 * it into place, so a failure leaves nothing behind.
 */
export function writeTree(target: string, files: readonly TreeFile[], emptyDirs: readonly string[] = []): void {
  const dest = path.resolve(target);
  if (!isEmptyOrAbsent(dest)) {
    throw new ConfigError('TARGET_NOT_EMPTY', `${dest} already exists and is not empty; generators never overwrite`, {
      target: dest,
      suggestions: ['choose another name or directory', `remove ${dest} first if you mean to replace it`],
    });
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(dest), `.${path.basename(dest)}-`));
  try {
    for (const f of files) {
      const full = path.join(tmp, f.path);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, f.content, f.mode === undefined ? {} : { mode: f.mode });
    }
    for (const d of emptyDirs) fs.mkdirSync(path.join(tmp, d), { recursive: true });
    if (fs.existsSync(dest)) fs.rmdirSync(dest);
    fs.renameSync(tmp, dest);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw writeFailure(err, dest, tmp);
  }
}

/** What an operator can do about a filesystem error, by errno. */
const WRITE_ERRNO_HINTS: Record<string, string> = {
  ENOSPC: 'no space left on device: free space on that filesystem or choose a directory on another one',
  EDQUOT: 'disk quota exceeded: free space or raise the quota',
  EACCES: 'permission denied: choose a directory you can write to',
  EROFS: 'read-only filesystem: choose a writable directory',
};

/**
 * A failed write under `target` (built in the sibling `staging`, then renamed into place) as a
 * `ConfigError` TARGET_WRITE_FAILED naming the target, the file and the errno (Node's own error,
 * "ENOSPC: no space left on device, write", names neither). Errors that are not a filesystem
 * call's pass through.
 */
export function writeFailure(err: unknown, target: string, staging?: string): unknown {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const syscall = (err as NodeJS.ErrnoException | undefined)?.syscall;
  if (typeof errno !== 'string' || typeof syscall !== 'string') return err;
  const rawPath = (err as NodeJS.ErrnoException).path;
  // The staging sibling is gone once this is reported: name the file as it would be in the target.
  const file = rawPath === undefined ? undefined : staging !== undefined && rawPath.startsWith(staging) ? path.join(target, path.relative(staging, rawPath)) : rawPath;
  const hint = WRITE_ERRNO_HINTS[errno] ?? (err as Error).message;
  return new ConfigError(
    'TARGET_WRITE_FAILED',
    `cannot write ${target}${file !== undefined && file !== target ? ` (writing ${file})` : ''}: ${hint} (${errno}); nothing was left behind`,
    { target, errno, syscall, ...(file !== undefined && { path: file }) },
    { cause: err },
  );
}
