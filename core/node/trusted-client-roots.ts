import { X509Certificate } from 'node:crypto';
import type { experimental } from '@grpc/grpc-js';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { Logger } from './logger';
import { type ServerIdentity, ServerTlsIdentity } from './reloadable-identity';
import { TlsRevocations } from './tls-revocation';

export type { ServerIdentity };

/**
 * The CAs a mutual-TLS gRPC server accepts client certificates from, as Fabric computes them
 * (peer `core/peer/peer.go` `updateTrustedRoots`, orderer `orderer/common/server/main.go`
 * `caManager.updateTrustedRoots`): the roots the node's YAML names, plus the TLS root and
 * intermediate certificates of the orgs of every channel the node serves, recomputed whenever a
 * channel is opened, joined, gets a config block, or is left. So an org a config update adds can
 * connect at once, and one it removes cannot open new connections, without editing a node's YAML
 * or restarting it.
 *
 * It is a grpc-js `CertificateProvider` (CA and server identity): the gRPC server's credentials
 * listen to it, and each change reaches the live server's TLS context before `setChannel` or
 * `removeChannel` returns. New handshakes use the new roots; connections already open stay up,
 * as in Fabric (Go's `tls.Config` is read per handshake), and their calls still go through the
 * per-request checks (creator against the channel's MSPs, policies).
 *
 * It also holds the TLS certificates those channels' MSPs revoke ({@link revocations}: CRLs their
 * TLS CAs signed, in `revocation_list`), recomputed at the same moments, which the gRPC listeners
 * (`refuseRevokedTlsClients`) and the HTTPS ones (operations endpoint, orderer admin API:
 * `refuseRevokedTlsConnections`) refuse at connection time and close when already open. A node
 * builds one for those sets even where its gRPC listener takes no client certificates.
 */
export class TrustedClientRoots {
  private staticRoots: readonly string[];
  private readonly byChannel = new Map<string, readonly string[]>();
  private bundle: Buffer;
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private readonly revocationsByChannel = new Map<string, TlsRevocations>();
  private localRevocations = TlsRevocations.NONE;
  private revocationSet = TlsRevocations.NONE;
  private readonly revocationListeners = new Set<(revocations: TlsRevocations) => void>();

  constructor(
    /** The node's configured client roots (PEM files' bytes, each possibly several certificates). */
    staticRoots: readonly Uint8Array[],
    private readonly logger?: Logger,
  ) {
    this.staticRoots = staticRoots.flatMap((r, i) => this.certificates(r, `static root ${i}`));
    this.bundle = this.concatenate();
  }

  /** The configured roots re-read (a certificate reload): new handshakes take clients of these, open connections stay. */
  setStaticRoots(staticRoots: readonly Uint8Array[]): void {
    this.staticRoots = staticRoots.flatMap((r, i) => this.certificates(r, `static root ${i}`));
    this.changed();
  }

  /**
   * The roots of channel `channelId` are now the TLS root and intermediate certificates of `msps`
   * (the orgs whose members may connect: Fabric's peer takes the application orgs, its orderer
   * the application and orderer orgs). Called when a channel opens or is joined and after each of
   * its config blocks; a certificate that does not parse is left out with a warning, so one bad
   * entry cannot take the server's whole TLS context down.
   */
  setChannel(channelId: string, mspConfigs: Iterable<FabricMSPConfig>): void {
    const msps = [...mspConfigs];
    const roots: string[] = [];
    for (const msp of msps) {
      const name = msp.getName();
      msp.getTlsRootCertsList_asU8().forEach((c, i) => roots.push(...this.certificates(c, `channel ${channelId} MSP ${name} tls_root_certs[${i}]`)));
      msp.getTlsIntermediateCertsList_asU8().forEach((c, i) => roots.push(...this.certificates(c, `channel ${channelId} MSP ${name} tls_intermediate_certs[${i}]`)));
    }
    this.byChannel.set(channelId, roots);
    this.revocationsByChannel.set(channelId, TlsRevocations.fromMsps(msps, `channel ${channelId}`, this.logger));
    this.changed();
  }

  /**
   * The TLS revocations of the node's local MSP (its `crls/` against its `tlscacerts/` and
   * `tlsintermediatecerts/`): for a certificate reload to call with the MSP it re-read, so a CRL
   * written there counts on the node's listener before (or without) any channel carrying it.
   */
  setLocalMsp(msp: FabricMSPConfig | undefined): void {
    this.localRevocations = msp === undefined ? TlsRevocations.NONE : TlsRevocations.fromMsps([msp], 'local MSP', this.logger);
    this.changed();
  }

  /** The TLS certificates revoked by any channel this node serves or by its local MSP: read per new connection, never per call. */
  revocations(): TlsRevocations {
    return this.revocationSet;
  }

  /** Calls `listener` with the new set each time it changes (a CRL added or removed); returns the unsubscribe. */
  onRevocationsChanged(listener: (revocations: TlsRevocations) => void): () => void {
    this.revocationListeners.add(listener);
    return () => this.revocationListeners.delete(listener);
  }

  /** The node no longer serves `channelId` (an orderer removed from it): its orgs' roots go, unless another channel or the YAML names them too. */
  removeChannel(channelId: string): void {
    this.revocationsByChannel.delete(channelId);
    if (this.byChannel.delete(channelId)) this.changed();
  }

  /** Every trusted root, deduplicated, as one PEM bundle (empty: no client is trusted, never the system's default CAs). */
  pem(): Buffer {
    return this.bundle;
  }

  /**
   * The provider a gRPC server's credentials are built from
   * (`grpc.experimental.createCertificateProviderServerCredentials(p, p, true)`): its CA is
   * {@link pem}, updated on every change, and its identity the server's own `identity` (a
   * {@link ServerTlsIdentity} is followed as a certificate reload replaces it). One object serves
   * both because grpc-js 1.14 passes that function's two providers on swapped (its first argument
   * is used for the identity).
   */
  certificateProvider(server: ServerIdentity | ServerTlsIdentity): experimental.CertificateProvider {
    const identity = server instanceof ServerTlsIdentity ? server : new ServerTlsIdentity(server);
    return {
      // grpc-js registers its listeners while it is still adding the server's watcher: the first
      // update must come after that returns, or the server would never get a TLS context.
      addCaCertificateListener: (listener) => {
        this.caListeners.add(listener);
        process.nextTick(() => {
          if (this.caListeners.has(listener)) listener({ caCertificate: this.bundle });
        });
      },
      removeCaCertificateListener: (listener) => {
        this.caListeners.delete(listener);
      },
      addIdentityCertificateListener: (listener) => identity.addListener(listener),
      removeIdentityCertificateListener: (listener) => identity.removeListener(listener),
    };
  }

  private changed(): void {
    const revocations = TlsRevocations.union([this.localRevocations, ...this.revocationsByChannel.values()]);
    if (revocations.digest !== this.revocationSet.digest) {
      this.revocationSet = revocations;
      for (const listener of [...this.revocationListeners]) listener(revocations);
    }
    const next = this.concatenate();
    if (next.equals(this.bundle)) return;
    this.bundle = next;
    for (const listener of [...this.caListeners]) listener({ caCertificate: next });
  }

  private concatenate(): Buffer {
    const all = new Set<string>(this.staticRoots);
    for (const roots of this.byChannel.values()) for (const r of roots) all.add(r);
    return Buffer.from([...all].join(''), 'utf8');
  }

  /** The certificates in `bytes` (PEM, one or several, or one DER) as normalized PEM, so duplicates compare equal. */
  private certificates(bytes: Uint8Array, where: string): string[] {
    const text = Buffer.from(bytes).toString('latin1');
    const blocks = text.includes('-----BEGIN') ? (text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) : [bytes];
    if (blocks.length === 0) this.logger?.warn({ where }, 'PEM without a CERTIFICATE block; nothing from it is trusted');
    const out: string[] = [];
    for (const block of blocks) {
      try {
        out.push(new X509Certificate(block).toString());
      } catch (err) {
        this.logger?.warn({ where, err: (err as Error).message }, 'a TLS CA certificate does not parse; clients it issued are not trusted');
      }
    }
    return out;
  }
}
