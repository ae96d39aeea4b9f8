import type { OrgCaKind } from '../../../core/msp/crypto-material';
import type { ChannelUpdated } from './org-msp-channels';

/** What `weft network renew --org <org> --ca/--tls-ca` did. */
export interface RenewCaResult {
  readonly org: string;
  readonly mspId: string;
  /** `rootca`/`tlsrootca`: the root above an intermediate org's CA (`--root-ca`, `--tls-root-ca`). */
  readonly cas: { which: OrgCaKind; fileName: string; serialNumber: string; notBefore: string; notAfter: string; previousNotAfter: string }[];
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

/**
 * A member a recovery re-issued: as `weft network renew --node/--user` does (a running node
 * reloads), or, for the orderer org whose CA and TLS CA both expired, from its old start
 * (`enrollment.notBefore`; its node stopped, so nothing reloads).
 */
export interface RecoveredMember {
  readonly id: string;
  readonly mspId: string;
  readonly enrollment: { readonly serialNumber: string; readonly notAfter: string; readonly notBefore?: string };
  readonly backupDir: string;
  readonly reloaded?: boolean;
}

/** What a recovery of an expired CA did beyond a renewal's result. */
export interface CaRecovery {
  /** The Admin that signed the CONFIG_UPDATE envelopes (the org's expired Admin signed inside them); absent when no channel needed one. */
  readonly submitter?: { readonly id: string; readonly mspId: string };
  /** Members of the org whose enrollment or TLS certificate had ended, re-issued. */
  readonly members: RecoveredMember[];
  /** The orderer org's recovery of both CAs: its nodes that ran on ended certificates, stopped to be re-issued from their old start. */
  readonly stopped?: string[];
  /** The org's nodes here started: those the recovery stopped (this run or an earlier one of it), or that ran when it began. */
  readonly started: string[];
  /** The org's nodes here that were stopped before the recovery (perhaps on purpose): left stopped. */
  readonly leftStopped: string[];
  /** A run after a finished recovery: every channel held the CA, no member had expired, every node ran. */
  readonly nothingToDo: boolean;
}
