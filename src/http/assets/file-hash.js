// SHA-256 of a chosen file, computed in the browser: the file is read in chunks and fed to an
// incremental hash (WebCrypto's digest takes the whole file at once), so large files need not fit in memory.

const SLICE = 4 * 1024 * 1024;

/** This browser cannot hash the file; the page falls back to uploading it. */
export class HashingUnsupported extends Error {}

/** Lowercase hex SHA-256 of `file`; `onProgress(bytesDone, bytesTotal)` after each chunk. */
export async function sha256OfFile(file, onProgress = () => {}) {
  let sha256;
  try {
    ({ sha256 } = await import('/assets/noble/sha2.js'));
  } catch (error) {
    throw new HashingUnsupported(`no incremental SHA-256 in this browser: ${error}`);
  }
  const hash = sha256.create();
  let done = 0;
  const take = (bytes) => {
    hash.update(bytes);
    done += bytes.length;
    onProgress(done, file.size);
  };
  if (typeof file.stream === 'function' && typeof ReadableStream === 'function') {
    const reader = file.stream().getReader();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      take(value);
    }
  } else if (typeof file.slice === 'function' && typeof FileReader === 'function') {
    for (let at = 0; at < file.size; at += SLICE) take(new Uint8Array(await readSlice(file.slice(at, at + SLICE))));
  } else {
    throw new HashingUnsupported('this browser cannot read the file in chunks');
  }
  return toHex(hash.digest());
}

function readSlice(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(blob);
  });
}

export function toHex(bytes) {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}
