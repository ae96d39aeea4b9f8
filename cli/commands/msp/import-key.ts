import { Args, Flags } from '@oclif/core';
import * as path from 'node:path';
import { WeftCommand } from '../../base-command';
import type { MspKeyImport } from '../../../core/msp/msp-key-importer';
import { DEFAULT_PIN_ENV, importKeyIntoHsm, nodeYamlFor } from '../../services/hsm-key-import';

export default class MspImportKey extends WeftCommand {
  static override summary = "Move an MSP folder's signing key into a PKCS#11 token (an HSM), as Fabric's PKCS11 BCCSP finds it.";
  static override description =
    "The key goes in with CKA_ID = the certificate's SKI (SHA-256 of its public point) unless --alt-id names another, sensitive and not extractable. " +
    "The keystore file is removed only after the key was read back from the token by its SKI and a test signature verified with the certificate. " +
    'Run again, it changes nothing. Prints the plugins.msp section for the node YAML; the node reads the PIN from WEFT_PKCS11_PIN.';
  static override examples = [
    'WEFT_PKCS11_PIN=1234 <%= config.bin %> msp import-key ./net/crypto/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/msp --library /usr/lib/softhsm/libsofthsm2.so --label org1',
  ];
  static override args = {
    mspDir: Args.string({ description: 'MSP folder (signcerts/ and keystore/)', required: true }),
  };
  static override flags = {
    library: Flags.string({ description: 'PKCS#11 library (.so)', required: true }),
    label: Flags.string({ description: 'token label', required: true }),
    'pin-env': Flags.string({ description: 'environment variable holding the user PIN', default: DEFAULT_PIN_ENV }),
    'alt-id': Flags.string({ description: "CKA_ID to file the key under instead of the SKI (Fabric's AltID)" }),
  };

  async run(): Promise<MspKeyImport & { yaml: string }> {
    const { args, flags } = await this.parse(MspImportKey);
    const result = importKeyIntoHsm({ mspDir: path.resolve(args.mspDir), library: flags.library, label: flags.label, pinEnv: flags['pin-env'], altId: flags['alt-id'] });
    const yaml = nodeYamlFor(result);
    this.log(
      result.created
        ? `moved the key of SKI ${result.ski} into token "${flags.label}"${result.removedFile === undefined ? '' : ` and removed ${result.removedFile}`}`
        : `token "${flags.label}" already holds the key of SKI ${result.ski}; nothing imported${result.removedFile === undefined ? '' : `, removed ${result.removedFile}`}`,
    );
    this.log(`put this in the node's YAML, and the PIN in ${DEFAULT_PIN_ENV} in its environment:\n${yaml}`);
    return { ...result, yaml };
  }
}
