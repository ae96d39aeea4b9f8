import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

/** One host: its namespace, its address on the LAN, and the command prefix that runs a command on it. */
export interface NetnsHost {
  readonly ns: string;
  readonly address: string;
  /** `[...run, 'node', 'x.js']` runs node inside this host (its network, the test's mount namespace). */
  readonly run: readonly string[];
}

/**
 * Hosts made of Linux network namespaces: each has its own interfaces, addresses and ports, and
 * reaches the others only through a bridge, as machines on one LAN do. A process started on one
 * (`host.run`) sees that host's network alone, and so do the node processes it spawns.
 *
 * Everything lives inside a user namespace of its own (`unshare --user --map-root-user`), with a
 * private mount and network namespace: no root needed, and the machine's own network and
 * `/run/netns` are never touched. A helper process holds those namespaces; every `ip` command and
 * every host's processes enter them with `nsenter`. The helper ends when its stdin closes, so a
 * test process that dies takes it along.
 */
export class NetnsHosts {
  private constructor(
    private readonly helper: ChildProcess,
    private readonly enter: readonly string[],
    private readonly prefix: string,
    /** The hosts, in the order asked for. */
    readonly hosts: readonly NetnsHost[],
  ) {}

  /** `count` hosts at 10.<a>.<b>.1, .2, … on one bridge. */
  static async create(count: number): Promise<NetnsHosts> {
    const helper = await startNamespaceHolder();
    const enter = ['nsenter', '-t', String(helper.pid), '--user', '--mount', '--net', '--preserve-credentials'];
    const prefix = `weft${(process.pid % 100_000).toString(36)}`;
    const subnet = `10.${100 + (process.pid % 100)}.${Math.floor(process.pid / 100) % 250}`;
    const hosts = Array.from({ length: count }, (_, i) => {
      const ns = `${prefix}-h${i + 1}`;
      // Inside the user namespace every file outside it looks owned by `nobody`, which @swc/core's
      // native-cache check (used by bin/dev.js) takes for a directory another user could replace.
      const env = ['env', 'SWC_NATIVE_BINDING_CACHE_SKIP_SECURITY_CHECK=1'];
      return { ns, address: `${subnet}.${i + 1}`, run: [...enter, 'ip', 'netns', 'exec', ns, ...env] };
    });
    const net = new NetnsHosts(helper, enter, prefix, hosts);
    try {
      const sw = `${prefix}-sw`;
      net.ip('netns', 'add', sw);
      net.ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
      net.ip('-n', sw, 'link', 'set', 'br0', 'up');
      hosts.forEach((h, i) => {
        net.ip('netns', 'add', h.ns);
        net.ip('link', 'add', `${prefix}p${i}`, 'netns', sw, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns);
        net.ip('-n', sw, 'link', 'set', `${prefix}p${i}`, 'master', 'br0', 'up');
        net.ip('-n', h.ns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0');
        net.ip('-n', h.ns, 'link', 'set', 'eth0', 'up');
        net.ip('-n', h.ns, 'link', 'set', 'lo', 'up');
      });
    } catch (err) {
      net.destroy();
      throw err;
    }
    return net;
  }

  /**
   * Unplugs host `index` from the bridge (`connected` false) or plugs it back: its packets are
   * dropped in between, as when a cable or a switch port fails, so connections see no reset.
   */
  setLink(index: number, connected: boolean): void {
    this.ip('-n', `${this.prefix}-sw`, 'link', 'set', `${this.prefix}p${index}`, connected ? 'up' : 'down');
  }

  /** Kills whatever still runs on the hosts, then ends the namespaces with their interfaces. */
  destroy(): void {
    if (this.helper.exitCode === null) {
      for (const ns of this.hosts.map((h) => h.ns)) {
        const pids = this.output('ip', 'netns', 'pids', ns).split(/\s+/).filter(Boolean);
        for (const pid of pids) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }
    this.helper.stdin?.end();
  }

  private ip(...args: string[]): void {
    execFileSync(this.enter[0]!, [...this.enter.slice(1), 'ip', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  private output(...command: string[]): string {
    try {
      return execFileSync(this.enter[0]!, [...this.enter.slice(1), ...command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return ''; // the namespace is already gone
    }
  }
}

/**
 * A process in a new user, mount and network namespace, with a private tmpfs for `/run/netns`
 * (`ip netns` keeps its namespaces there); it waits on stdin so it lives as long as the test.
 */
function startNamespaceHolder(): Promise<ChildProcess> {
  // Without root, /run/netns can only be made by mounting a tmpfs over /run (which the nodes do not use).
  const mountPoint = fs.existsSync('/run/netns') ? '/run/netns' : '/run';
  const script = `mount -t tmpfs weft-netns ${mountPoint} && mkdir -p /run/netns && echo ready && exec cat`;
  const helper = spawn('unshare', ['--user', '--map-root-user', '--mount', '--propagation', 'private', '--net', 'sh', '-c', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    helper.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    helper.stdout.once('data', () => resolve(helper));
    helper.once('error', reject);
    helper.once('exit', (code) =>
      reject(new Error(`hosts made of network namespaces need user namespaces (unshare --user, util-linux); the helper exited ${code}: ${stderr.trim()}`)),
    );
  });
}
