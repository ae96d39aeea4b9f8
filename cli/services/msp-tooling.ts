import { CryptoMaterialGenerator } from '../../core/msp/crypto-material';
import { MspProvider } from '../../core/msp/msp';
import { slotService } from '../../core/node/slot-service';

/** The MSP plugin the CLI's networks use: the one a node config gets when it names none. */
export const NETWORK_MSP_PLUGIN = 'msp-x509';

/** The policy plugin a network's nodes run when their config names none (core/node/config.ts). */
export const NETWORK_POLICY_PLUGIN = 'policy-fabric';

export interface MspTooling {
  readonly generator: CryptoMaterialGenerator;
  readonly msp: MspProvider;
}

let tooling: MspTooling | undefined;

/** The MSP slot's services, resolved through the plugin loader (the CLI never imports a plugin). */
export function mspTooling(): MspTooling {
  tooling ??= {
    generator: slotService<CryptoMaterialGenerator>('msp', NETWORK_MSP_PLUGIN, CryptoMaterialGenerator),
    msp: slotService<MspProvider>('msp', NETWORK_MSP_PLUGIN, MspProvider),
  };
  return tooling;
}
