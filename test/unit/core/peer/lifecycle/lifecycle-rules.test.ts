import type { Channel } from '../../../../../core/peer/channel/channel';
import {
  checkApprovalChange,
  checkApprovalSequence,
  checkNextSequence,
  parameterMismatch,
  withDefaults,
} from '../../../../../core/peer/lifecycle/lifecycle-rules';
import { type ChaincodeDefinition } from '../../../../../core/peer/lifecycle/lifecycle-state';
import { testChaincodeDefinition } from '../../../../support/chaincode-definition';

/** A channel whose config holds the policies named (the rules only ask whether one exists). */
const channelWith = (policies: readonly string[]): Channel =>
  ({
    id: 'ch1',
    resources: () => ({ policies: { getPolicy: (path: string) => (policies.includes(path) ? {} : undefined) } }),
  }) as unknown as Channel;

const def = (over: Partial<ChaincodeDefinition> = {}): ChaincodeDefinition => testChaincodeDefinition('cc', over);

describe('_lifecycle definition rules', () => {
  it("fills Fabric's defaults, and needs /Channel/Application/Endorsement when the definition names no policy", () => {
    const bare = def({ endorsementPlugin: '', validationPlugin: '', validationParameter: new Uint8Array(0) });
    expect(withDefaults(bare, channelWith(['/Channel/Application/Endorsement']))).toEqual(def());
    expect(() => withDefaults(bare, channelWith([]))).toThrow(
      "could not set defaults for chaincode definition in channel ch1: policy '/Channel/Application/Endorsement' must be defined for channel 'ch1' before chaincode operations can be attempted",
    );
    // A definition naming its own policy does not need the channel's.
    const own = def({ validationParameter: new Uint8Array([1, 2]) });
    expect(withDefaults(own, channelWith([])).validationParameter).toEqual(new Uint8Array([1, 2]));
  });

  it("applies Fabric's approval and commit sequence rules", () => {
    expect(() => checkApprovalSequence(0, 0)).toThrow('requested sequence is 0, but first definable sequence number is 1');
    expect(() => checkApprovalSequence(1, 2)).toThrow('currently defined sequence 2 is larger than requested sequence 1');
    expect(() => checkApprovalSequence(4, 2)).toThrow('requested sequence 4 is larger than the next available sequence number 3');
    expect(() => checkApprovalSequence(2, 2)).not.toThrow();
    expect(() => checkApprovalSequence(3, 2)).not.toThrow();
    expect(() => checkNextSequence(2, 2)).toThrow('requested sequence is 2, but new definition must be sequence 3');
  });

  it("names the first differing parameter as Fabric's ChaincodeParameters.Equal does", () => {
    expect(parameterMismatch(def(), def())).toBeUndefined();
    expect(parameterMismatch(def(), def({ version: '2' }))).toBe("expected Version '1.0' does not match passed Version '2'");
    expect(parameterMismatch(def(), def({ initRequired: true }))).toBe("expected InitRequired 'false' does not match passed InitRequired 'true'");
    expect(parameterMismatch(def({ validationParameter: new Uint8Array([0xab]) }), def({ validationParameter: new Uint8Array([0xcd]) }))).toBe(
      "expected ValidationParameter 'ab' does not match passed ValidationParameter 'cd'",
    );
  });

  it('refuses an approval that changes nothing, at the next or the committed sequence', () => {
    const approved = { definition: def(), packageId: 'p1' };
    expect(() => checkApprovalChange(def(), 'p1', undefined, approved)).toThrow('attempted to redefine uncommitted sequence (1) for namespace cc with unchanged content');
    expect(() => checkApprovalChange(def(), 'p2', undefined, approved)).not.toThrow();
    expect(() => checkApprovalChange(def(), '', undefined, { definition: def(), packageId: undefined })).toThrow(/unchanged content/);
    expect(() => checkApprovalChange(def({ version: '2' }), 'p1', undefined, approved)).not.toThrow();

    expect(() => checkApprovalChange(def(), 'p1', def(), approved)).toThrow(/^attempted to redefine the current committed sequence \(1\) for namespace cc$/);
    expect(() => checkApprovalChange(def(), 'p2', def(), approved)).not.toThrow();
    expect(() => checkApprovalChange(def({ version: '2' }), 'p2', def(), approved)).toThrow(
      "attempted to redefine the current committed sequence (1) for namespace cc with different parameters: expected Version '1.0' does not match passed Version '2'",
    );
  });
});
