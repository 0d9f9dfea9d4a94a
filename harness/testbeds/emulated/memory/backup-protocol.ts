/**
 * The checkpoint stream from the primary (the controller) to the backup process, over TCP:
 *
 *   header   24 bytes: magic u32, epoch u32, description length u32, range count u32, payload bytes f64
 *   description  JSON EpochDescription
 *   ranges   range count x (start f64, end f64): the copied ranges, process after process
 *   payload  the bytes of every range, in the same order
 *
 * and the backup's acknowledgement, sent once the whole epoch is applied: 4 bytes, the epoch (u32).
 * All little-endian. Addresses are below 2^47, so f64 holds them exactly.
 *
 * Any local process can connect to a loopback port, so a connection first sends the link's token
 * (TOKEN_BYTES random bytes the primary gave the backup over its IPC channel); the backup takes one
 * such connection and closes every other one. Every size read from the stream is bounded before
 * anything is allocated.
 */
export const TOKEN_BYTES = 32;
/** Bounds on what one epoch may announce: far above any real epoch, far below harm. */
export const LIMITS = {
  descriptionBytes: 64 * 2 ** 20,
  rangeCount: 2 ** 24,
  /** Writable memory of one replicated process (one region is one Buffer). */
  regionBytes: 2 ** 32 - 1,
  processBytes: 64 * 2 ** 30,
};
export const MAGIC = 0x52424550; // "RBEP"
export const HEADER_BYTES = 24;

export interface ProcessDelta {
  pid: number;
  /** The process's writable regions as [start, end, ...], when they changed (or on first sight). */
  layout?: number[];
  /** How many of the epoch's ranges belong to this process. */
  ranges: number;
}

export interface EpochDescription {
  processes: ProcessDelta[];
  /** Processes that exited: the backup drops their replicas. */
  gone: number[];
}

export function encodeHeader(
  epoch: number,
  description: Buffer,
  rangeCount: number,
  payloadBytes: number,
): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(epoch, 4);
  header.writeUInt32LE(description.length, 8);
  header.writeUInt32LE(rangeCount, 12);
  header.writeDoubleLE(payloadBytes, 16);
  return header;
}

/** Control requests to the backup process over its IPC channel (tests and diagnostics). */
export type BackupRequest =
  | { id: number; type: 'digest' }
  | { id: number; type: 'read'; pid: number; start: number; end: number };

/** Per process: every replicated region with the SHA-256 of its bytes. */
export type ReplicaDigest = Record<number, { start: number; end: number; sha256: string }[]>;
