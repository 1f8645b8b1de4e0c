// Two scanners over the same paths and the same bytes: the product's (scanner.ts) and the
// reference (reference_scanner.ts, the scanner before its fast paths). The equivalence
// test feeds both identically and compares what a caller can observe after every feed.

import { UsageScanner, coreScan, coreFinishDocument } from "../scanner";
import { ScanCore, NEWLINE } from "../scan_core";
import { UsagePaths } from "../paths";
import { FIELD_COUNT } from "../fields";
import { refScan, refFinishDocument } from "./reference_scanner";

export class ScanPair {
  product: UsageScanner;
  reference: UsageScanner;

  constructor(paths: UsagePaths, multiDoc: bool) {
    this.product = new UsageScanner(paths);
    this.reference = new UsageScanner(paths);
    this.product.multiDoc = multiDoc;
    this.reference.multiDoc = multiDoc;
  }

  /** Feeds [ptr, ptr+len) to both (line mode: as SSE data); both results as text. */
  feed(ptr: usize, len: usize, lineMode: bool): string {
    this.product.refreshPaths();
    this.reference.refreshPaths();
    const a = coreScan(this.product.core, ptr, len, lineMode);
    const b = refScan(this.reference.core, ptr, len, lineMode);
    return observed(this.product.core, a) + "\n" + observed(this.reference.core, b);
  }

  /** Feeds the "\n" joining two data lines to both. */
  newline(): string {
    const a = coreScan(this.product.core, NEWLINE, 1, false);
    const b = refScan(this.reference.core, NEWLINE, 1, false);
    return observed(this.product.core, a) + "\n" + observed(this.reference.core, b);
  }

  /** Ends the document in both; status and state as text. */
  finish(): string {
    const a = coreFinishDocument(this.product.core);
    const b = refFinishDocument(this.reference.core);
    return observed(this.product.core, a) + "\n" + observed(this.reference.core, b);
  }

  /** Starts a new document in both (counts stay), as an SSE event does. */
  resetDocument(): void {
    this.product.resetDocument();
    this.reference.resetDocument();
  }
}

// Everything a caller of the scanner can see, plus the parse state that decides what the
// next bytes do (state, depth), after a call that returned `r`.
function observed(c: ScanCore, r: usize): string {
  let s = "r=" + r.toString() + " state=" + c.state.toString() + " depth=" + c.depth.toString() +
    " found=" + c.found.toString() + " pend=" + c.pendMask.toString() + " text=" + c.textBytes.toString() +
    " docs=" + c.docs.toString() + " off=" + c.docOffset.toString() + " err=" + c.errorCode.toString() +
    "@" + c.errorOffset.toString() + " vals=";
  for (let i = 0; i < FIELD_COUNT; i++) {
    s += load<i64>(c.vals + (<usize>i << 3)).toString() + ",";
    if ((c.pendMask & (<u32>1 << <u32>i)) != 0) s += "p" + load<i64>(c.pend + (<usize>i << 3)).toString() + ",";
  }
  return s;
}
