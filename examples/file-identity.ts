/**
 * Which file a stored byte offset belongs to: device, inode and a hash of the file's first bytes.
 * A log rotated, replaced or rewritten under the same name is a different file, and an offset
 * into the old one means nothing in it.
 */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";

/** Hash at most this many leading bytes: enough to tell two logs apart, cheap to re-read. */
export const HEAD_BYTES = 4096;

/** A position in one particular file: what a tailing receiver stores as its offset. */
export interface FileOffset {
  dev: number;
  ino: number;
  /** How many leading bytes `headHash` covers: min(HEAD_BYTES, position) when stored. */
  headBytes: number;
  /** sha256 (hex) of the first `headBytes` bytes. */
  headHash: string;
  /** The byte after the last line stored. */
  position: number;
}

/** sha256 (hex) of the first `bytes` bytes of `file`, or undefined if it is shorter than that. */
export async function headHash(file: FileHandle, bytes: number): Promise<string | undefined> {
  const head = Buffer.alloc(bytes);
  const { bytesRead } = await file.read(head, 0, bytes, 0);
  if (bytesRead < bytes) return undefined;
  return createHash("sha256").update(head).digest("hex");
}

/** The offset `position` in `file` (device `dev`, inode `ino`). */
export async function fileOffset(file: FileHandle, dev: number, ino: number, position: number): Promise<FileOffset> {
  const headBytes = Math.min(HEAD_BYTES, position);
  return { dev, ino, headBytes, headHash: (await headHash(file, headBytes)) ?? "", position };
}

/**
 * Where to resume in `file` given what was stored: the stored position if it is the same file,
 * otherwise 0 and why not.
 */
export async function resumePosition(
  stored: unknown,
  file: FileHandle,
  stat: { dev: number; ino: number; size: number },
): Promise<{ position: number; reason?: string }> {
  if (stored === undefined || stored === null) return { position: 0 };
  if (!isFileOffset(stored)) return { position: 0, reason: `the stored offset ${JSON.stringify(stored)} does not say which file it belongs to` };
  if (stored.dev !== stat.dev || stored.ino !== stat.ino) {
    return { position: 0, reason: `it is a different file (device ${stat.dev}, inode ${stat.ino}; the stored offset belongs to device ${stored.dev}, inode ${stored.ino})` };
  }
  if (stat.size < stored.position) return { position: 0, reason: `it is shorter (${stat.size} bytes) than the stored offset ${stored.position}: truncated or rewritten` };
  if ((await headHash(file, stored.headBytes)) !== stored.headHash) {
    return { position: 0, reason: `its first ${stored.headBytes} bytes are not those the stored offset was taken in: rewritten` };
  }
  return { position: stored.position };
}

function isFileOffset(v: unknown): v is FileOffset {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.dev === "number" && typeof o.ino === "number" && typeof o.headBytes === "number" && typeof o.headHash === "string" && typeof o.position === "number";
}
