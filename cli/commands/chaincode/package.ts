import { Args, Flags } from '@oclif/core';
import { ChaincodeError } from '../../../core/errors';
import { WeftCommand } from '../../base-command';
import { typeCheckFlag } from '../../common-flags';
import { packageCcaasService, type PackagedCcaas } from '../../services/chaincode/package-ccaas';
import { packageProject, type PackagedChaincode } from '../../services/chaincode/package-project';

export default class ChaincodePackage extends WeftCommand {
  static override summary = 'Build a Fabric-format chaincode package (.tar.gz) from a contract project, or for chaincode running as a service.';
  static override description =
    'Bundles the project (TypeScript or JavaScript, fabric-contract-api) with its npm dependencies into one script with esbuild, so installing it needs no network and no build on the peer. A TypeScript project (one whose package.json main has no build output yet, only its .ts source) is first type-checked as tsc does with its tsconfig.json, with the project\'s own typescript (else Weft\'s); a type error refuses the package (CHAINCODE_TYPE_ERRORS, each error as file:line:column), and --no-type-check skips the check. With --ccaas, writes a chaincode-as-a-service package instead (type ccaas, connection.json naming the server the peers dial; the project folder, if given, only adds its META-INF indexes): the chaincode then runs as its own server, in any language. Prints the package ID (the ID a ccaas server must be started with).';
  static override examples = [
    '<%= config.bin %> chaincode package ./my-assets --label my-assets_1.0',
    '<%= config.bin %> chaincode package chaincode-examples/asset-transfer --label basic_1.0 --output /tmp/basic.tar.gz --json',
    '<%= config.bin %> chaincode package --ccaas basic.example.com:9999 --label basic_1.0',
    '<%= config.bin %> chaincode package ./my-assets --ccaas basic.example.com:9999 --label basic_1.0 --dial-timeout 10s --tls-root-cert tls/ca.crt',
    '<%= config.bin %> chaincode package ./my-assets --label my-assets_1.0 --no-type-check',
  ];
  static override args = { project: Args.string({ description: 'chaincode project folder (holding package.json); with --ccaas, optional: the folder whose META-INF/ goes in' }) };
  static override flags = {
    label: Flags.string({ description: 'package label, e.g. basic_1.0', required: true }),
    output: Flags.string({ char: 'o', description: 'package file to write (default ./<label>.tar.gz)' }),
    ccaas: Flags.string({ description: 'chaincode as a service: host:port of the chaincode server the peers dial (Fabric connection.json "address")' }),
    'dial-timeout': Flags.string({ description: 'with --ccaas: how long a peer tries to connect, a Go duration (default 3s)', dependsOn: ['ccaas'] }),
    'tls-root-cert': Flags.string({ description: 'with --ccaas: PEM file of the CA of the server\'s TLS certificate (turns TLS on)', dependsOn: ['ccaas'] }),
    'tls-client-cert': Flags.string({ description: 'with --ccaas: PEM certificate the peer presents (turns client authentication on)', dependsOn: ['ccaas', 'tls-client-key'] }),
    'tls-client-key': Flags.string({ description: 'with --ccaas: PEM private key of --tls-client-cert', dependsOn: ['ccaas', 'tls-client-cert'] }),
    'tls-server-name': Flags.string({ description: 'with --ccaas: name the server\'s certificate carries, when not the address\'s host (connection.json "domain")', dependsOn: ['ccaas'] }),
    'type-check': typeCheckFlag,
  };

  async run(): Promise<PackagedChaincode | PackagedCcaas> {
    const { args, flags } = await this.parse(ChaincodePackage);
    if (flags.ccaas !== undefined) {
      const result = await packageCcaasService({
        address: flags.ccaas,
        label: flags.label,
        output: flags.output,
        project: args.project,
        dialTimeout: flags['dial-timeout'],
        tlsRootCertFile: flags['tls-root-cert'],
        tlsClientCertFile: flags['tls-client-cert'],
        tlsClientKeyFile: flags['tls-client-key'],
        tlsServerName: flags['tls-server-name'],
      });
      this.log(`${result.file} (${result.bytes} bytes)`);
      this.log(`package ID: ${result.packageId}`);
      this.log(`start the chaincode server with: ${result.serverCommand}`);
      return result;
    }
    if (args.project === undefined) {
      throw new ChaincodeError('CHAINCODE_BAD_PROJECT', 'no chaincode project given', {
        suggestions: ['pass the folder holding the contract\'s package.json', 'or --ccaas <host:port> for chaincode running as a service'],
      });
    }
    const result = await packageProject(args.project, flags.label, flags.output, { typeCheck: flags['type-check'] });
    result.warnings.forEach((w) => this.warning(w));
    if (result.typeChecked) this.log(`types checked (typescript ${result.typeChecked.version}, ${result.typeChecked.from === 'project' ? "the project's" : "Weft's: the project has none installed"})`);
    this.log(`${result.file} (${result.bytes} bytes)`);
    this.log(`package ID: ${result.packageId}`);
    return result;
  }
}
