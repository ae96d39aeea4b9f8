import { randomBytes, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { ConfigError } from '../../../core/errors';
import { buildChannelResources } from '../../../core/orderer/channel-resources';
import { slotService } from '../../../core/node/slot-service';
import { PolicyProvider } from '../../../core/policy/policy';
import type { ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { loadClientIdentity, type ClientIdentity } from '../client/client-identity';
import { mspTooling, NETWORK_POLICY_PLUGIN } from '../msp-tooling';
import type { NetworkLayout, UserLayout } from './network-layout';
import type { MspOrg } from './org-msp-channels';
import { keyHere, signingKeyHere } from './org-keys';

/** An identity here that may carry a config update for an org that cannot: it signs the CONFIG_UPDATE envelope (the creator orderers check). */
export interface ConfigSubmitter {
  readonly identity: ClientIdentity;
  readonly mspId: string;
}

/** Why a candidate cannot submit, for the typed error. */
export interface Refusal {
  readonly id: string;
  readonly why: string;
}

/** Whether the certificate at `file` has ended by `now`: its end, when it has. */
function expiredAt(file: string, now: Date): Date | undefined {
  const end = new Date(new X509Certificate(fs.readFileSync(file)).validTo);
  return end.getTime() <= now.getTime() ? end : undefined;
}

/**
 * The Admins that may stand in for `org`, in the order they are tried: for a peer org the orderer
 * org's Admin first (a writer of every channel), then the other peer orgs'; for the orderer org the
 * peer orgs'. Each with why it cannot, when it cannot from here at all (key not here, certificate
 * ended): that is decided before any channel is read.
 */
export function submitterCandidates(network: NetworkLayout, org: MspOrg, now: Date): { usable: UserLayout[]; refused: Refusal[] } {
  const admins = [
    ...(org.peerOrg === undefined ? [] : [network.ordererAdmin()]),
    ...network.spec.orgs.filter((o) => o.mspId !== org.mspId).map((o) => network.user(o, 'Admin')),
  ];
  const usable: UserLayout[] = [];
  const refused: Refusal[] = [];
  for (const user of admins) {
    const tlsNeeded = network.spec.tls && network.spec.mutualTls;
    if (!signingKeyHere(user) || (tlsNeeded && !keyHere(user.tlsKeyPath))) {
      refused.push({ id: user.id, why: `its key is not in this directory (${!signingKeyHere(user) ? user.keyPath : user.tlsKeyPath})` });
      continue;
    }
    const ended = expiredAt(user.certPath, now) ?? (network.spec.tls && fs.existsSync(user.tlsCertPath) ? expiredAt(user.tlsCertPath, now) : undefined);
    if (ended !== undefined) {
      refused.push({ id: user.id, why: `its certificate expired on ${ended.toISOString()} (orderers refuse an expired creator)` });
      continue;
    }
    usable.push(user);
  }
  return { usable, refused };
}

/** Why `user` may not submit to the channel as it is configured, or undefined when it may (a member whose signature satisfies /Channel/Writers). */
function refusalIn(current: ParsedChannelConfig, identity: ClientIdentity): string | undefined {
  if (!current.msps.has(identity.user.mspId)) return `${identity.user.mspId} is not an org of channel ${current.channelId}`;
  const resources = buildChannelResources(current.channelId, current.config, {
    mspProvider: mspTooling().msp,
    policyProvider: slotService<PolicyProvider>('policy', NETWORK_POLICY_PLUGIN, PolicyProvider),
  });
  // The orderer's signature filter evaluates /Channel/Writers on the envelope's signed data: the same check, on a signature made here.
  const data = randomBytes(32);
  const result = resources.policies.getPolicy('/Channel/Writers')?.evaluate([{ data, identity: identity.signer.serialized, signature: identity.signer.sign(data) }]);
  if (result === undefined) return `channel ${current.channelId} has no /Channel/Writers policy`;
  return result.satisfied ? undefined : `it does not satisfy /Channel/Writers of channel ${current.channelId}: ${result.reason}`;
}

/**
 * The first of `candidates` that may submit a config update to every one of `channels` (a member
 * whose signature meets /Channel/Writers, what orderers check of a CONFIG_UPDATE's creator), else
 * `NO_CONFIG_SUBMITTER` naming each Admin and why it cannot. Thrown before anything is sent.
 */
export function chooseSubmitter(org: MspOrg, candidates: { usable: readonly UserLayout[]; refused: readonly Refusal[] }, channels: readonly ParsedChannelConfig[]): ConfigSubmitter {
  const refused = [...candidates.refused];
  for (const user of candidates.usable) {
    let identity: ClientIdentity;
    try {
      identity = loadClientIdentity(user);
    } catch (err) {
      refused.push({ id: user.id, why: `its identity does not load: ${(err as Error).message}` });
      continue;
    }
    const why = channels.map((c) => refusalIn(c, identity)).find((r) => r !== undefined);
    if (why === undefined) return { identity, mspId: user.mspId };
    refused.push({ id: user.id, why });
  }
  throw noSubmitter(org, refused);
}

/** `NO_CONFIG_SUBMITTER`: no Admin here may carry the update for `org`, each with why. */
export function noSubmitter(org: MspOrg, refused: readonly Refusal[]): ConfigError {
  const who = refused.length === 0 ? 'this network has no other org' : refused.map((r) => `${r.id}: ${r.why}`).join('; ');
  return new ConfigError(
    'NO_CONFIG_SUBMITTER',
    `${org.name}'s CA expired, and with it its Admin's certificate: its signature still counts inside the config update that replaces the root (the MSP checks a chain at the certificate's start), but orderers refuse an expired creator, so an unexpired Admin of another org must carry the update, and none here can (${who}). Nothing was changed`,
    {
      field: '--org',
      org: org.name,
      candidates: refused,
      suggestions: [
        org.peerOrg === undefined
          ? 'run this where a peer org Admin whose certificate is valid has its key (weft network export --org <org> gives one), with the orderer org CA key here'
          : `run this where the orderer org's Admin (or another member org's) has its key and a valid certificate, with ${org.name}'s CA key here`,
        "when every org's CAs expired and every node runs from this directory: weft network renew <dir> --all-expired (each org's own Admin then updates the channels)",
      ],
    },
  );
}
