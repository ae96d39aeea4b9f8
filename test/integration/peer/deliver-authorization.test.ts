import * as fs from 'node:fs';
import * as path from 'node:path';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { SeekInfo, SeekOldest, SeekPosition, SeekSpecified } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { DeliverService, type DeliverSink, DeliverStatus } from '../../../core/peer/deliver/deliver-service';
import { buildEnvelope } from '../../../core/protocol/envelope';
import type { Signer } from '../../../core/protocol/signer';
import { TestOrg } from '../../../plugins/msp-x509';
import { type Harness, commitBlock, definitionWrites, endorsedTx, openHarness } from './channel-harness';
import { configUpdate, orderedConfigUpdate } from './config-updates';
import { CHANNEL, type Material, generateMaterial, genesisBlock, signerOf, tmpDir } from './network-fixture';
import { testIdentitySigner } from '../orderer/orderer-fixture';
import { parseConfigBlock } from '../../../core/peer/channel/channel-config';

/** The service's clock, which the tests move; requests are stamped with it, as a client in step would stamp them. */
let clock = Date.now();

/** A Deliver stream from block 0 that never stops on its own (stop = max), collected in memory. */
class Stream {
  readonly blocks: number[] = [];
  /** Envelopes in each delivered block. */
  readonly dataCounts: number[] = [];
  status: number | undefined;
  private leave!: () => void;
  private readonly sink: DeliverSink;
  readonly done: Promise<number | undefined>;

  /**
   * `request`: the timestamp and TLS binding the request carries (default: stamped by `clock`, no
   * binding); `connectionCertHash`: the client certificate hash of a mutual-TLS connection.
   */
  constructor(
    service: DeliverService,
    signer: Signer,
    request: { at?: Date; tlsCertHash?: Uint8Array; headersOnly?: boolean } = {},
    connectionCertHash?: Uint8Array,
  ) {
    const gone = new Promise<void>((resolve) => (this.leave = resolve));
    let left = false;
    void gone.then(() => (left = true));
    this.sink = {
      write: async (bytes) => {
        const r = DeliverResponse.deserializeBinary(bytes);
        if (r.hasBlock()) {
          this.blocks.push(r.getBlock()?.getHeader()?.getNumber() ?? -1);
          this.dataCounts.push(r.getBlock()?.getData()?.getDataList().length ?? 0);
        }
        else this.status = r.getStatus();
      },
      closed: () => left,
      gone,
    };
    const start = new SeekPosition();
    start.setOldest(new SeekOldest());
    const stop = new SeekPosition();
    const max = new SeekSpecified();
    max.setNumber(Number.MAX_SAFE_INTEGER);
    stop.setSpecified(max);
    const seek = new SeekInfo();
    seek.setStart(start);
    seek.setStop(stop);
    if (request.headersOnly === true) seek.setContentType(SeekInfo.SeekContentType.HEADER_WITH_SIG);
    const envelope = buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId: CHANNEL, data: seek.serializeBinary(), signer, timestamp: request.at ?? new Date(clock), tlsCertHash: request.tlsCertHash });
    this.done = service.serve(envelope, 'block', this.sink, connectionCertHash);
  }

  async close(): Promise<void> {
    this.leave();
    await this.done;
  }
}

/** Lets the stream's pending writes and block waits run. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('Deliver re-checks access while a stream is open (Fabric deliver handler semantics)', () => {
  let dir: string;
  let m: Material;
  let h: Harness;
  let org3: TestOrg;
  let service: DeliverService;
  let block = 0;
  const nextTx = (): Uint8Array =>
    endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites(`cc${++block}`) }).envelope;

  beforeAll(async () => {
    dir = tmpDir('weft-peer-deliver-auth-');
    m = await generateMaterial(dir);
    org3 = await TestOrg.create({ mspId: 'Org3MSP' });
    h = openHarness(m, path.join(dir, 'ledgers'), genesisBlock(m, 7050, '100ms', CHANNEL, [{ mspId: 'Org3MSP', mspConfig: org3.mspConfig() }]));
    service = new DeliverService((id) => h.channels.channel(id), { timeWindowMs: 15 * 60_000, now: () => clock });
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ends a stream with FORBIDDEN once the creator certificate has expired, before the next block', async () => {
    const notAfter = new Date(Math.floor(clock / 1000) * 1000 + 3600_000);
    const shortLived = await org3.issue('short-lived', { notBefore: new Date(clock - 3600_000), notAfter });
    const member = await org3.issue('member');
    const expiring = new Stream(service, testIdentitySigner(shortLived));
    const lasting = new Stream(service, testIdentitySigner(member));
    await settle();
    expect(expiring.blocks).toEqual([0]);
    expect(expiring.status).toBeUndefined();

    expect(await commitBlock(h, [nextTx()])).toEqual([TxValidationCode.VALID]);
    await settle();
    expect(expiring.blocks).toEqual([0, 1]);

    clock = notAfter.getTime() + 1000;
    expect(await commitBlock(h, [nextTx()])).toEqual([TxValidationCode.VALID]);
    await expiring.done;
    expect(expiring.blocks).toEqual([0, 1]);
    expect(expiring.status).toBe(DeliverStatus.FORBIDDEN);
    await settle();
    expect(lasting.blocks).toEqual([0, 1, 2]);
    expect(lasting.status).toBeUndefined();
    await lasting.close();

    // A new request with the expired certificate is refused up front.
    const late = new Stream(service, testIdentitySigner(shortLived));
    await late.done;
    expect(late).toMatchObject({ blocks: [], status: DeliverStatus.FORBIDDEN });

    // At the instant of expiry itself the session still holds (Fabric: time.Now().After(expiresAt)).
    const after = clock;
    clock = notAfter.getTime();
    const atExpiry = new Stream(service, testIdentitySigner(shortLived));
    await settle();
    expect(atExpiry.blocks).toEqual([0, 1, 2]);
    expect(atExpiry.status).toBeUndefined();
    await atExpiry.close();
    clock = after;
  });

  it('re-evaluates the ACL when a config block changes it, stopping a stream the new config refuses', async () => {
    const org1 = new Stream(service, h.users[0]);
    const org2 = new Stream(service, h.users[1]);
    await settle();
    const height = h.joined.channel.height();
    const upTo = Array.from({ length: height }, (_, i) => i);
    expect(org1.blocks).toEqual(upTo);
    expect(org2.blocks).toEqual(upTo);

    // The same config, with `event/Block` now guarded by Org2's Readers only.
    const resources = h.joined.channel.resources();
    const current = Config.deserializeBinary(resources.config.configBytes);
    const next = Config.deserializeBinary(
      parseConfigBlock(
        genesisBlock(m, 7050, '100ms', CHANNEL, [{ mspId: 'Org3MSP', mspConfig: org3.mspConfig() }], { 'event/Block': '/Channel/Application/Org2MSP/Readers' }),
      ).configBytes,
    );
    const admins = [signerOf(m.orgs[0], 'Admin'), signerOf(m.orgs[1], 'Admin')];
    const config = orderedConfigUpdate(CHANNEL, current, resources.policies, configUpdate(CHANNEL, current, next, admins, admins[0]), h.orderer);
    expect(await commitBlock(h, [config])).toEqual([TxValidationCode.VALID]);
    await org1.done;
    expect(org1.blocks).toEqual(upTo);
    expect(org1.status).toBe(DeliverStatus.FORBIDDEN);
    await settle();
    expect(org2.blocks).toEqual([...upTo, height]);
    expect(org2.status).toBeUndefined();
    await org2.close();
  });

  it('answers BAD_REQUEST to a request stamped outside the time window, or not bound to its mutual-TLS connection', async () => {
    const signer = h.users[1]; // Org2: the config update above left it a reader
    const served = async (stream: Stream): Promise<{ blocks: number[]; status: number | undefined }> => {
      await settle();
      const seen = { blocks: [...stream.blocks], status: stream.status };
      await stream.close();
      return seen;
    };
    const minutes = (n: number) => new Date(clock + n * 60_000);
    expect(await served(new Stream(service, signer, { at: minutes(-16) }))).toEqual({ blocks: [], status: DeliverStatus.BAD_REQUEST });
    expect(await served(new Stream(service, signer, { at: minutes(16) }))).toEqual({ blocks: [], status: DeliverStatus.BAD_REQUEST });
    expect((await served(new Stream(service, signer, { at: minutes(-14) }))).blocks[0]).toBe(0);

    const connection = new Uint8Array(32).fill(7);
    expect(await served(new Stream(service, signer, {}, connection))).toEqual({ blocks: [], status: DeliverStatus.BAD_REQUEST });
    expect(await served(new Stream(service, signer, { tlsCertHash: new Uint8Array(32).fill(8) }, connection))).toEqual({ blocks: [], status: DeliverStatus.BAD_REQUEST });
    expect(await served(new Stream(service, signer, { tlsCertHash: connection }, new Uint8Array(0)))).toEqual({ blocks: [], status: DeliverStatus.BAD_REQUEST });
    expect((await served(new Stream(service, signer, { tlsCertHash: connection }, connection))).blocks[0]).toBe(0);
  });

  it('HEADER_WITH_SIG sends blocks without their transactions, except config blocks', async () => {
    const full = new Stream(service, h.users[1]);
    const headers = new Stream(service, h.users[1], { headersOnly: true });
    await settle();
    await full.close();
    await headers.close();
    expect(headers.blocks).toEqual(full.blocks);
    expect(full.dataCounts.slice(0, 2)).toEqual([1, 1]);
    // Block 0 is the genesis config block; block 1 a _lifecycle transaction.
    expect(headers.dataCounts.slice(0, 2)).toEqual([1, 0]);
  });
});
