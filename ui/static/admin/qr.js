// A QR code encoder for the pairing link, which has no server-drawn SVG:
// byte mode (UTF-8), error correction level M (15 %), versions 1–20 (up
// to 666 bytes), after ISO/IEC 18004. The mask is chosen by the penalty
// rules exactly as github.com/skip2/go-qrcode (the server's encoder)
// scores them, so for the same byte-mode text both draw the same symbol;
// a browser test checks that against the Go package.

// Level M per version: [EC codewords per block, blocks, data codewords,
// blocks, data codewords] (the second group one codeword longer).
const LEVEL_M = [null,
  [10, 1, 16, 0, 0], [16, 1, 28, 0, 0], [26, 1, 44, 0, 0], [18, 2, 32, 0, 0], [24, 2, 43, 0, 0],
  [16, 4, 27, 0, 0], [18, 4, 31, 0, 0], [22, 2, 38, 2, 39], [22, 3, 36, 2, 37], [26, 4, 43, 1, 44],
  [30, 1, 50, 4, 51], [22, 6, 36, 2, 37], [22, 8, 37, 1, 38], [24, 4, 40, 5, 41], [24, 5, 41, 5, 42],
  [28, 7, 45, 3, 46], [28, 10, 46, 1, 47], [26, 9, 43, 4, 44], [26, 3, 44, 11, 45], [26, 3, 41, 13, 42],
];

const dataBytes = (v) => { const [, n1, d1, n2, d2] = LEVEL_M[v]; return n1 * d1 + n2 * d2; };
const countBits = (v) => (v < 10 ? 8 : 16);

/** alignment returns the centres of version v's alignment patterns. */
function alignment(v) {
  if (v === 1) return [];
  const n = Math.floor(v / 7) + 2;
  const size = v * 4 + 17;
  const step = v === 32 ? 26 : Math.ceil((size - 13) / (n * 2 - 2)) * 2;
  const out = [6];
  for (let pos = size - 7; out.length < n; pos -= step) out.splice(1, 0, pos);
  return out;
}

// GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
function mul(x, y) {
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z;
}

function divisor(degree) {
  const out = new Array(degree).fill(0);
  out[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      out[j] = mul(out[j], root);
      if (j + 1 < degree) out[j] ^= out[j + 1];
    }
    root = mul(root, 2);
  }
  return out;
}

function remainder(data, div) {
  const out = new Array(div.length).fill(0);
  for (const b of data) {
    const factor = b ^ out.shift();
    out.push(0);
    div.forEach((c, i) => { out[i] ^= mul(c, factor); });
  }
  return out;
}

/** codewords is the data with padding, split in blocks, with EC, interleaved. */
function codewords(bytes, v) {
  const bits = [];
  const put = (val, len) => { for (let i = len - 1; i >= 0; i--) bits.push((val >>> i) & 1); };
  put(0b0100, 4);
  put(bytes.length, countBits(v));
  for (const b of bytes) put(b, 8);
  const cap = dataBytes(v) * 8;
  put(0, Math.min(4, cap - bits.length));
  put(0, (8 - (bits.length % 8)) % 8);
  const data = [];
  for (let i = 0; i < bits.length; i += 8) data.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0));
  for (let pad = 0xec; data.length < dataBytes(v); pad ^= 0xec ^ 0x11) data.push(pad);
  const [ec, n1, d1, n2, d2] = LEVEL_M[v];
  const div = divisor(ec);
  const blocks = [];
  let at = 0;
  for (const [n, d] of [[n1, d1], [n2, d2]]) {
    for (let i = 0; i < n; i++, at += d) {
      const part = data.slice(at, at + d);
      blocks.push([part, remainder(part, div)]);
    }
  }
  const out = [];
  for (let i = 0; i < d1 + (n2 ? 1 : 0); i++) for (const [part] of blocks) if (i < part.length) out.push(part[i]);
  for (let i = 0; i < ec; i++) for (const [, e] of blocks) out.push(e[i]);
  return out;
}

/** Symbol is one QR matrix: modules[y][x], and which ones are function patterns. */
class Symbol {
  constructor(v) {
    this.v = v;
    this.size = v * 4 + 17;
    this.m = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
    this.fn = Array.from({ length: this.size }, () => new Array(this.size).fill(false));
  }

  set(x, y, dark) { this.m[y][x] = dark; this.fn[y][x] = true; }

  finder(cx, cy) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx, y = cy + dy;
        if (x < 0 || y < 0 || x >= this.size || y >= this.size) continue;
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        this.set(x, y, d !== 2 && d !== 4);
      }
    }
  }

  functions() {
    const n = this.size;
    for (let i = 0; i < n; i++) { this.set(6, i, i % 2 === 0); this.set(i, 6, i % 2 === 0); }
    this.finder(3, 3); this.finder(n - 4, 3); this.finder(3, n - 4);
    const al = alignment(this.v);
    for (const ay of al) {
      for (const ax of al) {
        if ((ax === 6 && ay === 6) || (ax === 6 && ay === n - 7) || (ax === n - 7 && ay === 6)) continue;
        for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) this.set(ax + dx, ay + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    }
    this.format(0); // reserves the format area; drawn for real per mask
    if (this.v >= 7) {
      let rem = this.v;
      for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
      const bits = (this.v << 12) | rem;
      for (let i = 0; i < 18; i++) {
        const dark = ((bits >>> i) & 1) === 1, a = n - 11 + (i % 3), b = Math.floor(i / 3);
        this.set(a, b, dark);
        this.set(b, a, dark);
      }
    }
  }

  /** format draws the level-M format information for mask. */
  format(mask) {
    const data = mask; // level M is 00
    let rem = data;
    for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    const bits = ((data << 10) | rem) ^ 0x5412;
    const bit = (i) => ((bits >>> i) & 1) === 1;
    const n = this.size;
    for (let i = 0; i <= 5; i++) this.set(8, i, bit(i));
    this.set(8, 7, bit(6)); this.set(8, 8, bit(7)); this.set(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.set(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) this.set(n - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.set(8, n - 15 + i, bit(i));
    this.set(8, n - 8, true);
  }

  place(words) {
    const n = this.size;
    let i = 0;
    for (let right = n - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (let vert = 0; vert < n; vert++) {
        for (let j = 0; j < 2; j++) {
          const x = right - j;
          const y = ((right + 1) & 2) === 0 ? n - 1 - vert : vert;
          if (this.fn[y][x]) continue;
          this.m[y][x] = i < words.length * 8 && ((words[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
          i++;
        }
      }
    }
  }

  masked(mask) {
    const out = new Symbol(this.v);
    out.m = this.m.map((row) => row.slice());
    out.fn = this.fn;
    const test = [
      (x, y) => (x + y) % 2 === 0, (x, y) => y % 2 === 0, (x) => x % 3 === 0, (x, y) => (x + y) % 3 === 0,
      (x, y) => (Math.floor(y / 2) + Math.floor(x / 3)) % 2 === 0, (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
      (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0, (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
    ][mask];
    for (let y = 0; y < this.size; y++) for (let x = 0; x < this.size; x++) if (!this.fn[y][x] && test(x, y)) out.m[y][x] = !out.m[y][x];
    out.format(mask);
    return out;
  }

  /** penalty scores the symbol as go-qrcode does (its rule 1 counts from six). */
  penalty() {
    const n = this.size, m = this.m;
    let p = 0;
    for (const get of [(a, b) => m[b][a], (a, b) => m[a][b]]) {
      for (let a = 0; a < n; a++) {
        let last = get(a, 0), count = 1, buf = get(a, 0) ? 1 : 0;
        for (let b = 1; b < n; b++) {
          const v = get(a, b);
          if (v !== last) { count = 1; last = v; } else if (++count === 6) p += 4; else if (count > 6) p++;
          buf = ((buf << 1) | (v ? 1 : 0)) & 0xffff;
          if ((buf & 0x7ff) === 0x05d || (buf & 0x7ff) === 0x5d0 || (b === n - 1 && (buf & 0x7f) === 0x5d)) { p += 40; buf = 0xff; }
        }
      }
    }
    let dark = 0;
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        if (m[y][x]) dark++;
        if (x && y && m[y][x] === m[y][x - 1] && m[y][x] === m[y - 1][x] && m[y][x] === m[y - 1][x - 1]) p += 3;
      }
    }
    return p + 10 * Math.floor(Math.abs(Math.floor((n * n) / 2) - dark) / Math.floor((n * n) / 20));
  }
}

/** qrMatrix encodes text: rows of booleans (true is dark), no quiet zone. */
export function qrMatrix(text) {
  const bytes = [...new TextEncoder().encode(text)];
  let v = 1;
  while (v <= 20 && 4 + countBits(v) + bytes.length * 8 > dataBytes(v) * 8) v++;
  if (v > 20) throw new Error('qr: text too long');
  const base = new Symbol(v);
  base.functions();
  base.place(codewords(bytes, v));
  let best = null, score = 0;
  for (let mask = 0; mask < 8; mask++) {
    const s = base.masked(mask);
    const p = s.penalty();
    if (!best || p < score) { best = s; score = p; }
  }
  return best.m;
}

/** qrSVG draws text's QR code as an SVG element with a 4-module quiet zone. */
export function qrSVG(text, label) {
  const m = qrMatrix(text);
  const n = m.length + 8;
  let d = '';
  m.forEach((row, y) => row.forEach((dark, x) => { if (dark) d += `M${x + 4} ${y + 4}h1v1h-1z`; }));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${n} ${n}`);
  svg.setAttribute('class', 'qr-img');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  const bg = document.createElementNS(ns, 'rect');
  bg.setAttribute('width', n); bg.setAttribute('height', n); bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', d); path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}
