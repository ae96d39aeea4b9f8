/** X.509 parsing through the host (Node's parser), cached per certificate for the realm's life. */
import type { HostX509 } from '../host-api';
import { host, unwrap } from './host';

const cache = new Map<string, HostX509>();
const MAX_CACHED = 256;

export function parseCertificate(pem: string): HostX509 {
  let info = cache.get(pem);
  if (info === undefined) {
    info = unwrap(host().x509(pem));
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(pem, info);
  }
  return info;
}
