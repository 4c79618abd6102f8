import { statSync } from 'node:fs';

/** A file changed less than this long ago may change again within the file system's timestamp granularity. */
const RACY_MS = 1_000;

/**
 * The parsed content of one file (hosts, resolv.conf), read again only when the file changed: one `stat` per use
 * instead of open, fstat, read and close with a parse, as glibc re-reads resolv.conf only when it changed. The file
 * is known by device, inode, size, mtime and ctime; one modified within the last second is read every time (a second
 * write in the same timestamp tick with the same size would look unchanged: git's "racily clean" rule). A file that
 * cannot be stat'ed (missing) is read every time, so the reader's own rule for it applies.
 * @internal
 */
export class FileMemo<T> {
  #key: string | undefined;
  #value: T | undefined;

  /** `read()`'s result for `path` (and `variant`, e.g. the hostname a parse depends on), from memory when unchanged. */
  async get(path: string, variant: string, read: () => Promise<T>): Promise<T> {
    let key: string | undefined;
    try {
      const st = statSync(path, { bigint: true });
      const newest = Math.max(Number(st.mtimeMs), Number(st.ctimeMs));
      if (Date.now() - newest >= RACY_MS) {
        key = `${path}\0${variant}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
      }
    } catch {
      key = undefined;
    }
    if (key !== undefined && key === this.#key) return this.#value as T;
    const value = await read();
    this.#key = key;
    this.#value = value;
    return value;
  }
}
