import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { Identity } from '../msp/identity';
import type { Msp } from '../msp/msp';
import type { MspVersion } from '../msp/msp-version';
import { Switchable } from './reloadable-identity';

/**
 * The node's local MSP (its CAs, admins, CRLs, NodeOUs) as one object a certificate reload
 * replaces: the local admin checks (`LocalPolicies`), the endorser's creator check and discovery
 * are handed this object once, so a CRL or CA written into the folder takes effect on SIGHUP for
 * all of them together, as {@link SwitchableSigningIdentity} does for the signer. An identity
 * deserialized before a switch keeps the MSP that made it: a check in flight finishes on the old one.
 */
export class SwitchableLocalMsp extends Switchable<Msp> implements Msp {
  /** The MSP in use now. */
  get msp(): Msp {
    return this.held;
  }

  get id(): string {
    return this.held.id;
  }
  get config(): FabricMSPConfig {
    return this.held.config;
  }
  get version(): MspVersion {
    return this.held.version;
  }
  deserializeIdentity(serialized: Uint8Array): Identity {
    return this.held.deserializeIdentity(serialized);
  }
}
