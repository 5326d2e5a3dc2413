import { Writable } from "node:stream";

/**
 * A terminal screen of `columns` width that understands what readline and the status line
 * write: text (wrapping at the edge), \r, \n (as \r\n), and the ANSI sequences ESC[nA/B/C/D (move),
 * ESC[nG (column), ESC[0J/ESC[J (erase to end of screen) and ESC[2K/ESC[0K/ESC[K (erase line).
 * Tests read `rows` and the cursor to see what a user would see.
 */
export class Screen extends Writable {
  readonly isTTY = true;
  rows: string[] = [""];
  row = 0;
  col = 0;

  constructor(readonly columns = 80) {
    super({ decodeStrings: false });
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.feed(String(chunk));
    done();
  }

  /** The visible rows with trailing spaces removed, and the empty rows at the bottom dropped. */
  text(): string[] {
    const rows = this.rows.map((r) => r.trimEnd());
    while (rows.length > 1 && rows[rows.length - 1] === "" && rows.length - 1 > this.row) rows.pop();
    return rows;
  }

  private feed(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s[i] as string;
      if (c === "\x1b" && s[i + 1] === "[") {
        const m = /^\x1b\[(\d*)([A-Za-z])/.exec(s.slice(i));
        if (m === null) throw new Error(`Screen: unsupported escape ${JSON.stringify(s.slice(i, i + 8))}`);
        this.escape(m[1] === "" ? undefined : Number(m[1]), m[2] as string);
        i += m[0].length - 1;
      } else if (c === "\r") this.col = 0;
      // A terminal's output processing turns \n into \r\n (ONLCR; raw mode keeps it on).
      else if (c === "\n") this.moveTo(this.row + 1, 0);
      else {
        if (this.col >= this.columns) this.moveTo(this.row + 1, 0);
        const line = (this.rows[this.row] ?? "").padEnd(this.col, " ");
        this.rows[this.row] = line.slice(0, this.col) + c + line.slice(this.col + 1);
        this.col++;
      }
    }
  }

  private escape(n: number | undefined, code: string): void {
    switch (code) {
      case "A": return this.moveTo(Math.max(0, this.row - (n ?? 1)), this.col);
      case "B": return this.moveTo(this.row + (n ?? 1), this.col);
      case "C": return void (this.col = Math.min(this.columns - 1, this.col + (n ?? 1)));
      case "D": return void (this.col = Math.max(0, this.col - (n ?? 1)));
      case "G": return void (this.col = (n ?? 1) - 1);
      case "J":
        if ((n ?? 0) !== 0) throw new Error(`Screen: unsupported ESC[${n}J`);
        this.rows[this.row] = (this.rows[this.row] ?? "").slice(0, this.col);
        this.rows.length = this.row + 1;
        return;
      case "K":
        if (n === 2) this.rows[this.row] = "";
        else if ((n ?? 0) === 0) this.rows[this.row] = (this.rows[this.row] ?? "").slice(0, this.col);
        else throw new Error(`Screen: unsupported ESC[${n}K`);
        return;
      default:
        throw new Error(`Screen: unsupported ESC[${n ?? ""}${code}`);
    }
  }

  private moveTo(row: number, col: number): void {
    while (this.rows.length <= row) this.rows.push("");
    this.row = row;
    this.col = col;
  }
}
