// Comparison of secrets without data-dependent early exits.

/**
 * True if `candidate` and `expected` hold the same bytes. The running time depends only on the length of
 * `candidate` (the untrusted input), never on where the first difference is or on the secret's content,
 * so it is safe for API keys, signatures and MACs.
 */
export function constantTimeEqual(candidate: ArrayBuffer, expected: ArrayBuffer): bool {
  const candidateLength = candidate.byteLength;
  const expectedLength = expected.byteLength;
  let difference: u32 = <u32>(candidateLength ^ expectedLength);
  // With an empty secret compare against a zero byte so the loop still runs over the whole candidate.
  const expectedPointer = expectedLength > 0 ? changetype<usize>(expected) : changetype<usize>(zeroByte);
  const wrap = expectedLength > 0 ? expectedLength : 1;
  const candidatePointer = changetype<usize>(candidate);
  for (let i = 0; i < candidateLength; i++) {
    difference |= <u32>(load<u8>(candidatePointer + i) ^ load<u8>(expectedPointer + (i % wrap)));
  }
  return difference == 0;
}

/** constantTimeEqual over the UTF-8 encodings of two strings. */
export function constantTimeEqualString(candidate: string, expected: string): bool {
  return constantTimeEqual(String.UTF8.encode(candidate), String.UTF8.encode(expected));
}

const zeroByte = new ArrayBuffer(1);
