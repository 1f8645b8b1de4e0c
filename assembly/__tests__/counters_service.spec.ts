import { ReportQueue, backoffMs, MAX_REPORT_ATTEMPTS } from "../counters/report_queue";
import { ServiceCallHandler, ServiceFailure, ServiceMethod, ServiceStats, ServiceTransport } from "../counters/service";
import { CounterView, ViewStore, decodeView, encodeView, VIEW_SIZE } from "../counters/view";
import { InflightReservations } from "../counters/inflight";
import { MemoryCounters } from "../counters/memory";

/** Records calls; answers them when the test says. */
class FakeTransport extends ServiceTransport {
  handlers: Array<ServiceCallHandler> = new Array<ServiceCallHandler>();
  requests: Array<ArrayBuffer> = new Array<ArrayBuffer>();
  cancelled: i32 = 0;
  refuse: bool = false;

  call(cluster: string, method: ServiceMethod, request: ArrayBuffer, timeoutMs: u32, fromRoot: bool, handler: ServiceCallHandler): u32 {
    if (this.refuse) return 0;
    this.handlers.push(handler);
    this.requests.push(request);
    return <u32>this.handlers.length;
  }
  cancel(token: u32): void { this.cancelled++; }
  answerLast(): void { this.handlers[this.handlers.length - 1].onAnswer(0, 0); }
  failLast(): void { this.handlers[this.handlers.length - 1].onFailure(ServiceFailure.Unavailable); }
}

const REQUEST = new ArrayBuffer(3);

describe("report queue", () => {
  it("backs off 100 ms, doubling, at most 5 s", () => {
    expect(backoffMs(1)).toBe(100);
    expect(backoffMs(2)).toBe(200);
    expect(backoffMs(3)).toBe(400);
    expect(backoffMs(7)).toBe(5000);
    expect(backoffMs(100)).toBe(5000);
  });
  it("sends at once and counts an answered report", () => {
    const t = new FakeTransport();
    const stats = new ServiceStats();
    const q = new ReportQueue(t, stats);
    q.send("c", ServiceMethod.Report, REQUEST, 100);
    expect(q.pending).toBe(1);
    t.answerLast();
    expect(q.pending).toBe(0);
    expect(stats.reportsSent).toBe(1);
  });
  it("retries a failed report after its backoff, on tick", () => {
    const t = new FakeTransport();
    const stats = new ServiceStats();
    const q = new ReportQueue(t, stats);
    q.send("c", ServiceMethod.Report, REQUEST, 100);
    t.failLast();
    expect(q.pending).toBe(1);
    q.tick(1000); // times the retry: due at 1100
    expect(t.requests.length).toBe(1);
    q.tick(1099);
    expect(t.requests.length).toBe(1);
    q.tick(1100);
    expect(t.requests.length).toBe(2);
    expect(stats.reportsRetried).toBe(1);
    t.answerLast();
    expect(stats.reportsSent).toBe(1);
    expect(q.pending).toBe(0);
  });
  it("gives a report up after its last attempt, counted lost", () => {
    const t = new FakeTransport();
    const stats = new ServiceStats();
    const q = new ReportQueue(t, stats);
    q.send("c", ServiceMethod.Report, REQUEST, 100);
    for (let i = 0; i < 100; i++) {
      if (t.requests.length > MAX_REPORT_ATTEMPTS) break;
      if (q.pending == 0) break;
      if (t.requests.length == i + 1) t.failLast();
      q.tick(<i64>i * 10000);
      q.tick(<i64>i * 10000 + 6000);
    }
    expect(t.requests.length).toBe(MAX_REPORT_ATTEMPTS);
    expect(stats.reportsLost).toBe(1);
    expect(q.pending).toBe(0);
  });
  it("keeps a report the transport refused to start, for a retry", () => {
    const t = new FakeTransport();
    t.refuse = true;
    const q = new ReportQueue(t, new ServiceStats());
    q.send("c", ServiceMethod.Report, REQUEST, 100);
    expect(q.pending).toBe(1);
    t.refuse = false;
    q.tick(0);
    q.tick(100);
    expect(t.requests.length).toBe(1);
  });
});

describe("counter views", () => {
  it("round-trip through their encoding, negative pending included", () => {
    const v = new CounterView().fresh(60000, 60000);
    v.remaining = 500; v.fetchedMs = 61000; v.pending = -1; v.reporting = 7; v.reserved = 900; v.leaseUntilMs = 62000; v.syncedMs = 61500;
    const out = new CounterView();
    expect(decodeView(encodeView(v, new ArrayBuffer(VIEW_SIZE)), out)).toBe(true);
    expect(out.pending).toBe(-1);
    expect(out.reserved).toBe(900);
    expect(out.budget()).toBe(500 + 1 - 7 - 900);
  });
  it("refuse another size, magic or a zero window", () => {
    expect(decodeView(new ArrayBuffer(VIEW_SIZE - 1), new CounterView())).toBe(false);
    expect(decodeView(new ArrayBuffer(VIEW_SIZE), new CounterView())).toBe(false);
    expect(decodeView(encodeView(new CounterView(), new ArrayBuffer(VIEW_SIZE)), new CounterView())).toBe(false);
  });
  it("read as fresh when absent or for an older window", () => {
    const store = new MemoryCounters();
    const vs = new ViewStore(store);
    const key = String.UTF8.encode("k");
    expect(vs.read(key, 60000, 60000)).toBe(true);
    vs.view.remaining = 10;
    vs.view.fetchedMs = 1;
    expect(vs.write(key)).toBe(0);
    expect(vs.read(key, 60000, 60000)).toBe(true);
    expect(vs.view.remaining).toBe(10);
    expect(vs.read(key, 120000, 60000)).toBe(true);
    expect(vs.view.remaining).toBe(0);
    expect(vs.view.fetchedMs).toBe(0);
  });
});

describe("in-flight reservations", () => {
  it("add up per window and are given back", () => {
    const r = new InflightReservations(new MemoryCounters());
    const key = String.UTF8.encode("k");
    expect(r.add(key, 0, 60000, 999)).toBe(true);
    expect(r.add(key, 0, 60000, 500)).toBe(true);
    expect(r.read(key, 30000, 60000)).toBe(1499);
    expect(r.add(key, 0, 60000, -999)).toBe(true);
    expect(r.read(key, 30000, 60000)).toBe(500);
  });
  it("lapse with their window: a later window starts at 0, and an old give-back leaves it alone", () => {
    const r = new InflightReservations(new MemoryCounters());
    const key = String.UTF8.encode("k");
    r.add(key, 0, 60000, 999);
    expect(r.read(key, 60000, 60000)).toBe(0);
    r.add(key, 60000, 60000, 10);
    expect(r.add(key, 0, 60000, -999)).toBe(true);
    expect(r.read(key, 60000, 60000)).toBe(10);
  });
  it("never go below 0", () => {
    const r = new InflightReservations(new MemoryCounters());
    const key = String.UTF8.encode("k");
    r.add(key, 0, 60000, 5);
    r.add(key, 0, 60000, -50);
    expect(r.read(key, 0, 60000)).toBe(0);
  });
});
