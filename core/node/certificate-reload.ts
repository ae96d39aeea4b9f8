import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import * as path from 'node:path';
import { createSecureContext } from 'node:tls';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { Counter, type Registry } from 'prom-client';
import type { MspRole, SigningIdentity } from '../msp/identity';
import type { LocalMsp, LocalMspPart, MspProvider } from '../msp/msp';
import { rolePrincipal } from '../policy/policy-expression';
import { type NodeCertificates, registeredOnce, trackCertificateExpiry } from './certificate-expiry';
import { allows, CLIENT_AUTH, readOrRefuse, readRoot, Refused, SERVER_AUTH, tlsIssuers } from './certificate-reload-checks';
import { readConfigFile } from './config';
import type { Logger } from './logger';
import { type ServerIdentity, ServerTlsIdentity, SwitchableSigningIdentity } from './reloadable-identity';
import { SwitchableLocalMsp } from './reloadable-local-msp';
import type { TrustedClientRoots } from './trusted-client-roots';

/** Reloads by outcome; `refused` is what an alert watches (the files on disk are not what the node serves). */
export const CERTIFICATE_RELOAD_METRIC = 'weft_certificate_reloads_total';

/** What one reload did. `refused` keeps the node on the certificates it had, `error` says which file and why. */
export type ReloadOutcome =
  | { readonly result: 'reloaded'; readonly changed: readonly ChangedCertificate[]; readonly localMsp?: LocalMspChange; readonly clientRootFiles?: readonly string[] }
  | { readonly result: 'unchanged' }
  | { readonly result: 'refused'; readonly file: string; readonly reason: string };

export interface ChangedCertificate {
  /** `tls_client`: the certificate a peer dials other nodes with (its server certificate, so it changes with `tls_server`). */
  readonly certificate: 'enrollment' | 'tls_server' | 'tls_client' | 'tls_operations' | 'tls_admin';
  readonly subject: string;
  readonly serial: string;
  readonly notAfter: string;
}

/** The local MSP folder's CAs, admins, CRLs or NodeOUs changed, and the node's local checks now use them. */
export interface LocalMspChange {
  readonly dir: string;
}

/** The gRPC listener's configured client CA roots (`peer.tls.rootCertFiles`, `orderer.tls.clientRootCAs`), which a reload re-reads. */
export interface ReloadableClientRoots {
  readonly roots: Pick<TrustedClientRoots, 'setStaticRoots' | 'setLocalMsp'>;
  readonly files: readonly ConfiguredFile[];
}

/** TLS files and the config keys naming them. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certField: string;
  readonly keyField: string;
}

/** A file a node config names, and the config key naming it (for errors). */
export interface ConfiguredFile {
  readonly file: string;
  readonly field: string;
}

/** A TLS listener of its own (the operations endpoint, the orderer's admin listener), as a reload sees it. */
export interface ReloadableTlsListener {
  /** Where its certificate and key come from; undefined when it serves no TLS (nothing to reload). */
  readonly tlsFiles: TlsFiles | undefined;
  /** The files its client CA roots come from, re-read by each reload; none (or absent): its roots are not reloaded. */
  readonly clientRootFiles?: readonly ConfiguredFile[];
  /** The certificate and key new handshakes get now. */
  tlsIdentity(): ServerIdentity | undefined;
  /** The client CA roots new handshakes check client certificates against now (one entry per root file). */
  clientRootCAs(): readonly Buffer[];
  /**
   * Called by the reload once every file passed its checks; must not throw (the signer has switched
   * already). New handshakes get `identity` and take client certificates of `clientRootCAs`; open
   * connections keep what they had until they close.
   */
  setTlsIdentity(identity: ServerIdentity, clientRootCAs: readonly Buffer[]): void;
}

/** The operations endpoint, as a reload sees it: its own HTTPS identity, and the `POST /reload-certificates` it serves. */
export interface ReloadableOperations extends ReloadableTlsListener {
  serveReload(reload: () => ReloadOutcome): void;
}

/** Where a node's certificates come from. */
export interface ReloadOptions {
  readonly msp: { readonly dir: string; readonly id: string; readonly provider: Pick<MspProvider, 'loadLocalMsp'> };
  /** The gRPC listener's TLS files (absent with TLS off) and the config fields naming them, for errors. */
  readonly tls?: TlsFiles;
  /** The operations endpoint, when it exists already (else {@link CertificateReloader.serveOn} later). */
  readonly operations?: ReloadableOperations;
  /**
   * A peer dials others with its server certificate (Weft has no separate client certificate
   * setting): tracked as `tls_client` too (Fabric's TrackExpiration, internal/peer/node/start.go),
   * reported as changed with it; the peer's network follows {@link CertificateReloader.serverTls}.
   */
  readonly dialsWithServerCertificate?: boolean;
  /** The `certmonitor` logger. */
  readonly logger: Logger;
  readonly registry?: Registry;
}

/** The NodeOU roles an identity can hold; a reload must not change which of them the node's has. */
const ROLES: readonly MspRole[] = ['peer', 'orderer', 'client', 'admin'];

function reloadCounter(registry: Registry): Counter<'result'> {
  return registeredOnce(
    registry,
    CERTIFICATE_RELOAD_METRIC,
    () =>
      new Counter({
        name: CERTIFICATE_RELOAD_METRIC,
        help: 'Certificate reloads (SIGHUP) by result: reloaded, unchanged, refused (the node kept its certificates).',
        labelNames: ['result'],
        registers: [registry],
      }),
  );
}

/**
 * A node's live certificate reload (Weft's; Fabric reads them once at start, hyperledger/fabric#3467):
 * re-reads the local MSP's signing certificate and key, the gRPC listener's TLS certificate and key
 * (which a peer also dials with), and those of the operations endpoint and the orderer's admin
 * listener, with the client CA roots of each of these listeners, from the configured paths; checks
 * them all, then switches the signer and every listener's identity and roots in one synchronous step
 * and re-tracks their expiry (Fabric reads the operations and admin listeners' roots once at start,
 * common/fabhttp/tls.go). The local MSP (CAs, admins, CRLs, NodeOUs) is re-read and switched in the
 * same step, so a revocation or a CA or TLS CA renewal written into the folder and the root files
 * reaches the node's local checks and new handshakes. Anything wrong leaves the node on what it had.
 */
export class CertificateReloader {
  /** The signer every component of the node holds. */
  readonly signer: SwitchableSigningIdentity;
  /** The local MSP every local check of the node holds. */
  readonly localMsp: SwitchableLocalMsp;
  /** The gRPC listener's identity; undefined with TLS off. */
  readonly serverTls: ServerTlsIdentity | undefined;
  private readonly counter: Counter<'result'> | undefined;
  private operations: ReloadableOperations | undefined;
  private admin: ReloadableTlsListener | undefined;
  private clientRoots: (ReloadableClientRoots & { current: readonly Buffer[] }) | undefined;
  private dialler: { setLocalMsp(msp: FabricMSPConfig): void } | undefined;
  private stopTracking: (() => void) | undefined;

  /** Loads the node's identity as it starts: a local MSP that fails its checks stops the start, as before reloads existed. */
  constructor(private readonly options: ReloadOptions) {
    const { dir, id, provider } = options.msp;
    const local = provider.loadLocalMsp(dir, id);
    this.localMsp = new SwitchableLocalMsp(local.msp);
    this.signer = new SwitchableSigningIdentity(local.signer);
    const { tls } = options;
    this.serverTls = tls === undefined ? undefined : new ServerTlsIdentity({ cert: readConfigFile(tls.certFile, tls.certField), key: readConfigFile(tls.keyFile, tls.keyField) });
    this.counter = options.registry === undefined ? undefined : reloadCounter(options.registry);
    if (options.operations !== undefined) this.serveOn(options.operations);
  }

  /** Reloads the operations endpoint's HTTPS identity too, and takes `POST /reload-certificates` there. */
  serveOn(operations: ReloadableOperations | undefined): void {
    this.operations = operations;
    operations?.serveReload(() => this.reload());
  }

  /** Reloads the orderer's admin listener's certificate too (it starts after the signer is needed). */
  serveAdminOn(admin: ReloadableTlsListener | undefined): void {
    this.admin = admin;
  }

  /** Re-reads the gRPC listener's configured client CA roots too (they are read when it starts listening). */
  serveClientRootsOn(clientRoots: ReloadableClientRoots, current: readonly Uint8Array[]): void {
    this.clientRoots = { ...clientRoots, current: current.map((c) => Buffer.from(c)) };
    // The local MSP's TLS CRL (crls/ against tlscacerts/) counts on the listener before any channel carries it.
    clientRoots.roots.setLocalMsp(this.localMsp.config);
  }

  /** The connections the node dials check the servers they reach against the local MSP's TLS CRLs too: given it now, and after each reload that changes it. */
  serveDialsOn(dialler: { setLocalMsp(msp: FabricMSPConfig): void }): void {
    this.dialler = dialler;
    dialler.setLocalMsp(this.localMsp.config);
  }

  /** Starts (or restarts, after a reload) the expiry log and gauge for the certificates in use. */
  trackExpiry(): void {
    this.stopTracking?.();
    const { signer, serverTls } = this;
    const { logger, registry, dialsWithServerCertificate } = this.options;
    const tlsServer = serverTls?.current().cert;
    const certs: NodeCertificates = { enrollment: signer.idBytes, tlsServer, tlsClient: dialsWithServerCertificate === true ? tlsServer : undefined };
    // Its MSP folder tells the expiry warnings whether the node is in a Weft network directory, whose renew command they then name.
    this.stopTracking = trackCertificateExpiry(certs, { logger, registry, mspDir: this.options.msp.dir });
  }

  stop(): void {
    this.stopTracking?.();
    this.stopTracking = undefined;
  }

  /** One reload; never throws: a refusal is logged at error, counted, and returned. */
  reload(now = new Date()): ReloadOutcome {
    const outcome = this.attempt(now);
    this.counter?.inc({ result: outcome.result });
    if (outcome.result === 'refused') this.options.logger.error({ file: outcome.file, reason: outcome.reason }, 'certificate reload refused, still serving with the certificates in use');
    else if (outcome.result === 'unchanged') this.options.logger.debug('certificates unchanged, nothing reloaded');
    else this.options.logger.info({ changed: outcome.changed, localMsp: outcome.localMsp }, 'certificates reloaded');
    return outcome;
  }

  private attempt(now: Date): ReloadOutcome {
    const { msp, tls } = this.options;
    const { signer, serverTls, operations, admin } = this;
    let local: LocalMsp;
    let clientRoots: Buffer[] | undefined;
    let serverIdentity: ServerIdentity | undefined;
    let operationsTls: ListenerTls | undefined;
    let adminTls: ListenerTls | undefined;
    try {
      local = this.loadLocalMsp(signer.identity);
      clientRoots = this.clientRoots?.files.map(({ file, field }) => readRoot(file, field));
      const issuers = tlsIssuers(msp.dir);
      const serves = [SERVER_AUTH];
      const dials = this.options.dialsWithServerCertificate === true ? [SERVER_AUTH, CLIENT_AUTH] : serves;
      serverIdentity = tls === undefined ? undefined : this.loadTls(tls, { now, issuers, usages: dials, running: serverTls?.current() });
      operationsTls = this.loadListener(operations, { now, issuers, usages: serves });
      adminTls = this.loadListener(admin, { now, issuers, usages: serves });
    } catch (err) {
      if (err instanceof Refused) return { result: 'refused', file: err.file, reason: err.message };
      return { result: 'refused', file: msp.dir, reason: (err as Error).message };
    }
    const { msp: localMsp, signer: enrollment } = local;
    const changed: ChangedCertificate[] = [];
    const enrollmentChanged = !Buffer.from(enrollment.idBytes).equals(Buffer.from(signer.idBytes));
    if (enrollmentChanged) changed.push(describe('enrollment', enrollment.idBytes));
    const newServerTls = differs(serverIdentity, serverTls?.current());
    if (newServerTls !== undefined) changed.push(describe('tls_server', newServerTls.cert));
    if (newServerTls !== undefined && this.options.dialsWithServerCertificate === true) changed.push(describe('tls_client', newServerTls.cert));
    const operationsSwitch = listenerSwitch(operations, operationsTls);
    if (operationsSwitch?.identity !== undefined) changed.push(describe('tls_operations', operationsSwitch.identity.cert));
    const adminSwitch = listenerSwitch(admin, adminTls);
    if (adminSwitch?.identity !== undefined) changed.push(describe('tls_admin', adminSwitch.identity.cert));
    const mspChanged = !Buffer.from(localMsp.config.serializeBinary()).equals(Buffer.from(this.localMsp.config.serializeBinary()));
    const roots = this.clientRoots;
    const rootsChanged = roots !== undefined && clientRoots !== undefined && !sameBuffers(clientRoots, roots.current);
    const rootFiles = [
      ...(rootsChanged ? roots.files : []),
      ...(operationsSwitch?.clientRootCAs !== undefined ? (operations?.clientRootFiles ?? []) : []),
      ...(adminSwitch?.clientRootCAs !== undefined ? (admin?.clientRootFiles ?? []) : []),
    ].map((f) => f.file);
    if (changed.length === 0 && !mspChanged && rootFiles.length === 0) return { result: 'unchanged' };
    // Everything is checked: switch together, so no caller sees a new TLS identity with an old signer.
    // The server identity's listeners include the peer's network, which dials with it from now on.
    if (enrollmentChanged) signer.replace(enrollment);
    if (mspChanged) {
      this.localMsp.replace(localMsp);
      this.clientRoots?.roots.setLocalMsp(localMsp.config);
      this.dialler?.setLocalMsp(localMsp.config);
    }
    if (rootsChanged) {
      roots.roots.setStaticRoots(clientRoots!);
      roots.current = clientRoots!;
    }
    if (newServerTls !== undefined) serverTls?.replace(newServerTls);
    applySwitch(operations, operationsSwitch);
    applySwitch(admin, adminSwitch);
    this.trackExpiry();
    return { result: 'reloaded', changed, ...(mspChanged && { localMsp: { dir: msp.dir } }), ...(rootFiles.length > 0 && { clientRootFiles: rootFiles }) };
  }

  /** A listener's certificate and key, checked as the others, and its client root files, read as the gRPC listener's; undefined without TLS. */
  private loadListener(listener: ReloadableTlsListener | undefined, checks: Omit<TlsChecks, 'running'>): ListenerTls | undefined {
    if (listener?.tlsFiles === undefined) return undefined;
    const identity = this.loadTls(listener.tlsFiles, { ...checks, running: listener.tlsIdentity() });
    return { identity, clientRootCAs: listener.clientRootFiles?.map(({ file, field }) => readRoot(file, field)) };
  }

  /**
   * The folder's MSP under Fabric's setup rules (root CAs, intermediates, admins, CRLs, NodeOUs), as
   * the node starts with, and the enrollment in it, checked by that MSP (key matches, chains to its
   * CA, not expired, this MSP ID), then for the NodeOU roles the running one has.
   */
  private loadLocalMsp(current: SigningIdentity): LocalMsp {
    const { dir, id, provider } = this.options.msp;
    const signcerts = path.join(dir, 'signcerts');
    let local: LocalMsp;
    try {
      local = provider.loadLocalMsp(dir, id);
    } catch (err) {
      const e = err as Error & { details?: { file?: unknown; part?: LocalMspPart } };
      const file = typeof e.details?.file === 'string' ? e.details.file : undefined;
      if (e.details?.part === 'signer') throw new Refused(file ?? signcerts, e.message);
      throw new Refused(file ?? dir, `the local MSP: ${e.message}`);
    }
    const roles = (identity: SigningIdentity): string => ROLES.filter((r) => identity.satisfiesPrincipal(rolePrincipal(id, r))).join(',');
    const was = roles(current);
    const is = roles(local.signer);
    if (was !== is) throw new Refused(signcerts, `the new enrollment certificate's NodeOU roles are [${is}], the running one's [${was}]`);
    return local;
  }

  /**
   * Parses, not expired (nor not yet valid), issued by one of `issuers` (when the MSP names any),
   * allows each of `usages` the running certificate allows, the key is the certificate's.
   */
  private loadTls(tls: TlsFiles, check: TlsChecks): ServerIdentity {
    const { now, issuers } = check;
    const cert = Buffer.from(readOrRefuse(tls.certFile, tls.certField));
    const key = Buffer.from(readOrRefuse(tls.keyFile, tls.keyField));
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(cert);
    } catch (err) {
      throw new Refused(tls.certFile, `not a certificate: ${(err as Error).message}`);
    }
    if (new Date(x509.validTo) < now) throw new Refused(tls.certFile, `the TLS certificate expired on ${new Date(x509.validTo).toISOString()}`);
    if (new Date(x509.validFrom) > now) throw new Refused(tls.certFile, `the TLS certificate is not valid before ${new Date(x509.validFrom).toISOString()}`);
    // Clients trust the org's TLS CA: a certificate of another CA would be served, and refused by every one of them.
    if (issuers.length > 0 && !issuers.some((ca) => x509.checkIssued(ca) && x509.verify(ca.publicKey))) {
      throw new Refused(tls.certFile, `the TLS certificate is not issued by this node's TLS CA (its MSP's tlscacerts or tlsintermediatecerts): ${x509.issuer.replace(/\n/g, ', ')}`);
    }
    const running = check.running === undefined ? undefined : new X509Certificate(check.running.cert);
    // A certificate without the extended key usage is refused by TLS peers (OpenSSL and Go check it):
    // a node that had it must keep it, one that never had it (no mutual TLS) is not held to it now.
    const lost = check.usages.find((usage) => !allows(x509, usage) && (running === undefined || allows(running, usage)));
    if (lost !== undefined) {
      const what = lost === CLIENT_AUTH ? 'clientAuth: this peer dials orderers and peers with it, which under mutual TLS refuse a client certificate without it' : 'serverAuth: clients refuse a server certificate without it';
      throw new Refused(tls.certFile, `the TLS certificate's extended key usage lacks ${what}`);
    }
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(key);
    } catch (err) {
      throw new Refused(tls.keyFile, `not a private key: ${(err as Error).message}`);
    }
    if (!x509.checkPrivateKey(privateKey)) throw new Refused(tls.keyFile, `the key is not the one of the TLS certificate ${tls.certFile}`);
    try {
      // What the listeners' setSecureContext does with them: a failure there would come after the signer switched.
      createSecureContext({ cert, key });
    } catch (err) {
      throw new Refused(tls.certFile, `TLS refuses the certificate and key: ${(err as Error).message}`);
    }
    return { cert, key };
  }
}

/** A listener's TLS as the files say now; `clientRootCAs` undefined: its roots are not reloaded. */
interface ListenerTls {
  readonly identity: ServerIdentity;
  readonly clientRootCAs: readonly Buffer[] | undefined;
}

/** What changes on a listener: each part only when it differs from what it serves now. */
interface ListenerSwitch {
  readonly identity: ServerIdentity | undefined;
  readonly clientRootCAs: readonly Buffer[] | undefined;
}

function differs(next: ServerIdentity | undefined, current: ServerIdentity | undefined): ServerIdentity | undefined {
  return next !== undefined && current !== undefined && !(next.cert.equals(current.cert) && next.key.equals(current.key)) ? next : undefined;
}

function sameBuffers(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(b[i]!));
}

function listenerSwitch(listener: ReloadableTlsListener | undefined, next: ListenerTls | undefined): ListenerSwitch | undefined {
  if (listener === undefined || next === undefined) return undefined;
  const identity = differs(next.identity, listener.tlsIdentity());
  const clientRootCAs = next.clientRootCAs !== undefined && !sameBuffers(next.clientRootCAs, listener.clientRootCAs()) ? next.clientRootCAs : undefined;
  return identity === undefined && clientRootCAs === undefined ? undefined : { identity, clientRootCAs };
}

/** One secure context for both parts: a handshake never sees the new certificate with the old roots. */
function applySwitch(listener: ReloadableTlsListener | undefined, change: ListenerSwitch | undefined): void {
  if (listener === undefined || change === undefined) return;
  listener.setTlsIdentity(change.identity ?? listener.tlsIdentity()!, change.clientRootCAs ?? listener.clientRootCAs());
}


/** What a replacement TLS certificate is checked against. */
interface TlsChecks {
  readonly now: Date;
  readonly issuers: readonly X509Certificate[];
  /** The extended key usages the node uses the certificate for. */
  readonly usages: readonly string[];
  /** The identity in use, which the replacement must allow as much as. */
  readonly running: ServerIdentity | undefined;
}


function describe(certificate: ChangedCertificate['certificate'], pem: Uint8Array): ChangedCertificate {
  const x509 = new X509Certificate(Buffer.from(pem));
  return { certificate, subject: x509.subject.replace(/\n/g, ', '), serial: x509.serialNumber, notAfter: new Date(x509.validTo).toISOString() };
}
