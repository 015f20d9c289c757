/**
 * Small DOM helpers: elements are built with {@link h} (text is always set as text, never as
 * HTML), and numbers are formatted the one way every page shows them.
 */
import { formatEther } from "viem";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** `h("button", { type: "button", onclick }, "Stake")`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "object" ? c : String(c));
  }
  return el;
}

/** Replaces the children of `el`. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "object" ? c : String(c));
  }
}

export const eth = (wei: bigint) => {
  const s = formatEther(wei);
  const [i, f = ""] = s.split(".");
  return `${i}${f ? "." + f.slice(0, 6).replace(/0+$/, "") : ""}`.replace(/\.$/, "") + " ETH";
};

export const short = (a: string | null | undefined) =>
  a ? `${a.slice(0, 8)}…${a.slice(-6)}` : "—";

/** A duration in seconds as "1 h 2 min", "45 s". */
export function duration(s: number): string {
  if (s <= 0) return "now";
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  if (d) return `${d} d ${hr} h`;
  if (hr) return `${hr} h ${m} min`;
  if (m) return `${m} min ${sec} s`;
  return `${sec} s`;
}

export const ago = (ms: number | null | undefined) =>
  ms ? `${duration(Math.round((Date.now() - ms) / 1000))} ago`.replace("now ago", "just now") : "—";

/** A definition list from [term, value] pairs; values may be nodes. */
export function dl(rows: [string, Child | Child[]][], attrs: Attrs = {}): HTMLDListElement {
  return h(
    "dl",
    attrs,
    rows.map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, ...[v].flat()))),
  );
}

/** A table with a caption (screen readers announce it) and header cells. */
export function table(
  caption: string,
  head: string[],
  rows: (Child | Child[])[][],
  rowAttrs: (i: number) => Attrs = () => ({}),
  empty = "none yet",
): HTMLElement {
  return h(
    "div",
    { class: "table-wrap", role: "region", "aria-label": caption, tabindex: 0 },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          head.map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.length
          ? rows.map((r, i) =>
              h(
                "tr",
                rowAttrs(i),
                r.map((c) => h("td", {}, ...[c].flat())),
              ),
            )
          : h("tr", {}, h("td", { colspan: head.length, class: "muted" }, empty)),
      ),
    ),
  );
}

/** Decodes output bytes the three ways the job page shows them. */
/** An image ID or digest as the CLI prints it: 0x and 64 hex digits. */
export function hex32(x: bigint | string): string {
  return `0x${BigInt(x).toString(16).padStart(64, "0")}`;
}

export function decodeOutput(hex: string): { hex: string; u32: string; utf8: string } {
  const clean = hex.replace(/^0x/, "");
  const bytes = new Uint8Array(clean.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
  const u32 =
    bytes.length > 0 && bytes.length % 4 === 0
      ? Array.from({ length: bytes.length / 4 }, (_, i) =>
          new DataView(bytes.buffer).getUint32(i * 4, true),
        ).join(", ")
      : "—";
  let utf8: string;
  try {
    utf8 = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    if (/[\u0000-\u0008\u000e-\u001f]/.test(utf8)) utf8 = "(not text)";
  } catch {
    utf8 = "(not UTF-8)";
  }
  return { hex: `0x${clean}`, u32, utf8 };
}
