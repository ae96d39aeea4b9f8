import { oneLine, renderPayload } from '../../../../../cli/services/events/event-payload';

describe('renderPayload', () => {
  it('gives UTF-8 text as text: JSON, accents, emoji, line breaks, and the empty payload', () => {
    for (const text of ['{"key":"a","value":1}', 'héllo wörld €', 'tofu 🍣', 'two\nlines\twith tab\r\n', '']) {
      expect(renderPayload(Buffer.from(text, 'utf8'))).toEqual({ payload: text, payloadEncoding: 'utf8' });
    }
  });

  it('gives bytes that are not valid UTF-8 as base64, losing nothing', () => {
    const bytes = Uint8Array.from([0xff, 0xfe, 0x00, 0x41, 0xc3]);
    expect(renderPayload(bytes)).toEqual({ payload: Buffer.from(bytes).toString('base64'), payloadEncoding: 'base64' });
    // A lone continuation byte and a cut-short sequence are malformed, not replaced with U+FFFD.
    expect(renderPayload(Uint8Array.from([0x61, 0x80])).payloadEncoding).toBe('base64');
    expect(renderPayload(Buffer.from('€', 'utf8').subarray(0, 2)).payloadEncoding).toBe('base64');
  });

  it('gives valid UTF-8 holding control characters (binary data, a protobuf) as base64', () => {
    for (const bytes of [Uint8Array.from([0x0a, 0x03, 0x61, 0x62, 0x63, 0x10, 0x01]), Buffer.from('a\u0000b'), Buffer.from('bell\u0007'), Buffer.from('del\u007f')]) {
      expect(renderPayload(bytes)).toEqual({ payload: Buffer.from(bytes).toString('base64'), payloadEncoding: 'base64' });
    }
  });

  it('keeps a text payload on one line for the text output', () => {
    expect(oneLine('{\n  "a": 1\r\n}\tend')).toBe('{\\n  "a": 1\\r\\n}\\tend');
    expect(oneLine('plain')).toBe('plain');
  });
});
