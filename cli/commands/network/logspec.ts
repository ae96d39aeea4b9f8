import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { type LogSpecResult, nodeLogSpecs } from '../../services/network/node-logspec';

export default class NetworkLogspec extends WeftCommand {
  static override summary = "Read or set running nodes' logging spec (Fabric's /logspec), with the right client certificate under mutual TLS.";
  static override description =
    "Asks each node's operations endpoint for its logging spec (GET /logspec) or sets it (--spec: PUT /logspec, then reads it back), over HTTPS with a TLS client certificate of the node's org where the endpoint serves TLS (weft network init --mutual-tls, or a node away from loopback), as weft network status does. By default every node run from this directory that is running; --node (repeatable) or --org picks others. The spec is Fabric's (FABRIC_LOGGING_SPEC): one level, or levels per logger such as warn:committer,peer.blocksprovider=debug; it is checked before anything is sent, and every node is asked for its current spec before any is changed, so a node that is down or refuses the certificate changes nothing. A spec set this way lasts until the node restarts, when its config's logLevel applies again.";
  static override examples = [
    '<%= config.bin %> network logspec ./net',
    "<%= config.bin %> network logspec ./net --node peer0.org1.example.com --spec 'warn:committer,peer.blocksprovider=debug'",
    '<%= config.bin %> network logspec ./net --org Org1 --spec info --json',
  ];
  static override args = { dir: Args.string({ description: 'network directory', required: true }) };
  static override flags = {
    node: Flags.string({ description: 'this node (repeatable), wherever it runs; default every node run from this directory that is running', multiple: true, multipleNonGreedy: true, exclusive: ['org'] }),
    org: Flags.string({ description: "every node of this org (name, MSP ID or domain)", exclusive: ['node'] }),
    spec: Flags.string({ description: "set this Fabric logging spec (e.g. info, or warn:committer=debug) until the node restarts; without it, only read" }),
  };

  async run(): Promise<LogSpecResult> {
    const { args, flags } = await this.parse(NetworkLogspec);
    const result = await nodeLogSpecs(args.dir, { nodes: flags.node, org: flags.org, spec: flags.spec }, (m) => this.progress(m));
    const width = Math.max(...result.nodes.map((n) => n.id.length));
    for (const n of result.nodes) this.log(`${n.kind.padEnd(7)} ${n.id.padEnd(width)}  ${n.spec}${n.previous === undefined ? '' : `  (was ${n.previous})`}`);
    if (result.requested !== undefined) this.log("lasts until the node restarts (its config's logLevel applies again then)");
    return result;
  }
}
