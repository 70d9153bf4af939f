import { StringDecoder } from "node:string_decoder";

/** Longest line kept; the rest of a longer line is dropped (with a marker) so memory stays bounded. */
export const MAX_LINE_CHARS = 8 * 1024;
const TRUNCATED = " …[line truncated]";

/**
 * Splits a byte stream into lines without ever holding more than one (capped) partial line. Decodes UTF-8
 * across chunk boundaries, drops a trailing `\r`, and cuts lines longer than `maxChars`.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  /** Inside an over-long line: skip until its newline. */
  private skipping = false;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxChars = MAX_LINE_CHARS,
  ) {}

  push(chunk: Buffer): void {
    this.feed(this.decoder.write(chunk));
  }

  end(): void {
    this.feed(this.decoder.end());
    if (this.partial.length > 0 && !this.skipping) this.emit(this.partial);
    this.partial = "";
    this.skipping = false;
  }

  private feed(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      const piece = nl === -1 ? text.slice(start) : text.slice(start, nl);
      if (!this.skipping) {
        if (this.partial.length + piece.length > this.maxChars) {
          this.emit(this.partial + piece.slice(0, this.maxChars - this.partial.length) + TRUNCATED);
          this.partial = "";
          this.skipping = nl === -1;
        } else if (nl === -1) {
          this.partial += piece;
        } else {
          const line = this.partial + piece;
          this.partial = "";
          this.emit(line.endsWith("\r") ? line.slice(0, -1) : line);
        }
      } else if (nl !== -1) {
        this.skipping = false;
      }
      if (nl === -1) return;
      start = nl + 1;
    }
  }
}
