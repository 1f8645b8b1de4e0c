import { Sha256, sha256Hex, hexOf } from "../digest/sha256";

function hexOfText(s: string): string {
  const b = String.UTF8.encode(s);
  return sha256Hex(changetype<usize>(b), <usize>b.byteLength);
}

describe("SHA-256 (FIPS 180-4 examples)", () => {
  it("digests the empty message", () => {
    expect(hexOfText("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
  it("digests \"abc\"", () => {
    expect(hexOfText("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
  it("digests the two-block message", () => {
    expect(hexOfText("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
      .toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });
  it("gives the same digest fed in pieces of any size", () => {
    const b = String.UTF8.encode("a".repeat(1000));
    const whole = sha256Hex(changetype<usize>(b), 1000);
    for (let piece = 1; piece < 130; piece += 7) {
      const h = new Sha256();
      for (let at = 0; at < 1000; at += piece) h.update(changetype<usize>(b) + <usize>at, <usize>min(piece, 1000 - at));
      expect(hexOf(h.digest())).toBe(whole);
    }
  });
});
