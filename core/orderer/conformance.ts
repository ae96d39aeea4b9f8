/**
 * The conformance suite every `ordering` plugin runs (STYLE.md 14): `describeConsenterConformance`
 * drives a {@link Consenter} through an in-memory {@link ConsenterSupport} built from the real
 * block cutter and block writer, and checks the seam's contract: Fabric's cutting rules, config
 * isolation, hash chaining, halting, that every acknowledged envelope is in a block exactly once
 * after a restart, and never in another chain that later uses the same consenter directory. Not
 * re-exported from `core/index` (it needs jest's globals).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Block, BlockData, BlockHeader, BlockMetadata, Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { OrdererError } from '../errors';
import type { Signer } from '../protocol/signer';
import { blockDataHash, blockHeaderHash } from '../protocol/block';
import { blockSignatureSignedData, parseBlockSignatures } from '../protocol/block-signatures';
import { BlockCutterImpl, type BatchSize, type BlockCutter } from './block-cutter';
import { BlockWriter, consenterMetadataOf } from './block-writer';
import type { Consenter, ConsenterSupport, OrdererSharedConfig, ProcessedConfig } from './consenter';

/** A throwaway P-256 signer for test blocks; `verify` checks its signatures. */
export function testSigner(): Signer & { verify(message: Uint8Array, signature: Uint8Array): boolean } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    serialized: Buffer.from('conformance-orderer'),
    sign: (message) => cryptoSign('sha256', message, privateKey),
    verify: (message, signature) => cryptoVerify('sha256', message, publicKey, signature),
  };
}

/** An envelope whose payload is `tag` padded to `size` bytes (no real header: the seam does not parse). */
export function testEnvelope(tag: string, size = 64): Envelope {
  const env = new Envelope();
  const payload = Buffer.alloc(Math.max(size, tag.length + 1), 0x20);
  payload.write(`${tag}|`);
  env.setPayload(payload);
  return env;
}

/** The tag of an envelope made by {@link testEnvelope}, read from serialized block data. */
export function envelopeTag(data: Uint8Array): string {
  return Buffer.from(Envelope.deserializeBinary(data).getPayload_asU8()).toString().split('|')[0]!;
}

/** A genesis block holding one envelope, as a fresh channel's chain starts; another `tag` makes another chain. */
export function testGenesisBlock(tag = 'genesis'): Block {
  const data = [testEnvelope(tag).serializeBinary()];
  const header = new BlockHeader();
  header.setNumber(0);
  header.setDataHash(blockDataHash(data));
  const blockData = new BlockData();
  blockData.setDataList(data);
  const block = new Block();
  block.setHeader(header);
  block.setData(blockData);
  const metadata = new BlockMetadata();
  metadata.setMetadataList([new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)]);
  block.setMetadata(metadata);
  return block;
}

export interface MemorySupportOptions {
  readonly consenterDir: string;
  readonly batchSize?: Partial<BatchSize>;
  readonly batchTimeoutMs?: number;
  /** Blocks already in the chain (a restart); a fresh genesis block when omitted. */
  readonly blocks?: Block[];
}

/**
 * An in-memory channel: real {@link BlockCutterImpl} and {@link BlockWriter} over an array of
 * blocks. `sequence` and the re-validation hooks are settable so tests can make messages stale.
 */
export class MemoryConsenterSupport implements ConsenterSupport {
  readonly channelId = 'conformance';
  readonly consenterDir: string;
  readonly genesisBlockHash: Uint8Array;
  readonly blocks: Block[];
  configSequence = 0;
  batchSize: BatchSize;
  batchTimeoutMs: number;
  /** Re-validation of stale normal messages; throw to make the chain discard it. */
  revalidateNormal: (env: Envelope) => void = () => undefined;
  /** When true the next block write fails (storage failure). */
  failWrites = false;
  readonly signer = testSigner();
  private readonly cutter: BlockCutter;
  private readonly writer: BlockWriter;
  private waiters: { height: number; resolve: () => void }[] = [];

  constructor(options: MemorySupportOptions) {
    this.consenterDir = options.consenterDir;
    this.blocks = options.blocks ?? [testGenesisBlock()];
    this.genesisBlockHash = blockHeaderHash(this.blocks[0]!.getHeader()!);
    this.batchSize = { maxMessageCount: 10, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024, ...options.batchSize };
    this.batchTimeoutMs = options.batchTimeoutMs ?? 60_000;
    this.cutter = new BlockCutterImpl(() => this.batchSize);
    this.writer = new BlockWriter(this.signer, { append: (block) => this.append(block) }, this.blocks[this.blocks.length - 1]!);
  }

  blockCutter(): BlockCutter {
    return this.cutter;
  }
  sharedConfig(): OrdererSharedConfig {
    return { batchSize: this.batchSize, batchTimeoutMs: this.batchTimeoutMs, consensusType: 'test', consensusMetadata: new Uint8Array(0), consensusState: 0 };
  }
  sequence(): number {
    return this.configSequence;
  }
  processNormalMsg(env: Envelope): number {
    this.revalidateNormal(env);
    return this.configSequence;
  }
  processConfigMsg(env: Envelope): ProcessedConfig {
    return { config: env, configSeq: this.configSequence };
  }
  createNextBlock(batch: readonly Envelope[]): Block {
    return this.writer.createNextBlock(batch);
  }
  writeBlock(block: Block, consenterMetadata?: Uint8Array): Promise<void> {
    return this.writer.write(block, consenterMetadata, false);
  }
  writeConfigBlock(block: Block, consenterMetadata?: Uint8Array): Promise<void> {
    this.configSequence++;
    return this.writer.write(block, consenterMetadata, true);
  }
  height(): number {
    return this.blocks.length;
  }

  /** Resolves when the chain has `height` blocks. */
  waitForHeight(height: number): Promise<void> {
    if (this.blocks.length >= height) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ height, resolve }));
  }

  /** Tags of the envelopes in block `n`. */
  tagsOf(n: number): string[] {
    return this.blocks[n]!.getData()!.getDataList_asU8().map(envelopeTag);
  }

  private async append(block: Block): Promise<void> {
    if (this.failWrites) throw new OrdererError('ORDERER_TEST_WRITE', 'injected block store failure');
    if (block.getHeader()!.getNumber() !== this.blocks.length) {
      throw new OrdererError('ORDERER_TEST_GAP', `block ${block.getHeader()!.getNumber()} appended at height ${this.blocks.length}`);
    }
    // Stored as bytes, as a block store would, so later reads see exactly what was written.
    this.blocks.push(Block.deserializeBinary(block.serializeBinary()));
    const ready = this.waiters.filter((w) => this.blocks.length >= w.height);
    this.waiters = this.waiters.filter((w) => this.blocks.length < w.height);
    for (const w of ready) w.resolve();
  }
}

/** What a plugin hands the suite: a consenter whose chains keep their state under `support.consenterDir`. */
export interface ConsenterConformanceTarget {
  newConsenter(): Consenter;
}

/** Registers the consenter contract tests for `name` (call inside a jest test file). */
export function describeConsenterConformance(name: string, target: ConsenterConformanceTarget): void {
  describe(`Consenter conformance: ${name}`, () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-consenter-'));
    });
    afterEach(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    function open(options: Omit<MemorySupportOptions, 'consenterDir'> = {}) {
      const support = new MemoryConsenterSupport({ consenterDir: dir, ...options });
      const last = support.blocks[support.blocks.length - 1]!;
      const chain = target.newConsenter().handleChain(support, support.blocks.length > 1 ? consenterMetadataOf(last) : undefined);
      return { support, chain };
    }

    it('cuts a block when MaxMessageCount messages are pending', async () => {
      const { support, chain } = open({ batchSize: { maxMessageCount: 3 } });
      chain.start();
      await chain.waitReady();
      await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((t) => chain.order(testEnvelope(t), 0)));
      await support.waitForHeight(3);
      expect(support.tagsOf(1)).toEqual(['a', 'b', 'c']);
      expect(support.tagsOf(2)).toEqual(['d', 'e', 'f']);
      await chain.halt();
    });

    it('cuts the pending batch when the BatchTimeout started by its first message expires', async () => {
      // Long enough for both messages to be enqueued first even where a WAL's fsync is slow (a loaded disk).
      const { support, chain } = open({ batchSize: { maxMessageCount: 100 }, batchTimeoutMs: 250 });
      chain.start();
      await Promise.all([chain.order(testEnvelope('x'), 0), chain.order(testEnvelope('y'), 0)]);
      await support.waitForHeight(2);
      expect(support.tagsOf(1)).toEqual(['x', 'y']);
      await chain.order(testEnvelope('z'), 0);
      await support.waitForHeight(3);
      expect(support.tagsOf(2)).toEqual(['z']);
      await chain.halt();
    });

    it('isolates a message larger than PreferredMaxBytes and cuts on overflow', async () => {
      const { support, chain } = open({ batchSize: { maxMessageCount: 100, preferredMaxBytes: 1000 }, batchTimeoutMs: 250 });
      chain.start();
      await Promise.all([
        chain.order(testEnvelope('s1', 400), 0),
        chain.order(testEnvelope('s2', 400), 0),
        chain.order(testEnvelope('s3', 400), 0), // overflows 1000: cuts [s1, s2]
        chain.order(testEnvelope('big', 1500), 0), // cuts [s3], then [big] alone
        chain.order(testEnvelope('s4', 100), 0),
      ]);
      await support.waitForHeight(5);
      expect([1, 2, 3, 4].map((n) => support.tagsOf(n))).toEqual([['s1', 's2'], ['s3'], ['big'], ['s4']]);
      await chain.halt();
    });

    it('puts a config message alone in its block after cutting the pending batch', async () => {
      const { support, chain } = open({ batchSize: { maxMessageCount: 100 }, batchTimeoutMs: 250 });
      chain.start();
      await Promise.all([chain.order(testEnvelope('n1'), 0), chain.order(testEnvelope('n2'), 0), chain.configure(testEnvelope('cfg'), 0)]);
      await chain.order(testEnvelope('n3'), 1);
      await support.waitForHeight(3);
      expect(support.tagsOf(1)).toEqual(['n1', 'n2']);
      expect(support.tagsOf(2)).toEqual(['cfg']);
      expect(support.configSequence).toBe(1);
      await support.waitForHeight(4);
      expect(parseBlockSignatures(support.blocks[3]!).lastConfigIndex).toBe(2);
      await chain.halt();
    });

    it('chains blocks (numbers, previous hash, data hash) and signs each with its last-config index', async () => {
      const { support, chain } = open({ batchSize: { maxMessageCount: 2 } });
      chain.start();
      await Promise.all(['a', 'b', 'c', 'd'].map((t) => chain.order(testEnvelope(t), 0)));
      await support.waitForHeight(3);
      for (let n = 1; n < support.blocks.length; n++) {
        const prev = support.blocks[n - 1]!.getHeader()!;
        const header = support.blocks[n]!.getHeader()!;
        expect(header.getNumber()).toBe(n);
        expect(Buffer.from(header.getPreviousHash_asU8())).toEqual(Buffer.from(blockHeaderHash(prev)));
        expect(Buffer.from(header.getDataHash_asU8())).toEqual(Buffer.from(blockDataHash(support.blocks[n]!.getData()!.getDataList_asU8())));
        const [signed] = blockSignatureSignedData(support.blocks[n]!);
        expect(support.signer.verify(signed!.data, signed!.signature)).toBe(true);
        expect(parseBlockSignatures(support.blocks[n]!).lastConfigIndex).toBe(0);
      }
      await chain.halt();
    });

    it('re-validates a message ordered under an older config sequence and discards it when invalid', async () => {
      const { support, chain } = open({ batchSize: { maxMessageCount: 2 } });
      support.configSequence = 5;
      support.revalidateNormal = (env) => {
        if (envelopeTag(env.serializeBinary()) === 'stale-bad') throw new OrdererError('ORDERER_FORBIDDEN', 'no longer allowed');
      };
      chain.start();
      await Promise.all([chain.order(testEnvelope('stale-bad'), 4), chain.order(testEnvelope('stale-ok'), 4), chain.order(testEnvelope('fresh'), 5)]);
      await support.waitForHeight(2);
      expect(support.tagsOf(1)).toEqual(['stale-ok', 'fresh']);
      await chain.halt();
    });

    it('rejects order after halt and aborts errored()', async () => {
      const { chain } = open();
      chain.start();
      expect(chain.errored().aborted).toBe(false);
      await chain.halt();
      expect(chain.errored().aborted).toBe(true);
      await expect(chain.order(testEnvelope('late'), 0)).rejects.toBeInstanceOf(OrdererError);
      await chain.halt();
    });

    it('aborts errored() when a block write fails', async () => {
      const { support, chain } = open({ batchSize: { maxMessageCount: 1 } });
      support.failWrites = true;
      chain.start();
      const signal = chain.errored();
      const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      await chain.order(testEnvelope('doomed'), 0).catch(() => undefined);
      await aborted;
      expect(signal.reason).toBeInstanceOf(OrdererError);
      await chain.halt();
    });

    it('after a halt and restart, every acknowledged envelope is in exactly one block', async () => {
      const first = open({ batchSize: { maxMessageCount: 4 } });
      first.chain.start();
      const tags = Array.from({ length: 10 }, (_, i) => `m${i}`);
      await Promise.all(tags.map((t) => first.chain.order(testEnvelope(t), 0)));
      await first.support.waitForHeight(3); // m0..m7 in two blocks; m8, m9 pending
      await first.chain.halt();

      const second = open({ batchSize: { maxMessageCount: 4 }, batchTimeoutMs: 20, blocks: first.support.blocks });
      second.chain.start();
      await second.chain.order(testEnvelope('after'), 0);
      await second.support.waitForHeight(4);
      const ordered = second.support.blocks.slice(1).flatMap((_, i) => second.support.tagsOf(i + 1));
      expect(ordered).toEqual([...tags, 'after']);
      await second.chain.halt();
    });

    it('never orders what another chain left in its directory (a channel re-created under the same name)', async () => {
      const first = open({ batchSize: { maxMessageCount: 100 } });
      first.chain.start();
      // Acknowledged, still pending in the cutter when the chain stops: replayed on a restart of this chain.
      await Promise.all(['old1', 'old2'].map((t) => first.chain.order(testEnvelope(t), 0)));
      await first.chain.halt();

      const second = open({ batchSize: { maxMessageCount: 1 }, blocks: [testGenesisBlock('another-chain')] });
      second.chain.start();
      await second.chain.order(testEnvelope('new'), 0);
      await second.support.waitForHeight(2);
      // A replay would have ordered old1 first: replayed messages go ahead of new ones.
      expect(second.support.tagsOf(1)).toEqual(['new']);
      await second.chain.halt();
    });
  });
}
