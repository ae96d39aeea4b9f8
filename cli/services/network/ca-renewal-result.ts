import type { RenewResult } from './network-renew';
import type { ChannelUpdated } from './org-msp-channels';

/** What `weft network renew --org <org> --ca/--tls-ca` did. */
export interface RenewCaResult {
  readonly org: string;
  readonly mspId: string;
  readonly cas: { which: 'ca' | 'tlsca'; fileName: string; serialNumber: string; notBefore: string; notAfter: string; previousNotAfter: string }[];
  /** Channels whose config now holds the new certificate; channels that held it already are left out. */
  readonly channels: ChannelUpdated[];
  /** Every file that held a copy of an old CA certificate and now holds the new one. */
  readonly files: string[];
  /** Nodes running here on an old copy (until restarted; it stays good until `previousNotAfter`). */
  readonly restartNeeded: string[];
  readonly restarted: string[];
  /** Nodes running here that took the renewed CA or TLS CA by a reload: their local MSP and client CA roots hold it now. */
  readonly reloaded: string[];
  /** Set when the CA had expired (or an earlier recovery had not finished): what recovering it did. */
  readonly recovery?: CaRecovery;
}

/** What a recovery of an expired CA did beyond a renewal's result. */
export interface CaRecovery {
  /** The Admin that signed the CONFIG_UPDATE envelopes (the org's expired Admin signed inside them); absent when no channel needed one. */
  readonly submitter?: { readonly id: string; readonly mspId: string };
  /** Members of the org whose enrollment or TLS certificate had ended, re-issued (as `weft network renew --node/--user`). */
  readonly members: RenewResult[];
  /** The org's nodes here that were not running and were started. */
  readonly started: string[];
  /** A run after a finished recovery: every channel held the CA, no member had expired, every node ran. */
  readonly nothingToDo: boolean;
}
