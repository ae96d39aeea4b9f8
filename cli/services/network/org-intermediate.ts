import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Whether the org in `orgDir` issues from intermediate CAs (`weft network init --intermediate-ca`):
 * its MSP folder holds `intermediatecerts/` or `tlsintermediatecerts/` certificates. The org's
 * files are the record, as for its key algorithm: network.yaml need not say.
 */
export function intermediateCasOf(orgDir: string): boolean {
  return ['intermediatecerts', 'tlsintermediatecerts'].some((sub) => {
    const dir = path.join(orgDir, 'msp', sub);
    return fs.existsSync(dir) && fs.readdirSync(dir).length > 0;
  });
}

/** The CA certificates of the org's MSP folder: roots, intermediates, TLS roots and TLS intermediates. */
export function orgCaFiles(orgDir: string): string[] {
  return ['cacerts', 'intermediatecerts', 'tlscacerts', 'tlsintermediatecerts'].flatMap((sub) => {
    const dir = path.join(orgDir, 'msp', sub);
    return fs.existsSync(dir) ? fs.readdirSync(dir).sort().map((f) => path.join(dir, f)) : [];
  });
}
