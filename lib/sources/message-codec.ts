/**
 * How a connector turns message payloads into records and back: `"string"` (UTF-8), `"json"`, or
 * `"bytes"` (the payload as a `Uint8Array`). Shared by every source and sink that speaks bytes.
 */
export type MessageCodec = "string" | "json" | "bytes";

const decoder = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/** Validates a `codec` option, naming the option and the connector in the error. */
export function checkCodec(codec: unknown, where: string): MessageCodec {
  if (codec === undefined) return "string";
  if (codec === "string" || codec === "json" || codec === "bytes") return codec;
  throw new TypeError(`${where}: codec must be "string", "json" or "bytes", got ${JSON.stringify(codec)}`);
}

/** A payload as a record. A `"json"` payload that does not parse throws a SyntaxError naming it. */
export function decodePayload<T>(payload: Uint8Array, codec: MessageCodec): T {
  switch (codec) {
    case "bytes":
      return Uint8Array.from(payload) as T;
    case "string":
      return decoder.decode(payload) as T;
    case "json": {
      const text = decoder.decode(payload);
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new SyntaxError(`payload is not JSON: ${text.length > 80 ? `${text.slice(0, 80)}…` : text}`, {
          cause: err,
        });
      }
    }
  }
}

/** A record as a payload. `"string"` takes strings, `"bytes"` takes Uint8Arrays, `"json"` anything JSON can hold. */
export function encodePayload(record: unknown, codec: MessageCodec): Uint8Array {
  switch (codec) {
    case "bytes":
      if (record instanceof Uint8Array) return record;
      throw new TypeError(`codec "bytes" needs Uint8Array records, got ${typeof record}`);
    case "string":
      if (typeof record === "string") return encoder.encode(record);
      throw new TypeError(`codec "string" needs string records, got ${typeof record}; use codec "json"`);
    case "json": {
      const text = JSON.stringify(record);
      if (text === undefined) throw new TypeError(`codec "json" cannot encode ${typeof record}`);
      return encoder.encode(text);
    }
  }
}
