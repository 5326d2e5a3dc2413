import { CheckpointStore } from "../../storage/checkpoint-store.js";
import { LevelKv } from "../../storage/level-kv.js";

/**
 * Makes the (closed) checkpoint in `dir` look created by a build before job ids: its meta record
 * loses `jobId`, as the meta records such builds wrote never had one.
 */
export async function dropJobId(dir: string): Promise<void> {
  const store = await CheckpointStore.over(await LevelKv.open(dir));
  try {
    const meta = await store.readMeta();
    if (meta === undefined) throw new Error(`dropJobId: no checkpoint in ${dir}`);
    const { jobId: _dropped, ...old } = meta;
    await store.writeMeta(old);
  } finally {
    await store.close();
  }
}
