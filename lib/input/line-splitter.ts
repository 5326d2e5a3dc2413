import { StringDecoder } from "node:string_decoder";

/**
 * Splits a UTF-8 byte stream into lines on `\n`, dropping a `\r` before it. A partial last line
 * (and a multi-byte character split across chunks) waits for the next chunk.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";

  /** The complete lines in `chunk` (with what was left over from earlier chunks). */
  push(chunk: Buffer | string): string[] {
    const text = this.partial + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    const parts = text.split("\n");
    this.partial = parts.pop() as string;
    return parts.map(stripCr);
  }

  /** The stream ended: the last line, if it had no newline. */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    return rest.length === 0 ? [] : [stripCr(rest)];
  }
}

/** The lines of a whole text: as LineSplitter, a final newline does not start an empty line. */
export function splitLines(text: string): string[] {
  const parts = text.split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts.map(stripCr);
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
