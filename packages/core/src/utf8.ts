const encoder = new TextEncoder();

/**
 * The length of `s` in UTF-8 bytes, as stored (a lone surrogate counts as U+FFFD, 3 bytes, as in `Buffer.byteLength`).
 * TextEncoder rather than Buffer: the schemas that use it also run in the browser.
 */
export function utf8Length(s: string): number {
  return encoder.encode(s).byteLength;
}
