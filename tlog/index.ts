// The transparency-log formats: RFC 6962/9162 Merkle trees and the C2SP signed-note,
// tlog-checkpoint, tlog-tiles and tlog-proof texts. Pure: it depends on node:crypto only.
export * from './checkpoint.ts';
export * from './encoding.ts';
export * from './errors.ts';
export * from './frontier.ts';
export * from './merkle.ts';
export * from './note.ts';
export * from './proof.ts';
export * from './tiles.ts';
