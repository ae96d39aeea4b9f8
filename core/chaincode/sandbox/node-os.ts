/**
 * What `require('os')` gives chaincode: the values browserify's os port gives bundles (a "browser"
 * with no CPUs, interfaces or load), the same on every peer, so that libraries reading `os.EOL` as
 * they load (winston, supports-color) work and nothing tells one endorser's host from another's.
 */
export const EOL = '\n';
export const devNull = '/dev/null';
export const constants = Object.freeze({ signals: Object.freeze({}), errno: Object.freeze({}), priority: Object.freeze({}), dlopen: Object.freeze({}) });

export const arch = (): string => 'javascript';
export const machine = (): string => 'javascript';
export const platform = (): string => 'browser';
export const type = (): string => 'Browser';
export const release = (): string => '';
export const version = (): string => '';
export const hostname = (): string => '';
export const homedir = (): string => '/';
export const tmpdir = (): string => '/tmp';
export const endianness = (): string => 'LE';
export const uptime = (): number => 0;
export const loadavg = (): number[] => [];
export const freemem = (): number => Number.MAX_VALUE;
export const totalmem = (): number => Number.MAX_VALUE;
export const cpus = (): unknown[] => [];
export const availableParallelism = (): number => 1;
export const networkInterfaces = (): Record<string, unknown[]> => ({});
export const userInfo = (): { uid: number; gid: number; username: string; homedir: string; shell: null } => ({ uid: -1, gid: -1, username: '', homedir: '/', shell: null });
export const getPriority = (): number => 0;
export function setPriority(): never {
  throw new Error('os.setPriority is not available in chaincode');
}

export default {
  EOL,
  devNull,
  constants,
  arch,
  machine,
  platform,
  type,
  release,
  version,
  hostname,
  homedir,
  tmpdir,
  endianness,
  uptime,
  loadavg,
  freemem,
  totalmem,
  cpus,
  availableParallelism,
  networkInterfaces,
  userInfo,
  getPriority,
  setPriority,
};
