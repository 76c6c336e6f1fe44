import type { PolicyDocument } from './types.js';

/** One stored policy version. The number and checksum never change once written. */
export interface PolicyRecord {
  readonly version: number;
  /** SHA-256 (hex) of the document's canonical JSON, as written (before `${VAR}` substitution). */
  readonly checksum: string;
  /** Epoch ms when the version was stored. */
  readonly createdAt: number;
  readonly message: string;
  readonly document: PolicyDocument;
}

/** One change of the active version. */
export interface PolicyActivation {
  readonly version: number;
  readonly at: number;
  readonly message: string;
  readonly kind: 'activate' | 'rollback';
}

/** Everything a policy backend keeps: versions, the active pointer and its history. */
export interface PolicyState {
  /** Grows by one on every write; writers compare it to detect a concurrent write. */
  readonly revision: number;
  readonly versions: readonly PolicyRecord[];
  /** Newest last; the last entry is the active version. */
  readonly activations: readonly PolicyActivation[];
}

/** What one replica (one process using a policy store) last did. */
export interface ReplicaStatus {
  readonly replica: string;
  /** The version it routes by now. */
  readonly applied?: { readonly version: number; readonly checksum: string; readonly at: number };
  /** The last active version it refused to apply, and why (it kept serving `applied`). */
  readonly refused?: { readonly version: number; readonly reason: string; readonly at: number };
  /** When it last reported. */
  readonly seenAt: number;
  /** When it drops out of the fleet view unless it reports again (absent: never). */
  readonly expiresAt?: number;
}

/**
 * Where a policy store keeps its versions: memory, a file, Redis, or your own.
 *
 * `read` and `write` are the whole contract: `write` replaces the state only when the stored
 * revision is still the one the writer read (compare-and-set), so two processes activating at
 * once never lose a version. The rest is optional: `watch` for change notifications, `report`,
 * `replicas` and `forget` for the fleet view.
 */
export interface PolicyBackend {
  read(): Promise<PolicyState>;
  /** Stores `next` when the stored revision is still `revision`; false when another writer got there first. */
  write(revision: number, next: PolicyState): Promise<boolean>;
  /** Calls `onChange` soon after any write (from any process); returns the unsubscribe. */
  watch?(onChange: () => void): () => void;
  report?(status: ReplicaStatus): Promise<void>;
  replicas?(): Promise<ReplicaStatus[]>;
  /**
   * Removes a replica from the fleet view: when `seenAt` is given, only if its last report is not
   * newer (so a replica that reported again meanwhile stays).
   */
  forget?(replica: string, seenAt?: number): Promise<void>;
  close?(): Promise<void>;
}

/** The state of a backend that has never been written. */
export const EMPTY_POLICY_STATE: PolicyState = Object.freeze({ revision: 0, versions: [], activations: [] });
