import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { CreateMspOptions, LoadSigningIdentityOptions, LocalMsp, Msp, MspManager, MspProvider } from '../../core/msp/msp';
import { MspManagerImpl } from './msp-manager-impl';
import { loadLocalMsp, loadMspConfig, loadSigningIdentity } from './msp-folder';
import { TokenLeases } from './token-leases';
import { X509Msp, X509MspOptions } from './x509-msp';
import type { X509SigningIdentity } from './x509-signing-identity';

/** The `msp` slot filled with Fabric's X.509 MSP. Options come from the node config's msp section. */
export class X509MspProvider implements MspProvider {
  private readonly options: X509MspOptions;
  /** PKCS#11 sessions this provider's signers use (`bccsp.default: PKCS11`); a reload re-uses them. */
  private readonly tokens = new TokenLeases();

  constructor(options: X509MspOptions = {}) {
    this.options = X509MspOptions.parse(options);
  }

  createMsp(config: FabricMSPConfig, options: CreateMspOptions = {}): X509Msp {
    return new X509Msp(config, this.options, options.version);
  }

  createManager(msps: readonly Msp[]): MspManager {
    return new MspManagerImpl(msps, this.options);
  }

  loadSigningIdentity(mspDir: string, mspId: string, load?: LoadSigningIdentityOptions): X509SigningIdentity {
    return loadSigningIdentity(mspDir, mspId, this.options, load, this.tokens);
  }

  loadMspConfig(mspDir: string, mspId: string): FabricMSPConfig {
    return loadMspConfig(mspDir, mspId);
  }

  loadLocalMsp(mspDir: string, mspId: string): LocalMsp {
    return loadLocalMsp(mspDir, mspId, this.options, this.tokens);
  }

  /**
   * Releases the PKCS#11 sessions this provider opened (the last holder of a token logs out and
   * closes it). Called when the node stops; signers loaded by this provider cannot sign afterwards.
   */
  close(): void {
    this.tokens.releaseAll();
  }
}
