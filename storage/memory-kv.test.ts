import { MemoryKv } from "./memory-kv.js";
import { storageContract } from "./storage-contract.js";

storageContract("memory", {
  open: async () => new MemoryKv(),
  reopen: async (kv) => {
    await kv.close();
    return (kv as MemoryKv).reopen();
  },
});
