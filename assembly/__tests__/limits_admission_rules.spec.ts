import {
  AdmissionOutcome, admissionOutcome, reservationFor, refusesUnidentified, wantsRequestBody, refusesBeforeBody,
  addsStreamUsage, BodyStep, bodyStep, inputTokensOf, inputTokensOfSize, ATTACHMENT_TOKENS,
} from "../limits/admission_rules";
import { inspectRequest, RequestInfo } from "../usage/request";
import { I64_MAX } from "../usage/fields";

function inspect(body: string): RequestInfo {
  const b = String.UTF8.encode(body);
  return inspectRequest(changetype<usize>(b), <usize>b.byteLength);
}
import { AdmissionMode, Decision, LimitStatus } from "../limits/decision";
import { AdmissionConfig, FailureMode, OnCounterError, PluginConfig } from "../config";

function decision(admitted: bool, status: i32 = LimitStatus.Ok): Decision {
  const d = new Decision();
  d.admitted = admitted;
  d.status = status;
  return d;
}

function policy(dryRun: bool = false, failureMode: FailureMode = FailureMode.Allow): PluginConfig {
  const c = new PluginConfig();
  c.dryRun = dryRun;
  c.failureMode = failureMode;
  return c;
}

function admission(defaultReservation: i64, maxReservation: i64, maxBody: i32 = 1000): AdmissionConfig {
  const a = new AdmissionConfig();
  a.defaultReservation = defaultReservation;
  a.maxReservation = maxReservation;
  a.maxRequestBodyBytes = maxBody;
  return a;
}

describe("admission outcome", () => {
  it("admits a request the limiter admitted", () => {
    expect(admissionOutcome(decision(true), policy())).toBe(AdmissionOutcome.Admit);
  });
  it("rejects a request the limiter refused", () => {
    expect(admissionOutcome(decision(false), policy())).toBe(AdmissionOutcome.Reject);
  });
  it("lets a refused request through in a dry run, as limited", () => {
    expect(admissionOutcome(decision(false), policy(true))).toBe(AdmissionOutcome.DryRunLimited);
  });
  it("lets the request through when the counters fail and the failure mode allows", () => {
    expect(admissionOutcome(decision(false, LimitStatus.StoreError), policy())).toBe(AdmissionOutcome.FailOpen);
    expect(admissionOutcome(decision(false, LimitStatus.Conflict), policy())).toBe(AdmissionOutcome.FailOpen);
  });
  it("answers 503 when the counters fail and the failure mode denies", () => {
    expect(admissionOutcome(decision(false, LimitStatus.StoreError), policy(false, FailureMode.Deny))).toBe(AdmissionOutcome.Unavailable);
  });
  it("never denies on a failure in a dry run", () => {
    expect(admissionOutcome(decision(false, LimitStatus.Conflict), policy(true, FailureMode.Deny))).toBe(AdmissionOutcome.FailOpen);
  });
  it("waits for a backend that answers later, whatever the failure mode", () => {
    expect(admissionOutcome(decision(false, LimitStatus.Pending), policy(false, FailureMode.Deny))).toBe(AdmissionOutcome.Wait);
  });
});

describe("reservation", () => {
  it("reserves the output tokens the request asked for", () => {
    expect<i64>(reservationFor(0, 700, 1, admission(1000, 32000))).toBe(700);
  });
  it("reserves the default when the request does not say", () => {
    expect<i64>(reservationFor(0, 0, 1, admission(1000, 32000))).toBe(1000);
    expect<i64>(reservationFor(0, -1, 1, admission(1000, 32000))).toBe(1000);
  });
  it("never reserves more than the maximum for the output", () => {
    expect<i64>(reservationFor(0, 100000, 1, admission(1000, 32000))).toBe(32000);
    expect<i64>(reservationFor(0, 0, 1, admission(5000, 2000))).toBe(2000);
  });
  it("adds the input estimate, uncapped, to the output allowance", () => {
    expect<i64>(reservationFor(100000, 1, 1, admission(1000, 32000))).toBe(100001);
    expect<i64>(reservationFor(250, 100000, 1, admission(1000, 32000))).toBe(32250);
  });
  it("multiplies the output allowance by the number of outputs (n, candidateCount), then caps it", () => {
    expect<i64>(reservationFor(10, 500, 8, admission(1000, 32000))).toBe(4010);
    expect<i64>(reservationFor(10, 0, 3, admission(1000, 32000))).toBe(3010);
    expect<i64>(reservationFor(10, 10000, 8, admission(1000, 32000))).toBe(32010);
    expect<i64>(reservationFor(0, I64_MAX, I64_MAX, admission(1000, 32000))).toBe(32000);
    expect<i64>(reservationFor(I64_MAX, I64_MAX, 2, admission(1000, 32000))).toBe(I64_MAX);
  });
});

describe("input estimate", () => {
  it("is the text's bytes over bytesPerToken (rounded up), one token per number, 1,600 per attachment", () => {
    const a = admission(1000, 32000);
    const body = "{\"model\":\"m\",\"prompt\":[1,2,3],\"messages\":[{\"role\":\"user\",\"content\":\"hello world\"}," +
      "{\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}},{\"source\":{\"data\":\"QUJD\"}}],\"max_tokens\":5}";
    const info = inspect(body);
    expect<bool>(info.valid).toBe(true);
    expect<i64>(info.textBytes).toBe(15); // "user", "hello world"
    expect<i64>(info.numbers).toBe(3);
    expect<i64>(info.attachments).toBe(2);
    expect<i64>(inputTokensOf(info, 0, a)).toBe(4 + 3 + 2 * ATTACHMENT_TOKENS);
  });
  it("of a body that is not JSON is its size over bytesPerToken, never 0", () => {
    const a = admission(1000, 32000);
    expect<i64>(inputTokensOf(inspect("not json"), 8, a)).toBe(2);
    expect<i64>(inputTokensOf(inspect("x"), 1, a)).toBe(1);
    expect<i64>(inputTokensOfSize(0, a)).toBe(0);
    a.bytesPerToken = 3;
    expect<i64>(inputTokensOfSize(10, a)).toBe(4);
  });
  it("reads n and Gemini's candidateCount (either spelling), 1 when absent, capped at 128", () => {
    expect<i64>(inspect("{\"n\":8}").outputCount()).toBe(8);
    expect<i64>(inspect("{\"generationConfig\":{\"candidateCount\":3,\"maxOutputTokens\":50}}").outputCount()).toBe(3);
    expect<i64>(inspect("{\"generation_config\":{\"candidate_count\":2,\"max_output_tokens\":40}}").maxOutput()).toBe(40);
    expect<i64>(inspect("{\"generation_config\":{\"candidate_count\":2}}").outputCount()).toBe(2);
    expect<i64>(inspect("{}").outputCount()).toBe(1);
    expect<i64>(inspect("{\"n\":0}").outputCount()).toBe(1);
    expect<i64>(inspect("{\"n\":100000}").outputCount()).toBe(128);
  });
});

describe("unidentified callers", () => {
  it("are refused when onCounterError is reject", () => {
    const c = policy();
    c.onCounterError = OnCounterError.Reject;
    expect(refusesUnidentified(1, c)).toBe(true);
  });
  it("skip the limit when onCounterError is skip", () => {
    const c = policy();
    c.onCounterError = OnCounterError.Skip;
    expect(refusesUnidentified(1, c)).toBe(false);
  });
  it("are refused by default", () => {
    expect(refusesUnidentified(1, policy())).toBe(true);
  });
  it("are never refused in a dry run", () => {
    const c = policy(true);
    c.onCounterError = OnCounterError.Reject;
    expect(refusesUnidentified(1, c)).toBe(false);
  });
  it("are not refused when every counter was determined", () => {
    const c = policy();
    c.onCounterError = OnCounterError.Reject;
    expect(refusesUnidentified(0, c)).toBe(false);
  });
});

describe("request body", () => {
  it("is waited for in reserve mode when there is one", () => {
    expect(wantsRequestBody(policy(), false)).toBe(true);
  });
  it("is not waited for when the headers end the request", () => {
    expect(wantsRequestBody(policy(), true)).toBe(false);
  });
  it("is not waited for when reading it is turned off", () => {
    const c = policy();
    c.admission.readRequestBody = false;
    expect(wantsRequestBody(c, false)).toBe(false);
  });
  it("is waited for in check mode only to add stream_options", () => {
    const c = policy();
    c.admission.mode = AdmissionMode.Check;
    expect(wantsRequestBody(c, false)).toBe(true);
    c.usage.includeStreamUsage = false;
    expect(wantsRequestBody(c, false)).toBe(false);
  });
  it("is buffered while it is under the limit and not complete", () => {
    expect(bodyStep(999, false, admission(1, 1, 1000))).toBe(BodyStep.Buffer);
  });
  it("is read once complete and within the limit", () => {
    expect(bodyStep(1000, true, admission(1, 1, 1000))).toBe(BodyStep.Read);
  });
  it("is not read once it reaches the limit before its end", () => {
    expect(bodyStep(1000, false, admission(1, 1, 1000))).toBe(BodyStep.Skip);
  });
  it("is not read when it arrives whole but over the limit", () => {
    expect(bodyStep(1001, true, admission(1, 1, 1000))).toBe(BodyStep.Skip);
  });
});

describe("check before the body", () => {
  it("refuses a caller whose budget is already gone", () => {
    expect(refusesBeforeBody(decision(false), policy())).toBe(true);
  });
  it("lets the body decide when the check failed", () => {
    expect(refusesBeforeBody(decision(false, LimitStatus.StoreError), policy())).toBe(false);
  });
  it("refuses nobody in a dry run", () => {
    expect(refusesBeforeBody(decision(false), policy(true))).toBe(false);
  });
  it("lets an admitted caller on", () => {
    expect(refusesBeforeBody(decision(true), policy())).toBe(false);
  });
});

describe("stream usage rewrite", () => {
  it("applies to OpenAI chat completions when enabled", () => {
    expect(addsStreamUsage(policy(), "/v1/chat/completions", "openai")).toBe(true);
  });
  it("does not apply when turned off", () => {
    const c = policy();
    c.usage.includeStreamUsage = false;
    expect(addsStreamUsage(c, "/v1/chat/completions", "openai")).toBe(false);
  });
  it("does not apply to another provider's route", () => {
    expect(addsStreamUsage(policy(), "/v1/messages", "anthropic")).toBe(false);
  });
});
