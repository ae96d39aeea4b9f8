import * as grpc from '@grpc/grpc-js';
import { AtomicBroadcastDef } from '../grpc/raw-service';

/** TLS settings for dialling a node (orderer or peer). */
export interface ClientTls {
  /** PEM roots the server certificate must chain to; undefined = plaintext. */
  readonly rootCerts?: Buffer;
  /** Client certificate and key (mutual TLS). */
  readonly certChain?: Buffer;
  readonly privateKey?: Buffer;
  /** TLS server name to expect, when the address is an IP that the certificate does not name. */
  readonly serverNameOverride?: string;
}

/** Channel credentials and options for grpc-js from {@link ClientTls}. */
export function clientCredentials(tls: ClientTls): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  const options: grpc.ChannelOptions = {
    'grpc.max_receive_message_length': 100 * 1024 * 1024,
    'grpc.max_send_message_length': 100 * 1024 * 1024,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.enable_channelz': 0,
  };
  if (tls.rootCerts === undefined) return { credentials: grpc.credentials.createInsecure(), options };
  if (tls.serverNameOverride !== undefined) options['grpc.ssl_target_name_override'] = tls.serverNameOverride;
  return { credentials: grpc.credentials.createSsl(tls.rootCerts, tls.privateKey ?? null, tls.certChain ?? null), options };
}

type RawDuplex = grpc.ClientDuplexStream<Uint8Array, Buffer>;

interface AtomicBroadcastClient extends grpc.Client {
  broadcast(): RawDuplex;
  deliver(): RawDuplex;
}

const AtomicBroadcastClientCtor = grpc.makeGenericClientConstructor(AtomicBroadcastDef, 'AtomicBroadcast') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions,
) => AtomicBroadcastClient;

/** A connection to one orderer's `orderer.AtomicBroadcast` service (raw bytes in and out). */
export class OrdererClient {
  private readonly client: AtomicBroadcastClient;

  constructor(
    readonly address: string,
    tls: ClientTls,
  ) {
    const { credentials, options } = clientCredentials(tls);
    this.client = new AtomicBroadcastClientCtor(address, credentials, options);
  }

  broadcast(): RawDuplex {
    return this.client.broadcast();
  }

  deliver(): RawDuplex {
    return this.client.deliver();
  }

  close(): void {
    this.client.close();
  }
}
