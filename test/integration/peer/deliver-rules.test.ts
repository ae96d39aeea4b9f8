/**
 * The peer's Deliver on the edges of a SeekInfo, as Fabric's handler (common/deliver/deliver.go
 * with the peer's fileledger iterator), and the resources one long-lived stream holds while it
 * waits for blocks, over the real channel of the channel harness.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { SeekInfo, SeekPosition } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { seekPosition } from '../../support/seek-position';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { BlockListener } from '../../../core/peer/channel/channel';
import { DeliverService, type DeliverSink, DeliverStatus } from '../../../core/peer/deliver/deliver-service';
import { buildEnvelope } from '../../../core/protocol/envelope';
import { type Harness, commitBlock, definitionWrites, endorsedTx, openHarness } from './channel-harness';
import { CHANNEL, type Material, generateMaterial, tmpDir } from './network-fixture';

let dir: string;
let m: Material;
let h: Harness;
let service: DeliverService;
let serial = 0;

beforeAll(async () => {
  dir = tmpDir('weft-deliver-rules-');
  m = await generateMaterial(dir);
  h = openHarness(m, path.join(dir, 'ledgers'));
  service = new DeliverService((id) => h.channels.channel(id), { timeWindowMs: 15 * 60_000 });
  // Blocks 1..3 on top of the genesis block.
  for (let i = 0; i < 3; i++) await commitNext();
}, 60_000);

afterAll(() => {
  h?.channels.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function commitNext(): Promise<void> {
  const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites(`deliver${++serial}`) });
  expect(await commitBlock(h, [tx.envelope])).toEqual([TxValidationCode.VALID]);
}

function request(start: SeekPosition | undefined, stop: SeekPosition | undefined): Uint8Array {
  const seek = new SeekInfo();
  if (start !== undefined) seek.setStart(start);
  if (stop !== undefined) seek.setStop(stop);
  return buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId: CHANNEL, data: seek.serializeBinary(), signer: h.users[0] });
}

/** A client of one request; `gone` is a thenable that counts the callbacks the service hangs on it. */
class Client {
  readonly blocks: number[] = [];
  status: number | undefined;
  goneCallbacks = 0;
  private left = false;
  private leave!: () => void;
  readonly sink: DeliverSink;

  constructor() {
    const gone = new Promise<void>((resolve) => (this.leave = resolve));
    const counted = {
      then: (onGone: () => void, onError?: (e: unknown) => void) => {
        this.goneCallbacks++;
        return gone.then(onGone, onError);
      },
    };
    this.sink = {
      write: async (bytes) => {
        const r = DeliverResponse.deserializeBinary(bytes);
        if (r.hasBlock()) this.blocks.push(r.getBlock()?.getHeader()?.getNumber() ?? -1);
        else this.status = r.getStatus();
      },
      closed: () => this.left,
      gone: counted as unknown as Promise<void>,
    };
  }

  serve(req: Uint8Array): Promise<number | undefined> {
    return service.serve(req, 'block', this.sink);
  }

  close(): void {
    this.left = true;
    this.leave();
  }
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('Deliver SeekInfo edges (Fabric deliverBlocks)', () => {
  it('answers BAD_REQUEST for a SeekInfo without start (not the newest block)', async () => {
    const client = new Client();
    await client.serve(request(undefined, seekPosition(2)));
    expect(client).toMatchObject({ blocks: [], status: DeliverStatus.BAD_REQUEST });
  });

  it('delivers exactly the start block for a stop of Oldest', async () => {
    const client = new Client();
    await client.serve(request(seekPosition(2), seekPosition('oldest')));
    expect(client).toMatchObject({ blocks: [2], status: DeliverStatus.SUCCESS });
  });

  it('answers NOT_FOUND for a Specified start beyond the height and a start with no type', async () => {
    const height = h.joined.channel.height();
    for (const start of [seekPosition(height + 1), new SeekPosition()]) {
      const client = new Client();
      await client.serve(request(start, seekPosition(height + 5)));
      expect(client).toMatchObject({ blocks: [], status: DeliverStatus.NOT_FOUND });
    }
  });
});

describe('a long-lived Deliver stream', () => {
  it('holds at most one block listener and one callback on the client going away, however many blocks it waits for', async () => {
    const channel = h.joined.channel;
    const subscribe = channel.onBlock.bind(channel);
    let listening = 0;
    const spy = jest.spyOn(channel, 'onBlock').mockImplementation((listener: BlockListener) => {
      listening++;
      const off = subscribe(listener);
      return () => {
        listening--;
        off();
      };
    });
    try {
      const client = new Client();
      const height = channel.height();
      const done = client.serve(request(seekPosition(height), seekPosition(Number.MAX_SAFE_INTEGER)));
      for (let i = 0; i < 6; i++) {
        await settle();
        expect(listening).toBe(1);
        await commitNext();
      }
      await settle();
      expect(client.blocks).toEqual([0, 1, 2, 3, 4, 5].map((i) => height + i));
      expect(client.goneCallbacks).toBe(1);
      client.close();
      await done;
      expect(listening).toBe(0);
      expect(client.status).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });
});
