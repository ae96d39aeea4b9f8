import { ImplicitMetaPolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { PolicyError } from '../../../../core/errors';
import { compileImplicitMetaExpression, parseImplicitMetaExpression } from '../../../../core/policy/implicit-meta-expression';

describe('parseImplicitMetaExpression (Fabric ImplicitMetaFromString)', () => {
  it.each([
    ['ANY Readers', ImplicitMetaPolicy.Rule.ANY, 'Readers'],
    ['ALL Writers', ImplicitMetaPolicy.Rule.ALL, 'Writers'],
    ['MAJORITY Endorsement', ImplicitMetaPolicy.Rule.MAJORITY, 'Endorsement'],
  ])('%s', (text, rule, sub) => {
    const p = ImplicitMetaPolicy.deserializeBinary(compileImplicitMetaExpression(text));
    expect(p.getRule()).toBe(rule);
    expect(p.getSubPolicy()).toBe(sub);
  });

  it.each(['ANY', 'ANY  Readers', 'ANY Readers extra', 'any Readers', 'SOME Readers', ''])('rejects %j with a PolicyError', (text) => {
    expect(() => parseImplicitMetaExpression(text)).toThrow(PolicyError);
  });

  it('names the unknown rule', () => {
    expect(() => parseImplicitMetaExpression('SOME Readers')).toThrow("unknown rule type 'SOME', expected ALL, ANY, or MAJORITY");
  });
});
