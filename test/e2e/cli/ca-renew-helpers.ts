import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RenewedCa } from '../../../core/msp/crypto-material';
import { copiesOf, replaceFiles, withRenewedCa } from '../../../cli/services/network/ca-copies';
import { openNetwork } from '../../../cli/services/network/network-access';
import { orgMspStates, resolveMspOrg, setOrgMsp } from '../../../cli/services/network/org-msp-channels';
import { encodeTime } from '../../../plugins/msp-x509/crypto-material/certificate-builder';
import { loadOrgCa, orgAuthority } from '../../../plugins/msp-x509/crypto-material/org-authority';
import { reissue } from '../../unit/plugins/msp-x509/cert-forge';

/** `weft network renew --org O --ca/--tls-ca --json`. */
export interface CaRenewed {
  cas: { which: string; fileName: string; serialNumber: string; notAfter: string; previousNotAfter: string }[];
  channels: { channel: string }[];
  files: string[];
  restarted: string[];
  restartNeeded: string[];
  reloaded: string[];
}

/** The same, recovering an expired CA. */
export interface Recovered extends CaRenewed {
  recovery: {
    submitter: { id: string; mspId: string };
    members: { id: string; enrollment: { notBefore?: string; notAfter: string } }[];
    stopped?: string[];
    started: string[];
    leftStopped: string[];
    nothingToDo: boolean;
  };
}

/** `weft network renew --node/--user --json`. */
export interface Renewed {
  id: string;
  backupDir: string;
  restarted: boolean;
  reloaded: boolean;
  revoked: { serialNumbers: string[]; channels: { channel: string }[] };
}

export const quiet = (): void => {};

/** A certificate's end as a result reports it (whole seconds). */
export const asReported = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, '.000Z');

/**
 * The org's CA (or TLS CA, or both) as if it had ended 5 s ago, in the channels of the network in
 * `net` and every file (put there by one config update while its Admin could still sign and
 * connect), and the certificates each issued to its members in `memberDirs` (enrollment, or TLS:
 * server and client) ended with it (same keys; from the CA's start, so their chains verify).
 * Returns the end.
 */
export async function expireOrg(net: string, name: string, folder: string, domain: string, memberDirs: readonly string[], which: 'ca' | 'tlsca' | 'both' = 'ca'): Promise<Date> {
  const ended = new Date(Date.now() - 5_000);
  await expireFiles(net, folder, memberDirs, await expireInChannels(net, name, folder, domain, which, ended), ended);
  return ended;
}

/** {@link expireOrg}'s first half: the CA(s) ending at `ended`, put in every channel; returns them. */
export async function expireInChannels(net: string, name: string, folder: string, domain: string, which: 'ca' | 'tlsca' | 'both', ended: Date): Promise<Map<'ca' | 'tlsca', RenewedCa>> {
  const kinds = which === 'both' ? (['ca', 'tlsca'] as const) : [which];
  const expiredCas = new Map<'ca' | 'tlsca', RenewedCa>();
  for (const kind of kinds) expiredCas.set(kind, await orgAuthority.renewOrgCa({ orgDir: folder, domain }, kind, { now: new Date(ended.getTime() - 1_000), notAfter: ended }));
  const network = openNetwork(net);
  const org = resolveMspOrg(network, name);
  for (const state of await orgMspStates(network, org)) {
    let msp = state.msp;
    for (const [kind, ca] of expiredCas) msp = withRenewedCa(msp, orgAuthority, kind, ca);
    await setOrgMsp(network, org, state, msp, 'CA ending now', quiet, { code: 'SETUP', rerun: '' });
  }
  return expiredCas;
}

/** {@link expireOrg}'s second half: the CA(s) in every file, their members' certificates ended with them. */
export async function expireFiles(net: string, folder: string, memberDirs: readonly string[], expiredCas: ReadonlyMap<'ca' | 'tlsca', RenewedCa>, ended: Date): Promise<void> {
  const network = openNetwork(net);
  for (const ca of expiredCas.values()) replaceFiles(new Map(copiesOf(network, orgAuthority, ca).map((f) => [f, ca.certPem] as const)));
  for (const [kind, expiredCa] of expiredCas) {
    const caKey = loadOrgCa(folder, kind).signer.privateKey;
    const caStart = new Date(new X509Certificate(expiredCa.certPem).validFrom);
    const issuedIn = (dir: string): string[] => {
      if (kind === 'tlsca') return fs.readdirSync(path.join(dir, 'tls')).filter((f) => f.endsWith('.crt') && f !== 'ca.crt').map((f) => path.join(dir, 'tls', f));
      const signcerts = path.join(dir, 'msp', 'signcerts');
      return [path.join(signcerts, fs.readdirSync(signcerts)[0]!)];
    };
    for (const file of memberDirs.flatMap(issuedIn)) {
      const cert = await reissue(new X509Certificate(fs.readFileSync(file)).raw, undefined, {
        selfSignKey: caKey,
        mutate: (c) => {
          c.notBefore = encodeTime(caStart);
          c.notAfter = encodeTime(ended);
        },
      });
      fs.writeFileSync(file, cert.pem);
    }
  }
}
