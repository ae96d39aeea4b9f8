import * as grpc from '@grpc/grpc-js';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import { EndorserServiceDef } from '../grpc/raw-service';
import { type ClientTls, clientCredentials } from '../orderer/orderer-client';

interface RawEndorserClient extends grpc.Client {
  processProposal(request: Uint8Array, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
}

const EndorserClientCtor = grpc.makeGenericClientConstructor(EndorserServiceDef, 'Endorser') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions,
) => RawEndorserClient;

/** Something that answers a `SignedProposal` with `ProposalResponse` bytes: this peer or a remote one. */
export interface EndorsingPeer {
  readonly address: string;
  readonly mspId: string;
  /** `parsed` is the same proposal already decoded: a local peer uses it instead of decoding again. */
  processProposal(signedProposal: Uint8Array, deadline: number, parsed?: ParsedSignedProposal): Promise<Uint8Array>;
}

/** A remote peer's `protos.Endorser`, dialled once and reused. */
export class RemoteEndorser implements EndorsingPeer {
  private readonly client: RawEndorserClient;

  constructor(
    readonly address: string,
    readonly mspId: string,
    tls: ClientTls,
  ) {
    const { credentials, options } = clientCredentials(tls);
    this.client = new EndorserClientCtor(address, credentials, options);
  }

  processProposal(signedProposal: Uint8Array, deadline: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.client.processProposal(signedProposal, { deadline }, (err, res) => {
        if (err !== null) reject(err);
        else resolve(res ?? new Uint8Array(0));
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
