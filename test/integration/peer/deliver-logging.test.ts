/**
 * What the peer's Deliver logs when it refuses a request, as Fabric's deliver handler
 * (common/deliver/deliver.go) warns naming the channel and the client: one structured warning per
 * refusal, none for a request served, and never a certificate. Over the real channel of the channel harness.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { SeekInfo } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { DeliverService, type DeliverSink, DeliverStatus } from '../../../core/peer/deliver/deliver-service';
import { buildEnvelope } from '../../../core/protocol/envelope';
import type { Signer } from '../../../core/protocol/signer';
import { TestOrg } from '../../../plugins/msp-x509';
import { capturedLog } from '../../support/captured-log';
import { type Position, seekPosition } from '../../support/seek-position';
import { testIdentitySigner } from '../orderer/orderer-fixture';
import { type Harness, openHarness } from './channel-harness';
import { CHANNEL, type Material, generateMaterial, tmpDir } from './network-fixture';

const CLIENT = '192.0.2.9:51000';
const WARN = 40;

let dir: string;
let m: Material;
let h: Harness;
let stranger: Signer;

beforeAll(async () => {
  dir = tmpDir('weft-deliver-logging-');
  m = await generateMaterial(dir);
  h = openHarness(m, path.join(dir, 'ledgers'));
  const evil = await TestOrg.create({ mspId: 'Org1MSP', domain: 'evil.example.com' });
  stranger = testIdentitySigner(await evil.issue('mallory', { role: 'client' }));
}, 60_000);

afterAll(() => {
  h?.channels.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function request(signer: Signer, start: Position, stop: Position, options: { channel?: string; failIfNotReady?: boolean; timestamp?: Date } = {}): Uint8Array {
  const seek = new SeekInfo();
  seek.setStart(seekPosition(start));
  seek.setStop(seekPosition(stop));
  if (options.failIfNotReady === true) seek.setBehavior(SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
  const timestamp = options.timestamp === undefined ? {} : { timestamp: options.timestamp };
  return buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId: options.channel ?? CHANNEL, data: seek.serializeBinary(), signer, ...timestamp });
}

/** Serves one request with a service logging into `lines`; the status it answered and what it logged. */
async function serve(req: Uint8Array): Promise<{ status: number | undefined; lines: Record<string, unknown>[] }> {
  const { base, lines } = capturedLog();
  const service = new DeliverService((id) => h.channels.channel(id), { timeWindowMs: 15 * 60_000, logger: base.child({ component: 'common.deliver' }, { level: 'debug' }) });
  let status: number | undefined;
  const sink: DeliverSink = {
    write: (bytes) => {
      const r = DeliverResponse.deserializeBinary(bytes);
      if (!r.hasBlock()) status = r.getStatus();
      return Promise.resolve();
    },
    closed: () => false,
    gone: new Promise<void>(() => undefined),
    remoteAddress: CLIENT,
  };
  await service.serve(req, 'block', sink);
  return { status, lines };
}

const warnings = (lines: Record<string, unknown>[]) => lines.filter((l) => (l.level as number) >= WARN);

describe('peer Deliver: refusals are logged', () => {
  it('warns naming the channel, the client and why when a client is not authorized, without its certificate', async () => {
    const { status, lines } = await serve(request(stranger, 'oldest', 'newest'));
    expect(status).toBe(DeliverStatus.FORBIDDEN);
    expect(warnings(lines)).toEqual([
      expect.objectContaining({ msg: 'deliver client is not authorized', channel: CHANNEL, client: CLIENT, status: 'FORBIDDEN', reason: expect.stringMatching(/\S/) }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('BEGIN CERTIFICATE');
  });

  it('warns for a FAIL_IF_NOT_READY seek past the end, a start beyond the height and a stale timestamp, saying which', async () => {
    const height = h.joined.channel.height();
    const cases: [Uint8Array, number, RegExp][] = [
      [request(h.users[0], 'oldest', height + 3, { failIfNotReady: true }), DeliverStatus.NOT_FOUND, new RegExp(`^block ${height} not found: the channel's height is ${height} \\(FAIL_IF_NOT_READY\\)$`)],
      [request(h.users[0], height + 2, height + 3), DeliverStatus.NOT_FOUND, /beyond the height/],
      [request(h.users[0], 'oldest', 'newest', { timestamp: new Date(Date.now() - 3600_000) }), DeliverStatus.BAD_REQUEST, /timestamp/],
    ];
    for (const [req, expected, reason] of cases) {
      const { status, lines } = await serve(req);
      expect(status).toBe(expected);
      expect(warnings(lines)).toEqual([expect.objectContaining({ msg: 'deliver request refused', channel: CHANNEL, client: CLIENT, reason: expect.stringMatching(reason) })]);
    }
  });

  it('stays quiet for a request served and logs an unknown channel at debug only, as SDKs poll for new channels', async () => {
    const served = await serve(request(h.users[0], 'oldest', 'newest'));
    expect(served.status).toBe(DeliverStatus.SUCCESS);
    expect(served.lines).toEqual([]);

    const unknown = await serve(request(h.users[0], 'oldest', 'newest', { channel: 'nochannel' }));
    expect(unknown.status).toBe(DeliverStatus.NOT_FOUND);
    expect(unknown.lines).toEqual([expect.objectContaining({ level: 20, channel: 'nochannel', client: CLIENT })]);
  });
});
