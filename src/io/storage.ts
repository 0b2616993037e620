// Storage adapters: where model files and checkpoints live, as bytes by key. Memory works
// everywhere; IndexedDB and the Origin Private File System in browsers and workers
// (feature-detected, never through localStorage or base64); download/upload for users'
// own files. Files on disk (Node, Deno, Bun) are in polyhead/node.
import { IoError } from "./errors.js";

/** Bytes by key. Keys are plain names ("model.safetensors", "ckpt-000120"). */
export interface Storage {
  /** The bytes stored under `key` (an IoError when there are none). */
  read(key: string): Promise<Uint8Array>;
  /** Replace the key's bytes whole (a reader sees the old bytes or the new, never a mix). */
  write(key: string, bytes: Uint8Array): Promise<void>;
  /** Delete `key` (nothing happens when it is absent). */
  remove(key: string): Promise<void>;
  /** Keys, sorted. */
  list(): Promise<string[]>;
}

const notFound = (where: string, key: string): never => { throw new IoError("NotFound", `${where}: no "${key}"`); };

function checkKey(where: string, key: unknown): string {
  if (typeof key !== "string" || !key || key.includes("/") || key.includes("\\") || key === "." || key === "..") {
    throw new IoError("InvalidKey", `${where}: key must be a non-empty name without slashes, got ${JSON.stringify(key)}`);
  }
  return key;
}

/** Bytes held in memory (copies in and out, so callers cannot change what is stored). */
export function memoryStorage(): Storage {
  const m = new Map<string, Uint8Array>();
  return {
    async read(key) { const b = m.get(checkKey("memoryStorage", key)); return b ? b.slice() : notFound("memoryStorage", key); },
    async write(key, bytes) { m.set(checkKey("memoryStorage", key), bytes.slice()); },
    async remove(key) { m.delete(checkKey("memoryStorage", key)); },
    async list() { return [...m.keys()].sort(); },
  };
}

const request = <T>(r: IDBRequest<T>): Promise<T> => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });

/** An IndexedDB object store of byte arrays (browsers, workers). */
export function indexedDBStorage(database = "polyhead", store = "files"): Storage {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) throw new IoError("Unsupported", "indexedDBStorage: this runtime has no indexedDB");
  let db: Promise<IDBDatabase> | null = null;
  const open = () => db ??= new Promise<IDBDatabase>((res, rej) => {
    const r = idb.open(database, 1);
    r.onupgradeneeded = () => { if (!r.result.objectStoreNames.contains(store)) r.result.createObjectStore(store); };
    r.onsuccess = () => res(r.result);
    r.onerror = () => rej(r.error);
  });
  const tx = async (mode: IDBTransactionMode) => (await open()).transaction(store, mode).objectStore(store);
  return {
    async read(key) {
      const v = await request((await tx("readonly")).get(checkKey("indexedDBStorage", key)));
      return v instanceof Uint8Array ? v : v instanceof ArrayBuffer ? new Uint8Array(v) : notFound("indexedDBStorage", key);
    },
    async write(key, bytes) {
      const s = await tx("readwrite");
      await request(s.put(bytes.slice(), checkKey("indexedDBStorage", key)));
      await new Promise<void>((res, rej) => { s.transaction.oncomplete = () => res(); s.transaction.onerror = () => rej(s.transaction.error); });
    },
    async remove(key) { await request((await tx("readwrite")).delete(checkKey("indexedDBStorage", key))); },
    async list() { return ((await request((await tx("readonly")).getAllKeys())) as IDBValidKey[]).map(String).sort(); },
  };
}

/** A folder of the Origin Private File System (browsers, workers). */
export function opfsStorage(folder = "polyhead"): Storage {
  const sm = (globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<FileSystemDirectoryHandle> } } }).navigator?.storage;
  if (!sm?.getDirectory) throw new IoError("Unsupported", "opfsStorage: this runtime has no Origin Private File System (navigator.storage.getDirectory)");
  const dir = (async () => (await sm.getDirectory!()).getDirectoryHandle(folder, { create: true }))();
  return {
    async read(key) {
      let h: FileSystemFileHandle;
      try { h = await (await dir).getFileHandle(checkKey("opfsStorage", key)); } catch { return notFound("opfsStorage", key); }
      return new Uint8Array(await (await h.getFile()).arrayBuffer());
    },
    async write(key, bytes) {
      const d = await dir;
      // createWritable writes a swap file that replaces the key's file only on close(),
      // so the old bytes stay whole if the page dies mid-write
      const h = await d.getFileHandle(checkKey("opfsStorage", key), { create: true });
      const w = await h.createWritable();
      await w.write(bytes as BufferSource);
      await w.close();
    },
    async remove(key) { try { await (await dir).removeEntry(checkKey("opfsStorage", key)); } catch { /* absent */ } },
    async list() {
      const out: string[] = [];
      for await (const k of (await dir as unknown as { keys(): AsyncIterable<string> }).keys()) out.push(k);
      return out.sort();
    },
  };
}

/** Offer bytes to the user as a file download (browsers). */
export function downloadBytes(bytes: Uint8Array, filename: string, type = "application/octet-stream"): void {
  const doc = (globalThis as { document?: Document }).document;
  if (!doc || typeof URL?.createObjectURL !== "function") throw new IoError("Unsupported", "downloadBytes: needs a browser page (document and URL.createObjectURL)");
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = doc.createElement("a");
  a.href = url;
  a.download = filename;
  a.style.display = "none";
  doc.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** Ask the user for a file and return its bytes (browsers; call from a user gesture). */
export function uploadBytes(accept = ".safetensors,.json"): Promise<Uint8Array> {
  const doc = (globalThis as { document?: Document }).document;
  if (!doc) throw new IoError("Unsupported", "uploadBytes: needs a browser page (document)");
  return new Promise((res, rej) => {
    const input = doc.createElement("input");
    input.type = "file";
    input.accept = accept;
    input.onchange = async () => {
      const f = input.files?.[0];
      if (!f) return rej(new IoError("NotFound", "uploadBytes: no file chosen"));
      res(new Uint8Array(await f.arrayBuffer()));
    };
    input.click();
  });
}
