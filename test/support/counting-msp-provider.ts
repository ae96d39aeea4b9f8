import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { CreateMspOptions } from '../../core/msp/msp';
import { X509MspProvider } from '../../plugins/msp-x509';
import type { X509Msp } from '../../plugins/msp-x509/x509-msp';

/** The real X.509 MSP plugin, counting the MSPs it builds. */
export class CountingMspProvider extends X509MspProvider {
  built = 0;

  override createMsp(config: FabricMSPConfig, options?: CreateMspOptions): X509Msp {
    this.built++;
    return super.createMsp(config, options);
  }
}
