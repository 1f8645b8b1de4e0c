// Identity results are never changed once made: a failure is one shared result per
// reason, and a found identity never shows through a later failure (or the reverse).
import { IdentityResult } from "../attributes/identity";
import { IdentityFailure } from "../attributes/failure";
import { Value } from "../cel/value";

describe("identity results", () => {
  it("a failure names its reason and carries no identity, for every reason", () => {
    for (let i = 0; i <= <i32>IdentityFailure.DuplicateHeader; i++) {
      const r = IdentityResult.failed(<IdentityFailure>i);
      expect(<i32>r.failure).toBe(i);
      expect(r.identity).toBeNull();
    }
  });
  it("a failure is the same result each time: no allocation per request", () => {
    const a = IdentityResult.failed(IdentityFailure.MissingMetadata);
    const b = IdentityResult.failed(IdentityFailure.MissingMetadata);
    expect(changetype<usize>(a)).toBe(changetype<usize>(b));
    expect(changetype<usize>(a)).not.toBe(changetype<usize>(IdentityResult.failed(IdentityFailure.MissingHeader)));
  });
  it("a found identity and the failures before and after it do not see each other", () => {
    const before = IdentityResult.failed(IdentityFailure.MissingPayload);
    const found = IdentityResult.found(Value.string("alice"));
    const after = IdentityResult.failed(IdentityFailure.MissingPayload);
    expect(before.identity).toBeNull();
    expect(after.identity).toBeNull();
    expect(<i32>found.failure).toBe(<i32>IdentityFailure.None);
    expect(found.identity!.str).toBe("alice");
    const other = IdentityResult.found(Value.string("bob"));
    expect(found.identity!.str).toBe("alice");
    expect(other.identity!.str).toBe("bob");
  });
  it("a reason past the last one named still gets its own result", () => {
    const r = IdentityResult.failed(<IdentityFailure>99);
    expect(<i32>r.failure).toBe(99);
    expect(r.identity).toBeNull();
  });
});
