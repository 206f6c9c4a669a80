// Lower-case hexadecimal (RFC 4648 §8 "base 16"), handy for logging digests and in tests.

const HEX_DIGITS = "0123456789abcdef";

/** Lower-case hex encoding of `data` (two characters per byte). */
export function hexEncode(data: ArrayBuffer): string {
  const length = data.byteLength;
  const out = __new(<usize>length << 2, idof<string>());
  const input = changetype<usize>(data);
  const digits = changetype<usize>(HEX_DIGITS);
  for (let i = 0; i < length; i++) {
    const byte = load<u8>(input + i);
    store<u16>(out + (<usize>i << 2), load<u16>(digits + (<usize>(byte >>> 4) << 1)));
    store<u16>(out + (<usize>i << 2) + 2, load<u16>(digits + (<usize>(byte & 15) << 1)));
  }
  return changetype<string>(out);
}
