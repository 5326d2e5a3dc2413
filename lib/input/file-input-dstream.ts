import { open } from "node:fs/promises";
import { basename, join } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { ErrorCodes, StreamingError } from "../../errors.js";
import { InputDStream, type DStream } from "../dstream/internal.js";
import { RDD } from "../rdd/rdd.js";
import type { Time } from "../time.js";
import { splitLines } from "./line-splitter.js";

/** One file of a batch: its name in the directory and the bytes the batch reads. */
export interface FileEntry {
  name: string;
  size: number;
}

/** A file stream's batch plan. */
export interface FilePlan {
  /** The files of the batch, sorted by name: one partition each. */
  files: FileEntry[];
  /**
   * The newest modification time (wall-clock ms) of every file taken so far, this batch included
   * (at first start with `newFilesOnly`, the start time). Recovery derives its threshold from it.
   */
  mtimeWatermark: number;
}

/** Options of `textFileStream`. */
export interface FileStreamOptions {
  /** Only files that appear after start (default true); false also takes the files already there. */
  newFilesOnly?: boolean;
  /** A file counts as written once its size has not changed for this long (real time); default 1000 ms. */
  writeFinishMs?: number;
}

/**
 * `ssc.textFileStream(dir)` (Spark's FileInputDStream): each batch takes the files that appeared
 * in `dir` since the previous batch, one partition of lines per file. Dot-files are ignored, and a
 * file is taken only once its size is stable. The plan names each file and its size, so a batch
 * replayed after a crash reads the same bytes; a file is processed at most once per context, and
 * after a restart the files of the retained batch records count as processed (see `restorePlans`).
 */
export class FileInputDStream extends InputDStream<string, FilePlan> {
  private readonly newFilesOnly: boolean;
  private readonly writeFinishMs: number;
  private watcher: FSWatcher | undefined;
  /** Files ready and not yet planned, by name, with their modification time. */
  private readonly ready = new Map<string, FileEntry & { mtimeMs: number }>();
  private mtimeWatermark = 0;
  private readonly processed = new Set<string>();
  /** After a restart: files modified at or before this were taken by batches already cleaned up. */
  private recoveredUpTo: number | undefined;
  /** Lines per materialized plan, for BatchInfo.numRecords (known once the files are read). */
  private readonly lineCounts = new WeakMap<FilePlan, number>();

  constructor(
    ssc: DStream<string>["ssc"],
    readonly directory: string,
    options: FileStreamOptions = {},
  ) {
    super(ssc);
    if (typeof directory !== "string" || directory.length === 0) throw new TypeError(`textFileStream(dir) expects a directory path; got ${String(directory)}`);
    this.newFilesOnly = options.newFilesOnly ?? true;
    this.writeFinishMs = options.writeFinishMs ?? 1000;
    if (!Number.isFinite(this.writeFinishMs) || this.writeFinishMs < 0) throw new RangeError(`textFileStream writeFinishMs must be a non-negative number of ms; got ${this.writeFinishMs}`);
  }

  /** Files found and waiting for the next batch. */
  get pendingFiles(): number {
    return this.ready.size;
  }

  /**
   * Marks `names` as processed: they are never taken again. Recovery calls it (through
   * `restorePlans`, or directly with names it kept elsewhere) before the stream starts.
   */
  restoreProcessed(names: Iterable<string>): void {
    for (const name of names) {
      this.processed.add(name);
      this.ready.delete(name);
    }
  }

  /** The names processed so far (for a recovery layer that keeps them itself). */
  processedFiles(): string[] {
    return [...this.processed];
  }

  /**
   * Recovery: the files of every retained plan count as processed, and files modified no later
   * than the oldest retained plan's watermark belong to batches already cleaned up. Files the
   * directory got while the job was down (or that no batch took before the crash) are taken,
   * whatever `newFilesOnly` says. As in Spark, a file must not appear with an mtime older than
   * files already taken (e.g. `mv` keeping an old mtime), or a restart may skip it.
   */
  override async restorePlans(plans: readonly { time: Time; plan: FilePlan | undefined }[]): Promise<void> {
    for (const { plan } of plans) {
      if (plan === undefined) continue;
      this.restoreProcessed(plan.files.map((f) => f.name));
      this.recoveredUpTo ??= plan.mtimeWatermark;
      this.mtimeWatermark = Math.max(this.mtimeWatermark, plan.mtimeWatermark);
    }
  }

  override async startInput(): Promise<void> {
    const recovered = this.recoveredUpTo !== undefined;
    // Files present at first start are left alone with newFilesOnly; the watermark says so to recovery.
    if (!recovered && this.newFilesOnly) this.mtimeWatermark = Math.max(this.mtimeWatermark, Date.now());
    const takeInitial = !this.newFilesOnly || recovered;
    const watcher = watch(this.directory, {
      depth: 0,
      ignoreInitial: !takeInitial,
      alwaysStat: true,
      ignored: (path) => path !== this.directory && basename(path).startsWith("."),
      awaitWriteFinish: this.writeFinishMs === 0 ? false : { stabilityThreshold: this.writeFinishMs, pollInterval: Math.max(10, Math.min(100, this.writeFinishMs / 4)) },
    });
    this.watcher = watcher;
    watcher.on("add", (path, stats) => {
      const name = basename(path);
      if (this.processed.has(name) || stats === undefined) return;
      if (this.recoveredUpTo !== undefined && stats.mtimeMs <= this.recoveredUpTo) return;
      this.ready.set(name, { name, size: stats.size, mtimeMs: stats.mtimeMs });
    });
    // A removed file may come back under the same name as a new file.
    watcher.on("unlink", (path) => {
      this.processed.delete(basename(path));
      this.ready.delete(basename(path));
    });
    watcher.on("error", (err) => console.error(`dstream: textFileStream(${this.directory}) watcher error:`, err));
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  }

  override async stopInput(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }

  override hasPendingInput(): boolean {
    return this.ready.size > 0;
  }

  plan(): FilePlan {
    const taken = [...this.ready.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.ready.clear();
    for (const f of taken) {
      this.processed.add(f.name);
      this.mtimeWatermark = Math.max(this.mtimeWatermark, f.mtimeMs);
    }
    return { files: taken.map(({ name, size }) => ({ name, size })), mtimeWatermark: this.mtimeWatermark };
  }

  async materialize(time: Time, plan: FilePlan): Promise<RDD<string>> {
    const parts: string[][] = [];
    for (const f of plan.files) parts.push(splitLines(await this.readPrefix(time, f)));
    this.lineCounts.set(plan, parts.reduce((n, p) => n + p.length, 0));
    return RDD.fromPartitions(parts);
  }

  recordCount(plan: FilePlan): number {
    return this.lineCounts.get(plan) ?? 0;
  }

  /** The first `size` bytes: a file appended to later replays as it was planned. */
  private async readPrefix(time: Time, f: FileEntry): Promise<string> {
    const path = join(this.directory, f.name);
    try {
      const handle = await open(path, "r");
      try {
        const buf = Buffer.alloc(f.size);
        let at = 0;
        while (at < f.size) {
          const { bytesRead } = await handle.read(buf, at, f.size - at, at);
          if (bytesRead === 0) break;
          at += bytesRead;
        }
        if (at < f.size) throw new Error(`the file is shorter (${at} bytes) than when it was planned (${f.size} bytes)`);
        return buf.toString("utf8");
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw new StreamingError(ErrorCodes.STORAGE_IO, `textFileStream: batch ${time} ms reads ${path}, which cannot be read; input files must stay in place until their batch commits`, { cause: err });
    }
  }
}
