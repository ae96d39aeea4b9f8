import * as fs from 'node:fs';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { DeliverResponse, SeekInfo, SeekNewest, SeekOldest, SeekPosition, SeekSpecified } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { WeftError } from '../../../core/errors';
import { OrdererClient, type ClientTls } from '../../../core/peer/orderer/orderer-client';
import { blockNumber, decodeBlock, getLastConfigIndex } from '../../../core/protocol/block';
import { deliverResponseBlock } from '../../../core/protocol/deliver-response';
import { buildEnvelope } from '../../../core/protocol/envelope';
import { statusName } from '../../../core/protocol/status-name';
import type { ClientIdentity } from '../client/client-identity';
import { nodeServerRevocations } from '../client/server-revocation';
import type { NetworkLayout, NodeLayout, UserLayout } from '../network/network-layout';

const CONNECT_TIMEOUT_MS = 10_000;
const ANSWER_TIMEOUT_MS = 30_000;

/** The TLS a CLI user's connection to an orderer of the network presents and trusts. */
export function ordererTls(layout: Pick<NetworkLayout, 'spec'>, orderer: Pick<NodeLayout, 'id' | 'mspDir' | 'tlsRootCertPath'>, user: Pick<UserLayout, 'tlsCertPath' | 'tlsKeyPath'>): ClientTls {
  if (!layout.spec.tls) return {};
  const revoked = nodeServerRevocations(orderer);
  return {
    rootCerts: fs.readFileSync(orderer.tlsRootCertPath),
    serverNameOverride: orderer.id,
    revocations: () => revoked,
    ...(layout.spec.mutualTls && { certChain: fs.readFileSync(user.tlsCertPath), privateKey: fs.readFileSync(user.tlsKeyPath) }),
  };
}

/**
 * A block of the channel as an orderer holds it, read through its Deliver service (`config`: the
 * newest block, then the config block it points at). The orderer authorizes Deliver by
 * /Channel/Readers, which no application ACL changes: this is how the CLI reads a channel whose
 * ACL locks its qscc reads (see `fetchBlock`). The next orderer is asked when one cannot be reached.
 */
export async function ordererBlock(
  layout: NetworkLayout,
  reader: ClientIdentity,
  ref: 'newest' | 'oldest' | 'config' | number,
): Promise<{ number: number; bytes: Uint8Array; orderer: string }> {
  const channel = layout.spec.channel.name;
  const failures: string[] = [];
  for (const orderer of layout.orderers()) {
    const client = new OrdererClient(orderer.address, ordererTls(layout, orderer, reader.user));
    try {
      if (!(await client.ready(CONNECT_TIMEOUT_MS))) {
        failures.push(`${orderer.id} (${orderer.address}): no connection within ${CONNECT_TIMEOUT_MS / 1000}s`);
        continue;
      }
      const first = await deliverOne(client, channel, reader, ref === 'config' ? 'newest' : ref);
      const block = decodeBlock(first);
      if (ref !== 'config') return { number: blockNumber(block), bytes: first, orderer: orderer.id };
      const number = getLastConfigIndex(block);
      return { number, bytes: number === blockNumber(block) ? first : await deliverOne(client, channel, reader, number), orderer: orderer.id };
    } catch (err) {
      failures.push(`${orderer.id}: ${(err as Error).message}`);
    } finally {
      client.close();
    }
  }
  throw new WeftError('ORDERER_DELIVER_FAILED', `no orderer of the network delivered ${ref === 'config' ? 'the config block' : `block ${ref}`} of channel ${channel}: ${failures.join('; ')}`, {
    channel,
    suggestions: ['is the network up? check with: weft network status <dir>'],
  });
}

/** One block by a Deliver request whose start and stop are `at`; throws with the orderer's status when it sends none. */
async function deliverOne(client: OrdererClient, channel: string, reader: ClientIdentity, at: 'newest' | 'oldest' | number): Promise<Uint8Array> {
  const position = new SeekPosition();
  if (at === 'newest') position.setNewest(new SeekNewest());
  else if (at === 'oldest') position.setOldest(new SeekOldest());
  else {
    const specified = new SeekSpecified();
    specified.setNumber(at);
    position.setSpecified(specified);
  }
  const seek = new SeekInfo();
  seek.setStart(position);
  seek.setStop(position);
  seek.setBehavior(SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
  const envelope = buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId: channel, data: seek.serializeBinary(), signer: reader.signer, tlsCertHash: client.tlsCertHash });
  const stream = client.deliver();
  stream.on('error', () => undefined);
  const timer = setTimeout(() => stream.cancel(), ANSWER_TIMEOUT_MS);
  try {
    stream.write(envelope);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const block = deliverResponseBlock(chunk);
      if (block !== undefined) return block;
      const status = DeliverResponse.deserializeBinary(chunk).getStatus();
      throw new Error(`Deliver of block ${at} answered ${statusName(status)} (${status})`);
    }
    throw new Error(`Deliver of block ${at} ended with no block within ${ANSWER_TIMEOUT_MS / 1000}s`);
  } finally {
    clearTimeout(timer);
    stream.cancel();
  }
}
