import { LedgerError } from '../errors';
import type { IndexFile } from './ledger';
import { validateNamespace } from './ledger-keys';
import { type IndexDefinition, parseIndexDefinition } from './rich-query';

/** How an argument of the wrong shape is named in an error: its type, or the start of a string. */
export function describeArgument(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v.slice(0, 64)) : typeof v;
}

function badIndexFiles(namespace: string, message: string, index?: number): LedgerError {
  return new LedgerError('LEDGER_BAD_QUERY', `declareIndexes(${JSON.stringify(namespace)}): ${message}`, { namespace, argument: 'files', index });
}

/** The index files' definitions (`Ledger.declareIndexes`); throws `LEDGER_BAD_QUERY` naming the first that is not a valid index, before any is declared. */
export function indexDefinitions(namespace: string, files: readonly IndexFile[]): IndexDefinition[] {
  validateNamespace(namespace);
  if (!Array.isArray(files)) throw badIndexFiles(namespace, `files must be an array of {name, content}, received ${describeArgument(files)}`);
  return (files as unknown[]).map((f, i) => {
    const file = f as Partial<IndexFile> | null;
    if (typeof file !== 'object' || file === null || typeof file.name !== 'string' || !(typeof file.content === 'string' || file.content instanceof Uint8Array)) {
      throw badIndexFiles(namespace, `files[${i}] must be {name: string, content: string | Uint8Array}, received ${describeArgument(f)}`, i);
    }
    return parseIndexDefinition(file.content, file.name);
  });
}
