/**
 * Stand-ins for a SmartBFT ordering service in peer tests (no Fabric orderer binary runs here):
 * one TLS `orderer.AtomicBroadcast` server per consenter, serving one chain of blocks the test
 * builds and signs, and answering Broadcast as the test says; and the BFT channel's genesis block
 * as configtxgen writes it for `OrdererType: BFT`.
 */
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { Block, Envelope, Payload, Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { BroadcastResponse, DeliverResponse, SeekInfo } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { AtomicBroadcastDef } from '../../../core/peer/grpc/raw-service';
import { BFT_CONSENSUS_TYPE, type BftConsenter, smartBftOptions } from '../../../core/protocol/bft-config';
import type { BftBlockSigner } from '../../../core/protocol/block-signatures';
import { DEFAULT_ACLS } from '../../../core/protocol/channel-definition';
import { buildConfigBlock } from '../../../core/protocol/config-block';
import { headerWithSignatures } from '../../../core/protocol/deliver-request';
import { type GeneratedOrg, loadMspConfig, loadSigningIdentity } from '../../../plugins/msp-x509';
import type { Material } from './network-fixture';

type Raw = grpc.ServerDuplexStream<Buffer, Uint8Array>;

/** The blocks every stand-in orderer serves, by number; a Deliver stream waits for the next one. */
export class ServedChain {
  private readonly blocks: Uint8Array[] = [];
  /** Every Deliver request for whole blocks, on any orderer, in order: the last names the peer's block source. */
  readonly blockSeeks: { readonly address: string; readonly start: number }[] = [];
  private readonly waiting = new Set<(number: number) => void>();

  get(number: number): Uint8Array | undefined {
    return this.blocks[number];
  }

  /** Serves `bytes` as block `number` to streams opened from now on, and to open streams that wait for it. */
  put(number: number, bytes: Uint8Array): void {
    this.blocks[number] = bytes;
    for (const wake of this.waiting) wake(number);
  }

  /**
   * Writes blocks from `start` to `call` as they come, until the call ends: headers only (Deliver's
   * `HEADER_WITH_SIG`) with `headers`; none from `withheld()` on (a censoring orderer).
   */
  follow(call: Raw, start: number, headers: boolean, withheld: () => number): void {
    let next = start;
    const pump = (): void => {
      for (let bytes = this.blocks[next]; bytes !== undefined && next < withheld(); bytes = this.blocks[++next]) {
        const res = new DeliverResponse();
        res.setBlock(Block.deserializeBinary(headers ? headerWithSignatures(bytes) : bytes));
        call.write(res.serializeBinary());
      }
    };
    const wake = (number: number): void => {
      if (number === next) pump();
    };
    this.waiting.add(wake);
    const stop = (): void => void this.waiting.delete(wake);
    call.on('cancelled', stop);
    call.on('error', stop);
    call.on('end', stop);
    pump();
  }
}

/** One stand-in orderer: its consenter entry, signer, and what it saw. */
export interface BftOrderer {
  readonly address: string;
  readonly consenter: BftConsenter;
  readonly signer: BftBlockSigner;
  /** Its full-block Deliver streams send no block from this number on (it censors them); header streams still show them. */
  censorFrom: number;
  /** Each envelope received on Broadcast. */
  readonly received: Buffer[];
  /** Its answer to the next Broadcast envelopes. */
  answer: { status: number; info: string };
  close(): void;
}

/** The `SeekInfo` of a Deliver request. */
function seekOf(envelopeBytes: Uint8Array): SeekInfo {
  const payload = Payload.deserializeBinary(Envelope.deserializeBinary(envelopeBytes).getPayload_asU8());
  return SeekInfo.deserializeBinary(payload.getData_asU8());
}

/** Starts the orderer of `org`'s node `host` as consenter `id`, serving `chain` over TLS on loopback. */
export async function startBftOrderer(org: GeneratedOrg, host: string, id: number, chain: ServedChain): Promise<BftOrderer> {
  const node = org.nodes[host];
  const server = new grpc.Server();
  const received: Buffer[] = [];
  const orderer = { received, answer: { status: Status.SUCCESS as number, info: '' }, censorFrom: Infinity, address: '' };
  server.addService(AtomicBroadcastDef, {
    broadcast: (call: Raw) => {
      call.on('data', (env: Buffer) => {
        received.push(env);
        const res = new BroadcastResponse();
        res.setStatus(orderer.answer.status as BroadcastResponse.AsObject['status']);
        res.setInfo(orderer.answer.info);
        call.write(res.serializeBinary());
      });
      call.on('end', () => call.end());
    },
    deliver: (call: Raw) => {
      call.once('data', (req: Buffer) => {
        const seek = seekOf(req);
        const start = seek.getStart()?.getSpecified()?.getNumber() ?? 0;
        const headers = seek.getContentType() === SeekInfo.SeekContentType.HEADER_WITH_SIG;
        if (!headers) chain.blockSeeks.push({ address: orderer.address, start });
        chain.follow(call, start, headers, () => (headers ? Infinity : orderer.censorFrom));
      });
    },
  });
  const creds = grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(node.tlsCertPath), private_key: fs.readFileSync(node.tlsKeyPath) }], false);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
  orderer.address = `127.0.0.1:${port}`;
  const tlsCert = fs.readFileSync(node.tlsCertPath);
  return Object.assign(orderer, {
    consenter: { id, host: '127.0.0.1', port, mspId: org.mspId, identity: fs.readFileSync(node.signCertPath), clientTlsCert: tlsCert, serverTlsCert: tlsCert },
    signer: { id, signer: loadSigningIdentity(node.mspDir, org.mspId) },
    close: () => server.forceShutdown(),
  });
}

/**
 * A BFT channel's genesis block as configtxgen writes it (channel V3_0, `OrdererType: BFT`): the
 * two application orgs of `m`, orderer org `ordererOrg` listing each orderer's address, the
 * `Orderers` consenter mapping and the BFT BlockValidation policy over it.
 */
export function bftGenesis(m: Material, ordererOrg: GeneratedOrg, orderers: readonly BftOrderer[], channelId: string): Uint8Array {
  return buildConfigBlock({
    channelId,
    acls: DEFAULT_ACLS,
    applicationOrgs: m.orgs.map((o) => ({ mspId: o.mspId, mspConfig: loadMspConfig(o.mspDir, o.mspId), anchorPeers: [] })),
    ordererOrgs: [{ mspId: ordererOrg.mspId, mspConfig: loadMspConfig(ordererOrg.mspDir, ordererOrg.mspId), endpoints: orderers.map((o) => o.address) }],
    batchTimeout: '100ms',
    consensusType: { type: BFT_CONSENSUS_TYPE, metadata: smartBftOptions() },
    consenters: orderers.map((o) => o.consenter),
  }).serializeBinary();
}
