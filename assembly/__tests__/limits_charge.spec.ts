import { isBodilessStatus } from "../limits/charge";

describe("isBodilessStatus", () => {
  it("takes informational statuses other than 101, 204, 304 and redirections for bodiless", () => {
    const bodiless: i32[] = [100, 102, 103, 199, 204, 300, 301, 302, 303, 304, 307, 308, 399];
    for (let i = 0; i < bodiless.length; i++) expect(isBodilessStatus(bodiless[i])).toBe(true);
  });
  it("charges a 101 upgrade, 2xx other than 204, errors and unknown statuses as usual", () => {
    const others: i32[] = [0, 1, 99, 101, 200, 201, 202, 203, 205, 206, 400, 429, 500, 999];
    for (let i = 0; i < others.length; i++) expect(isBodilessStatus(others[i])).toBe(false);
  });
});
