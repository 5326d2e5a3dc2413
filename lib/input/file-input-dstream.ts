import type { Stats } from "node:fs";
import { open } from "node:fs/promises";
import { basename, join } from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { ErrorCodes, StreamingError } from "../../errors.js";
import { InputDStream, type DStream } from "../dstream/internal.js";
import { RDD } from "../rdd/rdd.js";
import type { Time } from "../time.js";
import { splitLines } from "./line-splitter.js";
import { StableFiles } from "./stable-files.js";

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
  /**
   * A file is taken once its size and modification time have not changed for this long, measured
   * on the context's clock (so a ManualClock drives it in tests); default 1000 ms. A writer that
   * pauses for longer than this gets its file taken as it is: write elsewhere and move files in
   * whole. A file that changes after it was taken is reported (`onInputFileChanged`, and a line on
   * stderr), never read again.
   */
  writeFinishMs?: number;
}

/** What a processed file looked like when its batch took it (size and mtime, when known). */
interface TakenFile {
  size?: number;
  mtimeMs?: number;
}

/**
 * `ssc.textFileStream(dir)` (Spark's FileInputDStream): each batch takes the files that appeared
 * in `dir` since the previous batch, one partition of lines per file. Dot-files are ignored, and a
 * file is taken only once it is stable (`writeFinishMs` on the context's clock). The plan names
 * each file and its size, so a batch replayed after a crash reads the same bytes; a file is
 * processed at most once per context, and after a restart the files of the retained batch records
 * count as processed (see `restorePlans`).
 */
export class FileInputDStream extends InputDStream<string, FilePlan> {
  private readonly newFilesOnly: boolean;
  private readonly writeFinishMs: number;
  private watcher: FSWatcher | undefined;
  /** Files found and not yet planned, until they are stable. */
  private readonly candidates: StableFiles;
  private mtimeWatermark = 0;
  /** Files taken by a batch (this run's, a retained plan's, or older than the recovered watermark). */
  private readonly processed = new Map<string, TakenFile>();
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
    if (typeof options !== "object" || options === null) throw new TypeError(`textFileStream(dir, options) expects { newFilesOnly?, writeFinishMs? }; got ${String(options)}`);
    if (options.newFilesOnly !== undefined && typeof options.newFilesOnly !== "boolean") throw new TypeError(`textFileStream newFilesOnly must be a boolean; got ${typeof options.newFilesOnly}`);
    this.newFilesOnly = options.newFilesOnly ?? true;
    this.writeFinishMs = options.writeFinishMs ?? 1000;
    if (typeof this.writeFinishMs !== "number") throw new TypeError(`textFileStream writeFinishMs must be a number of ms; got ${typeof this.writeFinishMs}`);
    if (!Number.isFinite(this.writeFinishMs) || this.writeFinishMs < 0) throw new RangeError(`textFileStream writeFinishMs must be a non-negative number of ms; got ${this.writeFinishMs}`);
    this.candidates = new StableFiles(directory, this.writeFinishMs);
  }

  /** Files found and waiting to be stable and taken by a batch. */
  get pendingFiles(): number {
    return this.candidates.size;
  }

  /**
   * Marks `names` as processed: they are never taken again. Recovery calls it (through
   * `restorePlans`, or directly with names it kept elsewhere) before the stream starts.
   */
  restoreProcessed(names: Iterable<string>): void {
    for (const name of names) this.markProcessed(name, {});
  }

  /** The names processed so far (for a recovery layer that keeps them itself). */
  processedFiles(): string[] {
    return [...this.processed.keys()];
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
      for (const f of plan.files) this.markProcessed(f.name, { size: f.size });
      this.recoveredUpTo ??= plan.mtimeWatermark;
      this.mtimeWatermark = Math.max(this.mtimeWatermark, plan.mtimeWatermark);
    }
  }

  override async startInput(): Promise<void> {
    const recovered = this.recoveredUpTo !== undefined;
    // Files present at first start are left alone with newFilesOnly; the watermark says so to recovery.
    if (!recovered && this.newFilesOnly) this.mtimeWatermark = Math.max(this.mtimeWatermark, Date.now());
    const takeInitial = !this.newFilesOnly || recovered;
    // No awaitWriteFinish: chokidar measures it in real time; stability is judged per batch on
    // the context's clock (StableFiles), and 'change' events tell of files that changed.
    const watcher = watch(this.directory, {
      depth: 0,
      ignoreInitial: !takeInitial,
      alwaysStat: true,
      ignored: (path) => path !== this.directory && basename(path).startsWith("."),
    });
    this.watcher = watcher;
    const seen = (path: string, stats: Stats | undefined): void => {
      if (stats === undefined || !stats.isFile()) return;
      const name = basename(path);
      const taken = this.processed.get(name);
      if (taken !== undefined) return this.checkUnchanged(name, taken, stats);
      if (this.recoveredUpTo !== undefined && stats.mtimeMs <= this.recoveredUpTo) {
        // Taken by a batch already cleaned up: processed, and watched for changes like the others.
        this.markProcessed(name, { size: stats.size, mtimeMs: stats.mtimeMs });
        return;
      }
      this.candidates.observe(name, stats.size, stats.mtimeMs, this.ssc.clock.now());
    };
    watcher.on("add", seen);
    watcher.on("change", seen);
    // A removed file may come back under the same name as a new file.
    watcher.on("unlink", (path) => {
      this.processed.delete(basename(path));
      this.candidates.forget(basename(path));
    });
    watcher.on("error", (err) => console.error(`dstream: textFileStream(${this.directory}) watcher error:`, err));
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  }

  override async stopInput(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }

  override hasPendingInput(): boolean {
    return this.candidates.anyDue(this.ssc.clock.now());
  }

  async plan(): Promise<FilePlan> {
    const taken = await this.candidates.takeStable(this.ssc.clock.now());
    for (const f of taken) {
      this.markProcessed(f.name, { size: f.size, mtimeMs: f.mtimeMs });
      this.mtimeWatermark = Math.max(this.mtimeWatermark, f.mtimeMs);
    }
    return { files: taken.map(({ name, size }) => ({ name, size })), mtimeWatermark: this.mtimeWatermark };
  }

  private markProcessed(name: string, taken: TakenFile): void {
    this.processed.set(name, taken);
    this.candidates.forget(name);
  }

  /** A processed file changed: its batch read the old bytes, and the change is never read. Say so. */
  private checkUnchanged(name: string, taken: TakenFile, stats: Stats): void {
    const grew = taken.size !== undefined && stats.size !== taken.size;
    const touched = taken.mtimeMs !== undefined && stats.mtimeMs !== taken.mtimeMs;
    if (!grew && !touched) return;
    this.processed.set(name, { size: stats.size, mtimeMs: stats.mtimeMs }); // report each change once
    const event = { streamId: this.streamId, directory: this.directory, name, processedSize: taken.size, size: stats.size, time: this.ssc.clock.now() };
    console.warn(
      `dstream: textFileStream(${this.directory}): ${name} changed after a batch processed it (${taken.size ?? "?"} -> ${stats.size} bytes); ` +
        "the change is not processed. Write files elsewhere and move them into the directory once complete.",
    );
    this.ssc.listenerBus.post("onInputFileChanged", { fileInfo: event });
  }

  /** Files found after the first catch-up batch was planned go to the batches at or after the restart. */
  override planCatchUp(_time: Time, first: boolean): FilePlan | Promise<FilePlan> {
    return first ? this.plan() : { files: [], mtimeWatermark: this.mtimeWatermark };
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
