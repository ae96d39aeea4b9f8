import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { nameFlag, networkDirArg } from '../../common-flags';
import { chaincodeDebugInfo, vscodeLaunchConfig, type PeerDebugInfo } from '../../services/chaincode/debug-targets';
import { openNetwork } from '../../services/network/network-access';

export default class ChaincodeDebug extends WeftCommand {
  static override summary = 'Show where to attach Chrome DevTools or VS Code to a chaincode on peers in debug mode.';
  static override description =
    'A peer whose config sets plugins.runtime.options.inspector (e.g. "inspector: { port: 9229 }") runs each chaincode with the V8 inspector on that port, as node --inspect does. ' +
    'This prints, for each such peer, the DevTools URL of the chaincode\'s latest package and a VS Code launch.json configuration that maps the source map onto the project folder. ' +
    'Never set the option on a production peer: whoever reaches the port can run code in the peer.';
  static override examples = ['<%= config.bin %> chaincode debug ./net --name assets --project ./my-assets', '<%= config.bin %> chaincode debug ./net --name assets --peer peer0.org1.example.com --json'];
  static override args = { dir: networkDirArg };
  static override flags = {
    name: nameFlag,
    peer: Flags.string({ description: 'only this peer (its id, e.g. peer0.org1.example.com)' }),
    project: Flags.string({ description: 'the chaincode project folder, for the launch.json source mapping (default ${workspaceFolder})' }),
  };

  async run(): Promise<{ peers: (PeerDebugInfo & { vscode: Record<string, unknown> })[] }> {
    const { args, flags } = await this.parse(ChaincodeDebug);
    const infos = await chaincodeDebugInfo(openNetwork(args.dir), flags.name, flags.peer);
    const peers = infos.map((info) => ({ ...info, vscode: vscodeLaunchConfig(flags.name, info, flags.project) }));
    for (const info of peers) {
      const at = `${info.inspector.host}:${info.inspector.port}`;
      this.log(`${info.peer}: debugger on ${at}`);
      if (info.error !== undefined) {
        this.warning(info.error);
        continue;
      }
      const [latest] = info.targets;
      if (latest === undefined) this.log(`  no package of ${flags.name} installed there yet: deploy it, then run this again`);
      else {
        this.log(`  package ${latest.packageId}`);
        this.log(`  Chrome: open chrome://inspect, add ${at} under "Configure…", then "inspect" ${flags.name}; or open ${latest.devtoolsFrontendUrl}`);
        this.log(`  WebSocket: ${latest.webSocketDebuggerUrl}`);
      }
      this.log('  VS Code, .vscode/launch.json "configurations" entry:');
      for (const line of JSON.stringify(info.vscode, undefined, 2).split('\n')) this.log(`    ${line}`);
    }
    return { peers };
  }
}
