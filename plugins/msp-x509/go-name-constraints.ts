import { DerReader, TAG } from '../../core/protocol/der-reader';

/**
 * Name constraints as Go's crypto/x509 applies them in `Certificate.Verify` (`isValid` →
 * `checkNameConstraints`): a CA's permitted and excluded subtrees bind every DNS, email, URI and IP
 * SAN of the certificates below it. DirectoryName and other name forms are not checked (Go ignores
 * them too; as critical constraints they make the CA's extension "unhandled").
 */

export interface NameSubtrees {
  readonly dns: string[];
  readonly email: string[];
  readonly uri: string[];
  readonly ip: { readonly ip: Uint8Array; readonly mask: Uint8Array }[];
}

export interface NameConstraints {
  readonly permitted: NameSubtrees;
  readonly excluded: NameSubtrees;
}

const EMAIL = 1;
const DNS = 2;
const URI = 6;
const IP = 7;
const MAX_COMPARISONS = 250_000;

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

/** The subtrees of a NameConstraints extension value; `unhandled` when a name form Go does not parse appears. */
export function parseNameConstraints(value: Uint8Array): { constraints: NameConstraints; unhandled: boolean } {
  const empty = (): NameSubtrees => ({ dns: [], email: [], uri: [], ip: [] });
  const constraints = { permitted: empty(), excluded: empty() };
  let unhandled = false;
  const outer = new DerReader(new DerReader(value).read(TAG.SEQUENCE).content);
  while (!outer.done) {
    const el = outer.read();
    const target = (el.tag & 0x1f) === 0 ? constraints.permitted : constraints.excluded;
    const subtrees = new DerReader(el.content);
    while (!subtrees.done) {
      const base = new DerReader(subtrees.read(TAG.SEQUENCE).content).read();
      switch (base.tag & 0x1f) {
        case DNS:
          target.dns.push(latin1(base.content));
          break;
        case EMAIL:
          target.email.push(latin1(base.content));
          break;
        case URI:
          target.uri.push(latin1(base.content));
          break;
        case IP: {
          const half = base.content.length / 2;
          target.ip.push({ ip: base.content.subarray(0, half), mask: base.content.subarray(half) });
          break;
        }
        default:
          unhandled = true;
      }
    }
  }
  return { constraints, unhandled };
}

/** Go's `domainToReverseLabels`. */
export function reverseLabels(domain: string): string[] | undefined {
  const labels: string[] = [];
  let rest = domain;
  while (rest.length > 0) {
    const i = rest.lastIndexOf('.');
    if (i === -1) {
      labels.push(rest);
      rest = '';
    } else {
      labels.push(rest.slice(i + 1));
      rest = rest.slice(0, i);
      if (i === 0) labels.push('');
    }
  }
  if (labels.length > 0 && labels[0].length === 0) return undefined;
  for (const label of labels) {
    if (label.length === 0) return undefined;
    for (let i = 0; i < label.length; i++) {
      const c = label.charCodeAt(i);
      if (c < 33 || c > 126) return undefined;
    }
  }
  return labels;
}

const equalFold = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Go's `matchDomainConstraint`. Throws where Go returns an error. */
function matchDomain(domain: string, constraint: string, excluded: boolean): boolean {
  if (constraint.length === 0) return true;
  let domainLabels = reverseLabels(domain);
  if (domainLabels === undefined) throw new Error(`cannot parse domain "${domain}"`);
  const wildcard = domain.startsWith('*');
  const mustHaveSubdomains = constraint.startsWith('.');
  const c = mustHaveSubdomains ? constraint.slice(1) : constraint;
  let constraintLabels = reverseLabels(c);
  if (constraintLabels === undefined) throw new Error(`cannot parse domain "${c}"`);
  if (domainLabels.length < constraintLabels.length || (mustHaveSubdomains && domainLabels.length === constraintLabels.length)) return false;
  if (excluded && wildcard && domainLabels.length > 1 && constraintLabels.length > 0) {
    domainLabels = domainLabels.slice(0, -1);
    constraintLabels = constraintLabels.slice(0, -1);
  }
  return constraintLabels.every((label, i) => equalFold(label, domainLabels[i]));
}

interface Mailbox {
  readonly local: string;
  readonly domain: string;
}

const ATEXT = /[0-9A-Za-z!#$%&'*+\-/=?^_`{|}~.]/;

/** Go's `parseRFC2821Mailbox`. */
export function parseMailbox(input: string): Mailbox | undefined {
  if (input.length === 0) return undefined;
  let local = '';
  let i = 0;
  if (input[0] === '"') {
    i = 1;
    for (;;) {
      if (i >= input.length) return undefined;
      const c = input.charCodeAt(i++);
      if (c === 0x22) break;
      if (c === 0x5c) {
        if (i >= input.length) return undefined;
        const n = input.charCodeAt(i);
        if (n === 11 || n === 12 || (n >= 1 && n <= 9) || (n >= 14 && n <= 127)) {
          local += input[i++];
          continue;
        }
        return undefined;
      }
      if (c === 11 || c === 12 || c === 32 || c === 33 || c === 127 || (c >= 1 && c <= 8) || (c >= 14 && c <= 31) || (c >= 35 && c <= 91) || (c >= 93 && c <= 126)) {
        local += String.fromCharCode(c);
        continue;
      }
      return undefined;
    }
  } else {
    while (i < input.length) {
      let c = input[i];
      if (c === '\\') {
        i++;
        if (i >= input.length) return undefined;
        c = input[i];
        local += c;
        i++;
        continue;
      }
      if (!ATEXT.test(c)) break;
      local += c;
      i++;
    }
    if (local.length === 0 || local.startsWith('.') || local.endsWith('.') || local.includes('..')) return undefined;
  }
  if (i >= input.length || input[i] !== '@') return undefined;
  const domain = input.slice(i + 1);
  if (reverseLabels(domain) === undefined) return undefined;
  return { local, domain };
}

function matchEmail(mailbox: Mailbox, constraint: string, excluded: boolean): boolean {
  if (constraint.includes('@')) {
    const c = parseMailbox(constraint);
    if (c === undefined) throw new Error(`cannot parse constraint "${constraint}"`);
    return mailbox.local === c.local && equalFold(mailbox.domain, c.domain);
  }
  return matchDomain(mailbox.domain, constraint, excluded);
}

/** The host of a URI as Go's `url.Parse(...).Host` gives it for `scheme://authority/...`; '' otherwise. */
function uriHost(uri: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  if (!m) return '';
  const authority = m[1];
  return authority.slice(authority.lastIndexOf('@') + 1);
}

function matchUri(uri: string, constraint: string, excluded: boolean): boolean {
  let host = uriHost(uri);
  if (host.length === 0) throw new Error(`URI with empty host ("${uri}") cannot be matched against constraints`);
  if (host.includes(':') && !host.endsWith(']')) host = host.slice(0, host.lastIndexOf(':'));
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':') || (host.startsWith('[') && host.endsWith(']'))) {
    throw new Error(`URI with IP ("${uri}") cannot be matched against constraints`);
  }
  return matchDomain(host, constraint, excluded);
}

function matchIp(ip: Uint8Array, constraint: { ip: Uint8Array; mask: Uint8Array }): boolean {
  if (ip.length !== constraint.ip.length) return false;
  return ip.every((b, i) => (b & constraint.mask[i]) === (constraint.ip[i] & constraint.mask[i]));
}

/** SAN entries (tag number and contents) of a subjectAltName extension value. */
function sanEntries(value: Uint8Array): { tag: number; data: Uint8Array }[] {
  const names = new DerReader(new DerReader(value).read(TAG.SEQUENCE).content);
  const out: { tag: number; data: Uint8Array }[] = [];
  while (!names.done) {
    const el = names.read();
    out.push({ tag: el.tag & 0x1f, data: el.content });
  }
  return out;
}

/**
 * Go's name-constraint part of `isValid` for a CA appended above `chain`: every DNS, email, URI
 * and IP SAN of the chain's certificates must avoid the excluded subtrees and, for each name type
 * with permitted subtrees, match one. Returns Go's reason, or undefined.
 */
export function nameConstraintsProblem(constraints: NameConstraints, sanValues: readonly Uint8Array[]): string | undefined {
  let count = 0;
  const check = <T, C>(kind: string, name: string, parsed: T, permitted: readonly C[], excluded: readonly C[], match: (n: T, c: C, excl: boolean) => boolean): string | undefined => {
    count += excluded.length;
    if (count > MAX_COMPARISONS) return 'too many name constraint comparisons';
    try {
      for (const c of excluded) if (match(parsed, c, true)) return `${kind} "${name}" is excluded by a name constraint`;
      count += permitted.length;
      if (count > MAX_COMPARISONS) return 'too many name constraint comparisons';
      if (permitted.length > 0 && !permitted.some((c) => match(parsed, c, false))) return `${kind} "${name}" is not permitted by any name constraint`;
    } catch (err) {
      return (err as Error).message;
    }
    return undefined;
  };
  const { permitted: p, excluded: e } = constraints;
  for (const san of sanValues) {
    let entries: { tag: number; data: Uint8Array }[];
    try {
      entries = sanEntries(san);
    } catch {
      return 'malformed subjectAltName';
    }
    for (const { tag, data } of entries) {
      const name = latin1(data);
      let problem: string | undefined;
      if (tag === EMAIL) {
        const mailbox = parseMailbox(name);
        if (mailbox === undefined) return `cannot parse rfc822Name "${name}"`;
        problem = check('email address', name, mailbox, p.email, e.email, matchEmail);
      } else if (tag === DNS) {
        if (!domainNameValid(name)) return `cannot parse dnsName "${name}"`;
        problem = check('DNS name', name, name, p.dns, e.dns, matchDomain);
      } else if (tag === URI) {
        problem = check('URI', name, name, p.uri, e.uri, matchUri);
      } else if (tag === IP) {
        if (data.length !== 4 && data.length !== 16) return `IP SAN of ${data.length} bytes`;
        problem = check('IP address', name, data, p.ip, e.ip, (ip, c) => matchIp(ip, c));
      }
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/** Go's `domainNameValid(s, false)` for SAN DNS names. */
function domainNameValid(s: string): boolean {
  if (s.length === 0) return true;
  if (s.endsWith('.')) return false;
  let lastDot = -1;
  for (let i = 0; i <= s.length; i++) {
    if (i < s.length && (s.charCodeAt(i) < 33 || s.charCodeAt(i) > 126)) return false;
    if (i === s.length || s[i] === '.') {
      if (i - (lastDot + 1) === 0) return false;
      lastDot = i;
    }
  }
  return true;
}
