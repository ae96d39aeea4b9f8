import * as asn1js from 'asn1js';
import { nameConstraintsProblem, parseMailbox, reverseLabels, type NameConstraints } from '../../../../plugins/msp-x509/go-name-constraints';

/** Go crypto/x509 name-constraint matching, case by case (verify.go `matchDomainConstraint` and friends). */

function san(...names: [tag: number, value: string | Uint8Array][]): Uint8Array {
  const value = names.map(([tag, v]) => new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: tag }, valueHex: (typeof v === 'string' ? new TextEncoder().encode(v) : v).slice().buffer as ArrayBuffer }));
  return new Uint8Array(new asn1js.Sequence({ value }).toBER(false));
}

function constraints(permitted: Partial<NameConstraints['permitted']>, excluded: Partial<NameConstraints['excluded']> = {}): NameConstraints {
  const fill = (s: Partial<NameConstraints['permitted']>): NameConstraints['permitted'] => ({ dns: [], email: [], uri: [], ip: [], ...s });
  return { permitted: fill(permitted), excluded: fill(excluded) };
}

const DNS = 2;
const EMAIL = 1;
const URI = 6;
const IP = 7;

describe('Go name constraints', () => {
  it('matches DNS names by whole labels, case-insensitively, with a leading dot meaning strict subdomains', () => {
    const cases: [string, string, boolean][] = [
      ['example.com', 'example.com', true],
      ['foo.EXAMPLE.com', 'example.com', true],
      ['fooexample.com', 'example.com', false],
      ['example.com', '.example.com', false],
      ['a.example.com', '.example.com', true],
      ['anything.org', '', true],
    ];
    for (const [name, constraint, ok] of cases) {
      expect([name, constraint, nameConstraintsProblem(constraints({ dns: [constraint] }), [san([DNS, name])]) === undefined]).toEqual([name, constraint, ok]);
    }
  });

  it('lets an excluded subtree catch a wildcard SAN over a sibling label', () => {
    expect(nameConstraintsProblem(constraints({}, { dns: ['a.example.com'] }), [san([DNS, '*.example.com'])])).toContain('excluded');
    expect(nameConstraintsProblem(constraints({}, { dns: ['a.example.com'] }), [san([DNS, 'b.example.com'])])).toBeUndefined();
  });

  it('matches emails by mailbox or domain, IPs by masked prefix, and URIs by host', () => {
    expect(nameConstraintsProblem(constraints({ email: ['example.com'] }), [san([EMAIL, 'user@example.com'])])).toBeUndefined();
    expect(nameConstraintsProblem(constraints({ email: ['other@example.com'] }), [san([EMAIL, 'user@example.com'])])).toContain('not permitted');
    expect(nameConstraintsProblem(constraints({ email: ['user@EXAMPLE.com'] }), [san([EMAIL, 'user@example.com'])])).toBeUndefined();
    const net10 = { ip: Uint8Array.of(10, 0, 0, 0), mask: Uint8Array.of(255, 0, 0, 0) };
    expect(nameConstraintsProblem(constraints({ ip: [net10] }), [san([IP, Uint8Array.of(10, 1, 2, 3)])])).toBeUndefined();
    expect(nameConstraintsProblem(constraints({ ip: [net10] }), [san([IP, Uint8Array.of(11, 1, 2, 3)])])).toContain('not permitted');
    expect(nameConstraintsProblem(constraints({ uri: ['.example.com'] }), [san([URI, 'https://api.example.com:8443/x'])])).toBeUndefined();
    expect(nameConstraintsProblem(constraints({ uri: ['.example.com'] }), [san([URI, 'urn:example'])])).toContain('empty host');
  });

  it('leaves names of other types and other types of constraint alone', () => {
    expect(nameConstraintsProblem(constraints({ dns: ['example.com'] }), [san([EMAIL, 'user@elsewhere.org'])])).toBeUndefined();
  });

  it('parses domains and mailboxes as Go does', () => {
    expect(reverseLabels('a.b.c')).toEqual(['c', 'b', 'a']);
    expect(reverseLabels('a..c')).toBeUndefined();
    expect(reverseLabels('a.b.')).toBeUndefined();
    expect(parseMailbox('"john doe"@example.com')).toEqual({ local: 'john doe', domain: 'example.com' });
    expect(parseMailbox('.john@example.com')).toBeUndefined();
    expect(parseMailbox('john@')).toEqual({ local: 'john', domain: '' });
  });
});
