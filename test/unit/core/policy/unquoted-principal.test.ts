import { describe, expect, it } from '@jest/globals';
import { PolicyError } from '../../../../core/errors';
import { parsePolicyExpression } from '../../../../core/policy/policy-expression';

function refusal(expression: string): PolicyError {
  try {
    parsePolicyExpression(expression);
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error(`${expression} parsed`);
}

/**
 * A newcomer writes `OR('Org1MSP.peer', Org2MSP.peer)`. expr reads the unquoted principal as a
 * member access, so the refusal said "'.' at position 26 … is part of the expression language
 * Fabric's tools evaluate policies with": true, but it does not say the quotes are missing.
 */
describe('POLICY_SYNTAX for a principal left unquoted', () => {
  it('names the principal, where it starts, and suggests the policy with each principal quoted', () => {
    const err = refusal("OR('Org1MSP.peer', Org2MSP.peer)");
    expect(err.code).toBe('POLICY_SYNTAX');
    expect(err.message).toBe(`unquoted principal Org2MSP.peer at position 19 of policy "OR('Org1MSP.peer', Org2MSP.peer)": quote each principal: 'Org2MSP.peer'`);
    expect(err.details).toEqual({
      expression: "OR('Org1MSP.peer', Org2MSP.peer)",
      position: 19,
      token: 'Org2MSP.peer',
      expected: "a quoted principal 'Org2MSP.peer'",
      suggestions: ["quote each principal: OR('Org1MSP.peer', 'Org2MSP.peer')"],
    });
  });

  it('quotes every unquoted principal in the suggestion, in nested gates and with MSP ids expr reads as numbers', () => {
    expect(refusal('AND(Org1MSP.admin, OutOf(1, Org2MSP.member, "Org3MSP.peer"))').details.suggestions).toEqual([
      `quote each principal: AND('Org1MSP.admin', OutOf(1, 'Org2MSP.member', "Org3MSP.peer"))`,
    ]);
    // expr fails on "2.p" (a bad number) inside org-2.peer: still the principal that lacks quotes.
    const dashed = refusal("OR('Org1MSP.peer', org-2.peer)");
    expect(dashed.details).toMatchObject({ position: 19, token: 'org-2.peer', suggestions: ["quote each principal: OR('Org1MSP.peer', 'org-2.peer')"] });
  });

  it('keeps the expression-language refusal where the failing token is not an unquoted principal', () => {
    // A role Fabric does not know: not a principal, so no quoting would make it one.
    const badRole = refusal("OR('Org1MSP.peer', Org2MSP.peers)");
    expect(badRole.message).toMatch(/^'\.' at position 26 .* is part of the expression language/);
    expect(badRole.details.suggestions).toBeUndefined();
    // A principal inside quotes, and an operator elsewhere, is not mistaken for an unquoted one.
    expect(refusal("OR('Org1MSP.peer') + 1").message).toMatch(/^'\+' at position 19 /);
  });
});
