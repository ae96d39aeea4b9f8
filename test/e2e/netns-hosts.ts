import { execFileSync } from 'node:child_process';

/**
 * Hosts made of Linux network namespaces: each has its own interfaces, addresses and ports, and
 * reaches the others only through a bridge, as machines on one LAN do. A process started in one
 * (`ip netns exec`) sees that host's network alone, and so do the node processes it spawns. The
 * bridge lives in a namespace of its own, so the machine's own network is never touched.
 */
export class NetnsHosts {
  private constructor(
    private readonly prefix: string,
    /** Namespace name and address of each host, in the order asked for. */
    readonly hosts: readonly { readonly ns: string; readonly address: string }[],
  ) {}

  /** `count` hosts at 10.<a>.<b>.1, .2, … on one bridge; names and the subnet derive from this process. */
  static create(count: number): NetnsHosts {
    if (process.getuid?.() !== 0) throw new Error('hosts made of network namespaces (ip netns) need root: run the suite as root, as CI does');
    const id = (process.pid % 100_000).toString(36);
    const prefix = `weft${id}`;
    const subnet = `10.${100 + (process.pid % 100)}.${Math.floor(process.pid / 100) % 250}`;
    const hosts = Array.from({ length: count }, (_, i) => ({ ns: `${prefix}-h${i + 1}`, address: `${subnet}.${i + 1}` }));
    const net = new NetnsHosts(prefix, hosts);
    net.destroy(); // leftovers of an earlier run with the same pid
    try {
      const sw = `${prefix}-sw`;
      ip('netns', 'add', sw);
      ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', sw, 'link', 'set', 'br0', 'up');
      hosts.forEach((h, i) => {
        ip('netns', 'add', h.ns);
        ip('link', 'add', `${prefix}p${i}`, 'netns', sw, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns);
        ip('-n', sw, 'link', 'set', `${prefix}p${i}`, 'master', 'br0', 'up');
        ip('-n', h.ns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0');
        ip('-n', h.ns, 'link', 'set', 'eth0', 'up');
        ip('-n', h.ns, 'link', 'set', 'lo', 'up');
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
    ip('-n', `${this.prefix}-sw`, 'link', 'set', `${this.prefix}p${index}`, connected ? 'up' : 'down');
  }

  /** Kills whatever still runs in the hosts, then removes them with their interfaces. */
  destroy(): void {
    const names = new Set([`${this.prefix}-sw`, ...this.hosts.map((h) => h.ns)]);
    for (const ns of namespaces().filter((n) => names.has(n))) {
      for (const pid of execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      ip('netns', 'del', ns);
    }
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}
