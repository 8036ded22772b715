import { existsSync, readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ledgerFiles } from '../src/composition/stores.ts';

/** What the embedded ledger's files take on disk, each with its WAL: the event file, and the read models' files together. */
export interface StoreOnDisk {
  eventFileBytes: number;
  readModelBytes: number;
}

const withWal = (file: string) => [file, `${file}-wal`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);

/** The files' sizes as they lie in the data dir (after a clean close the WAL is folded back in). */
export function storeOnDisk(dataDir: string): StoreOnDisk {
  const files = ledgerFiles(dataDir);
  return { eventFileBytes: withWal(files.events), readModelBytes: sum(readModelFiles(dataDir).map(withWal)) };
}

/**
 * The pages each file holds in use right now, as a reader sees it through the WAL (free pages left
 * out): the growth between two readings is what the writes between them took, while a server runs,
 * without waiting for a checkpoint and whatever WAL frames are rewritten.
 */
export function pagesInUse(dataDir: string): StoreOnDisk {
  const files = ledgerFiles(dataDir);
  return { eventFileBytes: usedBytes(files.events), readModelBytes: sum(readModelFiles(dataDir).map(usedBytes)) };
}

/** The read models' files there are in the data dir: the shared one, and those of projections kept on their own. */
function readModelFiles(dataDir: string): string[] {
  const { shared, own } = ledgerFiles(dataDir).readModels;
  return [shared, ...Object.values(own)].filter((file) => existsSync(file));
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function usedBytes(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const pragma = (name: string) => db.pragma(name, { simple: true }) as number;
    return (pragma('page_count') - pragma('freelist_count')) * pragma('page_size');
  } finally {
    db.close();
  }
}

/** The resident set of a process and its peak, in bytes, from /proc (Linux). */
export function memoryOf(pid: number): { rssBytes: number; peakRssBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}
