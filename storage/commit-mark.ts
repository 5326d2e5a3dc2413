/**
 * The commit mark: a small file beside the LevelDB files that names the last committed batch, so
 * that a checkpoint knows when it has lost committed batches. LevelDB drops a damaged tail of its
 * log on reopen without an error, and the newest commits go with it (a rollback); the mark, synced
 * after each commit, still names the newer batch.
 *
 * Crash safety: the mark is written only after the commit's synced LevelDB write returned, so it
 * may lag the database (a crash in between), never lead it. The file holds two slots, written in
 * turn in place (one pwrite and one fdatasync per commit: no rename, no directory sync); each slot
 * carries a sequence number and a CRC-32, so a torn slot is ignored and the other, one commit
 * older, still counts: lag again, never a false alarm. The file is created whole (temporary file,
 * fsync, rename, directory fsync), so it never exists without a valid slot.
 *
 * Slot layout (32 bytes, big-endian): magic "DSCM", version u8, 3 zero bytes, seq u64, time u64,
 * CRC-32 of the preceding 24 bytes u32, 4 zero bytes.
 */
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCodes, StorageError } from "../errors.js";
import { crc32 } from "./crc32.js";
import { readU64, u64 } from "./key-fields.js";
import { mapLevelError } from "./level-errors.js";

/** The file name in the checkpoint directory (LevelDB leaves names it does not know alone). */
export const COMMIT_MARK_FILE = "DSTREAM-COMMIT-MARK";

const MAGIC = Buffer.from("DSCM", "latin1");
const VERSION = 1;
const SLOT = 32;

/** The newest valid slot: the last committed batch time the mark knows of. */
export interface CommitMarkValue {
  seq: number;
  time: number;
}

function encodeSlot(seq: number, time: number): Buffer {
  const b = Buffer.alloc(SLOT);
  MAGIC.copy(b, 0);
  b[4] = VERSION;
  u64(seq, "seq").copy(b, 8);
  u64(time, "time").copy(b, 16);
  b.writeUInt32BE(crc32(b.subarray(0, 24)), 24);
  return b;
}

function decodeSlot(b: Buffer): CommitMarkValue | undefined {
  if (b.length < SLOT || !b.subarray(0, 4).equals(MAGIC) || b[4] !== VERSION) return undefined;
  if (b.readUInt32BE(24) !== crc32(b.subarray(0, 24))) return undefined;
  return { seq: readU64(b, 8), time: readU64(b, 16) };
}

/** The mark stored in `bytes` (a whole file): its newest valid slot, or undefined when none is valid. */
export function decodeCommitMark(bytes: Buffer): CommitMarkValue | undefined {
  const slots = [decodeSlot(bytes.subarray(0, SLOT)), decodeSlot(bytes.subarray(SLOT, 2 * SLOT))];
  let best: CommitMarkValue | undefined;
  for (const s of slots) if (s !== undefined && (best === undefined || s.seq > best.seq)) best = s;
  return best;
}

/** The commit mark of one checkpoint directory. Open with {@link CommitMark.open}. */
export class CommitMark {
  #file: FileHandle | undefined;
  #value: CommitMarkValue | undefined;

  private constructor(
    private readonly dir: string,
    value: CommitMarkValue | undefined,
    file: FileHandle | undefined,
  ) {
    this.#value = value;
    this.#file = file;
  }

  /** The path of the mark in `dir`. */
  static path(dir: string): string {
    return join(dir, COMMIT_MARK_FILE);
  }

  /**
   * Reads the mark in `dir` (none yet is fine). A mark file with no valid slot is STORAGE_CORRUPT:
   * it is never written that way.
   */
  static async open(dir: string): Promise<CommitMark> {
    const path = CommitMark.path(dir);
    let file: FileHandle;
    try {
      file = await open(path, "r+");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return new CommitMark(dir, undefined, undefined);
      throw new StorageError(ErrorCodes.STORAGE_IO, `Cannot open the commit mark ${path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const bytes = Buffer.alloc(2 * SLOT);
      const { bytesRead } = await file.read(bytes, 0, bytes.length, 0);
      const value = decodeCommitMark(bytes.subarray(0, bytesRead));
      if (value === undefined) {
        throw new StorageError(
          ErrorCodes.STORAGE_CORRUPT,
          `The commit mark ${path} is damaged (${bytesRead} bytes, no valid slot): the checkpoint cannot tell whether it lost committed batches. ` +
            "Restore the directory from a backup or start from an empty checkpoint directory.",
          { key: COMMIT_MARK_FILE },
        );
      }
      return new CommitMark(dir, value, file);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** True when the directory has a mark file. */
  get exists(): boolean {
    return this.#value !== undefined;
  }

  /** The last committed batch time the mark holds, if any. */
  get time(): number | undefined {
    return this.#value?.time;
  }

  /** Records that batch `time` is committed (call only once its commit is durable). */
  async record(time: number): Promise<void> {
    const current = this.#value;
    if (current === undefined || this.#file === undefined) {
      await this.#create(time);
      return;
    }
    const seq = current.seq + 1;
    try {
      await this.#file.write(encodeSlot(seq, time), 0, SLOT, (seq % 2) * SLOT);
      await this.#file.datasync();
    } catch (err) {
      throw mapLevelError(err, this.dir, "write the commit mark");
    }
    this.#value = { seq, time };
  }

  async #create(time: number): Promise<void> {
    const path = CommitMark.path(this.dir);
    const tmp = `${path}.tmp`;
    try {
      const f = await open(tmp, "w");
      try {
        await f.write(Buffer.concat([encodeSlot(0, time), encodeSlot(0, time)]));
        await f.sync();
      } finally {
        await f.close();
      }
      await rename(tmp, path);
      const d = await open(this.dir, "r");
      try {
        await d.sync();
      } finally {
        await d.close();
      }
      this.#file = await open(path, "r+");
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw mapLevelError(err, this.dir, `create the commit mark ${path}`);
    }
    this.#value = { seq: 0, time };
  }

  /** Closes the file. Idempotent. */
  async close(): Promise<void> {
    const f = this.#file;
    this.#file = undefined;
    await f?.close();
  }
}
