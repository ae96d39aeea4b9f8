/**
 * oclif without a manifest (`oclif.manifest.json`) loads every command module, and with them the
 * whole code base, to learn the commands' ids and flags before it runs one: some 370 files for any
 * `weft` command. This keeps the manifest oclif builds that way in `node_modules/.cache/weft-ts/`,
 * keyed by the path, size and mtime of every code file under the given folders (the sources'
 * cli/, core/ and plugins/ for bin/dev.js, dist/ for bin/run.js: a command's flags may come from
 * any of them), so a run after the first loads only the command it runs. The manifest serves
 * lookup and help; the command itself is always loaded from its file and parses with its own
 * flags. Any failure here (a read-only install, say) builds the manifest as oclif does.
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/** The code that makes the commands, as bin/dev.js and bin/run.js run them. */
const SOURCES = { dev: { name: 'dev', dirs: ['cli', 'core', 'plugins'], ext: '.ts' }, built: { name: 'built', dirs: ['dist'], ext: '.js' } };

function sourceFingerprint(root, oclifVersion, sources = SOURCES.dev) {
  const hash = crypto.createHash('sha256').update(`${oclifVersion}\u0000${require(path.join(root, 'package.json')).version}\u0000`);
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith(sources.ext)) {
        const st = fs.statSync(file);
        hash.update(`${path.relative(root, file)}\u0000${st.size}\u0000${st.mtimeMs}\u0000`);
      }
    }
  };
  for (const dir of sources.dirs) walk(path.join(root, dir));
  return hash.digest('hex');
}

/** Makes oclif's root plugin (the one at `root`) read and write its manifest through the cache. */
function cacheRootManifest(oclif, root, sources) {
  const proto = oclif.Plugin && oclif.Plugin.prototype;
  if (!proto || typeof proto._manifest !== 'function') return;
  const build = proto._manifest;
  const prefix = `oclif-manifest-${sources.name}-`;
  let file;
  try {
    file = path.join(root, 'node_modules', '.cache', 'weft-ts', `${prefix}${sourceFingerprint(root, require('@oclif/core/package.json').version, sources)}.json`);
  } catch {
    return;
  }
  proto._manifest = async function manifest() {
    if (this.root !== root) return build.call(this);
    try {
      const cached = JSON.parse(fs.readFileSync(file, 'utf8'));
      this.commandIDs = Object.keys(cached.commands);
      return cached;
    } catch {
      // not cached yet: built below
    }
    const built = await build.call(this);
    const temp = `${file}.${process.pid}`;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(temp, JSON.stringify(built));
      fs.renameSync(temp, file);
      // Only the sources as they are now matter: older manifests would pile up with every edit.
      for (const old of fs.readdirSync(path.dirname(file))) {
        if (old.startsWith(prefix) && old.endsWith('.json') && old !== path.basename(file)) fs.rmSync(path.join(path.dirname(file), old), { force: true });
      }
    } catch {
      fs.rmSync(temp, { force: true }); // the cache is optional
    }
    return built;
  };
}

module.exports = { cacheRootManifest, sourceFingerprint, SOURCES };
