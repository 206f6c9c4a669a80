// A small, bounded cache of verified tokens (like the `jwt_cache_config` of Envoy's native jwt_authn filter): a
// token that was verified once (signature, claims, issuer, audience: none of which changes for the same token
// and configuration) is found again by its exact bytes, and only its time limits are checked again. One cache
// per configuration (it lives in the verifier of one root), so a configuration change starts empty.
//
// Bounded: CACHE_SETS × CACHE_WAYS entries, each at most MAX_CACHED_TOKEN_BYTES of token; two-way set-associative,
// a miss replaces the set's less recently used entry. A lookup compares the candidate with the cached token in
// constant time for its length (a cached token is another user's credential: how far a guess matches must not
// show in the time taken).

/** Tokens longer than this are never cached (Envoy's default `jwt_max_token_size`). */
export const MAX_CACHED_TOKEN_BYTES: i32 = 4096;
/** Sets of the cache (a power of two). */
const CACHE_SETS: i32 = 64;
const CACHE_WAYS: i32 = 2;
/** Entries in all: the native filter's default `jwt_cache_size` is 100. */
export const CACHE_ENTRIES: i32 = CACHE_SETS * CACHE_WAYS;

/** One verified token: its bytes, its time limits and the header values of its forwarded claims. */
export class CachedToken {
  constructor(
    public readonly token: ArrayBuffer,
    /** The `exp` claim (NaN when absent) and the `nbf` claim (NaN when absent). */
    public readonly expiry: f64,
    public readonly notBefore: f64,
    /** Header value of each forwarded claim, in configuration order; null when the claim sets no header. */
    public readonly claimValues: StaticArray<ArrayBuffer | null>,
  ) {}
}

/** The verified-token cache of one configuration. */
export class TokenCache {
  private readonly entries: StaticArray<CachedToken | null> = new StaticArray<CachedToken | null>(CACHE_ENTRIES);
  /** Per set: the way used least recently (0 or 1). */
  private readonly older: StaticArray<u8> = new StaticArray<u8>(CACHE_SETS);

  /** The cached entry for token bytes [start, end) of `token`, or null. */
  find(token: ArrayBuffer, start: i32, end: i32): CachedToken | null {
    const length = end - start;
    if (length > MAX_CACHED_TOKEN_BYTES) return null;
    const set = setOf(token, start, end);
    for (let way = 0; way < CACHE_WAYS; way++) {
      const entry = unchecked(this.entries[set * CACHE_WAYS + way]);
      if (entry != null && sameBytes(entry.token, token, start, length)) {
        unchecked(this.older[set] = <u8>(way ^ 1));
        return entry;
      }
    }
    return null;
  }

  /** Caches a verified token (a copy of bytes [start, end) of `token`), replacing its set's older entry. */
  insert(token: ArrayBuffer, start: i32, end: i32, expiry: f64, notBefore: f64, claimValues: StaticArray<ArrayBuffer | null>): void {
    const length = end - start;
    if (length > MAX_CACHED_TOKEN_BYTES) return;
    const copy = new ArrayBuffer(length);
    memory.copy(changetype<usize>(copy), changetype<usize>(token) + <usize>start, <usize>length);
    const set = setOf(token, start, end);
    const way = <i32>unchecked(this.older[set]);
    unchecked(this.entries[set * CACHE_WAYS + way] = new CachedToken(copy, expiry, notBefore, claimValues));
    unchecked(this.older[set] = <u8>(way ^ 1));
  }
}

/** The set of a token: from its last bytes (for a genuine token, the end of its signature: uniformly spread). */
function setOf(token: ArrayBuffer, start: i32, end: i32): i32 {
  const at = changetype<usize>(token);
  let hash: u32 = 0x811c9dc5; // FNV-1a over the last (up to) 8 bytes
  for (let i = max(start, end - 8); i < end; i++) hash = (hash ^ <u32>load<u8>(at + <usize>i)) * 0x01000193;
  return <i32>(hash >>> 7) & (CACHE_SETS - 1);
}

/** True if `cached` holds exactly bytes [start, start+length) of `candidate`; constant time for that length. */
function sameBytes(cached: ArrayBuffer, candidate: ArrayBuffer, start: i32, length: i32): bool {
  if (cached.byteLength != length) return false;
  const a = changetype<usize>(cached);
  const b = changetype<usize>(candidate) + <usize>start;
  let difference: u64 = 0;
  let i = 0;
  for (; i + 8 <= length; i += 8) difference |= load<u64>(a + <usize>i) ^ load<u64>(b + <usize>i);
  for (; i < length; i++) difference |= <u64>(load<u8>(a + <usize>i) ^ load<u8>(b + <usize>i));
  return difference == 0;
}
