/** A chaincode event's payload as the event commands print it. */
export interface RenderedPayload {
  /** The payload as text (`utf8`) or, when it is not text, its base64 (`base64`). */
  readonly payload: string;
  readonly payloadEncoding: 'utf8' | 'base64';
}

// `fatal` refuses malformed UTF-8 instead of replacing it with U+FFFD, which would hide binary payloads.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// C0 controls other than tab, LF and CR, and DEL: bytes that are valid UTF-8 but no one's text.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * UTF-8 text when the bytes are valid UTF-8 without control characters (JSON, plain strings, the
 * usual payloads), else base64: a reader can always tell which, and the base64 form loses nothing.
 */
export function renderPayload(bytes: Uint8Array): RenderedPayload {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return { payload: Buffer.from(bytes).toString('base64'), payloadEncoding: 'base64' };
  }
  if (CONTROL.test(text)) return { payload: Buffer.from(bytes).toString('base64'), payloadEncoding: 'base64' };
  return { payload: text, payloadEncoding: 'utf8' };
}

/**
 * The payload on one line of text output: line breaks and tabs as `\n`, `\r`, `\t`, so one event is
 * always one line (`--json` gives the exact text).
 */
export function oneLine(text: string): string {
  return text.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}
